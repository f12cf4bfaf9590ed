import type { DeadlockDetector } from "./deadlock.js";
import { TimeoutError } from "./errors.js";
import { releasedAlready, runHolding } from "./queue.js";
import type { LockHandle, Lockable, WaitOptions } from "./types.js";

/**
 * Sort by `lockKey` and drop duplicates: every caller acquires in the same global order, which rules out deadlock
 * between `lockAll` calls. A key listed both shared and exclusive is taken exclusively (that covers both uses).
 */
export function canonicalOrder(lockables: Iterable<Lockable>): Lockable[] {
  // Sort, then merge neighbours with equal keys (no Map: lists are short, and this is on every lockAll's path).
  const sorted = [...lockables].sort((a, b) => (a.lockKey < b.lockKey ? -1 : a.lockKey > b.lockKey ? 1 : 0));
  const ordered: Lockable[] = [];
  for (const lockable of sorted) {
    const last = ordered[ordered.length - 1];
    if (last === undefined || last.lockKey !== lockable.lockKey) ordered.push(lockable);
    else if (last.shared && !lockable.shared) ordered[ordered.length - 1] = lockable;
  }
  return ordered;
}

/** Release in reverse order; every handle is released even if one fails, and the first failure is returned. */
export async function releaseAll(handles: readonly LockHandle[]): Promise<unknown> {
  let failure: unknown;
  for (let i = handles.length - 1; i >= 0; i--) {
    try {
      const released = handles[i]!.release();
      if (released !== releasedAlready) await released;
    } catch (error) {
      failure ??= error;
    }
  }
  return failure;
}

/**
 * Acquire every lockable in canonical order and return one handle for all of them. If any wait fails the locks
 * already taken are released (in reverse) before the error is rethrown. `timeoutMs` bounds the whole acquisition.
 */
export async function acquireAll(lockables: Iterable<Lockable>, options: WaitOptions = {}): Promise<LockHandle> {
  const ordered = canonicalOrder(lockables);
  const deadline = options.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
  const handles: LockHandle[] = [];
  const untimed = deadline === undefined ? { signal: options.signal, ifAvailable: options.ifAvailable } : undefined;
  try {
    for (const lockable of ordered) {
      handles.push(await lockable.acquire(untimed ?? { signal: options.signal, ifAvailable: options.ifAvailable, timeoutMs: Math.max(0, deadline! - performance.now()) }));
    }
  } catch (error) {
    await releaseAll(handles);
    if (error instanceof TimeoutError && options.timeoutMs !== undefined) {
      throw new TimeoutError(`Timed out after ${options.timeoutMs} ms acquiring ${ordered.length} locks`);
    }
    throw error;
  }
  return new CompositeHandle(handles);
}

/**
 * Hold every lockable (any mix of Mutex, LockManager keys, RWLock readers/writers, distributed leases) while `fn`
 * runs. Locks are taken in canonical order, released in reverse; a partial acquisition is rolled back.
 */
export function lockAll<T>(
  lockables: Iterable<Lockable>,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  options: WaitOptions = {},
): Promise<T> {
  const list = [...lockables];
  const body = async () => runHolding(await acquireAll(list, options), fn, options.signal);
  // Each deadlock detector involved sees the whole acquisition and `fn` as one critical section.
  if (!list.some((lockable) => lockable.deadlockDetector)) return body();
  const detectors = new Set<DeadlockDetector>();
  for (const lockable of list) if (lockable.deadlockDetector) detectors.add(lockable.deadlockDetector);
  let scoped: () => Promise<T> = body;
  for (const detector of detectors) {
    const inner = scoped;
    scoped = () => detector.scope(inner);
  }
  return scoped();
}

/** Several handles released together, in reverse acquisition order. */
export class CompositeHandle implements LockHandle {
  readonly #handles: readonly LockHandle[];
  #signal: AbortSignal | undefined;
  #released: Promise<void> | undefined;

  constructor(handles: readonly LockHandle[]) {
    this.#handles = handles;
  }

  /** Aborts when any of the underlying locks loses exclusivity. */
  get signal(): AbortSignal {
    return (this.#signal ??= AbortSignal.any(this.#handles.map((h) => h.signal)));
  }

  /** The handles in acquisition (canonical) order. */
  get handles(): readonly LockHandle[] {
    return this.#handles;
  }

  release(): Promise<void> {
    return (this.#released ??= releaseAll(this.#handles).then((failure) => {
      if (failure !== undefined) throw failure;
    }));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
