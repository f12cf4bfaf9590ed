/** Every error this library throws extends `LockError` and carries a stable `code`. */
export type LockErrorCode =
  | "ABORTED"
  | "TIMEOUT"
  | "UNAVAILABLE"
  | "DEADLOCK"
  | "CONFLICT"
  | "RETRY_EXHAUSTED"
  | "LEASE_LOST"
  | "STALE_FENCE"
  | "BACKEND";

export class LockError extends Error {
  readonly code: LockErrorCode;
  constructor(code: LockErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The wait's `signal` was aborted; `cause` is the signal's reason. */
export class AbortError extends LockError {
  constructor(message = "The lock wait was aborted", options?: { cause?: unknown }) {
    super("ABORTED", message, options);
  }
}

/** `timeoutMs` elapsed before the lock was granted. */
export class TimeoutError extends LockError {
  constructor(message = "Timed out waiting for the lock") {
    super("TIMEOUT", message);
  }
}

/** `ifAvailable: true` was given and the lock was not free at once. */
export class NotAvailableError extends LockError {
  constructor(message = "The lock is not available") {
    super("UNAVAILABLE", message);
  }
}

/** The wait would have closed a cycle in the wait-for graph; `cycle` names the locks involved, in wait order. */
export class DeadlockError extends LockError {
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super("DEADLOCK", `Deadlock: waiting here would close the cycle ${[...cycle, cycle[0]].map((n) => JSON.stringify(n)).join(" -> ")}`);
    this.cycle = cycle;
  }
}

/** An optimistic write found the data changed since it was read (e.g. an UPDATE ... WHERE version = $old affected 0 rows). */
export class ConflictError extends LockError {
  constructor(message = "Conflicting concurrent update", options?: { cause?: unknown }) {
    super("CONFLICT", message, options);
  }
}

/** `retry`/`optimisticUpdate` gave up; `cause` is the last error. */
export class RetryExhaustedError extends LockError {
  readonly attempts: number;
  constructor(attempts: number, cause: unknown) {
    super("RETRY_EXHAUSTED", `Gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${describe(cause)}`, { cause });
    this.attempts = attempts;
  }
}

/** A lease was lost (expired, taken over, or its connection died) before the holder finished. */
export class LeaseLostError extends LockError {
  constructor(message = "The lease was lost", options?: { cause?: unknown }) {
    super("LEASE_LOST", message, options);
  }
}

/** A fenced write carried a fence older than one the store has already seen: the writer's lease is stale. */
export class StaleFenceError extends LockError {
  constructor(message = "Rejected a write with a stale fencing token") {
    super("STALE_FENCE", message);
  }
}

/** A backend answered something a correct server never answers (e.g. GET_LOCK returned NULL). */
export class BackendError extends LockError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BACKEND", message, options);
  }
}

/** Assert that an optimistic UPDATE changed a row; throws `ConflictError` when `count` is 0, null or undefined. */
export function assertAffected(count: number | bigint | null | undefined, what = "row"): void {
  if (count === null || count === undefined || count === 0 || count === 0n) {
    throw new ConflictError(`Conflicting concurrent update: no ${what} was updated (it changed or vanished since it was read)`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error to reject with when `signal` aborts a wait. */
export function abortErrorFor(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}
