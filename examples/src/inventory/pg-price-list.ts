// Optimistic concurrency on PostgreSQL through `pg`: a price list edited by several back-office users. The mistakes
// are an unchecked compare-and-set (unchecked-optimistic-update) and a retry loop without backoff
// (retry-without-backoff); each is followed by its correct variant.
import type { Pool } from "pg";
import { ConflictError, optimisticUpdate, retry } from "@locksmith/runtime";

/** ❌ When another editor saved first, this UPDATE matches no row and the edit vanishes without a word. */
export async function setPrice(pool: Pool, sku: string, price: number): Promise<void> {
  const { rows: [item] } = await pool.query("SELECT price, version FROM price_list WHERE sku = $1", [sku]);
  await pool.query("UPDATE price_list SET price = $1, version = version + 1 WHERE sku = $2 AND version = $3", [price, sku, item.version]);
}

/** ✅ Zero affected rows is a conflict the caller hears about. */
export async function setPriceChecked(pool: Pool, sku: string, price: number): Promise<void> {
  const { rows: [item] } = await pool.query("SELECT price, version FROM price_list WHERE sku = $1", [sku]);
  const updated = await pool.query("UPDATE price_list SET price = $1, version = version + 1 WHERE sku = $2 AND version = $3", [price, sku, item.version]);
  if (updated.rowCount === 0) throw new ConflictError("price_list changed concurrently");
}

/** ❌ Retries a lost race at once and forever: under contention the losers collide again and again. */
export async function raisePrice(pool: Pool, sku: string, percent: number): Promise<number> {
  for (;;) {
    try {
      const { rows: [item] } = await pool.query("SELECT price, version FROM price_list WHERE sku = $1", [sku]);
      const price = Math.round(item.price * (100 + percent)) / 100;
      const updated = await pool.query("UPDATE price_list SET price = $1, version = version + 1 WHERE sku = $2 AND version = $3", [price, sku, item.version]);
      if (updated.rowCount === 0) throw new ConflictError("price_list changed concurrently");
      return price;
    } catch (error) {
      if (error instanceof ConflictError) continue;
      throw error;
    }
  }
}

/** ✅ Read, modify, compare-and-set, with bounded retries and jittered exponential backoff. */
export async function raisePriceWithBackoff(pool: Pool, sku: string, percent: number): Promise<number> {
  const next = await optimisticUpdate({
    read: async () => (await pool.query("SELECT price, version FROM price_list WHERE sku = $1", [sku])).rows[0] as { price: number; version: number },
    modify: (item) => ({ price: Math.round(item.price * (100 + percent)) / 100 }),
    write: async (next, current) => (await pool.query("UPDATE price_list SET price = $1, version = version + 1 WHERE sku = $2 AND version = $3", [next.price, sku, current.version])).rowCount,
  });
  return next.price;
}

/** ✅ The same loop as raisePrice, through the runtime's retry. */
export async function raisePriceWithRetry(pool: Pool, sku: string, percent: number): Promise<number> {
  return await retry(async () => {
    const { rows: [item] } = await pool.query("SELECT price, version FROM price_list WHERE sku = $1", [sku]);
    const price = Math.round(item.price * (100 + percent)) / 100;
    const updated = await pool.query("UPDATE price_list SET price = $1, version = version + 1 WHERE sku = $2 AND version = $3", [price, sku, item.version]);
    if (updated.rowCount === 0) throw new ConflictError("price_list changed concurrently");
    return price;
  }, { retryOn: (error) => error instanceof ConflictError });
}
