// A wallet top-up whose "transaction" is sent through the pool, next to the same top-up on one checked-out client.
// Locksmith: transaction-through-pool.
import type { Pool } from "pg";

/**
 * ❌ Each `pool.query` runs on whichever connection is idle: the credit and the ledger row are not one transaction,
 * and the connection that ran BEGIN goes back to the pool with a transaction open.
 */
export async function topUpThroughPool(pool: Pool, walletId: string, amount: number): Promise<void> {
  await pool.query("BEGIN");
  try {
    await pool.query("UPDATE wallets SET balance = balance + $1 WHERE id = $2", [amount, walletId]);
    await pool.query("INSERT INTO wallet_ledger (wallet_id, amount) VALUES ($1, $2)", [walletId, amount]);
    await pool.query("COMMIT");
  } catch (error) {
    await pool.query("ROLLBACK");
    throw error;
  }
}

/** ✅ One connection for the whole transaction, released in `finally`. */
export async function topUp(pool: Pool, walletId: string, amount: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE wallets SET balance = balance + $1 WHERE id = $2", [amount, walletId]);
    await client.query("INSERT INTO wallet_ledger (wallet_id, amount) VALUES ($1, $2)", [walletId, amount]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
