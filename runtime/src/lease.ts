import { LeaseLostError, NotAvailableError, TimeoutError, abortErrorFor } from "./errors.js";
import { channels, publish } from "./events.js";
import { releaseAll } from "./lock-all.js";
import { backoffDelay, sleep } from "./retry.js";
import type { LockHandle, WaitOptions } from "./types.js";

/** A distributed lock held for a bounded time. */
export interface Lease extends LockHandle {
  /** The key as given to `acquire`. */
  readonly key: string;
  /** Unique to this holder; release and extend act only if the backend still stores it. */
  readonly token: string;
  /** Strictly increasing per key across all holders; pass it to `fencedSet`/`fencedUpdate`. */
  readonly fence: bigint;
  /** Wall-clock estimate (epoch ms) of when the lease may expire; `signal` aborts before then. */
  readonly expiresAt: number;
  /** Aborts as soon as the lease is lost, renewal fails, or it may expire before the next renewal lands. */
  readonly signal: AbortSignal;
  /** Push the expiry out by `ttlMs` (default: the lease's TTL); throws `LeaseLostError` if it is already lost. */
  extend(ttlMs?: number): Promise<void>;
}

/**
 * A sorted list of entries, each due at a time on the monotonic clock, watched by one timer for all of them: the
 * deadlines of pending Redis requests, and the renewals and deadline watches of leases. A timer per entry cost about
 * 5 µs of CPU per Redis acquisition; here an entry is linked into the list in place (no allocation), and entries with
 * equal delays are due in insertion order, so adding one is O(1) at the tail and removing one is O(1). The timer is
 * re-armed only when an entry is due before it, and sleeps at most `MAX_SLEEP_MS`, so a timer lost to fake timers
 * (cleared from outside) is noticed and replaced by the next `add`.
 */
export class DeadlineQueue {
  #head: Timed | undefined;
  #tail: Timed | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity; // when the timer fires (performance.now() time)
  #firing = false;

  /** Queue `entry` (not queued yet) to be called `due` once `dueAt` has passed; `now` is a recent `performance.now()`. */
  add(entry: Timed, dueAt: number, now: number): void {
    entry.dueAt = dueAt;
    entry.dueIn = this;
    let before = this.#tail;
    while (before !== undefined && before.dueAt > dueAt) before = before.prevDue;
    entry.prevDue = before;
    entry.nextDue = before === undefined ? this.#head : before.nextDue;
    if (before === undefined) this.#head = entry;
    else before.nextDue = entry;
    if (entry.nextDue === undefined) this.#tail = entry;
    else entry.nextDue.prevDue = entry;
    if (!this.#firing && (dueAt < this.#timerAt || now > this.#timerAt + MAX_SLEEP_MS)) this.#arm(now);
  }

  /** Take `entry` out of the queue (nothing if it is not in it). The timer is left to lapse. */
  remove(entry: Timed): void {
    if (entry.dueIn !== this) return;
    entry.dueIn = undefined;
    const { prevDue, nextDue } = entry;
    if (prevDue === undefined) this.#head = nextDue;
    else prevDue.nextDue = nextDue;
    if (nextDue === undefined) this.#tail = prevDue;
    else nextDue.prevDue = prevDue;
    entry.prevDue = entry.nextDue = undefined;
  }

  /** The entries queued now, in due order. */
  entries(): Timed[] {
    const all: Timed[] = [];
    for (let e = this.#head; e !== undefined; e = e.nextDue) all.push(e);
    return all;
  }

  #arm(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const dueAt = this.#head?.dueAt ?? Infinity;
    if (dueAt === Infinity) return;
    const delay = Math.min(Math.max(0, Math.ceil(dueAt - now)), MAX_SLEEP_MS);
    this.#timerAt = now + delay;
    this.#timer = setTimeout(this.#fire, delay);
    this.#timer.unref?.();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    this.#firing = true;
    try {
      // A timer may fire early (fake timers, a jump of the timer clock): only the monotonic clock decides.
      for (let e = this.#head; e !== undefined && e.dueAt <= now; e = this.#head) {
        this.remove(e);
        e.due(now);
      }
    } finally {
      this.#firing = false;
      this.#arm(now);
    }
  };
}

/** The longest a `DeadlineQueue` timer sleeps before it checks again. */
const MAX_SLEEP_MS = 1000;

/** An entry of a `DeadlineQueue`; the links live in the entry itself. */
export abstract class Timed {
  /** @internal */ dueAt = Infinity;
  /** @internal */ prevDue: Timed | undefined = undefined;
  /** @internal */ nextDue: Timed | undefined = undefined;
  /** @internal */ dueIn: DeadlineQueue | undefined = undefined;
  /** Called once `dueAt` has passed on the monotonic clock; the entry is already out of the queue. */
  abstract due(now: number): void;
}

/** Every live lease, due when it must be renewed or its deadline watched (at `Infinity` if neither). */
const leaseWakes = new DeadlineQueue();

/**
 * Shared lifecycle of a time-bounded lease. A backend supplies `renewOnBackend` and `dropOnBackend`; this class keeps a
 * local deadline on the monotonic clock (never comparing clocks across machines) and aborts `signal` before it
 * passes. Renewals and the deadline watch are one entry per lease in one `DeadlineQueue` for all leases: nothing is
 * scheduled per lease beyond linking it into the list, and a lease released before its first renewal costs no timer.
 */
export abstract class LeaseCore extends Timed {
  #controller: AbortController | undefined; // created on first use of `signal`: a lease nobody watches needs none
  #ended: "lost" | "released" | undefined;
  #reason: LeaseLostError | undefined; // the signal's abort reason, built when first needed
  readonly #name: string;
  readonly #fence: bigint;
  readonly #marginMs: number;
  #ttlMs: number;
  #validUntil: number; // performance.now() time after which the lease may have expired
  readonly #renewEveryMs: number | undefined;
  #renewAt: number; // when the next automatic renewal is due
  #renewing = false;
  #released: Promise<void> | undefined;

  /** `now`: `performance.now()` when the lease was granted (`validUntil` and the first renewal are counted from it). */
  constructor(name: string, fence: bigint, ttlMs: number, validUntil: number, marginMs: number, renewEveryMs: number | undefined, now: number) {
    super();
    this.#name = name;
    this.#fence = fence;
    this.#ttlMs = ttlMs;
    this.#validUntil = validUntil;
    this.#marginMs = marginMs;
    this.#renewEveryMs = renewEveryMs;
    this.#renewAt = renewEveryMs === undefined ? Infinity : now + renewEveryMs;
    this.#schedule(now);
  }

  /** Ask the backend to extend the lease by `ttlMs`: true if it still held it. */
  protected abstract renewOnBackend(ttlMs: number): Promise<boolean>;
  /** Give the lease up on the backend. */
  protected abstract dropOnBackend(): Promise<void>;
  /** Called once when the lease is lost (not when it is released). */
  protected lostOnBackend(): void {}

  /** Every lease not yet lost or released. */
  static live(): LeaseCore[] {
    return leaseWakes.entries() as LeaseCore[];
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#ended) this.#controller.abort(this.#endReason());
    }
    return this.#controller.signal;
  }

  get expiresAt(): number {
    return Date.now() + (this.#validUntil - performance.now());
  }

  /** Mark the lease lost (idempotent): abort the signal and stop renewing. */
  lose(reason: string, cause?: unknown): void {
    leaseWakes.remove(this);
    if (this.#ended) return;
    this.#ended = "lost";
    this.#reason = new LeaseLostError(`Lease on ${JSON.stringify(this.#name)} lost: ${reason}`, { cause });
    this.lostOnBackend();
    publish(channels.lost, () => ({ lock: this.#name, fence: this.#fence, reason }));
    this.#controller?.abort(this.#reason);
  }

  /**
   * Extend by `ttlMs`. `startedAt` must be taken before the request is sent: the backend's expiry runs from a moment
   * after it, so the local deadline stays on the safe side.
   */
  async extend(ttlMs = this.#ttlMs): Promise<void> {
    if (this.#ended) throw this.#endReason();
    const startedAt = performance.now();
    let ok: boolean;
    try {
      ok = await this.renewOnBackend(ttlMs);
    } catch (error) {
      this.lose("renewal failed", error);
      throw this.#endReason();
    }
    if (this.#ended) throw this.#endReason(); // the deadline passed while we waited
    if (!ok) {
      this.lose("another holder owns the key, or it expired");
      throw this.#endReason();
    }
    this.#ttlMs = ttlMs;
    this.#validUntil = Number.isFinite(ttlMs) ? startedAt + ttlMs - driftMs(ttlMs) : Infinity;
    leaseWakes.remove(this);
    this.#schedule(performance.now());
    publish(channels.renew, () => ({ lock: this.#name, fence: this.#fence, ttlMs }));
  }

  release(): Promise<void> {
    if (this.#released) return this.#released;
    const wasLost = this.#ended === "lost";
    leaseWakes.remove(this);
    if (!wasLost) {
      this.#ended = "released";
      this.#controller?.abort(this.#endReason());
    }
    const dropped = this.dropOnBackend();
    // A lost lease's backend may be unreachable; deleting it is only a courtesy then, so do not wait for it.
    this.#released = wasLost ? (dropped.catch(() => undefined), Promise.resolve()) : dropped;
    return this.#released;
  }

  /** Queue the lease for its next renewal or its deadline watch, whichever is first. */
  #schedule(now: number): void {
    leaseWakes.add(this, Math.min(this.#validUntil - this.#marginMs, this.#renewAt), now);
  }

  /** From the queue: lose the lease at its deadline, renew it when due. */
  due(now: number): void {
    if (this.#ended) return;
    if (this.#validUntil - this.#marginMs - now <= 1) return this.lose("it may expire before a renewal succeeds");
    if (now >= this.#renewAt) {
      this.#renewAt = now + this.#renewEveryMs!;
      if (!this.#renewing) void this.#autoRenew();
      // Still unanswered a whole period later. With a TTL the deadline decides; a session lock (no TTL) is vouched
      // for only by its heartbeat, so a hung connection means we can no longer claim it.
      else if (!Number.isFinite(this.#validUntil)) return this.lose("the connection stopped answering heartbeats");
    }
    if (!this.#ended && this.dueIn === undefined) this.#schedule(now);
  }

  async #autoRenew(): Promise<void> {
    this.#renewing = true;
    try {
      await this.extend();
    } catch {
      // extend() has already aborted the signal
    } finally {
      this.#renewing = false;
    }
  }

  #endReason(): LeaseLostError {
    return (this.#reason ??= new LeaseLostError(`Lease on ${JSON.stringify(this.#name)} was released`));
  }
}

/** A `LeaseCore` whose backend calls are given as functions (the database session locks). */
export class LeaseState extends LeaseCore {
  readonly #renew: (ttlMs: number) => Promise<boolean>;
  readonly #drop: () => Promise<void>;
  readonly #onLost: (() => void) | undefined;

  constructor(options: {
    name: string;
    fence: bigint;
    ttlMs: number;
    validUntil: number;
    marginMs: number;
    renewEveryMs: number | undefined;
    renew: (ttlMs: number) => Promise<boolean>;
    drop: () => Promise<void>;
    /** Called once when the lease is lost (not when it is released). */
    onLost?: (() => void) | undefined;
  }) {
    super(options.name, options.fence, options.ttlMs, options.validUntil, options.marginMs, options.renewEveryMs, performance.now());
    this.#renew = options.renew;
    this.#drop = options.drop;
    this.#onLost = options.onLost;
  }

  protected renewOnBackend(ttlMs: number): Promise<boolean> {
    return this.#renew(ttlMs);
  }

  protected dropOnBackend(): Promise<void> {
    return this.#drop();
  }

  protected override lostOnBackend(): void {
    this.#onLost?.();
  }
}

/** Clock drift allowance between this process and the backend (Redlock's 1% + 2 ms). */
export function driftMs(ttlMs: number): number {
  return Math.ceil(ttlMs * 0.01) + 2;
}

/** How long before the local deadline `signal` aborts, so the holder can stop before the lease lapses. */
export function defaultMarginMs(ttlMs: number): number {
  return Math.ceil(ttlMs * 0.1);
}

/**
 * Poll `attempt` until it yields a lease, honouring `signal`, `timeoutMs` and `ifAvailable`. Used by backends
 * without a blocking wait. `attempt` gets the time left and must not outlive it. `tried`: attempts the caller already
 * made and lost (the next one waits its backoff first).
 */
export async function pollForLease<L extends LockHandle>(
  attempt: (remainingMs: number | undefined) => Promise<L | null>,
  what: () => string, // for error messages only: not built for every acquisition
  options: WaitOptions,
  pollDelay: { initialDelayMs: number; maxDelayMs: number },
  tried = 0,
): Promise<L> {
  const { signal, timeoutMs, ifAvailable } = options;
  const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
  for (let n = tried + 1; ; n++) {
    if (n > 1) {
      if (ifAvailable) throw new NotAvailableError(`${what()} is not available`);
      const remaining = deadline === undefined ? Infinity : deadline - performance.now();
      if (remaining <= 0) throw new TimeoutError(`Timed out after ${timeoutMs} ms waiting for ${what()}`);
      await sleep(Math.min(remaining, Math.max(1, backoffDelay(n - 1, { ...pollDelay, jitter: "equal" }))), signal);
    }
    if (signal?.aborted) throw abortErrorFor(signal);
    const lease = await attempt(deadline === undefined ? undefined : Math.max(0, deadline - performance.now()));
    if (lease) {
      if (signal?.aborted) {
        await lease.release().catch(() => undefined);
        throw abortErrorFor(signal);
      }
      return lease;
    }
  }
}

/** Acquire several leases in sorted, deduplicated key order; release the ones taken if any acquisition fails. */
export async function acquireLeases<L extends LockHandle>(keys: readonly string[], acquire: (key: string) => Promise<L>): Promise<L[]> {
  const sorted = [...new Set(keys)].sort();
  const leases: L[] = [];
  try {
    for (const key of sorted) leases.push(await acquire(key));
  } catch (error) {
    await releaseAll(leases);
    throw error;
  }
  return leases;
}

/** Run `fn` holding `leases`, then release them in reverse order; `fn`'s signal aborts if any lease is lost. */
export async function runWithLeases<L extends LockHandle, T>(
  leases: L[],
  single: boolean,
  fn: (lease: any, signal: AbortSignal) => T | PromiseLike<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  const signals = leases.map((l) => l.signal);
  if (signal) signals.push(signal);
  const combined = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
  let result: T;
  try {
    result = await fn(single ? leases[0] : leases, combined);
  } catch (error) {
    await releaseAll(leases);
    throw error;
  }
  const failure = await releaseAll(leases);
  if (failure !== undefined) throw failure;
  return result;
}
