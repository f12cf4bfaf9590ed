// Withdrawals and deposits on the app's own row-lock helper (row-locks.ts). `depositLockingLate` is the lost update
// Locksmith reports: it reads the balance before it takes the lock. `withdraw` takes the lock first.
import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";
import { lockAccountRow } from "./row-locks.js";

/** ✅ The account row is locked through the transaction before its balance is read, until COMMIT. */
export async function withdraw(pool: Pool, accountId: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    await lockAccountRow(tx, accountId);
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
  });
}

/**
 * ❌ The balance is read before the row is locked: two deposits both read 100, then each waits for the lock in turn and
 * writes 100 + its amount. One deposit is lost. Fix: call `lockAccountRow` before the read.
 */
export async function depositLockingLate(pool: Pool, accountId: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
    const balance: number = rows[0].balance;
    await lockAccountRow(tx, accountId);
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance + amount, accountId]);
  });
}
