import type { DeadlockDetector, DeadlockFrame } from "./deadlock.js";
import { AbortError, NotAvailableError, TimeoutError, abortErrorFor } from "./errors.js";
import { channels, publish, waitOutcome } from "./events.js";
import type { LockHandle, WaitOptions } from "./types.js";

let lastId = 0;
/** A process-unique id; in-process locks sort by it in `lockAll`. */
export function nextLockId(prefix: string): string {
  return `${prefix}:${++lastId}`;
}

/** The handle of an in-process lock. Releasing frees the lock synchronously; the returned promise is already resolved. */
export class LocalHandle implements LockHandle {
  #onRelease: (() => void) | undefined;
  #controller: AbortController | undefined; // created on first use of `signal`: most handles never need one
  readonly #lock: string;
  readonly #since = performance.now();

  constructor(lock: string, onRelease: () => void) {
    this.#lock = lock;
    this.#onRelease = onRelease;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.released) this.#controller.abort(releasedReason());
    }
    return this.#controller.signal;
  }

  get released(): boolean {
    return this.#onRelease === undefined;
  }

  release(): Promise<void> {
    const onRelease = this.#onRelease;
    if (onRelease) {
      this.#onRelease = undefined;
      onRelease();
      publish(channels.hold, () => ({ lock: this.#lock, heldMs: performance.now() - this.#since }));
      this.#controller?.abort(releasedReason());
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

function releasedReason(): AbortError {
  return new AbortError("The lock was released");
}

/** A handle that runs `after` once, right after `inner` is released (used to evict idle keyed locks). */
export class ChainedHandle implements LockHandle {
  readonly #inner: LockHandle;
  #after: (() => void) | undefined;

  constructor(inner: LockHandle, after: () => void) {
    this.#inner = inner;
    this.#after = after;
  }

  get signal(): AbortSignal {
    return this.#inner.signal;
  }

  get fence(): bigint | undefined {
    return this.#inner.fence;
  }

  release(): Promise<void> {
    const after = this.#after;
    if (!after) return Promise.resolve();
    this.#after = undefined;
    const released = this.#inner.release();
    after();
    return released;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** A queued waiter. Waiters form an intrusive doubly linked list, so an aborted one leaves in O(1). */
interface Waiter<K> {
  readonly kind: K;
  prev: Waiter<K> | undefined;
  next: Waiter<K> | undefined;
  queued: boolean;
  grant(): void;
}

/**
 * Strict FIFO wait queue shared by Mutex, Semaphore and RWLock. Subclasses say when a waiter of a given kind can
 * enter and update their counters; this class owns every race:
 *  - a grant happens synchronously inside `release()` (or `acquire()` when free), so state never drifts;
 *  - a waiter leaves the queue the moment it is granted, aborted or timed out, and each of those settles it once
 *    (the other two are disarmed in the same synchronous step);
 *  - a signal that aborts after the grant but before the caller got the handle releases it and rejects.
 */
export abstract class QueueLock<K> {
  readonly name: string;
  readonly deadlockDetector: DeadlockDetector | undefined;
  #head: Waiter<K> | undefined;
  #tail: Waiter<K> | undefined;
  #waiting = 0;

  constructor(name: string, deadlockDetector?: DeadlockDetector) {
    this.name = name;
    this.deadlockDetector = deadlockDetector;
  }

  /** Number of queued waiters. */
  get waiting(): number {
    return this.#waiting;
  }

  protected abstract canEnter(kind: K): boolean;
  protected abstract enter(kind: K): void;
  protected abstract leave(kind: K): void;

  /** Grant at once if nobody is queued and the lock admits `kind`; never queues (no barging past waiters). */
  protected tryEnter(kind: K): LocalHandle | null {
    if (this.#waiting > 0 || !this.canEnter(kind)) return null;
    return this.#grant(kind, this.deadlockDetector?.current());
  }

  protected async wait(kind: K, options: WaitOptions = {}): Promise<LockHandle> {
    const { signal, timeoutMs, ifAvailable } = options;
    if (signal?.aborted) throw abortErrorFor(signal);
    const now = this.tryEnter(kind);
    if (now) {
      publish(channels.wait, () => ({ lock: this.name, waitedMs: 0, outcome: "granted" }));
      return now;
    }
    const started = performance.now();
    let handle: LockHandle;
    try {
      if (ifAvailable) throw new NotAvailableError(`${JSON.stringify(this.name)} is not available`);
      if (timeoutMs !== undefined && !(timeoutMs > 0)) throw timeoutError(this.name, timeoutMs);
      handle = await this.#enqueue(kind, signal, timeoutMs);
      if (signal?.aborted) {
        await handle.release(); // aborted between grant and delivery: the caller never sees this handle
        throw abortErrorFor(signal);
      }
    } catch (error) {
      publish(channels.wait, () => ({ lock: this.name, waitedMs: performance.now() - started, outcome: waitOutcome(error) }));
      throw error;
    }
    publish(channels.wait, () => ({ lock: this.name, waitedMs: performance.now() - started, outcome: "granted" }));
    return handle;
  }

  #enqueue(kind: K, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<LockHandle> {
    const detector = this.deadlockDetector;
    const frame = detector?.current();
    const pendingWait = detector?.beginWait(frame, this, this.name); // throws DeadlockError instead of queueing
    return new Promise<LockHandle>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const disarm = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        detector?.endWait(pendingWait);
      };
      const waiter: Waiter<K> = {
        kind,
        prev: undefined,
        next: undefined,
        queued: true,
        grant: () => {
          disarm();
          resolve(this.#grant(kind, frame));
        },
      };
      const fail = (error: Error) => {
        if (!waiter.queued) return; // already granted: the post-grant check in wait() handles late aborts
        this.#unlink(waiter);
        disarm();
        reject(error);
        this.#dispatch(); // a departed head may have been what blocked the waiters behind it (RWLock)
      };
      const onAbort = () => fail(abortErrorFor(signal!));
      this.#push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => fail(timeoutError(this.name, timeoutMs)), timeoutMs);
    });
  }

  #grant(kind: K, frame: DeadlockFrame | undefined): LocalHandle {
    this.enter(kind);
    this.deadlockDetector?.setHolder(this, frame);
    return new LocalHandle(this.name, () => {
      this.deadlockDetector?.clearHolder(this, frame);
      this.leave(kind);
      this.#dispatch();
    });
  }

  /** Grant queued waiters in order for as long as the head can enter. */
  #dispatch(): void {
    while (this.#head && this.canEnter(this.#head.kind)) {
      const waiter = this.#head;
      this.#unlink(waiter);
      waiter.grant();
    }
  }

  #push(waiter: Waiter<K>): void {
    waiter.prev = this.#tail;
    if (this.#tail) this.#tail.next = waiter;
    else this.#head = waiter;
    this.#tail = waiter;
    this.#waiting++;
  }

  #unlink(waiter: Waiter<K>): void {
    if (waiter.prev) waiter.prev.next = waiter.next;
    else this.#head = waiter.next;
    if (waiter.next) waiter.next.prev = waiter.prev;
    else this.#tail = waiter.prev;
    waiter.prev = waiter.next = undefined;
    waiter.queued = false;
    this.#waiting--;
  }
}

function timeoutError(name: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(`Timed out after ${timeoutMs} ms waiting for ${JSON.stringify(name)}`);
}

/** Run `fn` while holding `handle`, then release it; `fn` gets the handle's signal combined with `signal`. */
export async function runHolding<T>(
  handle: LockHandle,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  signal?: AbortSignal,
): Promise<T> {
  let result: T;
  try {
    result = await fn(signal ? AbortSignal.any([handle.signal, signal]) : handle.signal);
  } catch (error) {
    await handle.release().catch(() => undefined); // the body's error is the one worth reporting
    throw error;
  }
  await handle.release();
  return result;
}
