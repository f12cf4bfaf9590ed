import { randomUUID } from "node:crypto";
import type Redis from "ioredis";
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`;
// When the caller gives no expiry the lock key is written with NX and no TTL at all: a process that dies while holding
// it leaves the key locked for good.
export class RedisLocking {
  constructor(private readonly redis: Redis) {}
  async acquire(key: string, expireSeconds?: number): Promise<string | null> {
    const owner = randomUUID();
    const reply = expireSeconds
      ? await this.redis.set(`lock:${key}`, owner, "EX", expireSeconds, "NX")
      : await this.redis.set(`lock:${key}`, owner, "NX");
    return reply === "OK" ? owner : null;
  }
  async release(key: string, owner: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, `lock:${key}`, owner)) === 1;
  }
  async execute<T>(key: string, job: () => Promise<T>, expireSeconds?: number): Promise<T> {
    const owner = await this.acquire(key, expireSeconds);
    if (!owner) throw new Error(`lock ${key} is held`);
    try {
      return await job();
    } finally {
      await this.release(key, owner);
    }
  }
}
