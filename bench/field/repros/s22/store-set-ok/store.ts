// A Redis-backed key-value store whose `set` reports whether the write succeeded: SET with an expiry and no NX,
// compared with "OK". It caches a response under a request's key; nothing is acquired, so no NX is missing.
import { Redis } from "ioredis";

export interface ResponseStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, body: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export function redisResponseStore(redis: Redis, ttlMs: number): ResponseStore {
  return {
    async get(key) {
      return (await redis.get(key)) ?? undefined;
    },
    async set(key, body) {
      return (await redis.set(key, body, "PX", ttlMs)) === "OK";
    },
    async delete(key) {
      await redis.del(key);
    },
  };
}
