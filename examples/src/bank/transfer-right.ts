// The guide's bank transfer, right: both accounts are taken in one canonical order, whatever the argument order.
import { LockManager } from "@locksmith/runtime";
import type { Pool } from "pg";

const accountLocks = new LockManager();
const balances = new Map<string, number>();

/** The runtime's ordered multi-lock: sorted by key, released in reverse. */
export async function transfer(from: string, to: string, amount: number): Promise<void> {
  await accountLocks.lockAll([from, to], async () => {
    const available = balances.get(from) ?? 0;
    if (available < amount) throw new Error("insufficient funds");
    balances.set(from, available - amount);
    balances.set(to, (balances.get(to) ?? 0) + amount);
  });
}

/** The guide's lock ordering, by hand: the smaller key first. */
export async function transferOrdered(from: string, to: string, amount: number): Promise<void> {
  const [first, second] = [from, to].sort();
  await accountLocks.lock(first!, async () => {
    await accountLocks.lock(second!, async () => {
      balances.set(from, (balances.get(from) ?? 0) - amount);
      balances.set(to, (balances.get(to) ?? 0) + amount);
    });
  });
}

/** Rows: lock both in one statement, in id order, before updating them. */
export async function transferInDatabase(pool: Pool, from: number, to: number, amount: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", [[from, to]]);
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
