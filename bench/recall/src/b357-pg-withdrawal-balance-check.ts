import { Pool } from "pg";
const pool = new Pool();
// A withdrawal reads the account's balance, refuses when it is below the amount, then debits it. Two withdrawals of 80
// from an account holding 100 both read 100, both pass, both debit: the balance ends at -60.
export async function withdraw(accountId: string, amount: number) {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  if (rows.length === 0) throw new Error("account not found");
  if (Number(rows[0].balance) < amount) throw new Error("insufficient funds");
  await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, accountId]);
  await pool.query("INSERT INTO ledger_entries (account_id, kind, amount) VALUES ($1, 'withdrawal', $2)", [accountId, amount]);
}
// Correct: the debit carries the test, and its row count says whether the funds were there.
export async function withdrawGuarded(accountId: string, amount: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const debit = await client.query(
      "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1",
      [amount, accountId],
    );
    if (debit.rowCount === 0) throw new Error("insufficient funds");
    await client.query("INSERT INTO ledger_entries (account_id, kind, amount) VALUES ($1, 'withdrawal', $2)", [accountId, amount]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
