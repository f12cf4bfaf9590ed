import { Redis } from "@upstash/redis";
const redis = Redis.fromEnv();
async function acquireLock(key: string, ttlSec = 60): Promise<boolean> {
  const ok = await redis.set(key, "1", { nx: true, ex: ttlSec });
  return ok === "OK";
}
// The release deletes whatever lock is there: when a refresh outlives its TTL and another worker takes the key, this
// worker's finally deletes that worker's lock.
async function releaseLock(key: string): Promise<void> {
  await redis.del(key);
}
export async function withLock<T>(key: string, ttlSec: number, fn: () => Promise<T>): Promise<T | null> {
  if (!(await acquireLock(key, ttlSec))) return null;
  try {
    return await fn();
  } finally {
    await releaseLock(key);
  }
}
export function refreshContributorBoard(rebuild: () => Promise<number>) {
  return withLock("locks:contributor-board", 300, rebuild);
}
