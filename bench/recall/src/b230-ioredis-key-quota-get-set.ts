import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
// Per-API-key limiter: read the window's count, refuse at the cap, otherwise write back the count read plus one.
// Concurrent requests all read the same count and all write the same next value, so a burst passes the cap.
export async function consumeKeyQuota(apiKeyId: string, maxPerWindow: number, windowSeconds: number) {
  const slot = `quota:${apiKeyId}:${Math.floor(Date.now() / 1000 / windowSeconds)}`;
  const raw = await redis.get(slot);
  const used = raw ? Number.parseInt(raw, 10) : 0;
  if (used >= maxPerWindow) return { allowed: false, remaining: 0 };
  await redis.set(slot, String(used + 1), "EX", windowSeconds);
  return { allowed: true, remaining: maxPerWindow - used - 1 };
}
// Correct: INCR counts the request and returns the new count; the test is made on that.
export async function consumeKeyQuotaAtomic(apiKeyId: string, maxPerWindow: number, windowSeconds: number) {
  const slot = `quota:${apiKeyId}:${Math.floor(Date.now() / 1000 / windowSeconds)}`;
  const replies = await redis.multi().incr(slot).expire(slot, windowSeconds).exec();
  const used = Number(replies?.[0]?.[1] ?? 0);
  if (used > maxPerWindow) return { allowed: false, remaining: 0 };
  return { allowed: true, remaining: maxPerWindow - used };
}
