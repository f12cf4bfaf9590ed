import type { DeadlockDetector } from "./deadlock.js";

/** Options every wait accepts. */
export interface WaitOptions {
  /** Abort the wait; a wait aborted after it was granted releases the lock and still rejects. */
  signal?: AbortSignal | undefined;
  /** Reject with `TimeoutError` if not granted within this many milliseconds. */
  timeoutMs?: number | undefined;
  /** Reject with `NotAvailableError` at once instead of queueing. */
  ifAvailable?: boolean | undefined;
}

/** Proof of holding a lock. Release it exactly once (further calls are no-ops), or let `await using` do it. */
export interface LockHandle extends AsyncDisposable {
  /** Aborted when exclusivity is lost: on release, or when a lease expires or its connection dies. */
  readonly signal: AbortSignal;
  /** Fencing token, strictly increasing per lock, where the backend provides one. */
  readonly fence?: bigint | undefined;
  /** Release the lock. Idempotent; never rejects because the lock was already lost. */
  release(): Promise<void>;
}

/** Anything `lockAll` can take: a stable `lockKey` fixes the global acquisition order. */
export interface Lockable {
  /**
   * Identifies the underlying lock and orders acquisitions. Two lockables with the same key must be the same lock.
   * Distributed locks use their backend key (e.g. `redis:orders:42`) so every process sorts them alike.
   */
  readonly lockKey: string;
  acquire(options?: WaitOptions): Promise<LockHandle>;
  /** True for a shared (read) view of a lock whose exclusive view has the same `lockKey`. */
  readonly shared?: boolean | undefined;
  /** Set when the lock reports waits to a `DeadlockDetector`. */
  readonly deadlockDetector?: DeadlockDetector | undefined;
}
