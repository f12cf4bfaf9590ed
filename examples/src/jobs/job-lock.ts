// A job runner that makes sure only one worker runs a given job at a time, with a Redis lock per job. The ❌
// functions are the classic hand-rolled lock mistakes; each ✅ function next to one is the correct variant.
import Redis from "ioredis";
import { randomUUID } from "node:crypto";

const redis = new Redis();

/** Lua compare-and-delete: delete the key only while it still holds this holder's token. */
const COMPARE_AND_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

declare function runJob(jobId: string): Promise<void>;

/** ❌ No expiry: a worker killed mid-job (deploy, OOM) leaves `lock:job:<id>` forever and the job never runs again. */
export async function runOnceWithoutExpiry(jobId: string): Promise<boolean> {
  const acquired = await redis.set(`lock:job:${jobId}`, "1", "NX");
  if (!acquired) return false;
  try {
    await runJob(jobId);
    return true;
  } finally {
    await redis.del(`lock:job:${jobId}`);
  }
}

/** ❌ SETNX then EXPIRE: a crash between the two commands leaves the lock without expiry. */
export async function runOnceSetnxThenExpire(jobId: string, token: string): Promise<boolean> {
  if (!(await redis.setnx(`lock:job:${jobId}`, token))) return false;
  try {
    await redis.pexpire(`lock:job:${jobId}`, 60000);
    await runJob(jobId);
    return true;
  } finally {
    await redis.eval(COMPARE_AND_DELETE, 1, `lock:job:${jobId}`, token);
  }
}

/**
 * ❌ Expiry, but a blind DEL: a job slower than 60 s loses the lock to another worker, then deletes that worker's
 * lock when it finishes, letting a third worker in.
 */
export async function runOnceBlindRelease(jobId: string): Promise<boolean> {
  const token = randomUUID();
  if (!(await redis.set(`lock:job:${jobId}`, token, "PX", 60000, "NX"))) return false;
  try {
    await runJob(jobId);
    return true;
  } finally {
    await redis.del(`lock:job:${jobId}`);
  }
}

/** ✅ Expiry set atomically with the key, a unique token, and a release that checks the token. */
export async function runOnce(jobId: string): Promise<boolean> {
  const token = randomUUID();
  if (!(await redis.set(`lock:job:${jobId}`, token, "PX", 60000, "NX"))) return false;
  try {
    await runJob(jobId);
    return true;
  } finally {
    await redis.eval(COMPARE_AND_DELETE, 1, `lock:job:${jobId}`, token);
  }
}

/** ✅ A set-once marker ("this event was handled") is not a lock: it is never deleted and needs no expiry. */
export async function markHandled(eventId: string): Promise<boolean> {
  return (await redis.set(`handled:${eventId}`, "1", "NX")) === "OK";
}
