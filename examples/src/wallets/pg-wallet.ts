// Wallet balances on PostgreSQL through `pg`. `debit` is the lost update Locksmith reports (select-then-update);
// the other functions are the correct variants.
import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";
import { assertAffected, retry } from "@locksmith/runtime";

/** ❌ Two concurrent debits both read 100, both write 90: one debit is lost. */
export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  const balance: number = rows[0].balance;
  if (balance < amount) throw new Error("insufficient funds");
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
}

/** ✅ The database computes the new balance; the check is part of the same statement. */
export async function debitAtomically(pool: Pool, accountId: string, amount: number): Promise<void> {
  const updated = await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, accountId]);
  if (updated.rowCount === 0) throw new Error("insufficient funds");
}

/** ✅ The row stays locked from the read to the commit. */
export async function debitLocked(pool: Pool, accountId: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
  });
}

/** ✅ Optimistic: write only if the balance is still the one read; on a conflict read again, after a backoff. */
export async function debitOptimistically(pool: Pool, accountId: string, amount: number): Promise<void> {
  await retry(async () => {
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    const updated = await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2 AND balance = $3", [balance - amount, accountId, balance]);
    assertAffected(updated.rowCount, "accounts row");
  }, { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 });
}
