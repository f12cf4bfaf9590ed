import type Redis from "ioredis";
export class CacheLocks {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = 10,
  ) {}
  // SETNX's answer is thrown away: every caller is told it holds the lock.
  async lock(key: string, owner: string): Promise<boolean> {
    await this.redis.setnx(`lock:${key}`, owner);
    await this.redis.expire(`lock:${key}`, this.ttlSeconds);
    return true;
  }
  async unlock(key: string, owner: string) {
    const holder = await this.redis.get(`lock:${key}`);
    if (holder === owner) await this.redis.del(`lock:${key}`);
  }
}
export async function rebuildSearchIndex(locks: CacheLocks, workerId: string, rebuild: () => Promise<void>) {
  if (!(await locks.lock("search-index", workerId))) return;
  try {
    await rebuild();
  } finally {
    await locks.unlock("search-index", workerId);
  }
}
