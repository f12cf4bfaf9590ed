import { createClient } from "redis";
const redisClient = createClient({ url: process.env.REDIS_URL });
const SETTLEMENT_LOCK = "escrow:settlement-reconcile:lock";
// Each instance stores its own pid, but the release never reads it back: a sweep that outlives the lock's TTL
// deletes the next instance's lock in its finally, and a third instance then settles beside the second.
export async function reconcileSettlements(settle: () => Promise<number>) {
  const taken = await redisClient.set(SETTLEMENT_LOCK, String(process.pid), { NX: true, EX: 120 });
  if (taken !== "OK") return { skipped: true };
  try {
    return { skipped: false, settled: await settle() };
  } finally {
    await redisClient.del(SETTLEMENT_LOCK);
  }
}
// Correct: the delete runs only while the key still holds this instance's token, in one script.
const COMPARE_AND_DELETE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`;
export async function reconcileSettlementsOwned(settle: () => Promise<number>) {
  const token = `${process.pid}:${Date.now()}:${Math.random()}`;
  const taken = await redisClient.set(SETTLEMENT_LOCK, token, { NX: true, EX: 120 });
  if (taken !== "OK") return { skipped: true };
  try {
    return { skipped: false, settled: await settle() };
  } finally {
    await redisClient.eval(COMPARE_AND_DELETE, { keys: [SETTLEMENT_LOCK], arguments: [token] });
  }
}
