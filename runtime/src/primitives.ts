import type { DeadlockDetector } from "./deadlock.js";
import { QueueLock, nextLockId, type Critical } from "./queue.js";
import type { LockHandle, Lockable, WaitOptions } from "./types.js";

export interface LockOptions {
  /** Shown in errors and diagnostics events. */
  name?: string | undefined;
  /** Report waits to this detector so a wait that would deadlock rejects with `DeadlockError` (Mutex only). */
  deadlockDetector?: DeadlockDetector | undefined;
}

/** A fair (FIFO) asynchronous mutual-exclusion lock. */
export class Mutex extends QueueLock<"exclusive"> implements Lockable {
  readonly lockKey: string;
  #locked = false;

  constructor(options: LockOptions = {}) {
    const id = nextLockId("mutex");
    super(options.name ?? id, options.deadlockDetector);
    this.lockKey = id;
  }

  get isLocked(): boolean {
    return this.#locked;
  }

  acquire(options?: WaitOptions): Promise<LockHandle> {
    return this.wait("exclusive", options);
  }

  /** The handle if the mutex is free and nobody is queued, else `null`. */
  tryAcquire(): LockHandle | null {
    return this.tryEnter("exclusive");
  }

  /** Run `fn` holding the mutex; released however `fn` ends. */
  run<T>(fn: Critical<T>, options?: WaitOptions): Promise<T> {
    return this.runLocked("exclusive", fn, options);
  }

  protected canEnter(): boolean {
    return !this.#locked;
  }
  protected enter(): void {
    this.#locked = true;
  }
  protected leave(): void {
    this.#locked = false;
  }
}

/** A fair (FIFO) counting semaphore: at most `permits` holders at a time. */
export class Semaphore extends QueueLock<"permit"> implements Lockable {
  readonly lockKey: string;
  readonly permits: number;
  #available: number;

  constructor(permits: number, options: Omit<LockOptions, "deadlockDetector"> = {}) {
    if (!Number.isSafeInteger(permits) || permits < 1) throw new RangeError(`Semaphore permits must be a positive integer, got ${permits}`);
    const id = nextLockId("semaphore");
    super(options.name ?? id);
    this.lockKey = id;
    this.permits = permits;
    this.#available = permits;
  }

  /** Permits not currently held. */
  get available(): number {
    return this.#available;
  }

  acquire(options?: WaitOptions): Promise<LockHandle> {
    return this.wait("permit", options);
  }

  tryAcquire(): LockHandle | null {
    return this.tryEnter("permit");
  }

  run<T>(fn: Critical<T>, options?: WaitOptions): Promise<T> {
    return this.runLocked("permit", fn, options);
  }

  protected canEnter(): boolean {
    return this.#available > 0;
  }
  protected enter(): void {
    this.#available--;
  }
  protected leave(): void {
    this.#available++;
  }
}

type RWMode = "read" | "write";

/**
 * A fair read-write lock: many readers or one writer. Strict FIFO: a reader that arrives after a queued writer waits
 * behind it, so writers never starve; consecutive queued readers are admitted together.
 */
export class RWLock extends QueueLock<RWMode> {
  readonly lockKey: string;
  /** `lockAll` adapters. Both have this lock's `lockKey`; given both, `lockAll` takes the write lock. */
  readonly reader: Lockable;
  readonly writer: Lockable;
  #readers = 0;
  #writing = false;

  constructor(options: Omit<LockOptions, "deadlockDetector"> = {}) {
    const id = nextLockId("rwlock");
    super(options.name ?? id);
    this.lockKey = id;
    this.reader = { lockKey: id, shared: true, acquire: (o) => this.read(o) };
    this.writer = { lockKey: id, acquire: (o) => this.write(o) };
  }

  /** Number of readers holding the lock. */
  get readers(): number {
    return this.#readers;
  }

  get isWriteLocked(): boolean {
    return this.#writing;
  }

  read(options?: WaitOptions): Promise<LockHandle> {
    return this.wait("read", options);
  }

  write(options?: WaitOptions): Promise<LockHandle> {
    return this.wait("write", options);
  }

  tryRead(): LockHandle | null {
    return this.tryEnter("read");
  }

  tryWrite(): LockHandle | null {
    return this.tryEnter("write");
  }

  runRead<T>(fn: Critical<T>, options?: WaitOptions): Promise<T> {
    return this.runLocked("read", fn, options);
  }

  runWrite<T>(fn: Critical<T>, options?: WaitOptions): Promise<T> {
    return this.runLocked("write", fn, options);
  }

  protected canEnter(mode: RWMode): boolean {
    return mode === "read" ? !this.#writing : !this.#writing && this.#readers === 0;
  }
  protected enter(mode: RWMode): void {
    if (mode === "read") this.#readers++;
    else this.#writing = true;
  }
  protected leave(mode: RWMode): void {
    if (mode === "read") this.#readers--;
    else this.#writing = false;
  }
}
