import { createClient } from "redis";
const client = createClient({ url: process.env.REDIS_URL });
// A rate-limit store reads a window's count and its TTL in one MULTI. A missing count starts the window with SETEX of
// the request's weight, a count left without a TTL is rewritten as read + weight, and only an existing window is raised
// with INCRBY. The first requests of a window all read nothing and all SETEX their own weight: the hits before the
// last are lost, so a burst at every window start passes the limit.
export async function hitWindow(key: string, windowMs: number, weight: number) {
  const seconds = Math.ceil(windowMs / 1000);
  const [stored, ttl] = (await client.multi().get(key).ttl(key).exec()) as [string | null, number];
  if (stored === null) {
    await client.setEx(key, seconds, String(weight));
    return weight;
  }
  if (ttl === -1) {
    const counter = Number(stored) + weight;
    await client.setEx(key, seconds, String(counter));
    return counter;
  }
  return client.incrBy(key, weight);
}
// Correct: SET NX EX opens the window only if it is absent, and INCRBY counts every hit.
export async function hitWindowAtomic(key: string, windowMs: number, weight: number) {
  await client.set(key, "0", { NX: true, EX: Math.ceil(windowMs / 1000) });
  return client.incrBy(key, weight);
}
