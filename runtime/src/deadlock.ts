import { AsyncLocalStorage } from "node:async_hooks";
import { DeadlockError } from "./errors.js";

/**
 * A critical section (the body of `run`, `lock` or `lockAll`). Frames nest through async context: code inside a
 * critical section that waits for another lock keeps its enclosing sections (and their locks) from finishing.
 */
/** @internal */
export class DeadlockFrame {
  constructor(readonly parent: DeadlockFrame | undefined) {}
  within(ancestor: DeadlockFrame): boolean {
    for (let f: DeadlockFrame | undefined = this; f; f = f.parent) if (f === ancestor) return true;
    return false;
  }
}

/** @internal */
export interface DeadlockWait {
  readonly frame: DeadlockFrame;
  readonly lock: object;
  readonly name: string;
}

/**
 * Opt-in wait-for graph for exclusive locks (`Mutex`, `LockManager` keys, `lockAll`). Before a wait is queued it
 * checks whether the lock's holder is (transitively) waiting for a lock held by the waiter or one of its enclosing
 * critical sections; if so the wait rejects with a `DeadlockError` naming the cycle instead of hanging forever.
 *
 * Assumes nested lock calls are awaited by the critical section that makes them (the usual case); locks taken
 * with a bare `acquire()` outside any `run`/`lock` body are tracked only as far as their holder is known.
 */
export class DeadlockDetector {
  readonly #context = new AsyncLocalStorage<DeadlockFrame>();
  readonly #holders = new Map<object, DeadlockFrame>();
  readonly #waits = new Set<DeadlockWait>();

  /** Run `fn` as a new critical section nested in the current one. */
  scope<T>(fn: () => T): T {
    return this.#context.run(new DeadlockFrame(this.#context.getStore()), fn);
  }

  /** @internal The critical section the caller runs in, if any. */
  current(): DeadlockFrame | undefined {
    return this.#context.getStore();
  }

  /** @internal Register a wait by `frame` for `lock`; throws `DeadlockError` if it closes a cycle. */
  beginWait(frame: DeadlockFrame | undefined, lock: object, name: string): DeadlockWait | undefined {
    if (!frame) return undefined; // a waiter outside every critical section holds nothing, so closes no cycle
    const cycle = this.#findCycle(frame, lock, name);
    if (cycle) throw new DeadlockError(cycle);
    const wait = { frame, lock, name };
    this.#waits.add(wait);
    return wait;
  }

  /** @internal */
  endWait(wait: DeadlockWait | undefined): void {
    if (wait) this.#waits.delete(wait);
  }

  /** @internal */
  setHolder(lock: object, frame: DeadlockFrame | undefined): void {
    if (frame) this.#holders.set(lock, frame);
  }

  /** @internal */
  clearHolder(lock: object, frame: DeadlockFrame | undefined): void {
    if (frame && this.#holders.get(lock) === frame) this.#holders.delete(lock);
  }

  /** Number of waits currently tracked (for tests and diagnostics). */
  get pendingWaits(): number {
    return this.#waits.size;
  }

  #findCycle(waiter: DeadlockFrame, lock: object, name: string): string[] | undefined {
    // Depth-first over "lock -> its holder -> locks awaited inside the holder's section", looking for a holder
    // that is the waiter itself or one of the sections enclosing it (they cannot finish while the waiter waits).
    const visited = new Set<DeadlockFrame>();
    const visit = (target: object, path: string[]): string[] | undefined => {
      const holder = this.#holders.get(target);
      if (!holder) return undefined;
      if (waiter.within(holder)) return path;
      if (visited.has(holder)) return undefined;
      visited.add(holder);
      for (const w of this.#waits) {
        if (!w.frame.within(holder)) continue;
        const found = visit(w.lock, [...path, w.name]);
        if (found) return found;
      }
      return undefined;
    };
    return visit(lock, [name]);
  }
}
