import { randomUUID } from "node:crypto";
import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
declare function refreshAccessToken(connectionId: string): Promise<void>;
// Token refreshes are serialized per connection by a Redis lock whose value is a constant, released with DEL. A refresh
// that outlives the 10-second TTL deletes the lock of the refresh that took it after the expiry, and a third refresh of
// the same connection starts beside the second.
async function tryLock(key: string, ttlMs: number) {
  return (await redis.set(key, "1", "PX", ttlMs, "NX")) === "OK";
}
async function unlock(key: string) {
  await redis.del(key);
}
export async function refreshUnderLock(connectionId: string) {
  const key = `lock:token-refresh:${connectionId}`;
  if (!(await tryLock(key, 10_000))) return false;
  try {
    await refreshAccessToken(connectionId);
    return true;
  } finally {
    await unlock(key);
  }
}
const COMPARE_AND_DELETE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
// Correct: each acquisition stores its own token, and release deletes the key only while it still holds that token.
export async function refreshUnderOwnedLock(connectionId: string) {
  const key = `lock:token-refresh:${connectionId}`;
  const token = randomUUID();
  if ((await redis.set(key, token, "PX", 10_000, "NX")) !== "OK") return false;
  try {
    await refreshAccessToken(connectionId);
    return true;
  } finally {
    await redis.eval(COMPARE_AND_DELETE, 1, key, token);
  }
}
