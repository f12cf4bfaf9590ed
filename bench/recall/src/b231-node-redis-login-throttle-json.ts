import { createClient } from "redis";
const client = createClient({ url: process.env.REDIS_URL });
type Attempts = { count: number; firstAt: number };
// A login throttle keeps a JSON record of failed attempts per address: it reads the record, adds one in memory and
// SETs it back. Two failed logins at the same moment both read 4 and both write 5, so a guesser gets extra tries.
export async function recordFailedLogin(address: string, freeAttempts: number) {
  const key = `throttle:${address}`;
  const stored = await client.get(key);
  const entry: Attempts = stored ? JSON.parse(stored) : { count: 0, firstAt: Date.now() };
  entry.count += 1;
  await client.set(key, JSON.stringify(entry), { PX: 15 * 60_000 });
  return entry.count > freeAttempts;
}
// Correct: the count lives in its own key and INCR raises it.
export async function recordFailedLoginAtomic(address: string, freeAttempts: number) {
  const key = `throttle:${address}:count`;
  const [count] = await client.multi().incr(key).pExpire(key, 15 * 60_000).exec();
  return Number(count) > freeAttempts;
}
