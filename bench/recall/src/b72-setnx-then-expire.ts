import { Inject, Injectable } from "@nestjs/common";
import type Redis from "ioredis";
@Injectable()
export class JobLockService {
  constructor(@Inject("REDIS") private readonly redis: Redis) {}
  // SETNX then PEXPIRE: a crash (or a failed PEXPIRE) between the two leaves a key that never expires.
  async tryLock(name: string, ttlMs: number): Promise<boolean> {
    const acquired = await this.redis.setnx(`job-lock:${name}`, String(process.pid));
    if (acquired === 1) {
      await this.redis.pexpire(`job-lock:${name}`, ttlMs);
      return true;
    }
    return false;
  }
  async unlock(name: string) {
    await this.redis.del(`job-lock:${name}`);
  }
}
