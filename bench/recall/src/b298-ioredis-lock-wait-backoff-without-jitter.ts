import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";
interface LockOptions {
  retryIntervalMs: number;
  backoffFactor: number;
  maximumRetryIntervalMs: number;
  waitTimeoutMs: number;
}
// Waiting for a Redis lock retries SET NX with a delay that doubles from 20 ms up to a cap, until a deadline. The
// delays are the same sequence for every waiter: instances that found the lock busy together retry together
// (20, 40, 80 ms…), hitting Redis in synchronised bursts on every release.
export class RedisLockProvider {
  constructor(
    private readonly redis: Redis,
    private readonly options: LockOptions = { retryIntervalMs: 20, backoffFactor: 2, maximumRetryIntervalMs: 1000, waitTimeoutMs: 30_000 },
  ) {}
  async acquire(key: string, ownerId: string, ttlSeconds: number): Promise<void> {
    const deadline = Date.now() + this.options.waitTimeoutMs;
    let retryDelay = this.options.retryIntervalMs;
    while (true) {
      const taken = await this.redis.set(`lock:${key}`, ownerId, "EX", ttlSeconds, "NX");
      if (taken === "OK") return;
      if (Date.now() >= deadline) throw new Error(`timed out acquiring lock ${key}`);
      await sleep(retryDelay);
      retryDelay = Math.min(retryDelay * this.options.backoffFactor, this.options.maximumRetryIntervalMs);
    }
  }
  // Correct: each wait is a random fraction of the growing delay, so waiters drift apart.
  async acquireJittered(key: string, ownerId: string, ttlSeconds: number): Promise<void> {
    const deadline = Date.now() + this.options.waitTimeoutMs;
    let retryDelay = this.options.retryIntervalMs;
    while (true) {
      const taken = await this.redis.set(`lock:${key}`, ownerId, "EX", ttlSeconds, "NX");
      if (taken === "OK") return;
      if (Date.now() >= deadline) throw new Error(`timed out acquiring lock ${key}`);
      await sleep(retryDelay * (0.5 + Math.random() * 0.5));
      retryDelay = Math.min(retryDelay * this.options.backoffFactor, this.options.maximumRetryIntervalMs);
    }
  }
}
