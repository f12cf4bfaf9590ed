import Redis from "ioredis";
import { Pool } from "pg";

const redis = new Redis();
const pool = new Pool();

const within = <T>(ms: number) => new Promise<T | null>((resolve) => setTimeout(resolve, ms, null));

// Read-through cache of a table row: on a miss the row is loaded from the database and stored for the next caller.
export async function findPlan(code: string): Promise<{ code: string; seats: number } | null> {
  const cacheKey = `plan:${code}`;
  const cached = await Promise.race([redis.get(cacheKey), within<string>(500)]);
  if (cached) {
    return JSON.parse(cached);
  } else {
    const { rows } = await pool.query("SELECT code, seats FROM plans WHERE code = $1", [code]);
    if (rows[0]) {
      Promise.race([redis.set(cacheKey, JSON.stringify(rows[0])), within(500)]).catch(() => undefined);
    }
    return rows[0] ?? null;
  }
}

// The same fill of a value that a remote lookup returns, with a TTL.
export async function quotedRate(base: string, quote: string, lookup: (b: string, q: string) => Promise<string>): Promise<string> {
  const cacheKey = `rate:${base}:${quote}`;
  const rate = await redis.get(cacheKey);
  if (rate) {
    return rate;
  } else {
    const fresh = await lookup(base, quote);
    await redis.set(cacheKey, fresh, "EX", 300);
    return fresh;
  }
}

// A fill whose value comes from the same function called without the cache (which reads and upserts the row).
export async function allowanceOf(owner: string, spender: string, useCache?: boolean): Promise<{ value: string }> {
  if (useCache) {
    const cacheKey = `allowance:${owner}:${spender}`;
    const hit = await redis.get(cacheKey);
    if (hit) {
      return { value: hit };
    } else {
      const stored = await allowanceOf(owner, spender);
      await redis.set(cacheKey, stored.value, "EX", 300);
      return stored;
    }
  }
  const { rows } = await pool.query(
    "INSERT INTO allowances (owner, spender, value) VALUES ($1, $2, '0') ON CONFLICT (owner, spender) DO UPDATE SET owner = EXCLUDED.owner RETURNING value",
    [owner, spender],
  );
  return { value: rows[0].value };
}
