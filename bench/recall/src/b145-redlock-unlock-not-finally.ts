import type Redis from "ioredis";
import Redlock from "redlock";
const SERVERS_KEY = "media:servers";
// The lock is released by the last statement of the try block: when the hash update throws, the catch logs and the
// lock stays held until its three seconds run out, so every other producer's close waits on it meanwhile.
export class ProducerRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly redisLock: Redlock,
  ) {}
  async closeProducer(routerId: string, producerId: string) {
    try {
      const lock = await this.redisLock.lock(SERVERS_KEY, 3000);
      const raw = await this.redis.hget(SERVERS_KEY, routerId);
      const producers = (JSON.parse(raw ?? "[]") as string[]).filter((p) => p !== producerId);
      await this.redis.hset(SERVERS_KEY, routerId, JSON.stringify(producers));
      await lock.unlock();
    } catch (err) {
      console.error("failed to remove producer", { routerId, producerId }, err);
    }
  }
}
