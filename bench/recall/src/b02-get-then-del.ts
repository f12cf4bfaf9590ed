import { Redis } from "@upstash/redis";
import { randomUUID } from "node:crypto";
const redis = Redis.fromEnv();
export async function withRedisLock<T>(key: string, ttlSeconds: number, fn: () => Promise<T>): Promise<T | null> {
  const token = randomUUID();
  const ok = await redis.set(key, token, { nx: true, ex: ttlSeconds });
  if (!ok) return null;
  try {
    return await fn();
  } finally {
    const current = await redis.get<string>(key);
    if (current === token) {
      await redis.del(key);
    }
  }
}
