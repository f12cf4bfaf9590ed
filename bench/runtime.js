// `npm run bench:runtime`: @locksmith/runtime against the libraries its users would otherwise pick, side by side in
// one process (issue #20). In-process primitives against async-mutex, Redis leases against redlock and
// redis-semaphore on the local Redis, withPgTransaction against a hand-written BEGIN … COMMIT with pg.
//
// Each pairing runs `--reps` times (default 5), interleaved (ours, theirs, theirs, ours, …) so that load from other
// work on the machine falls on both alike; the table shows medians of wall-clock throughput and of CPU time (user +
// system) per operation, the medians of the per-rep ratios, and whether each target of the issue is met (judged on
// CPU time, like `npm run bench`). Nothing here asserts timings (not part of
// `npm test`). Run it on the built runtime (`npm run build`).
//
//   node --expose-gc bench/runtime.js [--reps 5] [--sections 50000] [--only inproc,memory,redis,pg] [--json FILE]
"use strict";
const os = require("node:os");
const fs = require("node:fs");
const { parseArgs } = require("node:util");
const { setMaxListeners } = require("node:events");
const runtime = require("@locksmith/runtime");
const am = require("async-mutex");

const { values: args } = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    sections: { type: "string", default: "50000" },
    only: { type: "string", default: "inproc,memory,redis,pg" },
    json: { type: "string" },
  },
});
const REPS = Number(args.reps);
const SECTIONS = Number(args.sections);
const ONLY = new Set(args.only.split(","));
const CONTENDERS = 100;

/** One signal shared by many waits, as a request-scoped signal is (each queued wait listens to it). */
function sharedSignal() {
  const { signal } = new AbortController();
  setMaxListeners(0, signal);
  return signal;
}

// ----- measuring -----

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Run `work()` (which performs `ops` operations) once: wall-clock ops/s and CPU µs per op. */
async function measure(ops, work) {
  global.gc?.();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { opsPerSec: (ops / wallMs) * 1000, cpuUsPerOp: (used.user + used.system) / ops };
}

/**
 * Compare two implementations of one operation: `ours()` and `theirs()` each return a `work` function doing `ops`
 * operations. One untimed warm-up each, then `REPS` interleaved timed runs. Besides the medians, the ratios are the
 * medians of each rep's pair of runs, which ran back to back and so under the same load from other work.
 */
async function compare(ops, ours, theirs) {
  await ours()();
  await theirs()();
  const runs = { ours: [], theirs: [] };
  for (let rep = 0; rep < REPS; rep++) {
    const order = rep % 2 === 0 ? ["ours", "theirs"] : ["theirs", "ours"];
    for (const who of order) runs[who].push(await measure(ops, (who === "ours" ? ours : theirs)()));
  }
  const summary = (rs) => ({ opsPerSec: median(rs.map((r) => r.opsPerSec)), cpuUsPerOp: median(rs.map((r) => r.cpuUsPerOp)) });
  const pairs = runs.ours.map((o, i) => [o, runs.theirs[i]]);
  return {
    ours: summary(runs.ours),
    theirs: summary(runs.theirs),
    // > 1: ours is better (more operations per second of wall clock, less CPU per operation).
    wallRatio: median(pairs.map(([o, t]) => o.opsPerSec / t.opsPerSec)),
    cpuRatio: median(pairs.map(([o, t]) => t.cpuUsPerOp / o.cpuUsPerOp)),
  };
}

/** `total` critical sections, each with one `await`, by `contenders` concurrent loops calling `section(body)`. */
function sections(total, contenders, section) {
  const body = async () => {
    await undefined;
  };
  return async () => {
    const loop = async (n) => {
      for (let i = 0; i < n; i++) await section(body, i);
    };
    await Promise.all(Array.from({ length: contenders }, () => loop(total / contenders)));
  };
}

const rows = [];
/**
 * Print one pairing and judge its target on CPU time, as bench/run.js does: on a machine shared with other work, wall
 * time also measures whatever else runs; both ratios are shown.
 */
function report(name, scenario, theirsName, result, target) {
  const ratio = result.cpuRatio;
  const met = target.atMost === undefined ? ratio >= target.atLeast : 1 / ratio <= target.atMost;
  const row = { name, scenario, versus: theirsName, ...result, target: target.text, met };
  rows.push(row);
  const k = (x) => (x >= 10_000 ? `${(x / 1000).toFixed(0)} k/s` : `${x.toFixed(0)} /s`);
  const shown = (r) => (target.atMost === undefined ? `${r.toFixed(2)}×` : `${(1 / r).toFixed(2)}× time`);
  console.log(
    [
      `${name} ${scenario}`.padEnd(44),
      `${k(result.ours.opsPerSec).padStart(9)} ${result.ours.cpuUsPerOp.toFixed(2).padStart(7)} µs CPU`,
      `${theirsName.padEnd(30)} ${k(result.theirs.opsPerSec).padStart(9)} ${result.theirs.cpuUsPerOp.toFixed(2).padStart(7)} µs CPU`,
      `wall ${shown(result.wallRatio)}`.padStart(16),
      `CPU ${shown(result.cpuRatio)}`.padStart(15),
      `${target.text} ${met ? "met" : "NOT MET"}`,
    ].join("  "),
  );
}

const atLeast1 = { atLeast: 1, text: "≥ 1.0×" };

// ----- in-process primitives against async-mutex -----

async function inProcess() {
  console.log(`\nIn-process: ${SECTIONS} critical sections per run (one await each), medians of ${REPS} runs; ours vs theirs`);
  const cases = [
    [
      "Mutex.run",
      "Mutex.runExclusive",
      () => {
        const m = new runtime.Mutex();
        return (fn) => m.run(fn);
      },
      () => {
        const m = new am.Mutex();
        return (fn) => m.runExclusive(fn);
      },
    ],
    [
      "Semaphore(4).run",
      "Semaphore(4).runExclusive",
      () => {
        const s = new runtime.Semaphore(4);
        return (fn) => s.run(fn);
      },
      () => {
        const s = new am.Semaphore(4);
        return (fn) => s.runExclusive(fn);
      },
    ],
    [
      "RWLock.runWrite",
      "Mutex.runExclusive",
      () => {
        const rw = new runtime.RWLock();
        return (fn) => rw.runWrite(fn);
      },
      () => {
        const m = new am.Mutex();
        return (fn) => m.runExclusive(fn);
      },
    ],
    [
      "RWLock.runRead",
      "Semaphore(100).runExclusive",
      () => {
        const rw = new runtime.RWLock();
        return (fn) => rw.runRead(fn);
      },
      () => {
        const s = new am.Semaphore(CONTENDERS);
        return (fn) => s.runExclusive(fn);
      },
    ],
    // Keyed: 1000 keys in turn. async-mutex has no keyed lock; the usual hand-written one is a Map of mutexes
    // (never evicted, unlike LockManager's entries).
    [
      "LockManager.lock",
      "Map<key, Mutex>.runExclusive",
      () => {
        const l = new runtime.LockManager();
        return (fn, i) => l.lock(i % 1000, fn);
      },
      () => {
        const map = new Map();
        return (fn, i) => {
          const k = String(i % 1000);
          let m = map.get(k);
          if (!m) map.set(k, (m = new am.Mutex()));
          return m.runExclusive(fn);
        };
      },
    ],
    [
      "lockAll([a, b])",
      "a.runExclusive(b.runExclusive)",
      () => {
        const a = new runtime.Mutex();
        const b = new runtime.Mutex();
        return (fn) => runtime.lockAll([a, b], fn);
      },
      () => {
        const a = new am.Mutex();
        const b = new am.Mutex();
        return (fn) => a.runExclusive(() => b.runExclusive(fn));
      },
    ],
  ];
  for (const [contenders, scenario] of [
    [1, "uncontended"],
    [CONTENDERS, `${CONTENDERS} contenders`],
  ]) {
    for (const [name, theirsName, ours, theirs] of cases) {
      const result = await compare(
        SECTIONS,
        () => sections(SECTIONS, contenders, ours()),
        () => sections(SECTIONS, contenders, theirs()),
      );
      report(name, scenario, `async-mutex ${theirsName}`, result, atLeast1);
    }
  }
  // The cost of abort/timeout support when it is used (not compared: async-mutex offers only withTimeout).
  const signal = sharedSignal();
  for (const [label, options] of [
    ["{ signal }", { signal }],
    ["{ timeoutMs: 1000 }", { timeoutMs: 1000 }],
  ]) {
    const result = await compare(
      SECTIONS,
      () =>
        sections(
          SECTIONS,
          CONTENDERS,
          (
            (m) => (fn) =>
              m.run(fn, options)
          )(new runtime.Mutex()),
        ),
      () =>
        sections(
          SECTIONS,
          CONTENDERS,
          (
            (m) => (fn) =>
              m.run(fn)
          )(new runtime.Mutex()),
        ),
    );
    console.log(
      `  Mutex.run(fn, ${label}) with ${CONTENDERS} contenders: ${(result.ours.opsPerSec / 1000).toFixed(0)} k/s, ${(result.ours.opsPerSec / result.theirs.opsPerSec).toFixed(2)}× of Mutex.run(fn)`,
    );
  }
}

/** Heap bytes per queued waiter: `count` acquisitions queued behind a held lock. */
async function memoryPerWaiter() {
  if (!global.gc) return console.log("\nMemory per queued waiter: run with --expose-gc (npm run bench:runtime does)");
  const count = 20_000;
  const bytes = async (hold, enqueue) => {
    const release = await hold();
    global.gc();
    const before = process.memoryUsage().heapUsed;
    const pending = Array.from({ length: count }, enqueue);
    global.gc();
    const per = (process.memoryUsage().heapUsed - before) / count;
    await release();
    for (const p of pending) await (await p)();
    return per;
  };
  console.log(`\nMemory per queued waiter (${count} waiters behind a held lock, heap after GC, median of ${REPS})`);
  const kinds = [
    [
      "runtime Mutex.acquire()",
      () => {
        const m = new runtime.Mutex();
        return [
          async () => {
            const h = await m.acquire();
            return () => h.release();
          },
          () => m.acquire().then((h) => () => h.release()),
        ];
      },
    ],
    [
      "runtime Mutex.acquire({ signal, timeoutMs })",
      () => {
        const m = new runtime.Mutex();
        const signal = sharedSignal();
        return [
          async () => {
            const h = await m.acquire();
            return () => h.release();
          },
          () => m.acquire({ signal, timeoutMs: 60_000 }).then((h) => () => h.release()),
        ];
      },
    ],
    [
      "runtime LockManager.acquire(key)",
      () => {
        const l = new runtime.LockManager();
        return [
          async () => {
            const h = await l.acquire("k");
            return () => h.release();
          },
          () => l.acquire("k").then((h) => () => h.release()),
        ];
      },
    ],
    [
      "async-mutex Mutex.acquire()",
      () => {
        const m = new am.Mutex();
        return [() => m.acquire(), () => m.acquire()];
      },
    ],
  ];
  for (const [label, make] of kinds) {
    const per = [];
    for (let rep = 0; rep < REPS; rep++) per.push(await bytes(...make()));
    const value = median(per);
    rows.push({ name: label, scenario: "bytes per queued waiter", bytes: value });
    console.log(`  ${label.padEnd(48)} ${value.toFixed(0)} bytes`);
  }
}

// ----- Redis leases against redlock and redis-semaphore -----

async function redisLeases() {
  const Redis = require("ioredis");
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    return console.log(`\nRedis leases: skipped, ${url} is not reachable (${error.message})`);
  }
  const Redlock = require("redlock");
  const { Mutex: RedisMutex } = require("redis-semaphore");
  const { createRedisLockProvider } = require("@locksmith/runtime/redis");
  const prefix = `locksmith:bench:${process.pid}:`;
  const ops = 2000;
  const sequential = (once) => async () => {
    for (let i = 0; i < ops; i++) await once(i);
  };
  console.log(`\nRedis leases on ${url}: ${ops} acquire + release per run, one after another on one connection, 10 s TTL`);
  try {
    const locks = createRedisLockProvider(client, { prefix, ttlMs: 10_000 });
    const ours = () => sequential(async () => (await locks.acquire("k")).release());
    const redlock = new Redlock([client], { retryCount: 0 });
    const viaRedlock = () => sequential(async () => (await redlock.lock(`${prefix}redlock`, 10_000)).unlock());
    report("Redis lease acquire+release", "1 client", "redlock 4.2.0 lock+unlock", await compare(ops, ours, viaRedlock), atLeast1);
    const viaSemaphore = () =>
      sequential(async () => {
        const mutex = new RedisMutex(client, `${prefix}rs`, { lockTimeout: 10_000 });
        await mutex.acquire();
        await mutex.release();
      });
    report("Redis lease acquire+release", "1 client", "redis-semaphore 5.8.0 Mutex", await compare(ops, ours, viaSemaphore), atLeast1);
  } finally {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  }
}

// ----- withPgTransaction against hand-written BEGIN … COMMIT -----

async function pgTransactions() {
  const { Pool } = require("pg");
  const { withPgTransaction } = require("@locksmith/runtime/postgres");
  const pool = new Pool({
    host: process.env.PGHOST ?? "127.0.0.1",
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? "postgres",
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE ?? "test",
    max: 4,
  });
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end();
    return console.log(`\nPostgreSQL: skipped, not reachable (${error.message})`);
  }
  const ops = 500;
  console.log(`\nPostgreSQL: ${ops} transactions (BEGIN, SELECT 1, COMMIT) per run, one after another`);
  try {
    const ours = () => async () => {
      for (let i = 0; i < ops; i++) await withPgTransaction(pool, (tx) => tx.query("SELECT 1"));
    };
    const handWritten = () => async () => {
      for (let i = 0; i < ops; i++) {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          await client.query("SELECT 1");
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        } finally {
          client.release();
        }
      }
    };
    report("withPgTransaction", "sequential", "pg BEGIN … COMMIT by hand", await compare(ops, ours, handWritten), {
      atMost: 1.1,
      text: "≤ 1.1× time",
    });
  } finally {
    await pool.end();
  }
}

async function main() {
  const started = performance.now();
  console.log(
    `@locksmith/runtime benchmark, ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    "Columns: ours (throughput, CPU per op), theirs (same), ratios (ours over theirs: throughput, CPU per op), target judged on CPU",
  );
  if (ONLY.has("inproc")) await inProcess();
  if (ONLY.has("memory")) await memoryPerWaiter();
  if (ONLY.has("redis")) await redisLeases();
  if (ONLY.has("pg")) await pgTransactions();
  const targets = rows.filter((r) => r.met !== undefined);
  const missed = targets.filter((r) => !r.met);
  console.log(
    `\n${targets.length - missed.length}/${targets.length} targets met in ${((performance.now() - started) / 1000).toFixed(0)} s${missed.length ? `; not met: ${missed.map((r) => `${r.name} ${r.scenario} vs ${r.versus}`).join("; ")}` : ""}`,
  );
  if (args.json)
    fs.writeFileSync(
      args.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows }, null, 2)}\n`,
    );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
