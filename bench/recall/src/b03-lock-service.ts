import Redis from "ioredis";
export class DistributedLockService {
  constructor(private readonly redis: Redis) {}
  async acquireLock(resource: string, ttlMs: number): Promise<boolean> {
    const res = await this.redis.set(`lock:${resource}`, "1", "PX", ttlMs, "NX");
    return res === "OK";
  }
  async releaseLock(resource: string): Promise<void> {
    await this.redis.del(`lock:${resource}`);
  }
  async processPayout(payoutId: string, send: () => Promise<void>) {
    if (!(await this.acquireLock(`payout:${payoutId}`, 30000))) return;
    try { await send(); } finally { await this.releaseLock(`payout:${payoutId}`); }
  }
}
