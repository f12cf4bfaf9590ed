import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
// The limiter reads the remaining count of the caller's window and writes it back decremented. Two servers handling
// the same caller at once both read 10 and both write 9: one request is never counted, and a burst passes the limit.
export async function takeToken(callerId: string, max: number, windowSeconds: number) {
  const key = `limit:${callerId}:remaining`;
  const current = await redis.get(key);
  if (current === null) {
    await redis.set(key, String(max - 1), "EX", windowSeconds);
    return { allowed: true, remaining: max - 1 };
  }
  const remaining = Number(current);
  if (remaining <= 0) return { allowed: false, remaining: 0 };
  await redis.set(key, String(remaining - 1), "KEEPTTL");
  return { allowed: true, remaining: remaining - 1 };
}
// Correct: the count is an atomic INCR on the window's key, and the decision reads the value INCR returns.
export async function takeTokenAtomic(callerId: string, max: number, windowSeconds: number) {
  const key = `limit:${callerId}:used`;
  const used = await redis.incr(key);
  if (used === 1) await redis.expire(key, windowSeconds);
  return { allowed: used <= max, remaining: Math.max(0, max - used) };
}
