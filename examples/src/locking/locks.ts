// The app's own lock module: a Redis lease class (SET NX PX with an owner token, released by a Lua compare-and-delete)
// and a keyed in-process lock. Nothing here names Locksmith: it infers what each helper does from its body
// (`locksmith locks examples` lists them), so the lock rules apply inside the helpers and where services call them.
import { randomUUID } from "node:crypto";
import { Mutex } from "async-mutex";
import type Redis from "ioredis";
import { backoffDelay, sleep } from "@locksmith/runtime";

/** Lua compare-and-delete: delete the key only while it still holds this holder's token. */
const COMPARE_AND_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export class RedisLeases {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs = 30_000,
  ) {}

  /** ✅ Waits for the lease on `key` (expiry and owner token set with the key, bounded retries) and returns the token. */
  async acquire(key: string, maxAttempts = 100): Promise<string> {
    const token = randomUUID();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if ((await this.redis.set(`lease:${key}`, token, "PX", this.ttlMs, "NX")) === "OK") return token;
      await sleep(backoffDelay(attempt, { initialDelayMs: 10, maxDelayMs: 200 }));
    }
    throw new Error(`lease ${key} is still held by someone else after ${maxAttempts} attempts`);
  }

  /** ✅ Gives the lease back only while it is still this holder's. */
  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(COMPARE_AND_DELETE, 1, `lease:${key}`, token);
  }

  /**
   * ❌ Returns `work()` from `try` without awaiting it: `finally` gives the lease back as soon as the promise is handed
   * back, while the work still runs, and the next caller's work runs alongside it.
   */
  async withLease<T>(key: string, work: () => Promise<T>): Promise<T> {
    const token = await this.acquire(key);
    try {
      return work();
    } finally {
      await this.release(key, token);
    }
  }
}

export class KeyedLock {
  private readonly mutexes = new Map<string, Mutex>();

  /** ✅ Runs `work` while no other work on the same key runs in this process. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let mutex = this.mutexes.get(key);
    if (!mutex) this.mutexes.set(key, (mutex = new Mutex()));
    return mutex.runExclusive(work);
  }
}
