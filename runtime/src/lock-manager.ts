import type { DeadlockDetector } from "./deadlock.js";
import { lockAll } from "./lock-all.js";
import { Mutex } from "./primitives.js";
import { ChainedHandle, isPlain, nextLockId, runHolding, type Critical } from "./queue.js";
import type { LockHandle, Lockable, WaitOptions } from "./types.js";

/** A key of a `LockManager`. Numbers are converted with `String`, so `1` and `"1"` name the same lock. */
export type LockKey = string | number;

/**
 * A key's mutex, which is also its entry in the manager: `users` counts holders plus waiters, and the entry is evicted
 * when that drops to zero. `runThen` gives the use up in the same step as the release, without another promise.
 */
class KeyMutex extends Mutex {
  users = 0;
  readonly #entries: Map<string, KeyMutex>;
  readonly #key: string;

  constructor(entries: Map<string, KeyMutex>, key: string, name: string, deadlockDetector: DeadlockDetector | undefined) {
    super({ name, deadlockDetector });
    this.#entries = entries;
    this.#key = key;
  }

  readonly unuse = (): void => {
    if (--this.users === 0 && this.#entries.get(this.#key) === this) this.#entries.delete(this.#key);
  };

  runThen<T>(fn: Critical<T>): Promise<T> {
    return this.runLocked("exclusive", fn, undefined, this.unuse);
  }
}

export interface LockManagerOptions {
  /** Prefixes the key in errors and diagnostics events. */
  name?: string | undefined;
  /** Report waits so that a wait closing a cycle rejects with `DeadlockError` instead of hanging. */
  deadlockDetector?: DeadlockDetector | undefined;
}

/**
 * One fair mutex per key, created on demand and evicted as soon as nobody holds or waits for it, so memory stays
 * proportional to the keys in use.
 */
export class LockManager {
  readonly name: string | undefined;
  readonly deadlockDetector: DeadlockDetector | undefined;
  readonly #id = nextLockId("keys");
  readonly #entries = new Map<string, KeyMutex>();

  constructor(options: LockManagerOptions = {}) {
    this.name = options.name;
    this.deadlockDetector = options.deadlockDetector;
  }

  /** Number of keys currently held or awaited. */
  get size(): number {
    return this.#entries.size;
  }

  isLocked(key: LockKey): boolean {
    return this.#entries.get(String(key))?.isLocked ?? false;
  }

  /** Run `fn` holding the lock for `key`. */
  lock<T>(key: LockKey, fn: Critical<T>, options?: WaitOptions): Promise<T> {
    if (!this.deadlockDetector && isPlain(options)) {
      // The key's mutex runs `fn` on its handle-free fast path; the entry is counted as used until it is done.
      return this.#use(String(key)).runThen(fn);
    }
    const body = async () => runHolding(await this.acquire(key, options), fn, options?.signal);
    return this.deadlockDetector ? this.deadlockDetector.scope(body) : body();
  }

  async acquire(key: LockKey, options?: WaitOptions): Promise<LockHandle> {
    const entry = this.#use(String(key));
    let handle: LockHandle;
    try {
      handle = await entry.acquire(options);
    } catch (error) {
      entry.unuse();
      throw error;
    }
    return new ChainedHandle(handle, entry.unuse);
  }

  tryAcquire(key: LockKey): LockHandle | null {
    const entry = this.#use(String(key));
    const handle = entry.tryAcquire();
    if (!handle) {
      entry.unuse();
      return null;
    }
    return new ChainedHandle(handle, entry.unuse);
  }

  /** Run `fn` holding every key; keys are deduplicated and taken in sorted order, so callers cannot deadlock. */
  lockAll<T>(keys: Iterable<LockKey>, fn: Critical<T>, options?: WaitOptions): Promise<T> {
    return lockAll([...keys].map((key) => this.lockable(key)), fn, options);
  }

  /** A view of one key for the top-level `lockAll`, to combine with other lockables. */
  lockable(key: LockKey): Lockable {
    return { lockKey: `${this.#id}:${String(key)}`, deadlockDetector: this.deadlockDetector, acquire: (o) => this.acquire(key, o) };
  }

  #use(key: string): KeyMutex {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = new KeyMutex(this.#entries, key, this.name === undefined ? key : `${this.name}:${key}`, this.deadlockDetector);
      this.#entries.set(key, entry);
    }
    entry.users++;
    return entry;
  }
}
