import { randomBytes } from "node:crypto";
import { AbortError, LeaseLostError, NotAvailableError, TimeoutError, abortErrorFor } from "./errors.js";
import { LeaseState, acquireLeases, runWithLeases, type Lease } from "./lease.js";
import { isTransientError, type RetryOptions } from "./retry.js";
import type { Lockable, WaitOptions } from "./types.js";

/** Row-lock waiting policy for `lockRows`: block (default), fail at once, or skip rows others hold. */
export type RowWait = "block" | "nowait" | "skip-locked";

export interface LockRowsOptions<K> {
  table: string;
  /** The column `ids` refer to; rows are locked in its order so concurrent callers cannot deadlock (default "id"). */
  key?: string | undefined;
  ids: readonly K[];
  wait?: RowWait | undefined;
  /** Columns to return (default all). */
  columns?: readonly string[] | undefined;
}

export interface SqlLockProviderOptions {
  /**
   * Table holding one never-decreasing fence per key, updated in its own committed statement after the lock is
   * granted (so a holder whose session dies still consumed its fence). `false` disables fences (fence = 0n).
   * Created on first use if missing. Default "locksmith_fences".
   */
  fenceTable?: string | false | undefined;
  /** How often the lock's connection is pinged; a failed or unanswered ping aborts the lease's signal (default 2000 ms). */
  heartbeatMs?: number | undefined;
}

/** The database lock provider interface shared by PostgreSQL and MySQL/MariaDB. */
export interface SqlLockProvider {
  /** Wait for the lock on `key`; `timeoutMs` and `signal` are enforced by the server-side wait. */
  acquire(key: string, options?: WaitOptions): Promise<Lease>;
  /** One attempt: the lease, or `null` if another session holds the key. */
  tryAcquire(key: string): Promise<Lease | null>;
  /** Run `fn` holding the lock; `signal` aborts if the lock's connection is lost. Several keys are taken in sorted order. */
  withLease<T>(key: string, fn: (lease: Lease, signal: AbortSignal) => T | PromiseLike<T>, options?: WaitOptions): Promise<T>;
  withLease<T>(keys: readonly string[], fn: (leases: Lease[], signal: AbortSignal) => T | PromiseLike<T>, options?: WaitOptions): Promise<T>;
  lockable(key: string): Lockable;
}

/** What a backend supplies to `createSqlLockProvider`. `wait`'s answer: true = granted, false = not available. */
export interface SqlLockBackend<C> {
  readonly name: "postgres" | "mysql";
  connect(): Promise<C>;
  /** Prepare the session, then wait for (`timeoutMs` undefined = forever, 0 = try once) or try the lock. */
  wait(conn: C, key: string, timeoutMs: number | undefined): Promise<boolean>;
  /** Interrupt a `wait` in progress on `conn` from another connection. */
  cancel(conn: C): Promise<void>;
  /** Next fence for `key`, committed independently of the lock's session. */
  nextFence(conn: C, key: string, table: string): Promise<bigint>;
  /** Whether the session still holds the lock (rejecting counts as no). */
  ping(conn: C, key: string): Promise<boolean>;
  /** Give the lock up and hand the connection back (`broken`: destroy it instead). */
  unlock(conn: C, key: string, broken: boolean): Promise<void>;
  /** Subscribe to the connection dying; returns the unsubscribe function. */
  onLost(conn: C, lost: (cause: unknown) => void): () => void;
}

/** Lease providers over a database session lock: the lock lives exactly as long as the session (or transaction). */
export function createSqlLockProvider<C>(backend: SqlLockBackend<C>, options: SqlLockProviderOptions = {}): SqlLockProvider {
  const fenceTable = options.fenceTable === undefined ? "locksmith_fences" : options.fenceTable;
  const heartbeatMs = options.heartbeatMs ?? 2000;

  async function acquireOn(key: string, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<Lease | null> {
    if (signal?.aborted) throw abortErrorFor(signal);
    const conn = await backend.connect();
    let broken = false;
    let cancelling: Promise<void> | undefined;
    let lostEarly: unknown;
    let state: LeaseState | undefined;
    const stopWatching = backend.onLost(conn, (cause) => {
      broken = true;
      lostEarly ??= cause ?? new Error("connection lost");
      state?.lose("the lock's database connection failed", cause);
    });
    let waiting = true;
    const onAbort = () => {
      broken = true; // a cancel may still be in flight: never return this connection to the pool
      // A cancel that reaches the server before the wait statement does is ignored, so repeat until it ends.
      cancelling = (async () => {
        while (waiting) {
          await backend.cancel(conn).catch(() => undefined);
          if (waiting) await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let granted: boolean;
      try {
        granted = await backend.wait(conn, key, timeoutMs);
      } finally {
        waiting = false;
        signal?.removeEventListener("abort", onAbort);
      }
      if (signal?.aborted) throw abortErrorFor(signal);
      if (!granted) {
        await backend.unlock(conn, key, broken);
        stopWatching();
        return null;
      }
      const fence = fenceTable === false ? 0n : await backend.nextFence(conn, key, fenceTable);
      if (lostEarly !== undefined) throw new LeaseLostError(`Lost the connection holding ${JSON.stringify(key)}`, { cause: lostEarly });
      state = new LeaseState({
        name: key,
        fence,
        ttlMs: Infinity,
        validUntil: Infinity,
        marginMs: 0,
        renewEveryMs: heartbeatMs,
        renew: () => backend.ping(conn, key),
        drop: async () => {
          stopWatching();
          await backend.unlock(conn, key, broken || state!.signal.aborted);
        },
      });
      const s = state;
      return {
        key,
        token: randomBytes(16).toString("hex"),
        fence,
        expiresAt: Infinity,
        get signal() { return s.signal; },
        extend: () => s.extend(),
        release: () => s.release(),
        [Symbol.asyncDispose]: () => s.release(),
      };
    } catch (error) {
      stopWatching();
      await cancelling;
      await backend.unlock(conn, key, true).catch(() => undefined);
      if (signal?.aborted) throw abortErrorFor(signal);
      throw error;
    }
  }

  const what = (key: string) => `${backend.name} lock ${JSON.stringify(key)}`;

  const acquire = async (key: string, o: WaitOptions = {}): Promise<Lease> => {
    const timeoutMs = o.ifAvailable ? 0 : o.timeoutMs === undefined ? undefined : Math.max(0, o.timeoutMs);
    const lease = await acquireOn(key, timeoutMs, o.signal);
    if (lease) return lease;
    if (o.ifAvailable) throw new NotAvailableError(`${what(key)} is not available`);
    throw new TimeoutError(`Timed out after ${o.timeoutMs} ms waiting for ${what(key)}`);
  };

  return {
    acquire,
    tryAcquire: (key) => acquireOn(key, 0, undefined),
    withLease<T>(keyOrKeys: string | readonly string[], fn: (lease: any, signal: AbortSignal) => T | PromiseLike<T>, o: WaitOptions = {}): Promise<T> {
      const single = typeof keyOrKeys === "string";
      const keys = single ? [keyOrKeys] : keyOrKeys;
      return acquireLeases(keys, (key) => acquire(key, o)).then((leases) => runWithLeases(leases, single, fn, o.signal));
    },
    lockable: (key) => ({ lockKey: `${backend.name}:${key}`, acquire: (o?: WaitOptions) => acquire(key, o) }),
  };
}

/** Shared transaction retry policy: the database's own transient errors plus `isTransientError`. */
export function transactionRetry(retry: RetryOptions | number | false | undefined, isRetryable: (error: unknown) => boolean): RetryOptions {
  if (retry === false) return { maxAttempts: 1, retryOn: () => false }; // errors pass through unwrapped
  const base: RetryOptions = typeof retry === "number" ? { maxAttempts: retry } : (retry ?? {});
  return {
    initialDelayMs: 20,
    maxDelayMs: 1000,
    ...base,
    retryOn: base.retryOn ?? ((error) => !(error instanceof AbortError) && (isRetryable(error) || isTransientError(error))),
  };
}

/** Integer milliseconds for interpolation into SET statements (never user text). */
export function wholeMs(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Expected a non-negative number of milliseconds, got ${ms}`);
  return Math.max(1, Math.ceil(ms));
}

/** Row-lock clause for `lockRows`; both databases spell it the same. */
export function rowWaitClause(wait: RowWait | undefined): string {
  switch (wait ?? "block") {
    case "block": return "";
    case "nowait": return " NOWAIT";
    case "skip-locked": return " SKIP LOCKED";
    default: throw new RangeError(`lockRows: wait must be "block", "nowait" or "skip-locked", got ${JSON.stringify(wait)}`);
  }
}
