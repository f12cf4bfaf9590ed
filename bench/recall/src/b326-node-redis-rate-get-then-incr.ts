import { createClient } from "redis";
const redis = createClient({ url: process.env.REDIS_URL });
// The connection rate limiter keeps a per-sender counter that expires with its window. It reads the counter with GET:
// absent, it starts a new window with SET … EX; present, it raises the count with INCR. When the window expires
// between the GET and the INCR, INCR recreates the key at 1 with no TTL, and that sender's counter never expires
// again: once it reaches the limit the sender is refused for good.
export async function countConnection(sender: string, windowSeconds: number, limit: number): Promise<boolean> {
  const key = `rate:conn:${sender}`;
  const current = await redis.get(key);
  if (current === null) {
    await redis.set(key, "1", { EX: windowSeconds });
    return true;
  }
  const count = await redis.incr(key);
  return count <= limit;
}
// Correct: INCR and EXPIRE NX are queued in one MULTI, so whatever INCR creates gets the window's expiry.
export async function countConnectionAtomic(sender: string, windowSeconds: number, limit: number): Promise<boolean> {
  const key = `rate:conn:${sender}`;
  const [count] = await redis.multi().incr(key).expire(key, windowSeconds, "NX").exec();
  return Number(count) <= limit;
}
