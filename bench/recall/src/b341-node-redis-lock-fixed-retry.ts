import { randomUUID } from "node:crypto";
import { createClient } from "redis";
const redis = createClient({ url: process.env.REDIS_URL });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The lock helper retries a taken lock every 50 ms, for ever. With many callers waiting on a lock held for seconds,
// they all poll Redis twenty times a second in step, and none gives up when the holder is stuck.
export async function acquireNamedLock(name: string, ttlMs: number): Promise<string> {
  const token = randomUUID();
  for (;;) {
    const reply = await redis.set(`lock:${name}`, token, { NX: true, PX: ttlMs });
    if (reply === "OK") return token;
    await sleep(50);
  }
}
// Correct: a bounded number of attempts, each waiting twice as long as the last with random jitter.
export async function acquireNamedLockBackoff(name: string, ttlMs: number): Promise<string> {
  const token = randomUUID();
  for (let attempt = 0; attempt < 8; attempt++) {
    const reply = await redis.set(`lock:${name}`, token, { NX: true, PX: ttlMs });
    if (reply === "OK") return token;
    await sleep(Math.random() * 50 * 2 ** attempt);
  }
  throw new Error(`lock ${name} is busy`);
}
