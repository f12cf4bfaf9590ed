import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis(process.env.REDIS_URL!);
const LEASE_SECONDS = 10;
declare function exchangeRefreshToken(token: string): Promise<{ access: string; refresh: string }>;
declare function publishRotation(key: string, value: string): Promise<void>;
// Only one instance may present a refresh token to the identity provider at a time, so the leader takes a lease in
// Redis. Every holder stores the same value "1" and the lease is deleted blindly in `finally`: when a slow exchange
// outlives the lease and another instance leads, the first one's DEL removes the second one's lease, and a third
// instance presents the already rotated token again.
export async function rotateSessionTokens(sessionId: string, refreshToken: string) {
  const leaseKey = `refresh-lease:${sessionId}`;
  const taken = await redis.set(leaseKey, "1", "EX", LEASE_SECONDS, "NX");
  if (taken !== "OK") return null;
  try {
    const rotated = await exchangeRefreshToken(refreshToken);
    await publishRotation(`refresh-result:${sessionId}`, JSON.stringify(rotated));
    return rotated;
  } finally {
    await redis.del(leaseKey);
  }
}
// Correct: each leader stores its own nonce and releases with a compare-and-delete script.
const RELEASE_IF_OWNER = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`;
export async function rotateSessionTokensOwned(sessionId: string, refreshToken: string) {
  const leaseKey = `refresh-lease:${sessionId}`;
  const nonce = randomUUID();
  const taken = await redis.set(leaseKey, nonce, "EX", LEASE_SECONDS, "NX");
  if (taken !== "OK") return null;
  try {
    const rotated = await exchangeRefreshToken(refreshToken);
    await publishRotation(`refresh-result:${sessionId}`, JSON.stringify(rotated));
    return rotated;
  } finally {
    await redis.eval(RELEASE_IF_OWNER, 1, leaseKey, nonce);
  }
}
