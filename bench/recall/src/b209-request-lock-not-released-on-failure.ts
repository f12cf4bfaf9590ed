import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis(process.env.REDIS_URL!);
const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
class RequestLock {
  async acquire(key: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await redis.set(`request-lock:${key}`, token, "PX", ttlMs, "NX");
    return ok === "OK" ? token : null;
  }
  async release(key: string, token: string) {
    await redis.eval(RELEASE_SCRIPT, 1, `request-lock:${key}`, token);
  }
}
const locks = new RequestLock();
declare function executeAppMethod(app: string, method: string, params: unknown): Promise<unknown>;
declare function collectSignatures(result: unknown): Promise<string[]>;
// A node locks each request by its hash while it runs the app and gathers signatures. The release is the last
// statement, so a request whose app method or signature round throws keeps its hash locked until the TTL runs out, and
// every retry of that request is refused meanwhile.
export async function processRequest(hash: string, app: string, method: string, params: unknown) {
  const token = await locks.acquire(hash, 120_000);
  if (!token) throw new Error("Request is already being processed");
  const result = await executeAppMethod(app, method, params);
  const signatures = await collectSignatures(result);
  await locks.release(hash, token);
  return { result, signatures };
}
// Correct: the release is in `finally`.
export async function processRequestReleased(hash: string, app: string, method: string, params: unknown) {
  const token = await locks.acquire(hash, 120_000);
  if (!token) throw new Error("Request is already being processed");
  try {
    const result = await executeAppMethod(app, method, params);
    const signatures = await collectSignatures(result);
    return { result, signatures };
  } finally {
    await locks.release(hash, token);
  }
}
