import { randomUUID } from "node:crypto";
import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
declare function reindexStaleFeeds(): Promise<void>;
// Every replica runs this sweep every five minutes. The "lock" is a flag key read with GET and set with a plain SET:
// no NX, so two replicas that both read nothing both sweep, and no expiry, so a replica killed between the SET and the
// DEL leaves the flag forever and no replica sweeps again until someone deletes the key by hand.
export async function sweepFeeds() {
  try {
    const held = await redis.get("sweep:feeds");
    if (held) return false;
    await redis.set("sweep:feeds", "true");
    await reindexStaleFeeds();
    await redis.del("sweep:feeds");
    return true;
  } catch (err) {
    await redis.del("sweep:feeds");
    throw err;
  }
}
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
// Correct: one SET NX PX takes the lease with an expiry and a token, and only the holder's token deletes it.
export async function sweepFeedsLeased() {
  const token = randomUUID();
  const taken = await redis.set("sweep:feeds:lease", token, "PX", 2 * 60 * 60_000, "NX");
  if (taken !== "OK") return false;
  try {
    await reindexStaleFeeds();
    return true;
  } finally {
    await redis.eval(RELEASE, 1, "sweep:feeds:lease", token);
  }
}
