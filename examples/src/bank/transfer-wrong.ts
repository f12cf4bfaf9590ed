// The guide's bank transfer, wrong: each account is locked in argument order. transfer(alice, bob) and
// transfer(bob, alice) running at once each hold one account and wait forever for the other.
// Locksmith: inconsistent-lock-order (the in-memory version has a safe fix to `lockAll`).
import { LockManager } from "@locksmith/runtime";
import type { Pool } from "pg";

const accountLocks = new LockManager();
const balances = new Map<string, number>();

export async function transfer(from: string, to: string, amount: number): Promise<void> {
  await accountLocks.lock(from, async () => {
    await accountLocks.lock(to, async () => {
      const available = balances.get(from) ?? 0;
      if (available < amount) throw new Error("insufficient funds");
      balances.set(from, available - amount);
      balances.set(to, (balances.get(to) ?? 0) + amount);
    });
  });
}

/** The same mistake with row locks: each UPDATE locks its row until COMMIT, in argument order. */
export async function transferInDatabase(pool: Pool, from: number, to: number, amount: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);
    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
