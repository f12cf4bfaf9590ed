import { randomUUID } from "node:crypto";
import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
// Waiting for a box's lock tries SET NX every 50 ms until it succeeds. The wait has no bound and every waiter polls at the
// same short interval: when a holder dies with a long TTL the request hangs, and many requests queued on one box hit
// Redis together every 50 ms.
export async function waitForBoxLock(boxId: string, ttlMs: number) {
  const token = randomUUID();
  while (true) {
    const taken = await redis.set(`box:lock:${boxId}`, token, "PX", ttlMs, "NX");
    if (taken === "OK") return token;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
// Correct: a bounded number of attempts, each waiting twice as long as the last with jitter, then an error.
export async function waitForBoxLockBounded(boxId: string, ttlMs: number, attempts = 8) {
  const token = randomUUID();
  for (let attempt = 0; attempt < attempts; attempt++) {
    const taken = await redis.set(`box:lock:${boxId}`, token, "PX", ttlMs, "NX");
    if (taken === "OK") return token;
    const delay = Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw new Error(`box ${boxId} is busy`);
}
