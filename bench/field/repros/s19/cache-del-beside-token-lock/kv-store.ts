import { RedisClientType } from "redis";

// A key-value wrapper offering a token lock (SET NX PX, released by compare-and-delete) beside a plain cache delete.
export class KvStore {
  constructor(
    private readonly client: RedisClientType,
    private readonly prefix?: string,
  ) {}

  private scoped(name: string): string {
    return this.prefix !== undefined ? `${this.prefix}:${name}` : name;
  }

  async tryLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const reply = await this.client.set(this.scoped(name), owner, {
      expiration: { type: "PX", value: ttlMs },
      condition: "NX",
    });
    return reply === "OK";
  }

  async unlock(name: string, owner: string): Promise<boolean> {
    const script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    const reply = await this.client.eval(script, { keys: [this.scoped(name)], arguments: [owner] });
    return reply === 1;
  }

  // The removal of whatever entry the caller names (cached results, pending orders): not the release of a lock.
  del(name: string): Promise<number> {
    return this.client.del(this.scoped(name));
  }
}
