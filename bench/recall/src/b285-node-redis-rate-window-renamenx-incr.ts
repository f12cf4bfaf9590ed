import { createClient } from "redis";
const redis = createClient({ url: process.env.REDIS_URL });
// The limiter creates a window's counter under a temporary name with a TTL, renames it into place unless a counter
// already exists, and increments the real key, all in one MULTI. MULTI does not stop the real key from expiring between
// the RENAMENX (which found it still there, so the new counter was not moved in) and the INCR: the INCR then creates the
// key with no TTL, and the client is limited for good.
export async function countRequest(clientKey: string, windowSeconds: number) {
  const realKey = `rate:${clientKey}`;
  const tempKey = `${realKey}:${Date.now()}:${Math.random()}`;
  const replies = await redis.multi().setEx(tempKey, windowSeconds, "0").renameNX(tempKey, realKey).incr(realKey).exec();
  return Number(replies[2]);
}
// Correct: the INCR's answer comes with the key's TTL, and a counter found without one (-1) is given its expiry again.
export async function countRequestSelfHealing(clientKey: string, windowSeconds: number) {
  const realKey = `rate:${clientKey}`;
  const replies = await redis.multi().incr(realKey).ttl(realKey).exec();
  const count = Number(replies[0]);
  if (count === 1 || Number(replies[1]) === -1) await redis.expire(realKey, windowSeconds);
  return count;
}
