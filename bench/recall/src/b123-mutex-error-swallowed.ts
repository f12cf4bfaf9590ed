import type Redis from "ioredis";
import { lock } from "simple-redis-mutex";
// Only the acquisition timeout is rethrown: any other failure to take the lock (a dropped connection, a cluster
// redirect) is swallowed, and the callback then runs without the lock while the release is skipped in silence.
export class ContentLockProvider {
  constructor(private readonly redis: Redis) {}
  async withLock<T>(key: string, callback: () => Promise<T>, waitMs: number, holdMs: number): Promise<T> {
    let unlock: (() => Promise<void>) | undefined;
    try {
      unlock = await lock(this.redis, key, { timeoutMillis: holdMs, failAfterMillis: waitMs });
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("Lock could not be acquire for")) {
        throw new Error("timeout", { cause: error });
      }
    }
    try {
      return await callback();
    } finally {
      if (unlock) await unlock();
    }
  }
}
