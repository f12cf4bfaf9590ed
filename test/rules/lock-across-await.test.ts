import { lockAcrossAwait } from "../../rules/lock-across-await";
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../server/src/engine/config";
import {
  ANNOTATED_LOCK_MODULE,
  KEYED_LOCK_MODULE,
  OPAQUE_LOCK_MODULE,
  OPAQUE_LOCK_SETTINGS,
  REDIS_LOCK_MODULE,
} from "../helpers/lock-modules";
import { runRuleTests, type InvalidCase } from "../helpers/rule-tester";

const HELP =
  "Move the call before the critical section when its inputs are ready before the lock, or split the section: read under the lock, make the call without it, then re-acquire and re-validate (see the rule's documentation).";
const TRANSACTION_HELP =
  "Make the call before the transaction when its inputs are ready, or after COMMIT. If it is inside so that its failure rolls the write back, commit first and undo the write with a compensating update when the call fails, or commit an outbox row with the write and make the call from it (see the rule's documentation).";
const HTTP = "makes an HTTP request, as slow as the remote service";
/** The data of a finding on an awaited `fetch(…)`. */
const FETCH = { call: "`fetch`", reason: HTTP };
/** The data of a finding on an awaited `fetch(…)` in the transaction on `tx`, which holds the row locks `rowLock` took. */
const inTransaction = (tx: string, rowLock: string) => ({ ...FETCH, transaction: `the transaction on \`${tx}\``, rowLock });
const forUpdate = (table: string, line: number) => `a locking read (FOR UPDATE) of \`${table}\` at line ${line}`;
/** A `fetch` at `at` while the transaction on `tx` holds the row lock of a FOR UPDATE of `table` at line `lockLine`. */
const fetchUnderRowLock = (at: { line: number; column: number }, tx: string, table: string, lockLine: number) => ({
  ...at,
  messageId: "inLockingTransaction",
  data: inTransaction(tx, forUpdate(table, lockLine)),
  related: [{ line: lockLine, message: "row locks taken here, held until COMMIT/ROLLBACK" }],
});
const writeOf = (table: string, line: number) => `a write of \`${table}\` at line ${line}`;
/** The data of a finding on an awaited configured slow call `geocode(…)`. */
const geocodeUnderLock = (reason: string) => ({ call: "`geocode`", reason, lock: "`lock`" });

const repo = `declare const repo: { load(id: string): Promise<{ total: number }>; save(id: string, total: number): Promise<void> };\n`;

/** Callers of the locks of OPAQUE_LOCK_MODULE: a fetch inside the queue's critical section and under the lease. */
const OPAQUE_LOCK_CALLERS = `import { LeaseClient, SerialQueue } from "./opaque-locks";
${repo}const queue = new SerialQueue();
const leases = new LeaseClient();
export async function settle(id: string) {
  await queue.run(async () => {
    const order = await repo.load(id);
    await fetch("https://bank.example/settle/" + id);
    await repo.save(id, order.total);
  });
}
export async function payout(id: string) {
  if (!(await leases.take(id))) return;
  try {
    await fetch("https://bank.example/payout/" + id);
  } finally {
    await leases.give(id);
  }
}
`;

/** A lock module of the app's own: wrappers that run a callback under a mutex, and two look-alikes that do not. */
const LOCKING_MODULE = `import { Mutex } from "async-mutex";
const mutex = new Mutex();
export function withGlobalLock<T>(fn: () => Promise<T>): Promise<T> {
  return mutex.runExclusive(fn);
}
export function serialized<T>(task: () => Promise<T>): Promise<T> {
  return withGlobalLock(() => task());
}
export class LockService {
  private readonly mutex = new Mutex();
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.mutex.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
  async runUnlocked<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.mutex.acquire();
    release();
    return work();
  }
}
export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch {
    return fn();
  }
}
`;

/** A critical section around `slow` (one awaited statement) between a repo load and save, under an async-mutex. */
function underMutex(imports: string, slow: string): string {
  return `import { Mutex } from "async-mutex";
${imports}${repo}const lock = new Mutex();
export async function update(id: string) {
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    ${slow}
    await repo.save(id, order.total);
  });
}
`;
}

/** Every default slow call, each under the same mutex; the slow statement is on `line`. */
function slowCallCase(name: string, imports: string, slow: string, callee: string, reason: string): InvalidCase {
  const code = underMutex(imports, slow);
  const line = code.split("\n").findIndex((l) => l.includes(slow)) + 1;
  const data = { call: `\`${callee}\``, reason, lock: "`lock`" };
  return {
    name,
    code,
    errors: [{ line, column: 5, messageId: "underMutex", data, related: [{ line: line - 2, message: "`lock` taken here" }] }],
  };
}

const counter = `import { Mutex } from "async-mutex";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let processed = 0;
`;
const PER_CALL = "Create the lock once, at module level or as a field of a long-lived object, so that every call takes the same one.";

/**
 * A project lease over SET NX EX: `renew` is the timer body (a watchdog extending the key, or a log line), `busy` how
 * it takes the key (TRY: once, null when taken; WAIT: retried until free).
 */
const leaseService = (renew: string, busy = TRY) => `import Redis from "ioredis";

export class LeaseService {
  private redis = new Redis();
  async acquire(key: string, ttl = 10): Promise<(() => Promise<void>) | null> {
    const token = String(Math.random());
    ${busy}
    const timer = setInterval(() => {
      ${renew}
    }, (ttl * 1000) / 2);
    return async () => {
      clearInterval(timer);
      await this.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end", 1, key, token);
    };
  }
  private async extendLease(key: string, token: string, ttl: number) {
    await this.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end", 1, key, token, ttl);
  }
}
`;
const RENEW = "void this.extendLease(key, token, ttl);";
const TRY = 'if (!(await this.redis.set(key, token, "EX", ttl, "NX"))) return null;';
const WAIT = 'while (!(await this.redis.set(key, token, "EX", ttl, "NX"))) await new Promise((r) => setTimeout(r, 50));';
/** `signature` taking a lease for `key` (after `before`) and awaiting `call` under it, released in `finally`. */
const leaseCaller = (signature: string, key: string, call: string, before = "") => `import { LeaseService } from "./leases";
${before ? 'import { makeRunId } from "./ids";\n' : ""}
export async function ${signature} {
${before}  const release = await leases.acquire(\`${key}\`);
  if (!release) return;
  try {
    await ${call};
  } finally {
    await release();
  }
}
`;
const LEASE_CALLER = leaseCaller(
  "publish(leases: LeaseService, id: string)",
  "voucher:\${id}",
  'fetch("https://payments.example/codes/" + id)',
);
const LEASE = "the lock `leases.acquire` takes for `voucher:${id}`";

/**
 * A coupon issued at most once per customer under a waiting lease: `found` is where the existence check reads (`inside`
 * the lease, or before it), and the POST that creates the coupon runs only when the check found none.
 */
const couponCaller = (found: "inside" | "before") => {
  const check = "const existing = await coupons.find(customerId);";
  return `import { LeaseService } from "./leases";
declare const coupons: { find(id: string): Promise<string | null>; save(id: string, code: string): Promise<void> };

export async function ensureCoupon(leases: LeaseService, customerId: string) {
  ${found === "before" ? check : "// the check runs under the lease"}
  const release = await leases.acquire(\`coupon:\${customerId}\`);
  if (!release) return;
  try {
    ${found === "inside" ? check : "// checked before the lease"}
    if (!existing) {
      const created = await fetch("https://billing.example/coupons", { method: "POST", body: customerId });
      await coupons.save(customerId, await created.text());
    }
  } finally {
    await release();
  }
}
`;
};
const COUPON_LEASE = "the lock `leases.acquire` takes for `coupon:${customerId}`";

/** The lease service waiting through its own try-once method (`renew` as in leaseService): a wrapper of a wrapper. */
const waitingOverTryOnce = (renew: string) =>
  leaseService(renew).replace(
    "  async acquire(key: string, ttl = 10)",
    `  async acquire(key: string) {
    for (;;) {
      const release = await this.acquireOnce(key);
      if (release) return release;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async acquireOnce(key: string, ttl = 10)`,
  );

/** A report run under a lease keyed by the user and `runId`, made by `makeRunId` of src/ids.ts. */
const reportCaller = leaseCaller(
  "runReport(leases: LeaseService, userId: string)",
  "report:\${userId}:\${runId}",
  'fetch("https://reports.example/render/" + runId)',
  "  const runId = makeRunId(userId);\n",
);
const REPORT_LEASE = "the lock `leases.acquire` takes for `report:${userId}:${runId}`";

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "a lease callers wait for, taken through the service's own renewing try-once method: renewed too, the wait is the point",
      code: couponCaller("inside"),
      files: { "src/leases.ts": waitingOverTryOnce(RENEW) },
    },
    {
      name: "a renewed lease callers wait for, around a create the section decided from its own read: the wait is the point",
      code: couponCaller("inside"),
      files: { "src/leases.ts": leaseService(RENEW, WAIT) },
    },
    {
      name: "a lease keyed by an id each call generates (a project helper over randomUUID): nobody can wait for it",
      code: reportCaller,
      files: {
        "src/leases.ts": leaseService("console.log(key, token);", WAIT),
        "src/ids.ts":
          'import { randomUUID } from "node:crypto";\nexport function makeRunId(_user: string) {\n  return "run_" + randomUUID();\n}\n',
      },
    },
    {
      name: "a try-lease its helper keeps renewing: it cannot expire mid-call, and nobody waits for it",
      code: LEASE_CALLER,
      files: { "src/leases.ts": leaseService(RENEW) },
    },
    {
      name: "a method under a lock decorator: the HTTP call made before the locked method",
      files: { "src/locks.ts": KEYED_LOCK_MODULE },
      code: `import { WithLock } from "./locks";
${repo}export class Rates {
  async refresh(id: string) {
    const response = await fetch("https://rates.example.com/" + id);
    await this.store(id, ((await response.json()) as { total: number }).total);
  }
  @WithLock("rates")
  async store(id: string, total: number) {
    const current = await repo.load(id);
    await repo.save(id, current.total + total);
  }
}`,
    },
    {
      name: "a function given to a lock helper by name, which makes its HTTP call before the helper is called",
      files: { "src/locks.ts": KEYED_LOCK_MODULE },
      code: `import { withLock } from "./locks";
${repo}let latest = 0;
async function storeRates() {
  const current = await repo.load("rates");
  await repo.save("rates", current.total + latest);
}
export async function refresh() {
  latest = ((await (await fetch("https://rates.example.com/latest")).json()) as { total: number }).total;
  return withLock("rates", storeRates);
}`,
    },
    {
      name: "a method under a decorator that takes no lock",
      files: { "src/locks.ts": KEYED_LOCK_MODULE },
      code: `import { Logged } from "./locks";
${repo}export class Rates {
  @Logged()
  async refresh(id: string) {
    const current = await repo.load(id);
    await fetch("https://rates.example.com/" + id);
    await repo.save(id, current.total);
  }
}`,
    },
    {
      name: "a Set of busy keys: other callers are turned away, nobody waits behind the fetch",
      code: `export class Poller {
  private readonly busy = new Set<string>();
  async poll(url: string): Promise<void> {
    if (this.busy.has(url)) return;
    this.busy.add(url);
    try {
      await fetch(url);
    } finally {
      this.busy.delete(url);
    }
  }
}`,
    },
    { name: "database calls inside the critical section only", code: underMutex("", "await repo.load(id);") },
    {
      name: "a backoff in the catch of an acquisition assigned (and cast) to an outer variable, then break",
      code: `import Redlock from "redlock";
import Redis from "ioredis";
const redlock = new Redlock([new Redis()]);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export async function claimSlot(pool: string) {
  let held: { release(): Promise<void> } | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      held = (await redlock.acquire([\`slot:\${pool}\`], 20000)) as unknown as { release(): Promise<void> };
      break;
    } catch {
      await pause(100 * 2 ** attempt);
    }
  }
  return held;
}
`,
    },
    {
      name: "a sleep in the catch of an acquisition that ends its try block: the catch runs only when it failed",
      code: `import Redlock from "redlock";
import Redis from "ioredis";
const redlock = new Redlock([new Redis()]);
export async function leaderFor(region: string, waitMs: number) {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const lease = await redlock.acquire([\`leader:\${region}\`], 15000);
      return lease;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
  return undefined;
}
`,
    },
    {
      name: "single-flight: a mutex around nothing but the slow call",
      code: `import { Mutex } from "async-mutex";
const lock = new Mutex();
let cached: unknown;
export async function token() {
  return lock.runExclusive(async () => {
    if (!cached) cached = await (await fetch("https://auth/token")).json();
    return cached;
  });
}
`,
    },
    {
      name: "semaphores bound concurrency on purpose",
      code: `import { Semaphore } from "async-mutex";
${repo}const permits = new Semaphore(4);
export async function run(id: string) {
  await permits.runExclusive(async () => {
    await repo.load(id);
    await fetch("https://x");
  });
}
`,
    },
    {
      name: "slow call after the release in finally",
      code: `import { Mutex } from "@locksmith/runtime";
${repo}const lock = new Mutex();
export async function run(id: string) {
  const handle = await lock.acquire();
  try {
    const order = await repo.load(id);
    await repo.save(id, order.total + 1);
  } finally {
    handle.release();
  }
  await fetch("https://hooks/updated");
}
`,
    },
    {
      name: "slow call before the critical section",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function run(id: string) {
  const rate = await (await fetch("https://rates")).json();
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    await repo.save(id, order.total * rate);
  });
}
`,
    },
    {
      name: "slow call in a nested callback that runs later",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function run(id: string) {
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    setImmediate(async () => { await fetch("https://later"); });
    await repo.save(id, order.total);
  });
}
`,
    },
    {
      name: "Redis lease: sleeping in the spin loop while the lock is busy",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function run(id: string, token: string) {
  while (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await redis.del(\`lock:\${id}\`);
}
`,
    },
    {
      name: "Redis lease: retry with sleep when SET NX failed",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function run(id: string, token: string) {
  for (;;) {
    const ok = await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX");
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
`,
    },
    {
      name: "pg transaction: slow call before the first row lock and after COMMIT",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function run(id: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const quote = await (await fetch("https://quotes")).json();
    await client.query("UPDATE orders SET price = $1 WHERE id = $2", [quote.price, id]);
    await client.query("COMMIT");
    await fetch("https://hooks/priced");
  } finally {
    client.release();
  }
}
`,
    },
    {
      name: "TypeORM and Sequelize: unlocked reads in a transaction hold no row lock yet",
      code: `import { DataSource } from "typeorm";
import { Sequelize } from "sequelize";
import { Order } from "./order";
export async function run(dataSource: DataSource, id: string) {
  await dataSource.transaction(async (manager) => {
    const o = await manager.createQueryBuilder(Order, "o").where("o.id = :id", { id }).getOne();
    await fetch("https://hooks");
  });
}
export async function runSequelize(sequelize: Sequelize, id: string) {
  await sequelize.transaction(async (t) => {
    await Order.findByPk(id, { transaction: t });
    await fetch("https://hooks");
  });
}
`,
    },
    {
      name: "prisma transaction with only database calls",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function run(id: string) {
  await prisma.$transaction(async (tx) => {
    await tx.order.update({ where: { id }, data: { total: { increment: 1 } } });
    await tx.auditLog.create({ data: { id } });
  });
}
`,
    },
    {
      name: "project function that does only database work",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
async function recompute(id: string) {
  const order = await repo.load(id);
  await repo.save(id, order.total);
}
export async function run(id: string) {
  await lock.runExclusive(async () => {
    await recompute(id);
    await recompute(id);
  });
}
`,
    },
    {
      name: "a local function named fetch is project code, not HTTP",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
async function fetch(id: string) { return repo.load(id); }
export async function run(id: string) {
  await lock.runExclusive(async () => {
    const order = await fetch(id);
    await repo.save(id, order.total);
  });
}
`,
    },
    {
      name: "a project function that takes a callback but holds no lock while running it",
      code: `import { LockService, withRetry } from "./locking";
${repo}const locks = new LockService();
export async function settle(id: string) {
  await withRetry(async () => {
    const order = await repo.load(id);
    await fetch("https://bank.example/settle/" + id);
    await repo.save(id, order.total);
  });
  await locks.runUnlocked(async () => {
    const order = await repo.load(id);
    await fetch("https://bank.example/notify/" + id);
    await repo.save(id, order.total);
  });
}
`,
      files: {
        "src/locking.ts": LOCKING_MODULE,
      },
    },
    {
      name: "a retry sleep in the catch of a failed acquisition, with a log line before the return",
      code: `import Redlock, { type Lock } from "redlock";
import Redis from "ioredis";
export class Leader {
  private readonly redlock = new Redlock([new Redis()]);
  private lock: Lock | undefined;
  constructor(private readonly logger: { info(message: string): void }) {}
  async elect(region: string): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        this.lock = await this.redlock.acquire([\`leader:\${region}\`], 30000);
        this.logger.info("elected leader for " + region);
        return true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    return false;
  }
}
`,
    },
    {
      // The counter is read and written inside one held region of a lock every call shares: safe, and nothing slow
      // but the pause is held up.
      name: "a module-level mutex around a counter read before a sleep and written after it",
      code: `${counter}const mutex = new Mutex();
export async function record(n: number) {
  await mutex.runExclusive(async () => {
    const before = processed;
    await sleep(10);
    processed = before + n;
  });
}`,
    },
    {
      name: "the same counter under a mutex field of a singleton service",
      code: `${counter}class Tally {
  private readonly lock = new Mutex();
  async record(n: number) {
    await this.lock.runExclusive(async () => {
      const before = processed;
      await sleep(10);
      processed = before + n;
    });
  }
}
export const tally = new Tally();`,
    },
    {
      // A lock made per call but taken by the callbacks that call starts at once: it serialises them.
      name: "a mutex made in the function and shared by the concurrent callbacks it starts",
      code: `${counter}export async function recordAll(items: number[]) {
  const lock = new Mutex();
  await Promise.all(
    items.map((n) =>
      lock.runExclusive(async () => {
        const before = processed;
        await sleep(10);
        processed = before + n;
      }),
    ),
  );
}`,
    },
  ],
  invalid: [
    {
      name: "a mutex created by each call: the counter's read and write around the sleep are guarded by nothing",
      code: `${counter}export async function record(n: number) {
  const mutex = new Mutex();
  const release = await mutex.acquire();
  try {
    const before = processed;
    await sleep(10);
    processed = before + n;
  } finally {
    release();
  }
}`,
      errors: [
        {
          line: 6,
          column: 25,
          messageId: "perCallLock",
          data: { lock: "`mutex`", fn: "`record`", line: 5, awaitLine: 9 },
          help: PER_CALL,
          related: [{ line: 5, message: "a new lock for every call" }],
        },
      ],
    },
    {
      name: "a per-request mutex in a handler, taken with runExclusive",
      code: `${counter}export const handler = async (req: { n: number }) => {
  const lock = new Mutex();
  return lock.runExclusive(async () => {
    const before = processed;
    await sleep(10);
    processed = before + req.n;
    return processed;
  });
};`,
      errors: [{ line: 6, column: 10, messageId: "perCallLock", data: { lock: "`lock`", fn: "`handler`", line: 5, awaitLine: 8 } }],
    },
    {
      name: "a mutex released in one branch only: the fetch after the merge runs under it on some paths, and the message says so",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function update(id: string, quick: boolean) {
  const release = await lock.acquire();
  const order = await repo.load(id);
  if (quick) release();
  await fetch("https://rates.example.com/" + id);
  if (!quick) release();
  await repo.save(id, order.total);
}`,
      errors: [
        {
          line: 8,
          column: 3,
          messageId: "onSomePaths",
          message:
            "`fetch` makes an HTTP request, as slow as the remote service, and it is awaited where `lock` is held on some paths but not on all (released or never taken on the others): on those paths, everything waiting for it waits for this call too.",
          related: [{ line: 5, message: "`lock` taken here" }],
        },
      ],
    },
    {
      name: "an HTTP call in a method a legacy decorator runs under its mutex",
      files: { "src/locks.ts": KEYED_LOCK_MODULE },
      code: `import { Serialized } from "./locks";
${repo}export class Rates {
  @Serialized()
  async refresh(id: string) {
    const current = await repo.load(id);
    await fetch("https://rates.example.com/" + id);
    await repo.save(id, current.total);
  }
}`,
      errors: [
        {
          line: 7,
          column: 5,
          messageId: "underMutex",
          data: { ...FETCH, lock: "`ordersLock` (taken by `Serialized`)" },
          related: [{ line: 4, message: "`ordersLock` (taken by `Serialized`) taken here" }],
        },
      ],
    },
    {
      name: "an HTTP call in a function of the file a lock helper is given by name",
      files: { "src/locks.ts": KEYED_LOCK_MODULE },
      code: `import { withLock } from "./locks";
${repo}async function refreshRates() {
  const current = await repo.load("rates");
  await fetch("https://rates.example.com/latest");
  await repo.save("rates", current.total);
}
export function refresh() {
  return withLock("rates", refreshRates);
}`,
      errors: [
        {
          line: 5,
          column: 3,
          messageId: "underMutex",
          data: { ...FETCH, lock: 'the lock `withLock` takes for `"rates"`' },
          related: [{ line: 9, message: 'the lock `withLock` takes for `"rates"` taken here' }],
        },
      ],
    },
    {
      name: "an HTTP call in a method a lock helper is given bound (`this.refreshRates.bind(this)`)",
      files: { "src/locks.ts": KEYED_LOCK_MODULE },
      code: `import { withLock } from "./locks";
${repo}export class Rates {
  refresh() {
    return withLock("rates", this.refreshRates.bind(this));
  }
  private async refreshRates() {
    const current = await repo.load("rates");
    await fetch("https://rates.example.com/latest");
    await repo.save("rates", current.total);
  }
}`,
      errors: [
        {
          line: 9,
          column: 5,
          messageId: "underMutex",
          data: { ...FETCH, lock: 'the lock `withLock` takes for `"rates"`' },
          related: [{ line: 5, message: 'the lock `withLock` takes for `"rates"` taken here' }],
        },
      ],
    },
    {
      name: "an HTTP call in a method a TC39 decorator runs under a keyed lock helper",
      files: { "src/locks.ts": KEYED_LOCK_MODULE },
      code: `import { WithLock } from "./locks";
${repo}export class Rates {
  @WithLock("rates")
  async refresh(id: string) {
    const current = await repo.load(id);
    await fetch("https://rates.example.com/" + id);
    await repo.save(id, current.total);
  }
}`,
      errors: [
        {
          line: 7,
          column: 5,
          messageId: "underMutex",
          data: { ...FETCH, lock: 'the lock `WithLock` takes for `"rates"`' },
          related: [{ line: 4, message: 'the lock `WithLock` takes for `"rates"` taken here' }],
        },
      ],
    },
    {
      name: "pg: after a ROLLBACK-and-return guard the row lock is still held on the path that goes on",
      code: `import { Pool } from "pg";
export async function debit(pool: Pool, id: string, amount: number): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    if (rows[0].balance < amount) {
      await client.query("ROLLBACK");
      return false;
    }
    await fetch("https://fraud.example.com/check", { method: "POST" });
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await client.query("COMMIT");
    return true;
  } finally {
    client.release();
  }
}`,
      errors: [fetchUnderRowLock({ line: 11, column: 5 }, "client", "accounts", 6)],
    },
    {
      name: "pg (NestJS): after ROLLBACK TO SAVEPOINT the row lock taken before the savepoint is still held",
      code: `import { Injectable } from "@nestjs/common";
import { Pool } from "pg";
@Injectable()
export class PayoutsService {
  constructor(private readonly pool: Pool) {}
  async payout(payoutId: string) {
    const db = await this.pool.connect();
    await db.query("BEGIN");
    const { rows } = await db.query("SELECT status FROM payouts WHERE id = $1 FOR UPDATE", [payoutId]);
    await db.query("SAVEPOINT receipt");
    await db.query("INSERT INTO receipts (payout_id) VALUES ($1)", [payoutId]).catch(() => db.query("ROLLBACK TO SAVEPOINT receipt"));
    if (rows[0].status === "pending") await fetch(\`https://bank.example.com/payouts/\${payoutId}\`, { method: "POST" });
    await db.query("UPDATE payouts SET status = 'paid' WHERE id = $1", [payoutId]);
    await db.query("COMMIT");
    db.release();
  }
}`,
      errors: [fetchUnderRowLock({ line: 12, column: 39 }, "db", "payouts", 9)],
    },
    {
      name: "a row lock taken on one branch of a transaction: the message says on some paths, and names the transaction",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function pay(payoutId: string, urgent: boolean) {
  const db = await pool.connect();
  try {
    await db.query("BEGIN");
    if (urgent) await db.query("SELECT * FROM payouts WHERE id = $1 FOR UPDATE", [payoutId]);
    await fetch("https://bank.example.com/payouts");
    await db.query("COMMIT");
  } finally {
    db.release();
  }
}
`,
      errors: [
        {
          line: 8,
          column: 5,
          messageId: "rowLocksOnSomePaths",
          data: inTransaction("db", forUpdate("payouts", 7)),
          message:
            "`fetch` makes an HTTP request, as slow as the remote service, and it is awaited where the transaction on `db` holds row locks on some paths but not on all (taken by a locking read (FOR UPDATE) of `payouts` at line 7 on some, never taken or already released on the others): on those paths, a transaction that writes or locks those rows waits for as long as the call takes.",
        },
      ],
    },
    {
      name: "Prisma: an HTTP call after a project helper locked the row on the transaction",
      files: {
        "src/locks.ts": `import { Prisma } from "@prisma/client";
export async function lockAccount(tx: Prisma.TransactionClient, accountId: string) {
  await tx.$queryRaw\`SELECT id FROM "Account" WHERE id = \${accountId} FOR UPDATE\`;
}`,
      },
      code: `import { PrismaClient } from "@prisma/client";
import { lockAccount } from "./locks";
const prisma = new PrismaClient();
export async function close(accountId: string) {
  await prisma.$transaction(async (tx) => {
    await lockAccount(tx, accountId);
    await fetch("https://audit.example.com/close", { method: "POST" });
  });
}`,
      errors: [
        {
          line: 7,
          column: 5,
          messageId: "inLockingTransaction",
          data: inTransaction("tx", "a locking read (FOR UPDATE) of `account` in `lockAccount` called at line 6"),
          related: [{ line: 6, message: "row locks taken here, held until COMMIT/ROLLBACK" }],
        },
      ],
    },
    // ---- every default slow call, under an async-mutex runExclusive
    slowCallCase("global fetch", "", `await fetch(\`https://rates/\${id}\`);`, "fetch", HTTP),
    slowCallCase("axios default export", `import axios from "axios";\n`, `await axios.post("https://hooks", { id });`, "axios.post", HTTP),
    slowCallCase(
      "axios instance from axios.create",
      `import axios from "axios";
const api = axios.create({ baseURL: "https://api" });
`,
      `await api.get(\`/orders/\${id}\`);`,
      "api.get",
      HTTP,
    ),
    slowCallCase("got with .json()", `import got from "got";\n`, `await got(\`https://api/\${id}\`).json();`, "got", HTTP),
    slowCallCase("undici request", `import { request } from "undici";\n`, `await request("https://api");`, "request", HTTP),
    slowCallCase("node-fetch", `import nodeFetch from "node-fetch";\n`, `await nodeFetch("https://api");`, "nodeFetch", HTTP),
    slowCallCase("ky", `import ky from "ky";\n`, `await ky.get("https://api").json();`, "ky.get", HTTP),
    slowCallCase(
      "superagent",
      `import superagent from "superagent";\n`,
      `await superagent.post("https://api").send({ id });`,
      "superagent.post",
      HTTP,
    ),
    slowCallCase(
      "https.get wrapped in a promise",
      `import https from "node:https";\n`,
      `await new Promise((resolve) => https.get("https://api", resolve));`,
      "https.get",
      HTTP,
    ),
    slowCallCase(
      "Stripe client in a module variable",
      `import Stripe from "stripe";
const stripe = new Stripe("sk");
`,
      `await stripe.charges.create({ amount: 100, currency: "usd" });`,
      "stripe.charges.create",
      "calls the Stripe API over HTTP",
    ),
    slowCallCase(
      "AWS SDK v3 client",
      `import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
const s3 = new S3Client({});
`,
      `await s3.send(new PutObjectCommand({ Bucket: "b", Key: id }));`,
      "s3.send",
      "calls the AWS API over HTTP",
    ),
    slowCallCase(
      "OpenAI",
      `import OpenAI from "openai";
const openai = new OpenAI();
`,
      `await openai.chat.completions.create({ model: "m", messages: [] });`,
      "openai.chat.completions.create",
      "calls the OpenAI API over HTTP",
    ),
    slowCallCase(
      "SendGrid",
      `import sgMail from "@sendgrid/mail";\n`,
      `await sgMail.send({ to: "a@b.c", from: "d@e.f", subject: id, text: id });`,
      "sgMail.send",
      "calls the SendGrid API over HTTP",
    ),
    slowCallCase(
      "Twilio",
      `import twilio from "twilio";
const sms = twilio("sid", "token");
`,
      `await sms.messages.create({ to: "+1", from: "+2", body: id });`,
      "sms.messages.create",
      "calls the Twilio API over HTTP",
    ),
    slowCallCase(
      "nodemailer sendMail",
      `import nodemailer from "nodemailer";
const mailer = nodemailer.createTransport({});
`,
      `await mailer.sendMail({ to: "a@b.c", text: id });`,
      "mailer.sendMail",
      "sends an email over SMTP",
    ),
    slowCallCase("setTimeout sleep", "", `await new Promise((resolve) => setTimeout(resolve, 1000));`, "setTimeout", "sleeps"),
    slowCallCase(
      "timers/promises setTimeout",
      `import { setTimeout as sleep } from "node:timers/promises";\n`,
      `await sleep(1000);`,
      "sleep",
      "sleeps",
    ),
    slowCallCase(
      "promisified child_process exec",
      `import { exec } from "node:child_process";
import { promisify } from "node:util";
const run = promisify(exec);
`,
      `await run(\`convert \${id}.png \${id}.pdf\`);`,
      "run",
      "waits for a child process",
    ),
    {
      name: "configured slow call",
      code: underMutex(`import { geocode } from "@acme/geo";\n`, "await geocode(id);"),
      options: { slowCalls: [{ module: "@acme/geo", call: "geocode", reason: "calls the geocoding service" }] },
      errors: [{ line: 8, column: 5, messageId: "underMutex", data: geocodeUnderLock("calls the geocoding service") }],
    },
    {
      name: "configured slow call without a reason",
      code: underMutex(`import { geocode } from "@acme/geo";\n`, "await geocode(id);"),
      options: { slowCalls: [{ module: "@acme/geo", call: "geocode" }] },
      errors: [{ line: 8, column: 5, messageId: "underMutex", data: geocodeUnderLock("is configured as slow") }],
    },
    {
      name: "configured slow global function, by name only",
      code: underMutex("", "await geocode(id);"),
      files: { "src/globals.d.ts": "declare function geocode(id: string): Promise<void>;\n" },
      options: { slowCalls: ["geocode"] },
      errors: [{ line: 7, column: 5, messageId: "underMutex", data: geocodeUnderLock("is configured as slow") }],
    },
    {
      name: "slow calls from the editor's settings",
      code: underMutex(`import { geocode } from "@acme/geo";\n`, "await geocode(id);"),
      settings: {
        runtimeImport: { mode: "package", specifier: "@locksmith/runtime" },
        extraSlowCalls: [{ module: "@acme/*", call: "*", reason: "calls an Acme service" }],
      },
      errors: [{ line: 8, column: 5, messageId: "underMutex", data: geocodeUnderLock("calls an Acme service") }],
    },
    // ---- mutex forms
    {
      name: "async-mutex acquire … release in finally",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function run(id: string) {
  const release = await lock.acquire();
  try {
    const order = await repo.load(id);
    await fetch("https://hooks");
    await repo.save(id, order.total);
  } finally {
    release();
  }
}
`,
      errors: [
        {
          line: 8,
          column: 5,
          messageId: "underMutex",
          data: { ...FETCH, lock: "`lock`" },
          // The golden full messages and help of this rule: a mutex, a lease that expires, a transaction.
          message:
            "`fetch` makes an HTTP request, as slow as the remote service, and it is awaited while holding `lock`: every other caller waiting for `lock` waits for it too.",
          help: HELP,
          related: [{ line: 5 }],
        },
      ],
    },
    {
      name: "runtime Mutex.run and this.lock",
      code: `import { Mutex } from "@locksmith/runtime";
${repo}export class Orders {
  private readonly lock = new Mutex();
  async run(id: string) {
    await this.lock.run(async () => {
      const order = await repo.load(id);
      await fetch("https://hooks");
      await repo.save(id, order.total);
    });
  }
}
`,
      errors: [{ line: 8, column: 7, messageId: "underMutex", data: { ...FETCH, lock: "`this.lock`" } }],
    },
    {
      name: "runtime LockManager.lock(key, fn)",
      code: `import { LockManager } from "@locksmith/runtime";
${repo}const locks = new LockManager();
export async function run(id: string) {
  await locks.lock(id, async () => {
    const order = await repo.load(id);
    await fetch("https://hooks");
    await repo.save(id, order.total);
  });
}
`,
      errors: [{ line: 7, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`locks` key `id`" } }],
    },
    {
      name: "runtime lockAll(keys, fn)",
      code: `import { lockAll } from "@locksmith/runtime";
${repo}export async function run(a: string, b: string) {
  await lockAll([a, b], async () => {
    const order = await repo.load(a);
    await fetch("https://hooks");
    await repo.save(b, order.total);
  });
}
`,
      errors: [{ line: 6, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`lockAll([a, b])`" } }],
    },
    {
      name: "await using a runtime handle",
      code: `import { Mutex } from "@locksmith/runtime";
${repo}const lock = new Mutex();
export async function run(id: string) {
  {
    await using handle = await lock.acquire();
    const order = await repo.load(id);
    await fetch("https://hooks");
    await repo.save(id, order.total);
  }
  await fetch("https://after");
}
`,
      errors: [{ line: 8, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`lock`" } }],
    },
    {
      name: "released on an early-return path only: still held on the main path",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function run(id: string) {
  const release = await lock.acquire();
  const order = await repo.load(id);
  if (order.total === 0) {
    release();
    return;
  }
  await fetch("https://hooks");
  await repo.save(id, order.total);
  release();
}
`,
      errors: [{ line: 11, column: 3, messageId: "underMutex", data: { ...FETCH, lock: "`lock`" } }],
    },
    // ---- interprocedural chains
    {
      name: "chain of one: `enrich` calls `fetch`",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
async function enrich(id: string) {
  const res = await fetch(\`https://catalog/\${id}\`);
  return res.json();
}
export async function run(id: string) {
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    await enrich(id);
    await repo.save(id, order.total);
  });
}
`,
      errors: [
        {
          line: 11,
          column: 5,
          messageId: "underMutex",
          data: { call: "`enrich`", reason: `calls \`fetch\`, which ${HTTP}`, lock: "`lock`" },
          related: [
            { line: 9, message: "`lock` taken here" },
            { line: 5, message: "`fetch` called here" },
          ],
        },
      ],
    },
    {
      name: "chain of two through a method and a returned promise",
      code: `import { Mutex } from "async-mutex";
import axios from "axios";
${repo}const lock = new Mutex();
class Catalog {
  price(id: string) {
    return axios.get(\`https://catalog/\${id}\`);
  }
  async enrich(id: string) {
    return (await this.price(id)).data;
  }
}
const catalog = new Catalog();
export async function run(id: string) {
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    await catalog.enrich(id);
    await repo.save(id, order.total);
  });
}
`,
      errors: [
        {
          line: 17,
          column: 5,
          messageId: "underMutex",
          data: { call: "`Catalog.enrich`", reason: `calls \`Catalog.price\`, which calls \`axios.get\`, which ${HTTP}`, lock: "`lock`" },
          related: [{ line: 15 }, { line: 7 }],
        },
      ],
    },
    {
      name: "chain of three across files",
      code: `import { Mutex } from "async-mutex";
import { syncOrder } from "./sync";
${repo}const lock = new Mutex();
export async function run(id: string) {
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    await syncOrder(id);
    await repo.save(id, order.total);
  });
}
`,
      files: {
        "src/sync.ts": `import { notify } from "./notify";
export async function syncOrder(id: string) {
  await notify(id);
}
`,
        "src/notify.ts": `const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export async function notify(id: string) {
  await sleep(100);
  return id;
}
`,
      },
      errors: [
        {
          line: 8,
          column: 5,
          messageId: "underMutex",
          data: {
            call: "`syncOrder`",
            reason: "calls `notify`, which calls `sleep`, which calls `setTimeout`, which sleeps",
            lock: "`lock`",
          },
          related: [{ line: 6 }, { line: 1, filename: "src/notify.ts", message: "`setTimeout` called here" }],
        },
      ],
    },
    {
      name: "a release inside the try does not cover its catch: a failed save sleeps with the lock still held",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function update(id: string) {
  const release = await lock.acquire();
  try {
    const order = await repo.load(id);
    await repo.save(id, order.total + 1);
    release();
  } catch (error) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    throw error;
  }
}
`,
      errors: [
        {
          line: 11,
          column: 5,
          // Held when the load or save threw; not when release() itself did.
          messageId: "onSomePaths",
          data: { call: "`setTimeout`", reason: "sleeps", lock: "`lock`" },
          related: [{ line: 5, message: "`lock` taken here" }],
        },
      ],
    },
    {
      name: "a lock taken on one branch is held across the call on that path",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function update(id: string, exclusive: boolean) {
  let release: (() => void) | undefined;
  if (exclusive) release = await lock.acquire();
  const order = await repo.load(id);
  await fetch("https://audit.example/" + id);
  await repo.save(id, order.total + 1);
  release?.();
}
`,
      errors: [
        {
          line: 8,
          column: 3,
          messageId: "onSomePaths",
          data: { ...FETCH, lock: "`lock`" },
          related: [{ line: 6, message: "`lock` taken here" }],
        },
      ],
    },
    {
      name: "locks the project wraps itself: a service method, a runExclusive wrapper, and a wrapper of that wrapper",
      code: `import { LockService, serialized, withGlobalLock } from "./locking";
${repo}const locks = new LockService();
export async function settle(id: string) {
  await locks.run(async () => {
    const order = await repo.load(id);
    await fetch("https://bank.example/settle/" + id);
    await repo.save(id, order.total);
  });
}
export async function refund(id: string) {
  await withGlobalLock(async () => {
    await fetch("https://bank.example/refund/" + id);
    await repo.save(id, 0);
  });
  await serialized(async () => {
    const order = await repo.load(id);
    await fetch("https://bank.example/audit/" + id);
  });
}
`,
      files: {
        "src/locking.ts": LOCKING_MODULE,
      },
      errors: [
        {
          line: 7,
          column: 5,
          messageId: "underMutex",
          data: { ...FETCH, lock: "`this.mutex` (taken by `locks.run`)" },
          related: [{ line: 5, message: "`this.mutex` (taken by `locks.run`) taken here" }],
        },
        { line: 13, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`mutex` (taken by `withGlobalLock`)" } },
        { line: 18, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`mutex` (taken by `serialized`)" } },
      ],
    },
    {
      name: "the promise-chain queue declared as a read-write lock (kind rw): its callback is a critical section",
      code: OPAQUE_LOCK_CALLERS,
      files: { "src/opaque-locks.ts": OPAQUE_LOCK_MODULE },
      settings: {
        ...OPAQUE_LOCK_SETTINGS,
        declaredLocks: { root: "/", entries: [{ function: "SerialQueue.run", kind: "rw" as const, callback: 0 }] },
      },
      errors: [{ line: 8, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`SerialQueue.run` (taken by `queue.run`)" } }],
    },
    // ---- leases
    {
      name: "the same try-lease whose timer only logs: it expires under a slow holder",
      code: LEASE_CALLER,
      files: { "src/leases.ts": leaseService("console.log(key, token);") },
      errors: [{ line: 7, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: LEASE } }],
    },
    {
      name: "the same create decided from a read made before the lease: the call could move out, they wait for it",
      code: couponCaller("before"),
      files: { "src/leases.ts": leaseService(RENEW, WAIT) },
      errors: [{ line: 11, column: 23, messageId: "underLease", data: { ...FETCH, lock: COUPON_LEASE } }],
    },
    {
      name: "the same create under a waiting method over a try-once method that does not renew: it can expire mid-call",
      code: couponCaller("inside"),
      files: { "src/leases.ts": waitingOverTryOnce("console.log(key, token);") },
      errors: [{ line: 11, column: 23, messageId: "underExpiringLease", data: { ...FETCH, lock: COUPON_LEASE } }],
    },
    {
      name: "the same create decided under a lease that is not renewed: it can expire mid-call",
      code: couponCaller("inside"),
      files: { "src/leases.ts": leaseService("console.log(key, token);", WAIT) },
      errors: [{ line: 11, column: 23, messageId: "underExpiringLease", data: { ...FETCH, lock: COUPON_LEASE } }],
    },
    {
      name: "the same report lease keyed by an id derived from the user: every run of that user waits",
      code: reportCaller,
      files: {
        "src/leases.ts": leaseService("console.log(key, token);", WAIT),
        "src/ids.ts": 'export function makeRunId(user: string) {\n  return "run_" + user;\n}\n',
      },
      errors: [{ line: 9, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: REPORT_LEASE } }],
    },
    {
      name: "a renewed lease that callers wait for: they wait for the call too",
      code: LEASE_CALLER,
      files: { "src/leases.ts": leaseService(RENEW, WAIT) },
      errors: [{ line: 7, column: 5, messageId: "underLease", data: { ...FETCH, lock: LEASE } }],
    },
    {
      name: "locks declared in locksmith.json whose bodies say nothing: a promise-chain queue and an HTTP lease",
      code: OPAQUE_LOCK_CALLERS,
      files: { "src/opaque-locks.ts": OPAQUE_LOCK_MODULE },
      settings: OPAQUE_LOCK_SETTINGS,
      errors: [
        { line: 8, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`SerialQueue.run` (taken by `queue.run`)" } },
        { line: 15, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: "the lock `leases.take` takes for `id`" } },
      ],
    },
    {
      name: "without declarations: the promise-chain queue is inferred from its body, the HTTP lease says nothing and is not a lock",
      code: OPAQUE_LOCK_CALLERS,
      files: { "src/opaque-locks.ts": OPAQUE_LOCK_MODULE },
      errors: [
        {
          line: 8,
          column: 5,
          messageId: "underMutex",
          data: { ...FETCH, lock: "the promise chain `this.tail` (taken by `queue.run`)" },
        },
      ],
    },
    {
      name: "the same locks declared by @locksmith JSDoc tags on the methods instead of locksmith.json",
      code: OPAQUE_LOCK_CALLERS,
      files: { "src/opaque-locks.ts": ANNOTATED_LOCK_MODULE },
      errors: [
        { line: 8, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`SerialQueue.run` (taken by `queue.run`)" } },
        { line: 15, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: "the lock `leases.take` takes for `id`" } },
      ],
    },
    {
      name: "the app's own Redis lock service: a remote call while its lease is held",
      code: `import { RedisLockService } from "./redis-lock";
${repo}export class Payouts {
  constructor(private readonly locks: RedisLockService) {}
  async payout(id: string) {
    if (!(await this.locks.acquire(id))) return;
    try {
      const order = await repo.load(id);
      await fetch("https://bank.example/payout/" + id);
      await repo.save(id, order.total);
    } finally {
      await this.locks.release(id);
    }
  }
}
`,
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
      errors: [
        {
          line: 9,
          column: 7,
          messageId: "underExpiringLease",
          data: { ...FETCH, lock: "the lock `this.locks.acquire` takes for `id`" },
          related: [{ line: 6, message: "the lock `this.locks.acquire` takes for `id` taken here" }],
        },
      ],
    },
    {
      name: "ioredis SET NX PX lease",
      code: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
export async function run(id: string) {
  const token = randomUUID();
  if (!(await redis.set(\`lock:invoice:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await fetch(\`https://billing/\${id}\`);
  } finally {
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, \`lock:invoice:\${id}\`, token);
  }
  await fetch("https://after");
}
`,
      errors: [
        {
          line: 8,
          column: 5,
          messageId: "underExpiringLease",
          data: { ...FETCH, lock: "Redis lock `lock:invoice:${id}`" },
          message:
            "`fetch` makes an HTTP request, as slow as the remote service, and it is awaited while holding Redis lock `lock:invoice:${id}`: if it outlasts the lease, the lock expires mid-call and a second holder can enter the critical section while this one is still in it.",
          help: HELP,
          related: [{ line: 6, message: "Redis lock `lock:invoice:${id}` taken here" }],
        },
      ],
    },
    {
      name: "node-redis v4 options object, `if (ok)` success branch",
      code: `import { createClient } from "redis";
const client = createClient();
export async function run(id: string, token: string) {
  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 10000 });
  if (ok === "OK") {
    await fetch("https://x");
  } else {
    await fetch("https://busy");
  }
}
`,
      errors: [{ line: 6, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: "Redis lock `lock:${id}`" } }],
    },
    {
      name: "node-redis v5 condition / expiration",
      code: `import { createClient } from "redis";
const client = createClient();
export async function run(id: string, token: string) {
  if (!(await client.set(\`lock:\${id}\`, token, { condition: "NX", expiration: { type: "PX", value: 10000 } }))) return;
  await fetch("https://x");
}
`,
      errors: [{ line: 5, column: 3, messageId: "underExpiringLease", data: { ...FETCH, lock: "Redis lock `lock:${id}`" } }],
    },
    {
      name: "'NX' before PX; a setnx without expiry whose losers return is waited for by nobody and cannot expire mid-call",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function a(id: string, t: string) {
  if (!(await redis.set("lock:" + id, t, "NX", "PX", 5000))) return;
  await fetch("https://a");
}
export async function b(id: string, t: string) {
  if (!(await redis.setnx("lock:" + id, t))) return;
  await fetch("https://b");
}
`,
      errors: [{ line: 5, column: 3, messageId: "underExpiringLease", data: { ...FETCH, lock: 'Redis lock `"lock:" + id`' } }],
    },
    {
      name: "redlock.using and redlock.acquire",
      code: `import Redlock from "redlock";
import Redis from "ioredis";
const redlock = new Redlock([new Redis()]);
export async function a(id: string) {
  await redlock.using([\`order:\${id}\`], 10000, async () => {
    await fetch("https://a");
  });
}
export async function b(id: string) {
  const lock = await redlock.acquire([\`order:\${id}\`], 10000);
  await fetch("https://b");
  await lock.release();
  await fetch("https://after");
}
`,
      errors: [
        { line: 6, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: "`redlock` key `` [`order:${id}`] ``" } },
        { line: 11, column: 3, messageId: "underExpiringLease", data: { ...FETCH, lock: "`redlock` key `` [`order:${id}`] ``" } },
      ],
    },
    {
      name: "a sleep in the catch of a try that does more after the acquisition: the lock may be held there",
      code: `import Redlock from "redlock";
import Redis from "ioredis";
const redlock = new Redlock([new Redis()]);
export async function settle(id: string) {
  try {
    await redlock.acquire([\`settle:\${id}\`], 15000);
    await fetch("https://bank/settle");
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
`,
      errors: [
        { line: 7, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: "`redlock` key `` [`settle:${id}`] ``" } },
        {
          line: 9,
          column: 5,
          messageId: "onSomePaths",
          data: { call: "`setTimeout`", reason: "sleeps", lock: "`redlock` key `` [`settle:${id}`] ``" },
        },
      ],
    },
    {
      name: "redis-semaphore Mutex",
      code: `import { Mutex } from "redis-semaphore";
import Redis from "ioredis";
export async function run(id: string) {
  const mutex = new Mutex(new Redis(), \`order:\${id}\`);
  await mutex.acquire();
  try {
    await fetch("https://x");
  } finally {
    await mutex.release();
  }
}
`,
      errors: [{ line: 7, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: "`mutex`" } }],
    },
    {
      name: "runtime Redis lease provider withLease",
      code: `import Redis from "ioredis";
import { createRedisLockProvider } from "@locksmith/runtime/redis";
const locks = createRedisLockProvider(new Redis() as any);
export async function run(id: string) {
  await locks.withLease(\`invoice:\${id}\`, async () => {
    await fetch("https://x");
  });
}
`,
      errors: [{ line: 6, column: 5, messageId: "underExpiringLease", data: { ...FETCH, lock: "`locks` key `invoice:${id}`" } }],
    },
    {
      name: "PostgreSQL session advisory lock",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function run(id: number) {
  const client = await pool.connect();
  await client.query("SELECT pg_advisory_lock($1)", [id]);
  await fetch("https://x");
  await client.query("SELECT pg_advisory_unlock($1)", [id]);
  await fetch("https://after");
  client.release();
}
`,
      errors: [{ line: 6, column: 3, messageId: "underLease", data: { ...FETCH, lock: "PostgreSQL advisory lock (`pg_advisory_lock`)" } }],
    },
    // ---- the move-before-the-lock suggestion
    {
      name: "suggestion: inputs ready before the lock, only a database read before it in the section",
      code: `import { Mutex } from "async-mutex";
import { Pool } from "pg";
const pool = new Pool();
const lock = new Mutex();
export async function convert(id: string, currency: string) {
  await lock.runExclusive(async () => {
    const { rows } = await pool.query("SELECT total FROM orders WHERE id = $1", [id]);
    const rate = await (await fetch(\`https://rates/\${currency}\`)).json();
    await pool.query("UPDATE orders SET total = $1 WHERE id = $2", [rows[0].total * rate, id]);
  });
}
`,
      errors: [
        {
          line: 8,
          column: 25,
          messageId: "underMutex",
          data: { ...FETCH, lock: "`lock`" },
          suggestions: [
            {
              title: "Move the call before `lock` is taken (its inputs are ready before the lock)",
              output: `import { Mutex } from "async-mutex";
import { Pool } from "pg";
const pool = new Pool();
const lock = new Mutex();
export async function convert(id: string, currency: string) {
  const rate = await (await fetch(\`https://rates/\${currency}\`)).json();
  await lock.runExclusive(async () => {
    const { rows } = await pool.query("SELECT total FROM orders WHERE id = $1", [id]);
    await pool.query("UPDATE orders SET total = $1 WHERE id = $2", [rows[0].total * rate, id]);
  });
}
`,
            },
          ],
        },
      ],
    },
    {
      name: "suggestion: acquire … try/finally form",
      code: `import { Mutex } from "@locksmith/runtime";
${repo}const lock = new Mutex();
export async function run(id: string) {
  const handle = await lock.acquire();
  try {
    await fetch(\`https://audit/\${id}\`);
    const order = await repo.load(id);
    await repo.save(id, order.total);
  } finally {
    handle.release();
  }
}
`,
      errors: [
        {
          line: 7,
          column: 5,
          messageId: "underMutex",
          data: { ...FETCH, lock: "`lock`" },
          suggestions: [
            {
              output: `import { Mutex } from "@locksmith/runtime";
${repo}const lock = new Mutex();
export async function run(id: string) {
  await fetch(\`https://audit/\${id}\`);
  const handle = await lock.acquire();
  try {
    const order = await repo.load(id);
    await repo.save(id, order.total);
  } finally {
    handle.release();
  }
}
`,
            },
          ],
        },
      ],
    },
    {
      name: "no suggestion: the call reads a value loaded under the lock",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function run(id: string) {
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    await fetch(\`https://audit/\${order.total}\`);
    await repo.save(id, order.total);
  });
}
`,
      errors: [{ line: 7, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`lock`" }, suggestions: [] }],
    },
    {
      name: "no suggestion: a write comes before the call in the section",
      code: `import { Mutex } from "async-mutex";
${repo}const lock = new Mutex();
export async function run(id: string) {
  await lock.runExclusive(async () => {
    await repo.save(id, 0);
    await fetch(\`https://hooks/\${id}\`);
  });
}
`,
      errors: [{ line: 7, column: 5, messageId: "underMutex", data: { ...FETCH, lock: "`lock`" }, suggestions: [] }],
    },
    {
      name: "a response body read is reported once, on the fetch",
      code: underMutex("", 'const rate = await (await fetch("https://rates")).json();'),
      errors: [{ line: 7, column: 25, messageId: "underMutex", data: { ...FETCH, lock: "`lock`" } }],
    },
    {
      name: 'Drizzle transaction with .for("update")',
      code: `import { drizzle } from "drizzle-orm/node-postgres";
import { eq } from "drizzle-orm";
import { orders } from "./schema";
const db = drizzle("postgres://");
export async function run(id: string) {
  await db.transaction(async (tx) => {
    const [o] = await tx.select().from(orders).where(eq(orders.id, id)).for("update");
    await fetch("https://hooks");
    await tx.update(orders).set({ total: o.total + 1 }).where(eq(orders.id, id));
  });
}
`,
      errors: [{ line: 8, column: 5, messageId: "inLockingTransaction", data: inTransaction("tx", forUpdate("orders", 7)) }],
    },
    // ---- transactions holding row locks
    {
      name: "pg BEGIN … FOR UPDATE … COMMIT",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function run(id: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT total FROM orders WHERE id = $1 FOR UPDATE", [id]);
    await fetch("https://hooks");
    await client.query("UPDATE orders SET total = $1 WHERE id = $2", [rows[0].total + 1, id]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}
`,
      errors: [
        {
          line: 8,
          column: 5,
          messageId: "inLockingTransaction",
          data: inTransaction("client", forUpdate("orders", 7)),
          message:
            "`fetch` makes an HTTP request, as slow as the remote service, and it is awaited while the transaction on `client` holds row locks (taken by a locking read (FOR UPDATE) of `orders` at line 7) until COMMIT/ROLLBACK: a transaction that writes or locks those rows waits for as long as the call takes, and the connection stays checked out of the pool meanwhile.",
          help: TRANSACTION_HELP,
          related: [{ line: 7, message: "row locks taken here, held until COMMIT/ROLLBACK" }],
        },
      ],
    },
    {
      name: "knex.transaction with forUpdate",
      code: `import knexFactory from "knex";
const knex = knexFactory({ client: "pg" });
export async function run(id: string) {
  await knex.transaction(async (trx) => {
    const row = await trx("orders").where({ id }).forUpdate().first();
    await fetch("https://hooks");
    await trx("orders").where({ id }).update({ total: row.total + 1 });
  });
}
`,
      errors: [{ line: 6, column: 5, messageId: "inLockingTransaction", data: inTransaction("trx", forUpdate("orders", 5)) }],
    },
    {
      name: "prisma.$transaction: after an update, not before",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function run(id: string) {
  await prisma.$transaction(async (tx) => {
    await fetch("https://before");
    await tx.order.update({ where: { id }, data: { total: { increment: 1 } } });
    await fetch("https://after");
  });
}
`,
      errors: [{ line: 7, column: 5, messageId: "inLockingTransaction", data: inTransaction("tx", writeOf("order", 6)) }],
    },
    {
      name: "Kysely transaction with forUpdate",
      code: `import { Kysely } from "kysely";
declare const db: Kysely<any>;
export async function run(id: string) {
  await db.transaction().execute(async (trx) => {
    const o = await trx.selectFrom("orders").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
    await fetch("https://hooks");
    await trx.updateTable("orders").set({ total: o.total + 1 }).where("id", "=", id).execute();
  });
}
`,
      errors: [{ line: 6, column: 5, messageId: "inLockingTransaction", data: inTransaction("trx", forUpdate("orders", 5)) }],
    },
    {
      name: "TypeORM: manager.findOne with a pessimistic_write lock, and a query builder setLock, inside dataSource.transaction",
      code: `import { DataSource } from "typeorm";
import { Order } from "./order";
export async function run(dataSource: DataSource, id: string) {
  await dataSource.transaction(async (manager) => {
    const o = await manager.findOne(Order, { where: { id }, lock: { mode: "pessimistic_write" } });
    await fetch("https://hooks");
    await manager.save(o);
  });
}
export async function runBuilder(dataSource: DataSource, id: string) {
  await dataSource.transaction(async (manager) => {
    await manager.getRepository(Order).createQueryBuilder("o").setLock("pessimistic_write").where("o.id = :id", { id }).getOne();
    await fetch("https://hooks");
  });
}
`,
      errors: [
        {
          line: 6,
          column: 5,
          messageId: "inLockingTransaction",
          data: inTransaction("manager", forUpdate("order", 5)),
          related: [{ line: 5, message: "row locks taken here, held until COMMIT/ROLLBACK" }],
        },
        {
          line: 13,
          column: 5,
          messageId: "inLockingTransaction",
          data: inTransaction("manager", forUpdate("order", 12)),
          related: [{ line: 12 }],
        },
      ],
    },
    {
      name: "TypeORM: queryRunner transaction after a write through queryRunner.manager",
      code: `import { DataSource } from "typeorm";
import { Order } from "./order";
export async function run(dataSource: DataSource, id: string) {
  const queryRunner = dataSource.createQueryRunner();
  await queryRunner.startTransaction();
  await queryRunner.manager.update(Order, { id }, { status: "paid" });
  await fetch("https://hooks");
  await queryRunner.commitTransaction();
}
`,
      errors: [{ line: 7, column: 3, messageId: "inLockingTransaction", data: inTransaction("queryRunner", writeOf("order", 6)) }],
    },
    {
      name: "Sequelize: findByPk with t.LOCK.UPDATE in a managed transaction, Model.update in an unmanaged one",
      code: `import { Sequelize } from "sequelize";
import { Order } from "./models";
export async function run(sequelize: Sequelize, id: string) {
  await sequelize.transaction(async (t) => {
    const o = await Order.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    await fetch("https://hooks");
    await o!.save({ transaction: t });
  });
}
export async function pay(sequelize: Sequelize, id: string) {
  const t = await sequelize.transaction();
  await Order.update({ status: "paid" }, { where: { id }, transaction: t });
  await fetch("https://hooks");
  await t.commit();
}
`,
      errors: [
        { line: 6, column: 5, messageId: "inLockingTransaction", data: inTransaction("t", forUpdate("order", 5)) },
        { line: 13, column: 3, messageId: "inLockingTransaction", data: inTransaction("t", writeOf("order", 12)) },
      ],
    },
    {
      name: "runtime withPgTransaction",
      code: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";
const pool = new Pool();
export async function run(id: string) {
  await withPgTransaction(pool, async (tx) => {
    await tx.query("SELECT * FROM orders WHERE id = $1 FOR UPDATE", [id]);
    await fetch("https://hooks");
  });
}
`,
      errors: [{ line: 7, column: 5, messageId: "inLockingTransaction", data: inTransaction("tx", forUpdate("orders", 6)) }],
    },
  ],
});

test("slowCalls entries are validated before the rule sees them", () => {
  const problem = (slowCalls: unknown): string | undefined => {
    try {
      validateConfig({ rules: { "lock-across-await": ["warn", { slowCalls }] } }, "/project/locksmith.json", [lockAcrossAwait]);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  assert.equal(problem(["geocode", { call: "geocode" }, { module: "@acme/*", call: "*", reason: "calls Acme" }]), undefined);
  const notAnEntry = /"rules\.lock-across-await\[1\]\.slowCalls\[0\]" must be a string or an object/;
  assert.match(problem([{ module: "@acme/geo" }]) ?? "", notAnEntry); // no call
  assert.match(problem([{ call: "geocode", why: "slow" }]) ?? "", notAnEntry);
  assert.match(problem([{ call: 3 }]) ?? "", notAnEntry);
  assert.match(problem("geocode") ?? "", /"rules\.lock-across-await\[1\]\.slowCalls" must be an array/);
});
