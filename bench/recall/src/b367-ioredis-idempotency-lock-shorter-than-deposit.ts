import { randomUUID } from "node:crypto";
import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
declare function submitEscrowDeposit(orderId: string, amount: number): Promise<string>;
declare function waitForConfirmation(txHash: string, options: { timeoutMs: number }): Promise<void>;
// An escrow deposit runs under a per-order idempotency lock that expires after 10 s, while the deposit waits up to 60 s
// for its on-chain confirmation. A slow confirmation outlives the lock: a retried request takes the expired lock and
// submits a second deposit for the same order.
export async function depositEscrow(orderId: string, amount: number) {
  const key = `idem-lock:escrow:${orderId}`;
  const token = randomUUID();
  const locked = await redis.set(key, token, "PX", 10_000, "NX");
  if (locked !== "OK") throw new Error("deposit already in progress");
  try {
    const txHash = await submitEscrowDeposit(orderId, amount);
    await waitForConfirmation(txHash, { timeoutMs: 60_000 });
    return txHash;
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
// Correct: the lock lives longer than the longest wait under it.
export async function depositEscrowCovered(orderId: string, amount: number) {
  const key = `idem-lock:escrow:${orderId}`;
  const token = randomUUID();
  const locked = await redis.set(key, token, "PX", 120_000, "NX");
  if (locked !== "OK") throw new Error("deposit already in progress");
  try {
    const txHash = await submitEscrowDeposit(orderId, amount);
    await waitForConfirmation(txHash, { timeoutMs: 60_000 });
    return txHash;
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
