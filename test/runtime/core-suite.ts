// In-process behaviour of @locksmith/runtime, run against the package (core.test.ts) and against the vendored
// single-file build (vendor.test.ts) so both are held to the same contract.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as diagnostics from "node:diagnostics_channel";
import type * as Runtime from "@locksmith/runtime";

type Lib = typeof Runtime;

/** Let every queued microtask and timer-free continuation run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolve when `condition` holds; polls instead of sleeping a fixed time. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out waiting until ${what}`);
    await settle();
  }
}

/** Promise state without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { status: "pending" | "fulfilled" | "rejected"; value?: T; error?: unknown } = { status: "pending" };
  promise.then(
    (value) => Object.assign(state, { status: "fulfilled", value }),
    (error: unknown) => Object.assign(state, { status: "rejected", error }),
  );
  return state;
}

/** A tiny deterministic PRNG so random schedules are reproducible. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

export function defineCoreSuite(label: string, lib: Lib): void {
  const { Mutex, Semaphore, RWLock, LockManager, DeadlockDetector, lockAll, acquireAll, retry, optimisticUpdate } = lib;

  describe(`${label}: Mutex`, () => {
    test("10,000 concurrent waiters are granted once each, in FIFO order, one at a time", async () => {
      const mutex = new Mutex();
      const order: number[] = [];
      let inside = 0;
      let maxInside = 0;
      const runs = Array.from({ length: 10_000 }, (_, i) =>
        mutex.run(async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          order.push(i);
          if (i % 7 === 0) await Promise.resolve(); // some bodies yield, some do not
          inside--;
          return i;
        }),
      );
      assert.equal(mutex.waiting, 9_999);
      const results = await Promise.all(runs);
      assert.deepEqual(results, order);
      assert.deepEqual(order, Array.from({ length: 10_000 }, (_, i) => i));
      assert.equal(maxInside, 1);
      assert.equal(mutex.isLocked, false);
      assert.equal(mutex.waiting, 0);
    });

    test("release is idempotent and the handle's signal aborts on release", async () => {
      const mutex = new Mutex();
      const first = await mutex.acquire();
      const second = track(mutex.acquire());
      const third = track(mutex.acquire());
      assert.equal(first.signal.aborted, false);
      await first.release();
      await first.release(); // must not admit a second holder
      await settle();
      assert.equal(first.signal.aborted, true);
      assert.equal(second.status, "fulfilled");
      assert.equal(third.status, "pending");
      await second.value!.release();
      await settle();
      assert.equal(third.status, "fulfilled");
      await third.value!.release();
      assert.equal(mutex.isLocked, false);
    });

    test("await using releases at the end of the scope, even when the body throws", async () => {
      const mutex = new Mutex();
      await assert.rejects(async () => {
        await using _held = await mutex.acquire();
        assert.equal(mutex.isLocked, true);
        throw new Error("boom");
      }, /boom/);
      assert.equal(mutex.isLocked, false);
    });

    test("a timed-out waiter leaves the queue at once and is never granted later", async () => {
      const mutex = new Mutex();
      const held = await mutex.acquire();
      const timedOut = track(mutex.acquire({ timeoutMs: 5 }));
      const next = track(mutex.acquire());
      await until(() => timedOut.status !== "pending", "the wait timed out");
      assert.equal(timedOut.status, "rejected");
      assert.ok(timedOut.error instanceof lib.TimeoutError);
      assert.equal((timedOut.error as Runtime.LockError).code, "TIMEOUT");
      assert.equal(mutex.waiting, 1);
      await held.release();
      await settle();
      assert.equal(next.status, "fulfilled");
      await next.value!.release();
      assert.equal(mutex.isLocked, false);
    });

    test("an aborted waiter is removed synchronously and rejects with AbortError carrying the reason", async () => {
      const mutex = new Mutex();
      const held = await mutex.acquire();
      const controller = new AbortController();
      const waiter = track(mutex.acquire({ signal: controller.signal }));
      assert.equal(mutex.waiting, 1);
      controller.abort(new Error("user gave up"));
      assert.equal(mutex.waiting, 0);
      await settle();
      assert.equal(waiter.status, "rejected");
      assert.ok(waiter.error instanceof lib.AbortError);
      assert.ok(waiter.error instanceof lib.LockError);
      assert.equal(((waiter.error as Error).cause as Error).message, "user gave up");
      await held.release();
      assert.equal(mutex.isLocked, false);
    });

    test("an already-aborted signal rejects without queueing; timeoutMs 0 on a held lock rejects at once", async () => {
      const mutex = new Mutex();
      await assert.rejects(mutex.acquire({ signal: AbortSignal.abort() }), lib.AbortError);
      assert.equal(mutex.isLocked, false);
      const held = await mutex.acquire({ timeoutMs: 0 }); // free: granted regardless of the timeout
      await assert.rejects(mutex.acquire({ timeoutMs: 0 }), lib.TimeoutError);
      assert.equal(mutex.waiting, 0);
      await held.release();
    });

    test("an abort that lands after the grant but before delivery releases the lock and rejects", async () => {
      const mutex = new Mutex();
      const held = await mutex.acquire();
      const controller = new AbortController();
      const late = track(mutex.acquire({ signal: controller.signal }));
      const after = track(mutex.acquire());
      void held.release(); // grants `late` synchronously...
      controller.abort(); // ...and the abort arrives before its acquire() settles
      await settle();
      assert.equal(late.status, "rejected");
      assert.ok(late.error instanceof lib.AbortError);
      assert.equal(after.status, "fulfilled", "the lock passed on to the next waiter");
      await after.value!.release();
      assert.equal(mutex.isLocked, false);
    });

    test("plain and cancellable waiters share one FIFO queue, whichever path they take", async () => {
      const mutex = new Mutex();
      const held = await mutex.acquire();
      const order: string[] = [];
      const controller = new AbortController();
      const done = [
        mutex.run(() => void order.push("run")),
        mutex.acquire({ timeoutMs: 60_000 }).then((h) => (order.push("timed"), h.release())),
        mutex.run(() => void order.push("run with signal"), { signal: controller.signal }),
        mutex.acquire().then((h) => (order.push("acquire"), h.release())),
        mutex.run(() => void order.push("last run")),
      ];
      assert.equal(mutex.waiting, 5);
      await held.release();
      await Promise.all(done);
      assert.deepEqual(order, ["run", "timed", "run with signal", "acquire", "last run"]);
      assert.equal(mutex.isLocked, false);
    });

    test("run passes a signal only to a body that declares it; that signal aborts when the section ends", async () => {
      const locks = new LockManager();
      const rw = new RWLock();
      const runners: [string, (fn: Runtime.Critical<void>) => Promise<void>][] = [
        ["Mutex", (fn) => new Mutex().run(fn)],
        ["Semaphore", (fn) => new Semaphore(2).run(fn)],
        ["RWLock read", (fn) => rw.runRead(fn)],
        ["RWLock write", (fn) => rw.runWrite(fn)],
        ["LockManager", (fn) => locks.lock("k", fn)],
        ["lockAll", (fn) => lockAll([new Mutex(), locks.lockable("j")], fn)],
      ];
      for (const [what, run] of runners) {
        let seen: AbortSignal | undefined;
        await run((signal) => {
          assert.equal(signal.aborted, false, what);
          seen = signal;
        });
        assert.equal(seen?.aborted, true, `${what}: the body's signal aborted on release`);
        assert.ok(seen.reason instanceof lib.AbortError, what);
        let args = -1;
        await run(function (this: unknown) {
          args = arguments.length;
        });
        assert.equal(args, 0, `${what}: a body without parameters is called without a signal`);
      }
      assert.equal(locks.size, 0);
    });

    test("ifAvailable rejects with NotAvailableError when held or when others queue (no barging)", async () => {
      const mutex = new Mutex();
      const held = await mutex.acquire({ ifAvailable: true });
      await assert.rejects(mutex.acquire({ ifAvailable: true }), (e: unknown) => e instanceof lib.NotAvailableError && e.code === "UNAVAILABLE");
      assert.equal(mutex.tryAcquire(), null);
      const queued = track(mutex.acquire());
      await held.release(); // grants `queued` synchronously; nothing can slip in between
      assert.equal(mutex.tryAcquire(), null);
      await settle();
      await queued.value!.release();
      const again = mutex.tryAcquire();
      assert.ok(again);
      await again.release();
    });

    test("abort and timeout storms leave no queued waiter and every waiter settles exactly once", async () => {
      const mutex = new Mutex();
      const random = prng(42);
      const held = await mutex.acquire();
      const controllers: AbortController[] = [];
      const states = Array.from({ length: 3000 }, (_, i) => {
        const kind = i % 3;
        if (kind === 0) {
          const c = new AbortController();
          controllers.push(c);
          return track(mutex.acquire({ signal: c.signal }));
        }
        if (kind === 1) return track(mutex.acquire({ timeoutMs: 1 + Math.floor(random() * 20) }));
        return track(mutex.run(async () => "ran", { timeoutMs: 5000 }));
      });
      for (const c of controllers) if (random() < 0.7) c.abort();
      await until(() => mutex.waiting === 1000 + controllers.filter((c) => !c.signal.aborted).length, "timeouts fired");
      await held.release();
      // Survivors with signals were granted handles: release them as they arrive so the queue drains.
      await until(() => {
        for (const s of states) if (s.status === "fulfilled" && s.value && typeof s.value === "object") void (s.value as Runtime.LockHandle).release();
        return states.every((s) => s.status !== "pending");
      }, "every waiter settled");
      assert.equal(mutex.waiting, 0);
      assert.equal(mutex.isLocked, false);
      assert.equal(states.filter((s) => s.value === "ran").length, 1000);
      for (let i = 1; i < 3000; i += 3) assert.ok(states[i]!.error instanceof lib.TimeoutError);
    });
  });

  describe(`${label}: Semaphore and RWLock`, () => {
    test("Semaphore admits at most `permits` holders and validates its argument", async () => {
      assert.throws(() => new Semaphore(0), RangeError);
      const sem = new Semaphore(3);
      let inside = 0;
      let maxInside = 0;
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          sem.run(async () => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            for (let k = 0; k < i % 4; k++) await settle();
            inside--;
          }),
        ),
      );
      assert.equal(maxInside, 3);
      assert.equal(sem.available, 3);
    });

    test("RWLock: readers share, writers exclude, a queued writer is not overtaken by later readers", async () => {
      const rw = new RWLock();
      const r1 = await rw.read();
      const r2 = await rw.read();
      assert.equal(rw.readers, 2);
      const writer = track(rw.write());
      const lateReader = track(rw.read());
      await settle();
      assert.equal(writer.status, "pending");
      assert.equal(lateReader.status, "pending", "readers queue behind a waiting writer");
      await r1.release();
      await r2.release();
      await settle();
      assert.equal(writer.status, "fulfilled");
      assert.equal(lateReader.status, "pending");
      await writer.value!.release();
      await settle();
      assert.equal(lateReader.status, "fulfilled");
      await lateReader.value!.release();
      assert.equal(rw.readers, 0);
      assert.equal(rw.isWriteLocked, false);
    });

    test("RWLock: aborting the queued writer lets the readers behind it join the current readers", async () => {
      const rw = new RWLock();
      const r1 = await rw.read();
      const c = new AbortController();
      const writer = track(rw.write({ signal: c.signal }));
      const readers = [track(rw.read()), track(rw.read())];
      c.abort();
      await settle();
      assert.equal(writer.status, "rejected");
      assert.deepEqual(readers.map((r) => r.status), ["fulfilled", "fulfilled"]);
      assert.equal(rw.readers, 3);
      await Promise.all([r1.release(), ...readers.map((r) => r.value!.release())]);
      assert.equal(await rw.runWrite(() => rw.isWriteLocked), true);
      assert.equal(await rw.runRead(() => rw.readers), 1);
    });
  });

  describe(`${label}: LockManager and lockAll`, () => {
    test("a key's entry is evicted in the step its last holder leaves, also when the body throws", async () => {
      const locks = new LockManager();
      const sizes: number[] = [];
      const first = locks.lock("k", async () => {
        await settle();
        sizes.push(locks.size);
        throw new Error("boom");
      });
      const second = locks.lock(1, () => void sizes.push(locks.size));
      const third = locks.lock("1", () => {
        sizes.push(locks.size);
        return "third";
      });
      await assert.rejects(first, /boom/);
      assert.equal(locks.isLocked("k"), false);
      assert.equal(await third, "third");
      await second;
      assert.deepEqual(sizes, [2, 2, 1]); // "k" and "1" live while used; 1 and "1" are one key
      assert.equal(locks.size, 0);
    });

    test("keys are independent, each key is exclusive, idle entries are evicted", async () => {
      const locks = new LockManager();
      const inside = new Map<string, number>();
      const random = prng(7);
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => {
          const key = `k${Math.floor(random() * 10)}`;
          return locks.lock(key, async () => {
            assert.equal(inside.get(key) ?? 0, 0, `two holders of ${key}`);
            inside.set(key, 1);
            if (i % 2) await Promise.resolve();
            inside.set(key, 0);
          });
        }),
      );
      assert.equal(locks.size, 0);
      const held = await locks.acquire(1);
      assert.equal(locks.isLocked("1"), true, "1 and '1' are the same key");
      await assert.rejects(locks.acquire("1", { timeoutMs: 1 }), lib.TimeoutError);
      await assert.rejects(locks.acquire("1", { signal: AbortSignal.abort() }), lib.AbortError);
      assert.equal(locks.tryAcquire(1), null);
      assert.equal(locks.size, 1);
      await held.release();
      await held.release();
      assert.equal(locks.size, 0);
    });

    test("lockAll with random overlapping key sets never deadlocks and keeps each key exclusive", async () => {
      const locks = new LockManager();
      const random = prng(1234);
      const holders = new Map<string, number>();
      let completed = 0;
      const tasks = Array.from({ length: 400 }, (_, task) => {
        const keys = Array.from({ length: 1 + Math.floor(random() * 5) }, () => `acct:${Math.floor(random() * 12)}`);
        return locks.lockAll(keys, async () => {
          for (const k of new Set(keys)) {
            assert.equal(holders.get(k), undefined, `${k} held twice`);
            holders.set(k, task);
          }
          await new Promise<void>((r) => setImmediate(r));
          for (const k of new Set(keys)) holders.delete(k);
          completed++;
        });
      });
      await Promise.race([
        Promise.all(tasks),
        new Promise((_, reject) => setTimeout(() => reject(new Error("lockAll deadlocked")), 10_000).unref()),
      ]);
      assert.equal(completed, 400);
      assert.equal(locks.size, 0);
    });

    test("top-level lockAll takes mixed lockables in canonical order, deduplicates, releases in reverse", async () => {
      const a = new Mutex({ name: "a" });
      const b = new Mutex({ name: "b" });
      const rw = new RWLock();
      const locks = new LockManager();
      const result = await lockAll([b, locks.lockable("x"), a, b, rw.reader, rw.writer, locks.lockable("x")], async () => {
        assert.equal(a.isLocked && b.isLocked && rw.isWriteLocked && locks.isLocked("x"), true);
        return 42;
      });
      assert.equal(result, 42);
      assert.equal(a.isLocked || b.isLocked || rw.isWriteLocked || locks.isLocked("x"), false);
      const order = lib.canonicalOrder([b, a]).map((l) => l.lockKey);
      assert.deepEqual(order, [a.lockKey, b.lockKey].sort());
    });

    test("lockAll rolls back a partial acquisition and honours an overall timeout", async () => {
      const [first, second, third] = [new Mutex(), new Mutex(), new Mutex()].sort((x, y) => (x.lockKey < y.lockKey ? -1 : 1));
      const blocker = await second!.acquire();
      await assert.rejects(lockAll([first!, second!, third!], () => "never", { ifAvailable: true }), lib.NotAvailableError);
      assert.equal(first!.isLocked, false, "first lock released after the second failed");
      assert.equal(third!.isLocked, false);
      const started = performance.now();
      await assert.rejects(lockAll([third!, first!, second!], () => "never", { timeoutMs: 30 }), lib.TimeoutError);
      assert.ok(performance.now() - started < 1000);
      assert.equal(first!.isLocked, false);
      assert.equal(second!.waiting, 0);
      await blocker.release();
      const all = await acquireAll([first!, second!, third!]);
      assert.equal(first!.isLocked && second!.isLocked && third!.isLocked, true);
      await all[Symbol.asyncDispose]();
      assert.equal(first!.isLocked || second!.isLocked || third!.isLocked, false);
    });

    test("the body's error wins and every lock is still released", async () => {
      const locks = new LockManager();
      await assert.rejects(locks.lockAll(["p", "q"], () => { throw new Error("body failed"); }), /body failed/);
      assert.equal(locks.size, 0);
    });
  });

  describe(`${label}: DeadlockDetector`, () => {
    test("a constructed two-task cycle rejects with DeadlockError naming it, instead of hanging", async () => {
      const detector = new DeadlockDetector();
      const locks = new LockManager({ deadlockDetector: detector });
      let release!: () => void;
      const bothHold = new Promise<void>((r) => (release = r));
      let holding = 0;
      const meet = async () => {
        if (++holding === 2) release();
        await bothHold;
      };
      const t1 = track(locks.lock("A", async () => { await meet(); return locks.lock("B", () => "t1 done"); }));
      const t2 = track(locks.lock("B", async () => { await meet(); return locks.lock("A", () => "t2 done"); }));
      await until(() => t1.status !== "pending" && t2.status !== "pending", "both tasks settled");
      const failed = [t1, t2].filter((t) => t.status === "rejected");
      assert.equal(failed.length, 1, "exactly one task is chosen as the victim");
      const error = failed[0]!.error as Runtime.DeadlockError;
      assert.ok(error instanceof lib.DeadlockError);
      assert.equal(error.code, "DEADLOCK");
      assert.deepEqual([...error.cycle].sort(), ["A", "B"]);
      assert.match(error.message, /"A"|"B"/);
      assert.ok([t1, t2].some((t) => t.value === "t1 done" || t.value === "t2 done"));
      assert.equal(detector.pendingWaits, 0);
      assert.equal(locks.size, 0);
    });

    test("a three-task cycle across Mutexes and lockAll is reported", async () => {
      const detector = new DeadlockDetector();
      const [x, y, z] = ["x", "y", "z"].map((name) => new Mutex({ name, deadlockDetector: detector }));
      let arrived = 0;
      let go!: () => void;
      const allHold = new Promise<void>((r) => (go = r));
      const hold = async (own: Runtime.Mutex, want: Runtime.Mutex) =>
        own.run(async () => {
          if (++arrived === 3) go();
          await allHold;
          return lockAll([want], () => "ok");
        });
      const results = await Promise.allSettled([hold(x!, y!), hold(y!, z!), hold(z!, x!)]);
      const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Runtime.DeadlockError] : []));
      assert.equal(errors.length, 1);
      assert.deepEqual([...errors[0]!.cycle].sort(), ["x", "y", "z"]);
    });

    test("re-entering a held lock is a one-lock cycle; sibling waits inside one section are not", async () => {
      const detector = new DeadlockDetector();
      const locks = new LockManager({ deadlockDetector: detector });
      await assert.rejects(locks.lock("r", () => locks.lock("r", () => "inner")), (e: unknown) => e instanceof lib.DeadlockError && e.cycle.join() === "r");
      const out = await locks.lock("outer", () => Promise.all([locks.lock("s", async () => { await settle(); return 1; }), locks.lock("s", () => 2)]));
      assert.deepEqual(out, [1, 2]);
      assert.equal(locks.size, 0);
    });
  });

  describe(`${label}: retry and optimisticUpdate`, () => {
    test("backoff is exponential, capped, and fully jittered by default", () => {
      for (let attempt = 1; attempt < 12; attempt++) {
        const cap = Math.min(800, 10 * 2 ** (attempt - 1));
        assert.equal(lib.backoffDelay(attempt, { initialDelayMs: 10, maxDelayMs: 800, jitter: "none" }), cap);
        for (let i = 0; i < 50; i++) {
          const d = lib.backoffDelay(attempt, { initialDelayMs: 10, maxDelayMs: 800 });
          assert.ok(d >= 0 && d <= cap);
        }
      }
    });

    test("retries transient errors, rethrows others at once, and reports exhaustion", async () => {
      let calls = 0;
      const value = await retry(async (attempt) => {
        calls++;
        if (attempt < 3) throw new lib.ConflictError();
        return "ok";
      }, { initialDelayMs: 1 });
      assert.equal(value, "ok");
      assert.equal(calls, 3);
      calls = 0;
      await assert.rejects(retry(() => { calls++; throw new TypeError("bug"); }, { initialDelayMs: 1 }), TypeError);
      assert.equal(calls, 1);
      const exhausted = await retry(() => { throw Object.assign(new Error("serialization"), { code: "40001" }); }, { maxAttempts: 3, initialDelayMs: 1 }).catch((e: unknown) => e);
      assert.ok(exhausted instanceof lib.RetryExhaustedError);
      assert.equal(exhausted.attempts, 3);
      assert.equal(exhausted.code, "RETRY_EXHAUSTED");
      assert.equal((exhausted.cause as { code: string }).code, "40001");
    });

    test("an abort during a backoff delay rejects at once", async () => {
      const c = new AbortController();
      const started = performance.now();
      const p = retry(() => { throw new lib.ConflictError(); }, { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: "none", signal: c.signal });
      setImmediate(() => c.abort());
      await assert.rejects(p, lib.AbortError);
      assert.ok(performance.now() - started < 1000);
    });

    test("optimisticUpdate converges under contention and reports persistent conflicts", async () => {
      const store = { value: 0, version: 0 };
      await Promise.all(
        Array.from({ length: 50 }, () =>
          optimisticUpdate({
            read: async () => ({ ...store }),
            modify: (current) => current.value + 1,
            write: async (next, current) => {
              await new Promise<void>((r) => setImmediate(r)); // let others interleave between read and write
              if (store.version !== current.version) return 0; // "UPDATE ... WHERE version = $v" touched 0 rows
              store.value = next;
              store.version++;
              return 1;
            },
            maxAttempts: 200,
            initialDelayMs: 1,
            maxDelayMs: 5,
          }),
        ),
      );
      assert.deepEqual(store, { value: 50, version: 50 });
      const error = await optimisticUpdate({ read: () => 1, modify: (n) => n + 1, write: () => false, maxAttempts: 2, initialDelayMs: 1 }).catch((e: unknown) => e);
      assert.ok(error instanceof lib.RetryExhaustedError);
      assert.ok(error.cause instanceof lib.ConflictError);
      const viaAssert = await optimisticUpdate({ read: () => 1, modify: (n) => n * 2, write: () => lib.assertAffected(1) });
      assert.equal(viaAssert, 2);
    });

    test("assertAffected throws ConflictError for 0, 0n, null and undefined only", () => {
      for (const n of [0, 0n, null, undefined]) assert.throws(() => lib.assertAffected(n, "account"), (e: unknown) => e instanceof lib.ConflictError && e.code === "CONFLICT" && /account/.test(e.message));
      lib.assertAffected(1);
      lib.assertAffected(3n);
    });
  });

  describe(`${label}: diagnostics`, () => {
    test("wait and hold events are published through diagnostics_channel", async () => {
      const events: { channel: string; message: Record<string, unknown> }[] = [];
      const onWait = (message: unknown) => events.push({ channel: "wait", message: message as Record<string, unknown> });
      const onHold = (message: unknown) => events.push({ channel: "hold", message: message as Record<string, unknown> });
      diagnostics.subscribe("locksmith:wait", onWait);
      diagnostics.subscribe("locksmith:hold", onHold);
      try {
        const mutex = new Mutex({ name: `diag-${label}` });
        const held = await mutex.acquire();
        const waiter = mutex.acquire();
        await held.release();
        await (await waiter).release();
      } finally {
        diagnostics.unsubscribe("locksmith:wait", onWait);
        diagnostics.unsubscribe("locksmith:hold", onHold);
      }
      const mine = events.filter((e) => e.message["lock"] === `diag-${label}`);
      assert.deepEqual(mine.map((e) => `${e.channel}:${String(e.message["outcome"] ?? "")}`), ["wait:granted", "hold:", "wait:granted", "hold:"]);
      assert.equal(typeof mine[1]!.message["heldMs"], "number");
    });
  });
}
