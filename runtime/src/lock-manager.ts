import type { DeadlockDetector } from "./deadlock.js";
import { lockAll } from "./lock-all.js";
import { Mutex } from "./primitives.js";
import { ChainedHandle, isPlain, nextLockId, runHolding, type Critical } from "./queue.js";
import type { LockHandle, Lockable, WaitOptions } from "./types.js";

/** A key of a `LockManager`. Numbers are converted with `String`, so `1` and `"1"` name the same lock. */
export type LockKey = string | number;

interface KeyedEntry {
  readonly mutex: KeyMutex;
  /** Holders plus waiters; the entry is evicted when it drops to zero. */
  users: number;
  /** Gives up one use (after a `lock` body, on the handle-free path). */
  readonly unuse: () => void;
}

/** A key's mutex; `runThen` gives up the entry's use in the same step as the release, without another promise. */
class KeyMutex extends Mutex {
  runThen<T>(fn: Critical<T>, after: () => void): Promise<T> {
    return this.runLocked("exclusive", fn, undefined, after);
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
  readonly #entries = new Map<string, KeyedEntry>();

  constructor(options: LockManagerOptions = {}) {
    this.name = options.name;
    this.deadlockDetector = options.deadlockDetector;
  }

  /** Number of keys currently held or awaited. */
  get size(): number {
    return this.#entries.size;
  }

  isLocked(key: LockKey): boolean {
    return this.#entries.get(String(key))?.mutex.isLocked ?? false;
  }

  /** Run `fn` holding the lock for `key`. */
  lock<T>(key: LockKey, fn: Critical<T>, options?: WaitOptions): Promise<T> {
    if (!this.deadlockDetector && isPlain(options)) {
      // The key's mutex runs `fn` on its handle-free fast path; the entry is counted as used until it is done.
      const entry = this.#use(String(key));
      return entry.mutex.runThen(fn, entry.unuse);
    }
    const body = async () => runHolding(await this.acquire(key, options), fn, options?.signal);
    return this.deadlockDetector ? this.deadlockDetector.scope(body) : body();
  }

  async acquire(key: LockKey, options?: WaitOptions): Promise<LockHandle> {
    const k = String(key);
    const entry = this.#use(k);
    let handle: LockHandle;
    try {
      handle = await entry.mutex.acquire(options);
    } catch (error) {
      this.#unuse(k, entry);
      throw error;
    }
    return new ChainedHandle(handle, () => this.#unuse(k, entry));
  }

  tryAcquire(key: LockKey): LockHandle | null {
    const k = String(key);
    const entry = this.#use(k);
    const handle = entry.mutex.tryAcquire();
    if (!handle) {
      this.#unuse(k, entry);
      return null;
    }
    return new ChainedHandle(handle, () => this.#unuse(k, entry));
  }

  /** Run `fn` holding every key; keys are deduplicated and taken in sorted order, so callers cannot deadlock. */
  lockAll<T>(keys: Iterable<LockKey>, fn: Critical<T>, options?: WaitOptions): Promise<T> {
    return lockAll([...keys].map((key) => this.lockable(key)), fn, options);
  }

  /** A view of one key for the top-level `lockAll`, to combine with other lockables. */
  lockable(key: LockKey): Lockable {
    return { lockKey: `${this.#id}:${String(key)}`, deadlockDetector: this.deadlockDetector, acquire: (o) => this.acquire(key, o) };
  }

  #use(key: string): KeyedEntry {
    let entry = this.#entries.get(key);
    if (!entry) {
      const name = this.name === undefined ? key : `${this.name}:${key}`;
      const created: KeyedEntry = { mutex: new KeyMutex({ name, deadlockDetector: this.deadlockDetector }), users: 0, unuse: () => this.#unuse(key, created) };
      this.#entries.set(key, (entry = created));
    }
    entry.users++;
    return entry;
  }

  #unuse(key: string, entry: KeyedEntry): void {
    if (--entry.users === 0 && this.#entries.get(key) === entry) this.#entries.delete(key);
  }
}
