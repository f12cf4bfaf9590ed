import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
// A workflow locks a set of keys (a cart and its customer) by taking every key at once. When one key is held by another
// owner the acquisition rejects, but the keys it did take are never given back: they stay locked until their expiry
// (for ever when no TTL is given), and two callers asking for the same keys in opposite orders each keep half.
export async function acquireKeys(keys: string[], ownerId: string, ttlMs?: number) {
  await Promise.all(
    keys.map(async (key) => {
      const reply = ttlMs
        ? await redis.set(`lock:${key}`, ownerId, "PX", ttlMs, "NX")
        : await redis.set(`lock:${key}`, ownerId, "NX");
      if (reply !== "OK") throw new Error(`key ${key} is locked`);
    }),
  );
}
export async function releaseKeys(keys: string[], ownerId: string) {
  for (const key of keys) await redis.eval(RELEASE, 1, `lock:${key}`, ownerId);
}
// Correct: the keys are taken one at a time in sorted order, and a failure gives back the ones already taken.
export async function acquireKeysAllOrNothing(keys: string[], ownerId: string, ttlMs: number) {
  const taken: string[] = [];
  try {
    for (const key of [...new Set(keys)].sort()) {
      const reply = await redis.set(`lock:${key}`, ownerId, "PX", ttlMs, "NX");
      if (reply !== "OK") throw new Error(`key ${key} is locked`);
      taken.push(key);
    }
  } catch (error) {
    await releaseKeys(taken, ownerId);
    throw error;
  }
}
