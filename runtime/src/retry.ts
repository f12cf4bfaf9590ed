import { ConflictError, LockError, RetryExhaustedError, abortErrorFor } from "./errors.js";

export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  maxAttempts?: number | undefined;
  /** Backoff cap before the first retry (default 50 ms); doubles every retry. */
  initialDelayMs?: number | undefined;
  /** Upper bound for one delay (default 2000 ms). */
  maxDelayMs?: number | undefined;
  /** "full" (default, AWS-style: uniform in [0, cap]), "equal" ([cap/2, cap]) or "none". `true`/`false` = full/none. */
  jitter?: boolean | "full" | "equal" | "none" | undefined;
  /** Which errors are worth another attempt (default: `isTransientError`). Others are rethrown at once. */
  retryOn?: ((error: unknown, attempt: number) => boolean) | undefined;
  /** Stops retrying; an abort during a backoff delay rejects at once with `AbortError`. */
  signal?: AbortSignal | undefined;
  /** Called before each backoff delay. */
  onRetry?: ((error: unknown, attempt: number, delayMs: number) => void) | undefined;
}

/**
 * Errors that a fresh attempt can fix: optimistic conflicts, in-process deadlocks and unavailable locks, PostgreSQL
 * serialization failures (40001) and deadlocks (40P01), MySQL/MariaDB deadlocks (1213) and snapshot conflicts (1020),
 * and any error carrying `retryable: true`.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof ConflictError) return true;
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; errno?: unknown; retryable?: unknown };
  if (e.retryable === true) return true;
  if (error instanceof LockError) return e.code === "DEADLOCK" || e.code === "UNAVAILABLE";
  if (e.code === "40001" || e.code === "40P01") return true; // pg: serialization_failure, deadlock_detected
  if (e.errno === 1213 || e.errno === 1020) return true; // mysql: ER_LOCK_DEADLOCK, ER_CHECKREAD
  return false;
}

/** Delay before retry number `attempt` (1 = first retry): exponential, capped, with jitter. */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const initial = options.initialDelayMs ?? 50;
  const max = options.maxDelayMs ?? 2000;
  const cap = Math.min(max, initial * 2 ** Math.min(attempt - 1, 52));
  const jitter = options.jitter ?? "full";
  if (jitter === "none" || jitter === false) return cap;
  if (jitter === "equal") return cap / 2 + Math.random() * (cap / 2);
  return Math.random() * cap;
}

/** Resolve after `ms`, or reject with `AbortError` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortErrorFor(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Call `fn` until it succeeds, backing off exponentially with jitter between attempts. Errors that `retryOn` rejects
 * are rethrown unchanged; after `maxAttempts` transient failures throws `RetryExhaustedError` (cause: the last error).
 */
export async function retry<T>(
  fn: (attempt: number, signal: AbortSignal | undefined) => T | PromiseLike<T>,
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  if (!(maxAttempts >= 1)) throw new RangeError(`retry: maxAttempts must be at least 1, got ${maxAttempts}`);
  const retryOn = options.retryOn ?? isTransientError;
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortErrorFor(signal);
    try {
      return await fn(attempt, signal);
    } catch (error) {
      if (signal?.aborted || !retryOn(error, attempt)) throw error;
      if (attempt >= maxAttempts) throw new RetryExhaustedError(attempt, error);
      const delayMs = backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, signal);
    }
  }
}

export interface OptimisticUpdateOptions<S, N> extends RetryOptions {
  /** Read the current state, including whatever identifies its version. */
  read: (attempt: number) => S | PromiseLike<S>;
  /** Compute the new state from the current one. Must be free of side effects: it may run several times. */
  modify: (current: S, attempt: number) => N | PromiseLike<N>;
  /**
   * Write `next` only if the data still is `current` (e.g. `UPDATE ... WHERE id = $1 AND version = $2`). Report a
   * conflict by returning `false`, `0`, `0n` or `null` (an affected-row count), or by throwing `ConflictError`;
   * `true`, a positive count or nothing at all means written.
   */
  write: (next: N, current: S) => boolean | number | bigint | null | void | PromiseLike<boolean | number | bigint | null | void>;
}

/**
 * Read-modify-write without holding a lock: retry the cycle with backoff when the write reports a conflict.
 * Resolves with the written value; throws `RetryExhaustedError` (cause `ConflictError`) when conflicts persist.
 */
export function optimisticUpdate<S, N>(options: OptimisticUpdateOptions<S, N>): Promise<N> {
  const { read, modify, write, ...retryOptions } = options;
  return retry(async (attempt) => {
    const current = await read(attempt);
    const next = await modify(current, attempt);
    const written = await write(next, current);
    if (written === false || written === 0 || written === 0n || written === null) {
      throw new ConflictError(`Conflicting concurrent update (attempt ${attempt})`);
    }
    return next;
  }, retryOptions);
}
