import { Injectable } from "@nestjs/common";
import Redis from "ioredis";
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
@Injectable()
export class ClusterLock {
  private readonly redis = new Redis(process.env.REDIS_URL!);
  // One token for the whole process: two acquisitions by this process cannot be told apart at release.
  private readonly owner = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  async runExclusive<T>(name: string, ttlMs: number, work: () => Promise<T>): Promise<T | undefined> {
    const ok = await this.redis.set(`lock:${name}`, this.owner, "PX", ttlMs, "NX");
    if (ok !== "OK") return undefined;
    try {
      return await work();
    } finally {
      await this.redis.eval(RELEASE, 1, `lock:${name}`, this.owner);
    }
  }
}
