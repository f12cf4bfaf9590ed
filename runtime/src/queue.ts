import type { DeadlockDetector, DeadlockFrame } from "./deadlock.js";
import { AbortError, NotAvailableError, TimeoutError, abortErrorFor } from "./errors.js";
import { channels, waitOutcome } from "./events.js";
import type { LockHandle, WaitOptions } from "./types.js";

let lastId = 0;
/** A process-unique id; in-process locks sort by it in `lockAll`. */
export function nextLockId(prefix: string): string {
  return `${prefix}:${++lastId}`;
}

/**
 * What an in-process release returns: it is complete when `release()` returns, so `releaseAll` and `runHolding` skip
 * awaiting this promise (a tick per lock on every `lockAll`).
 */
export const releasedAlready: Promise<void> = Promise.resolve();

/** The handle of an in-process lock. Releasing frees the lock synchronously; the returned promise is already resolved. */
export class LocalHandle implements LockHandle {
  #onRelease: (() => void) | undefined;
  #controller: AbortController | undefined; // created on first use of `signal`: most handles never need one

  constructor(onRelease: () => void) {
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
      this.#controller?.abort(releasedReason());
    }
    return releasedAlready;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

let released: AbortError | undefined;
/** The abort reason of a released lock's signal: one shared instance, since building an error per release is costly. */
function releasedReason(): AbortError {
  return (released ??= new AbortError("The lock was released"));
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
    if (!after) return releasedAlready;
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
  /** Called once the lock was entered on the waiter's behalf. */
  grant(): void;
}

/** The body of a scoped lock; `signal` aborts if the wait's signal aborts while the body runs. */
export type Critical<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** A wait that can neither be cancelled nor give up: the fast paths skip all abort and timer bookkeeping for it. */
export function isPlain(options: WaitOptions | undefined): boolean {
  return options === undefined || (options.signal === undefined && options.timeoutMs === undefined && !options.ifAvailable);
}

/** `performance.now()` when someone listens to `ch`, else NaN: events cost nothing without a subscriber. */
function stamp(ch: (typeof channels)[keyof typeof channels]): number {
  return ch.hasSubscribers ? performance.now() : NaN;
}

/**
 * Strict FIFO wait queue shared by Mutex, Semaphore and RWLock. Subclasses say when a waiter of a given kind can
 * enter and update their counters; this class owns every race:
 *  - a grant happens synchronously inside `release()` (or `acquire()` when free), so state never drifts;
 *  - a waiter leaves the queue the moment it is granted, aborted or timed out, and each of those settles it once
 *    (the other two are disarmed in the same synchronous step);
 *  - a signal that aborts after the grant but before the caller got the handle releases it and rejects.
 * Waits without a signal, timeout or deadlock detector take fast paths that allocate no timers, listeners or
 * handles (`run` bodies hold the lock without a handle); the profile of the issue #20 benchmark showed those
 * dominating the cost of an uncontended section.
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

  protected wait(kind: K, options?: WaitOptions): Promise<LockHandle> {
    if (this.deadlockDetector || !isPlain(options)) return this.#waitCancellable(kind, options ?? {});
    const started = stamp(channels.wait);
    if (this.#waiting === 0 && this.canEnter(kind)) {
      const handle = this.#grant(kind, undefined);
      this.#publishWait(started, "granted");
      return Promise.resolve(handle);
    }
    return new Promise((resolve) => this.#push(this.#waiter(kind, started, () => resolve(this.#handle(kind, undefined)))));
  }

  /**
   * Run `fn` holding the lock in mode `kind`; released however `fn` ends. `after` (plain waits only) runs right after
   * the release, before the returned promise settles.
   */
  protected runLocked<T>(kind: K, fn: Critical<T>, options?: WaitOptions, after?: () => void): Promise<T> {
    const detector = this.deadlockDetector;
    if (detector || !isPlain(options)) {
      const body = async () => runHolding(await this.#waitCancellable(kind, options ?? {}), fn, options?.signal);
      return detector ? detector.scope(body) : body();
    }
    const started = stamp(channels.wait);
    if (this.#waiting === 0 && this.canEnter(kind)) {
      this.enter(kind);
      this.#publishWait(started, "granted");
      return this.#hold(kind, fn, after);
    }
    return new Promise<void>((resolve) => this.#push(this.#waiter(kind, started, resolve))).then(() => this.#hold(kind, fn, after));
  }

  /** A plain waiter: entered on grant, then `granted` runs. */
  #waiter(kind: K, started: number, granted: () => void): Waiter<K> {
    return {
      kind,
      prev: undefined,
      next: undefined,
      queued: true,
      grant: () => {
        this.enter(kind);
        this.#publishWait(started, "granted");
        granted();
      },
    };
  }

  /** Run `fn` in a section already entered; `fn` gets a signal (aborted on exit) only if it declares a parameter. */
  async #hold<T>(kind: K, fn: Critical<T>, after: (() => void) | undefined): Promise<T> {
    const since = stamp(channels.hold);
    const controller = fn.length === 0 ? undefined : new AbortController();
    try {
      return await (controller ? fn(controller.signal) : (fn as () => T | PromiseLike<T>)());
    } finally {
      this.#exit(kind, undefined, since);
      controller?.abort(releasedReason());
      after?.();
    }
  }

  async #waitCancellable(kind: K, options: WaitOptions): Promise<LockHandle> {
    const { signal, timeoutMs, ifAvailable } = options;
    if (signal?.aborted) throw abortErrorFor(signal);
    const started = stamp(channels.wait);
    const now = this.tryEnter(kind);
    if (now) {
      this.#publishWait(started, "granted");
      return now;
    }
    let handle: LockHandle;
    try {
      if (ifAvailable) throw new NotAvailableError(`${JSON.stringify(this.name)} is not available`);
      if (timeoutMs !== undefined && !(timeoutMs > 0)) throw timeoutError(this.name, timeoutMs);
      handle = await this.#enqueue(kind, signal, timeoutMs, started);
      if (signal?.aborted) {
        await handle.release(); // aborted between grant and delivery: the caller never sees this handle
        throw abortErrorFor(signal);
      }
    } catch (error) {
      this.#publishWait(started, waitOutcome(error));
      throw error;
    }
    return handle;
  }

  #enqueue(kind: K, signal: AbortSignal | undefined, timeoutMs: number | undefined, started: number): Promise<LockHandle> {
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
          const handle = this.#grant(kind, frame);
          if (!signal?.aborted) this.#publishWait(started, "granted"); // else wait() reports the abort
          resolve(handle);
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
    return this.#handle(kind, frame);
  }

  /** The handle of a section already entered. */
  #handle(kind: K, frame: DeadlockFrame | undefined): LocalHandle {
    this.deadlockDetector?.setHolder(this, frame);
    const since = stamp(channels.hold);
    return new LocalHandle(() => this.#exit(kind, frame, since));
  }

  #exit(kind: K, frame: DeadlockFrame | undefined, since: number): void {
    this.deadlockDetector?.clearHolder(this, frame);
    this.leave(kind);
    // NaN unless someone listened when the hold began (`since === since` is false only for NaN).
    if (since === since && channels.hold.hasSubscribers) channels.hold.publish({ lock: this.name, heldMs: performance.now() - since });
    this.#dispatch();
  }

  #publishWait(started: number, outcome: string): void {
    if (started === started && channels.wait.hasSubscribers) channels.wait.publish({ lock: this.name, waitedMs: performance.now() - started, outcome });
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

/**
 * Run `fn` while holding `handle`, then release it; `fn` gets the handle's signal combined with `signal`, built only if
 * `fn` declares a parameter.
 */
export async function runHolding<T>(handle: LockHandle, fn: Critical<T>, signal?: AbortSignal): Promise<T> {
  let result: T;
  try {
    result = await (fn.length === 0 ? (fn as () => T | PromiseLike<T>)() : fn(signal ? AbortSignal.any([handle.signal, signal]) : handle.signal));
  } catch (error) {
    await handle.release().catch(() => undefined); // the body's error is the one worth reporting
    throw error;
  }
  const released = handle.release();
  if (released !== releasedAlready) await released;
  return result;
}
