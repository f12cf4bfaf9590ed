import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL ?? "redis://localhost:6379");
const HOLD_SECONDS = 60;
const lockKey = (teamId: number, key: string) => `idempotency:lock:${teamId}:${key}`;
// The lock's value is a constant and the release an unconditional DEL: a send that outlives the 60 s deletes the lock
// a second request has taken since, and a third request sends the same message again.
export const IdempotencyGuard = {
  async acquire(teamId: number, key: string): Promise<boolean> {
    const ok = await redis.set(lockKey(teamId, key), "1", "EX", HOLD_SECONDS, "NX");
    return ok === "OK";
  },
  async release(teamId: number, key: string): Promise<void> {
    await redis.del(lockKey(teamId, key));
  },
};
export async function sendOnce(teamId: number, key: string, send: () => Promise<string>) {
  if (!(await IdempotencyGuard.acquire(teamId, key))) throw new Error("request with this key is in progress");
  try {
    return await send();
  } finally {
    await IdempotencyGuard.release(teamId, key);
  }
}
