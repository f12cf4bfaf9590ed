// Wallet balances on PostgreSQL under SERIALIZABLE. No update is lost at this isolation level: the database aborts
// the second of two overlapping debits with a serialization failure (40001). `debitOnce` is what select-then-update
// reports: nothing runs the aborted debit again, so the call fails. The other functions retry it.
import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";
import { backoffDelay, sleep } from "@locksmith/runtime";

/** ❌ Two concurrent debits: one commits, the other fails with 40001 and nothing retries it. */
export async function debitOnce(pool: Pool, accountId: string, amount: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

/** ✅ The runtime's helper reruns the whole transaction on a serialization failure, with backoff. */
export async function debitRetried(pool: Pool, accountId: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
  }, { isolation: "serializable", retry: { maxAttempts: 20, initialDelayMs: 10, maxDelayMs: 500 } });
}

/** ✅ A hand-written loop that retries serialization failures with exponential backoff and jitter. */
export async function debitWithLoop(pool: Pool, accountId: string, amount: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
      const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
      const balance: number = rows[0].balance;
      if (balance < amount) throw new Error("insufficient funds");
      await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
      await client.query("COMMIT");
      return;
    } catch (error) {
      await client.query("ROLLBACK");
      if ((error as { code?: string }).code !== "40001" || attempt >= 20) throw error;
      await sleep(backoffDelay(attempt, { initialDelayMs: 10, maxDelayMs: 500 }));
    } finally {
      client.release();
    }
  }
}
