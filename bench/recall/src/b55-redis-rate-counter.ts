import { Injectable } from "@nestjs/common";
import Redis from "ioredis";
@Injectable()
export class CacheStore {
  private readonly client = new Redis(process.env.REDIS_URL!);
  get(key: string) {
    return this.client.get(key);
  }
  set(key: string, value: string, ttlSeconds: number) {
    return this.client.set(key, value, "EX", ttlSeconds);
  }
  incr(key: string) {
    return this.client.incr(key);
  }
  expire(key: string, ttlSeconds: number) {
    return this.client.expire(key, ttlSeconds);
  }
}
@Injectable()
export class LoginThrottle {
  constructor(private readonly cache: CacheStore) {}
  async allow(ip: string, limit: number, windowSeconds: number) {
    const key = `throttle:login:${ip}`;
    const current = await this.cache.get(key);
    const attempts = (current ? parseInt(current, 10) : 0) + 1;
    if (attempts > limit) return false;
    await this.cache.set(key, String(attempts), windowSeconds);
    return true;
  }
  // Correct twin: INCR counts atomically; the window starts with the first hit.
  async allowAtomic(ip: string, limit: number, windowSeconds: number) {
    const key = `throttle:login:${ip}`;
    const attempts = await this.cache.incr(key);
    if (attempts === 1) await this.cache.expire(key, windowSeconds);
    return attempts <= limit;
  }
}
