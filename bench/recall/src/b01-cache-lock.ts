import { createClient } from "redis";
const redisClient = createClient();
export class CacheStorage {
  private key(k: string) { return `cache:${k}`; }
  async acquireLock(key: string, ttl = 1000): Promise<boolean> {
    const result = await redisClient.set(this.key(key), "lock", { NX: true, PX: ttl });
    return result === "OK";
  }
  async releaseLock(key: string): Promise<void> {
    await redisClient.del(this.key(key));
  }
}
export class CacheLock {
  constructor(private storage: CacheStorage) {}
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const ok = await this.storage.acquireLock(key, 5000);
    if (!ok) throw new Error("busy");
    try { return await fn(); } finally { await this.storage.releaseLock(key); }
  }
}
