import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import {
  annotatedLockModule,
  DECLARED_LOCK_MODULE,
  declaredLockJobs,
  declaredLockSettings,
  declaredTakeJobs,
  packagedLockClient,
  KEYED_LOCK_MODULE,
} from "../helpers/lock-modules";
import { runRuleTests } from "../helpers/rule-tester";
import { connectPg, suffix } from "../runtime/services";

const mutexes = `import { Mutex } from "async-mutex";
const usersLock = new Mutex();
const sessionsLock = new Mutex();
`;
const manager = `import { LockManager } from "@locksmith/runtime";
const accountLocks = new LockManager();
`;
const pg = `import { Pool } from "pg";
const pool = new Pool();
`;
const redis = `import Redis from "ioredis";
const redis = new Redis();
`;

const withUsers = `async function withUsers<T>(fn: () => Promise<T>): Promise<T> {
  return usersLock.runExclusive(() => fn());
}
`;
const FOREVER = "wait forever for the other";
const TASKS = "Two tasks running these at once";
/** A row-lock class is every row of a table: only transactions on the same rows deadlock. */
const SAME_ROWS = "Two transactions running these at once on the same rows";
const cycle = (here: string, elsewhere: string, outcome = FOREVER, parties = TASKS) => ({
  messageId: "cycle",
  data: { here, elsewhere, parties, outcome },
});
/** An argument-order finding: holder, lock and keys are quoted as the message quotes them. */
const inArgumentOrder = (messageId: string, holder: string, lock: string, first: string, second: string, calls?: string) => ({
  messageId,
  data: {
    holder: `\`${holder}\``,
    lock: `\`${lock}\``,
    first: `\`${first}\``,
    second: `\`${second}\``,
    ...(calls ? { calls } : {}),
    // Row and advisory locks live in the database, which detects the deadlock and aborts one side.
    outcome:
      messageId.startsWith("rows") || lock === "advisory lock"
        ? "wait for the other until the database detects the deadlock and aborts one of them with an error"
        : "wait forever for the other",
  },
});
const ONE_ORDER = "Take the locks in one order everywhere.";
const LOCK_ALL = "Take both with the runtime's `lockAll` (canonical order), or sort the keys first.";
const SORT = "Sort the keys first, so that every caller takes them in the same order.";
const SORT_FIRST = "Sort the keys first (`[...keys].sort()`), so that every caller takes them in the same order.";
const ROWS_AT_ONCE =
  "Lock the rows in one statement, in key order (`SELECT ... WHERE id = ANY($1) ORDER BY id FOR UPDATE`), or sort the keys first.";
const ONE_REDLOCK_CALL = "Take all the keys with one `redlock.acquire(keys, ttl)` call, which acquires them together.";
const SELECT_ANY = "Lock the rows first, in key order, with one `SELECT ... WHERE id = ANY($1) ORDER BY id FOR UPDATE`.";

/** The end of a pg transfer: both rows updated, COMMIT, the client released. */
const TRANSFER_UPDATES = `    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [cents, from]);
    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [cents, to]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`;
/** A class whose `deleteUser` takes its `usersLock` field through a `const` alias, then `sessionsLock`. */
const ALIASED_USERS_LOCK = `import { Mutex } from "async-mutex";
export class AccountService {
  private readonly usersLock = new Mutex();
  private readonly sessionsLock = new Mutex();
  async deleteUser() {
    const users = this.usersLock;
    await users.runExclusive(async () => {
      await this.sessionsLock.runExclusive(async () => {});
    });
  }
`;
/** `transfer` holding the lock of `from` and calling `credit`, which locks `to`: at `line`, the two locks at `outer`, `inner`. */
const creditAfterTransfer = (line: number, outer: number, inner: number) => ({
  line,
  column: 11,
  ...inArgumentOrder(
    "argumentOrderThroughCalls",
    "transfer",
    "accountLocks[key]",
    "from",
    "to",
    "`transfer` holds `accountLocks[key]` and calls `credit`, which acquires `accountLocks[key]`",
  ),
  help: LOCK_ALL,
  related: [{ line: outer }, { line: inner }],
});
const keyedLocks = { "src/locks.ts": KEYED_LOCK_MODULE };
const declaredLocks = { "src/lock-client.ts": DECLARED_LOCK_MODULE };
/** Two functions taking the declared locks `orders` and `stock` in opposite orders (`restock` through a call). */
const DECLARED_NESTING = `import { locks } from "./lock-client";
export async function ship() {
  await locks.hold("orders", async () => {
    await locks.hold("stock", async () => {});
  });
}
export async function restock() {
  await locks.hold("stock", async () => {
    await reserve();
  });
}
async function reserve() {
  await locks.hold("orders", async () => {});
}`;
/** The cycle of declaredLockJobs(["stock", "orders"]) over a package's lock client, at both inner acquisitions. */
const PACKAGED_CYCLE = [
  { line: 4, column: 11, ...cycle("`ship` acquires `stock` while holding `orders`", "`restock` acquires `orders` while holding `stock`") },
  { line: 9, column: 11, ...cycle("`restock` acquires `orders` while holding `stock`", "`ship` acquires `stock` while holding `orders`") },
];
/** The cycle of declaredTakeJobs(["stock", "orders"]), reported at both inner acquisitions. */
const DECLARED_TAKE_CYCLE = [
  { line: 5, column: 11, ...cycle("`pack` acquires `stock` while holding `orders`", "`count` acquires `orders` while holding `stock`") },
  { line: 14, column: 11, ...cycle("`count` acquires `orders` while holding `stock`", "`pack` acquires `stock` while holding `orders`") },
];
/** The cycle of DECLARED_NESTING, reported at both inner acquisitions, with the call chain. */
const DECLARED_CYCLE = [
  {
    line: 4,
    column: 11,
    ...cycle("`ship` acquires `stock` while holding `orders`", "`restock` holds `stock` and calls `reserve`, which acquires `orders`"),
    related: [
      { line: 3, message: "`orders` acquired here by `ship`" },
      { line: 8, message: "`stock` acquired here by `restock`" },
      { line: 9, message: "`restock` calls `reserve` here" },
      { line: 13, message: "`orders` acquired here by `reserve` while `stock` is held" },
    ],
  },
  {
    line: 9,
    column: 11,
    ...cycle("`restock` holds `stock` and calls `reserve`, which acquires `orders`", "`ship` acquires `stock` while holding `orders`"),
  },
];

/**
 * A function of the file given by name to a keyed lock helper (`withLock("orders", moveStock)`): its body runs under
 * the lock. `restock` takes the two locks in the order `first`, `second` (a literal callback).
 */
const namedCallbackJobs = (first: string, second: string) => `import { withLock } from "./locks";
const moveStock = async () => {
  await withLock("stock", async () => {});
};
export async function ship() {
  await withLock("orders", moveStock);
}
export class Restocker {
  async restock() {
    await withLock("${first}", this.count.bind(this));
  }
  private async count() {
    await withLock("${second}", async () => {});
  }
}`;

/** Two data migrations that rename plans and move subscriptions in opposite orders (one of them is the tested file). */
const planMigration = (name: string, first: string, second: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function ${name}(id: string) {
  await prisma.$transaction(async (tx) => {
    ${first}
    ${second}
  });
}`;
/**
 * A run's job and step rows locked FOR UPDATE by run id (`locks`), then updated by the ids the reads returned, in an
 * order that differs between finishing and cancelling.
 */
const finishAndCancel = (locks: string) => `${pg}export async function finishRun(runId: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows: [job] } = await client.query("SELECT id FROM jobs WHERE run_id = $1 FOR UPDATE", [runId]);
    const { rows: [step] } = await client.query("SELECT id FROM steps WHERE run_id = $1 FOR UPDATE", [runId]);
    await client.query("UPDATE steps SET state = 'done' WHERE id = $1", [step.id]);
    await client.query("UPDATE jobs SET state = 'done' WHERE id = $1", [job.id]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}
export async function cancelRun(runId: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    ${locks}
    await client.query("UPDATE jobs SET state = 'cancelled' WHERE id = $1", [job.id]);
    await client.query("UPDATE steps SET state = 'cancelled' WHERE id = $1", [step.id]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`;
const LOCK_JOB = 'const { rows: [job] } = await client.query("SELECT id FROM jobs WHERE run_id = $1 FOR UPDATE", [runId]);';
const LOCK_STEP = 'const { rows: [step] } = await client.query("SELECT id FROM steps WHERE run_id = $1 FOR UPDATE", [runId]);';

const RENAME_PLAN = 'await tx.plan.update({ where: { id }, data: { name: "core" } });';
const MOVE_SUBSCRIPTIONS = 'await tx.subscription.update({ where: { id }, data: { planName: "core" } });';

/**
 * An invoice settled against its ledger (rows locked FOR UPDATE in the order `locks` gives, then updated ledger first),
 * beside a reopening that locks and updates the invoice first.
 */
const settleAndReopen = (locks: string) => `${pg}export async function settle(invoiceId: string, ledgerId: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    ${locks}
    await client.query("UPDATE ledgers SET balance = balance - 1 WHERE id = $1", [ledgerId]);
    await client.query("UPDATE invoices SET state = 'settled' WHERE id = $1", [invoiceId]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}
export async function reopen(invoiceId: string, ledgerId: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT id FROM invoices WHERE id = $1 FOR UPDATE", [invoiceId]);
    await client.query("SELECT id FROM ledgers WHERE id = $1 FOR UPDATE", [ledgerId]);
    await client.query("UPDATE invoices SET state = 'open' WHERE id = $1", [invoiceId]);
    await client.query("UPDATE ledgers SET balance = balance + 1 WHERE id = $1", [ledgerId]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}
`;
const LOCK_INVOICE = 'await client.query("SELECT id FROM invoices WHERE id = $1 FOR UPDATE", [invoiceId]);';
const LOCK_LEDGER = 'await client.query("SELECT id FROM ledgers WHERE id = $1 FOR UPDATE", [ledgerId]);';

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      // A \`using\` lock is disposed of when its block is left: a lock taken before it in a loop's body is taken after
      // the previous turn gave it back (lock-order follows the acquisition's paths only inside the binding's scope).
      name: "a mutex taken before an \`await using\` lock in a loop's body, and the opposite order elsewhere: no inversion",
      code: `import { Mutex } from "@locksmith/runtime";
const ledger = new Mutex();
const audit = new Mutex();
export async function drain(jobs: string[]) {
  for (const job of jobs) {
    await audit.runExclusive(async () => {});
    await using held = await ledger.acquire();
    console.log(job);
  }
}
export async function review() {
  await audit.runExclusive(async () => {
    await ledger.runExclusive(async () => {});
  });
}`,
    },
    {
      // The UPDATEs name rows by the ids the FOR UPDATE reads returned: rows already held, so they wait for nobody.
      name: "pg: job and step rows read FOR UPDATE in one order, then updated by the ids read in different orders",
      code: finishAndCancel(`${LOCK_JOB}\n    ${LOCK_STEP}`),
    },
    {
      name: "functions given by name to a keyed lock helper (a const arrow, a bound method) nest the locks in one order everywhere",
      files: keyedLocks,
      code: namedCallbackJobs("orders", "stock"),
    },
    {
      // The release helper takes the count's mutex to give the gate back: that is not an order of use.
      name: "a readers-writer lock over two semaphores: the first reader takes the gate under the count's mutex, the last gives it back under it",
      code: `import { Mutex } from "async-mutex";
export class SharedExclusive {
  private gate = new Mutex();
  private countLock = new Mutex();
  private active = 0;
  async shared<T>(work: () => Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await work();
    } finally {
      await this.leave();
    }
  }
  private async enter(): Promise<void> {
    await this.countLock.acquire();
    try {
      this.active++;
      if (this.active === 1) await this.gate.acquire();
    } finally {
      this.countLock.release();
    }
  }
  private async leave(): Promise<void> {
    await this.countLock.acquire();
    try {
      this.active--;
      if (this.active === 0) this.gate.release();
    } finally {
      this.countLock.release();
    }
  }
}
`,
    },
    {
      name: "a lock provider taking the caller's keys at once through its own acquire helper, sorted first",
      code: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
export class LockProvider {
  private readonly tokens = new Map<string, string>();
  private async acquire(key: string): Promise<void> {
    const token = randomUUID();
    while ((await redis.set(\`lock:\${key}\`, token, "PX", 5000, "NX")) !== "OK") await new Promise((r) => setTimeout(r, 50));
    this.tokens.set(key, token);
  }
  private async release(key: string): Promise<void> {
    await redis.eval(UNLOCK, 1, \`lock:\${key}\`, this.tokens.get(key) ?? "");
  }
  async execute<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    await Promise.all([...keys].sort().map((k) => this.acquire(k)));
    try {
      return await fn();
    } finally {
      await Promise.all(keys.map((k) => this.release(k)));
    }
  }
}`,
    },
    {
      name: "a keyed lock helper: order keys then stock keys on both paths",
      files: keyedLocks,
      code: `import { withLock } from "./locks";
export async function ship(orderId: string, sku: string) {
  await withLock(\`order:\${orderId}\`, async () => {
    await withLock(\`stock:\${sku}\`, async () => {});
  });
}
export async function restock(orderId: string, sku: string) {
  await withLock(\`order:\${orderId}\`, async () => {
    await withLock(\`stock:\${sku}\`, async () => {});
  });
}`,
    },
    {
      name: "helpers over one mutex each, nested in one order on both paths",
      files: keyedLocks,
      code: `import { withOrders, withStock } from "./locks";
export async function ship() {
  await withOrders(async () => {
    await withStock(async () => {});
  });
}
export async function restock() {
  await withOrders(async () => {});
  await withStock(async () => {});
}`,
    },
    {
      name: "a declared lock helper taken in one order everywhere",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: declaredLockJobs(["orders", "stock"]),
    },
    {
      name: "without declarations, a helper whose body Locksmith does not read as a lock: no cycle (it is not a lock)",
      files: declaredLocks,
      code: DECLARED_NESTING,
    },
    {
      name: "without a declaration, a package's lock client whose declaration file says nothing: no cycle",
      files: packagedLockClient(),
      code: declaredLockJobs(["stock", "orders"]),
    },
    {
      name: "a package's lock client declared in locksmith.json, nested in one order everywhere",
      files: packagedLockClient(),
      settings: declaredLockSettings(),
      code: declaredLockJobs(["orders", "stock"]),
    },
    {
      name: "a declared acquire/release pair (take, give) nested in one order everywhere",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: declaredTakeJobs(["orders", "stock"]),
    },
    {
      name: "without declarations, take and give say nothing Locksmith reads as a lock: no cycle",
      files: declaredLocks,
      code: declaredTakeJobs(["stock", "orders"]),
    },
    // Multi-key acquisition: the correct twins of the caller-order cases below.
    {
      name: "advisory locks over the caller's keys, sorted first",
      code: `${pg}export async function reserveStock(skus: string[]) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const sku of [...skus].sort()) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [sku]);
    await client.query("UPDATE stock SET reserved = reserved + 1 WHERE sku = ANY($1)", [skus]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "advisory locks in parallel over ids sorted in place with a comparator",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export class InventoryService {
  async reserve(itemIds: number[]) {
    itemIds.sort((a, b) => a - b);
    return prisma.$transaction(async (tx) => {
      await Promise.all(itemIds.map((id) => tx.$executeRaw\`SELECT pg_advisory_xact_lock(\${id})\`));
      return tx.item.findMany({ where: { id: { in: itemIds } } });
    });
  }
}`,
    },
    {
      name: "rows updated in a loop over keys put in order with toSorted",
      code: `import { Prisma } from "@prisma/client";
export async function debitAll(tx: Prisma.TransactionClient, accountIds: string[], amount: number) {
  for (const id of accountIds.toSorted()) {
    await tx.account.update({ where: { id }, data: { balance: { decrement: amount } } });
  }
}`,
    },
    {
      name: "all rows locked by one statement in key order",
      code: `${pg}export async function closeAccounts(ids: number[]) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", [ids]);
    await client.query("UPDATE accounts SET closed = true WHERE id = ANY($1)", [ids]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "redlock's multi-resource acquire: one call takes every key",
      code: `import Redlock from "redlock";
import Redis from "ioredis";
const redlock = new Redlock([new Redis()]);
export async function lockCarts(cartIds: string[]) {
  return redlock.acquire(cartIds.map((id) => \`lock:cart:\${id}\`), 5000);
}`,
    },
    {
      name: "one lock released before the next key is taken",
      code: `${pg}export async function rebuildIndexes(client: import("pg").PoolClient, names: string[]) {
  for (const name of names) {
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [name]);
    try {
      await client.query("SELECT 1");
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [name]);
    }
  }
}`,
    },
    {
      name: "in-process mutexes asked for at once: one synchronous pass queues every call in the same order",
      code: `import { Mutex } from "async-mutex";
const locks = new Map<string, Mutex>();
const mutexFor = (key: string) => locks.get(key) ?? locks.set(key, new Mutex()).get(key)!;
export async function withKeys(keys: string[]) {
  const releases = await Promise.all(keys.map((key) => mutexFor(key).acquire()));
  releases.forEach((release) => release());
}`,
    },
    {
      name: "a fixed list of keys, not the caller's",
      code: `${pg}const TABLES = ["orders", "payments"];
export async function lockTables(client: import("pg").PoolClient) {
  for (const table of TABLES) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [table]);
}`,
    },
    {
      name: "row updates in a loop outside any transaction hold no lock between statements",
      code: `${pg}export async function touchAll(ids: number[]) {
  for (const id of ids) await pool.query("UPDATE sessions SET seen_at = now() WHERE id = $1", [id]);
}`,
    },
    {
      name: "pg: both transactions lock the invoice then the ledger FOR UPDATE; the later UPDATEs in another order take no new lock",
      code: settleAndReopen(`${LOCK_INVOICE}\n    ${LOCK_LEDGER}`),
    },
    {
      name: "the same order everywhere",
      code: `${mutexes}export async function a() {
  await usersLock.runExclusive(async () => {
    await sessionsLock.runExclusive(async () => {});
  });
}
export async function b() {
  await usersLock.runExclusive(async () => {
    await sessionsLock.runExclusive(async () => {});
  });
}`,
    },
    {
      name: "sequential, not nested",
      code: `${mutexes}export async function a() {
  await usersLock.runExclusive(async () => {});
  await sessionsLock.runExclusive(async () => {});
}
export async function b() {
  await sessionsLock.runExclusive(async () => {});
  await usersLock.runExclusive(async () => {});
}`,
    },
    {
      name: "a const alias of one mutex field and the other field: nested in one order on both paths",
      code: `${ALIASED_USERS_LOCK}  async expireSessions() {
    const sessions = this.sessionsLock;
    await this.usersLock.runExclusive(async () => {
      await sessions.runExclusive(async () => {});
    });
  }
}`,
    },
    {
      name: "keys sorted first, then passed on under other names through a call",
      code: `${manager}async function credit(account: string) {
  const key = account;
  await accountLocks.lock(key, async () => {});
}
export async function transfer(from: string, to: string) {
  const [first, second] = [from, to].sort();
  const source = first;
  await accountLocks.lock(source, async () => {
    await credit(second);
  });
}`,
    },
    {
      name: "a lock released on a guard branch that returns, and released before the next lock on the other path",
      code: `${mutexes}export async function deleteUser(force: boolean) {
  const release = await usersLock.acquire();
  if (!force) {
    release();
    return;
  }
  release();
  await sessionsLock.runExclusive(async () => {});
}
export async function expireSessions() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {});
  });
}`,
    },
    {
      name: "pg: two transactions one after the other: the first row's lock ends at COMMIT, before the second row is locked",
      code: `${pg}export async function transfer(from: number, to: number, cents: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [cents, from]);
    await client.query("COMMIT");
    await client.query("BEGIN");
    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [cents, to]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "the first lock is released before the next is taken",
      code: `${mutexes}export async function a() {
  await usersLock.runExclusive(async () => {
    await sessionsLock.runExclusive(async () => {});
  });
}
export async function b() {
  const release = await sessionsLock.acquire();
  release();
  const again = await usersLock.acquire();
  again();
}`,
    },
    {
      name: "keys sorted first",
      code: `${manager}export async function transfer(from: string, to: string) {
  const [first, second] = [from, to].sort();
  await accountLocks.lock(first, async () => {
    await accountLocks.lock(second, async () => {});
  });
}`,
    },
    {
      name: "keys ordered with a comparison",
      code: `${manager}export async function transfer(from: string, to: string) {
  const first = from < to ? from : to;
  const second = from < to ? to : from;
  await accountLocks.lock(first, async () => {
    await accountLocks.lock(second, async () => {});
  });
}`,
    },
    {
      name: "keys ordered with Math.min / Math.max",
      code: `${manager}export async function transfer(from: number, to: number) {
  const low = Math.min(from, to);
  const high = Math.max(from, to);
  await accountLocks.lock(low, async () => {
    await accountLocks.lock(high, async () => {});
  });
}`,
    },
    {
      name: "the order is chosen by a branch comparing the keys",
      code: `${manager}export async function transfer(from: string, to: string) {
  if (from < to) {
    await accountLocks.lock(from, async () => {
      await accountLocks.lock(to, async () => {});
    });
  } else {
    await accountLocks.lock(to, async () => {
      await accountLocks.lock(from, async () => {});
    });
  }
}`,
    },
    {
      name: "the runtime's ordered multi-lock",
      code: `${manager}export async function transfer(from: string, to: string) {
  await accountLocks.lockAll([from, to], async () => {});
}`,
    },
    {
      name: "top-level lockAll over two mutexes",
      code: `import { Mutex, lockAll } from "@locksmith/runtime";
const locks = new Map<string, Mutex>();
export async function transfer(from: string, to: string) {
  await lockAll([locks.get(from)!, locks.get(to)!], async () => {});
}`,
    },
    {
      name: "Redis locks taken one after the other",
      code: `${redis}export async function transfer(from: string, to: string) {
  await redis.set(\`lock:account:\${from}\`, "1", "PX", 5000, "NX");
  await redis.del(\`lock:account:\${from}\`);
  await redis.set(\`lock:account:\${to}\`, "1", "PX", 5000, "NX");
  await redis.del(\`lock:account:\${to}\`);
}`,
    },
    {
      name: "rows locked in one ordered statement first",
      code: `${pg}export async function transfer(from: number, to: number, amount: number) {
  const client = await pool.connect();
  await client.query("BEGIN");
  await client.query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", [[from, to]]);
  await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);
  await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);
  await client.query("COMMIT");
}`,
    },
    {
      name: "autocommit updates hold no row lock between statements",
      code: `${pg}export async function transfer(from: number, to: number, amount: number) {
  await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);
  await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);
}`,
    },
    {
      name: "queries outside the transaction client are not in the transaction",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function transfer(from: number, to: number, amount: number) {
  await prisma.$transaction(async (tx) => {
    await prisma.$executeRaw\`UPDATE accounts SET balance = balance - \${amount} WHERE id = \${from}\`;
    await prisma.$executeRaw\`UPDATE accounts SET balance = balance + \${amount} WHERE id = \${to}\`;
  });
}`,
    },
    {
      name: "a callback run under the wrapper's lock, the other lock taken after it",
      code: `${mutexes}${withUsers}export async function a() {
  await withUsers(async () => {});
  await sessionsLock.runExclusive(async () => {});
}
export async function b() {
  await sessionsLock.runExclusive(async () => {
    await withUsers(async () => {});
  });
}`,
    },
    {
      name: "two data migrations touching plans and subscriptions in opposite orders: the runner applies one at a time",
      filename: "src/db/migrations/20240102_move_subscriptions.ts",
      files: { "src/db/migrations/20240101_rename_plans.ts": planMigration("renamePlans", RENAME_PLAN, MOVE_SUBSCRIPTIONS) },
      code: planMigration("moveSubscriptions", MOVE_SUBSCRIPTIONS, RENAME_PLAN),
    },
    {
      name: "a call made after the lock is released",
      files: {
        "src/sessions.ts": `import { Mutex } from "async-mutex";
import { usersLock } from "./file";
export const sessionsLock = new Mutex();
export async function dropSessions() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {});
  });
}`,
      },
      code: `import { Mutex } from "async-mutex";
import { dropSessions } from "./sessions";
export const usersLock = new Mutex();
export async function deleteUser() {
  await usersLock.runExclusive(async () => {});
  await dropSessions();
}`,
    },
    {
      // Field report p14: all rows of a parent, then one child row by id: two ways of selecting rows, not two keys
      // of one kind that a swapped call could take in the other order. The same shape by id twice is invalid below.
      name: "rows of a parent, then one row by id: two key domains",
      code: `${pg}export async function makePrimaryAddress(customerId: number, addressId: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE addresses SET is_primary = false WHERE customer_id = $1 AND is_primary", [customerId]);
    await client.query("UPDATE addresses SET is_primary = true WHERE id = $1", [addressId]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
    },
  ],
  invalid: [
    {
      name: "pg: the cancellation reads the step FOR UPDATE before the job, the finish the job first: a real inversion",
      code: finishAndCancel(`${LOCK_STEP}\n    ${LOCK_JOB}`),
      errors: [
        { line: 8, column: 36, messageId: "cycle" },
        { line: 21, column: 35, messageId: "cycle" },
      ],
    },
    {
      name: "functions given by name to a keyed lock helper (a const arrow, a bound method) nest the locks in opposite orders",
      files: keyedLocks,
      code: namedCallbackJobs("stock", "orders"),
      errors: [
        {
          line: 6,
          column: 28,
          ...cycle(
            "`ship` holds `orders` and calls `moveStock`, which acquires `stock`",
            "`Restocker.restock` holds `stock` and calls `Restocker.count`, which acquires `orders`",
          ),
          related: [
            { line: 6, message: "`orders` acquired here by `ship`" },
            { line: 3, message: "`stock` acquired here by `moveStock` while `orders` is held" },
            { line: 10, message: "`stock` acquired here by `Restocker.restock`" },
            { line: 10, message: "`Restocker.restock` calls `Restocker.count` here" },
            { line: 13, message: "`orders` acquired here by `Restocker.count` while `stock` is held" },
          ],
        },
        {
          line: 10,
          column: 29,
          ...cycle(
            "`Restocker.restock` holds `stock` and calls `Restocker.count`, which acquires `orders`",
            "`ship` holds `orders` and calls `moveStock`, which acquires `stock`",
          ),
        },
      ],
    },
    {
      name: "a mutex field taken through a const alias is the same lock as the field taken directly",
      code: `${ALIASED_USERS_LOCK}  async expireSessions() {
    await this.sessionsLock.runExclusive(async () => {
      await this.usersLock.runExclusive(async () => {});
    });
  }
}`,
      errors: [
        {
          line: 8,
          column: 13,
          ...cycle(
            "`AccountService.deleteUser` acquires `AccountService.sessionsLock` while holding `AccountService.usersLock`",
            "`AccountService.expireSessions` acquires `AccountService.usersLock` while holding `AccountService.sessionsLock`",
          ),
        },
        {
          line: 13,
          column: 13,
          ...cycle(
            "`AccountService.expireSessions` acquires `AccountService.usersLock` while holding `AccountService.sessionsLock`",
            "`AccountService.deleteUser` acquires `AccountService.sessionsLock` while holding `AccountService.usersLock`",
          ),
        },
      ],
    },
    {
      // The ROLLBACK ends the transaction only on the guard's path, which returns: on the path that goes on, the
      // first row is still locked when the second is.
      name: "pg: a ROLLBACK on a guard branch that returns does not release the first row for the code after the guard",
      code: `${pg}export async function transfer(from: number, to: number, cents: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const a = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [from]);
    if (a.rows[0].balance < cents) {
      await client.query("ROLLBACK");
      return;
    }
    await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [to]);
${TRANSFER_UPDATES}`,
      errors: [{ line: 12, column: 11, ...inArgumentOrder("rowsInArgumentOrder", "transfer", "accounts rows", "from", "to") }],
    },
    {
      name: "a mutex released on a guard branch that returns is still held on the path that goes on to the next lock",
      code: `${mutexes}export async function deleteUser(force: boolean) {
  const release = await usersLock.acquire();
  if (!force) {
    release();
    return;
  }
  await sessionsLock.runExclusive(async () => {});
  release();
}
export async function expireSessions() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {});
  });
}`,
      errors: [
        {
          line: 10,
          column: 9,
          ...cycle(
            "`deleteUser` acquires `sessionsLock` while holding `usersLock`",
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
          ),
        },
        {
          line: 15,
          column: 11,
          ...cycle(
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
            "`deleteUser` acquires `sessionsLock` while holding `usersLock`",
          ),
        },
      ],
    },
    {
      // The callback of a transaction opener in models/transaction-libraries.ts (Kysely's chained execute) runs inside
      // the call: a lock taken in it is taken while the locks around the call are held.
      name: "a mutex taken in a Kysely transaction's callback while the other is held, and the opposite order elsewhere",
      code: `${mutexes}import type { Kysely } from "kysely";
export async function renameUser(db: Kysely<any>, id: string, name: string) {
  await usersLock.runExclusive(async () => {
    await db.transaction().execute(async (trx) => {
      await sessionsLock.runExclusive(async () => {
        await trx.updateTable("users").set({ name }).where("id", "=", id).execute();
      });
    });
  });
}
export async function expireSessions() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {});
  });
}`,
      errors: [
        {
          line: 8,
          column: 13,
          ...cycle(
            "`renameUser` acquires `sessionsLock` while holding `usersLock`",
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
          ),
        },
        {
          line: 16,
          column: 11,
          ...cycle(
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
            "`renameUser` acquires `sessionsLock` while holding `usersLock`",
          ),
        },
      ],
    },
    {
      // models/transaction-libraries.ts's MongoDB entry: `session.withTransaction(fn)` runs its callback inside the call.
      name: "a mutex taken in a MongoDB session's transaction callback while the other is held, and the opposite order elsewhere",
      code: `${mutexes}import type { ClientSession, Db } from "mongodb";
export async function renameUser(db: Db, session: ClientSession, id: string, name: string) {
  await usersLock.runExclusive(async () => {
    await session.withTransaction(async () => {
      await sessionsLock.runExclusive(async () => {
        await db.collection("users").updateOne({ id }, { $set: { name } }, { session });
      });
    });
  });
}
export async function expireSessions() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {});
  });
}`,
      errors: [
        {
          line: 8,
          column: 13,
          ...cycle(
            "`renameUser` acquires `sessionsLock` while holding `usersLock`",
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
          ),
        },
        {
          line: 16,
          column: 11,
          ...cycle(
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
            "`renameUser` acquires `sessionsLock` while holding `usersLock`",
          ),
        },
      ],
    },
    {
      name: "pg: the settlement locks the ledger FOR UPDATE before the invoice, the reopening the invoice first: a real inversion",
      code: settleAndReopen(`${LOCK_LEDGER}\n    ${LOCK_INVOICE}`),
      errors: [
        { line: 8, column: 11, messageId: "cycle" },
        { line: 21, column: 11, messageId: "cycle" },
      ],
    },
    {
      // Both rows are locked by the two reads; the UPDATEs re-lock rows already held and wait for nobody: one finding.
      name: "pg: both accounts read FOR UPDATE in argument order, then updated: reported once, at the second read",
      code: `${pg}export async function transfer(from: number, to: number, cents: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const a = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [from]);
    await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [to]);
    if (a.rows[0].balance < cents) throw new Error("insufficient");
${TRANSFER_UPDATES}`,
      errors: [{ line: 8, column: 11, ...inArgumentOrder("rowsInArgumentOrder", "transfer", "accounts rows", "from", "to") }],
    },
    {
      name: "a lock provider taking the caller's keys at once through its own acquire helper (a SET NX retried until it succeeds)",
      code: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
export class LockProvider {
  private readonly tokens = new Map<string, string>();
  private async acquire(key: string): Promise<void> {
    const token = randomUUID();
    while ((await redis.set(\`lock:\${key}\`, token, "PX", 5000, "NX")) !== "OK") await new Promise((r) => setTimeout(r, 50));
    this.tokens.set(key, token);
  }
  private async release(key: string): Promise<void> {
    await redis.eval(UNLOCK, 1, \`lock:\${key}\`, this.tokens.get(key) ?? "");
  }
  async execute<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    await Promise.all(keys.map((k) => this.acquire(k)));
    try {
      return await fn();
    } finally {
      await Promise.all(keys.map((k) => this.release(k)));
    }
  }
}`,
      errors: [
        {
          line: 16,
          column: 39,
          messageId: "callerOrderParallel",
          message:
            "`LockProvider.execute` takes the lock `this.acquire` takes for `k` for each of `keys` at once (`Promise.all`), in the order its caller listed them, so two calls with overlapping keys listed in different orders can each hold one key and wait forever for a key the other holds.",
          help: SORT_FIRST,
        },
      ],
      output: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
export class LockProvider {
  private readonly tokens = new Map<string, string>();
  private async acquire(key: string): Promise<void> {
    const token = randomUUID();
    while ((await redis.set(\`lock:\${key}\`, token, "PX", 5000, "NX")) !== "OK") await new Promise((r) => setTimeout(r, 50));
    this.tokens.set(key, token);
  }
  private async release(key: string): Promise<void> {
    await redis.eval(UNLOCK, 1, \`lock:\${key}\`, this.tokens.get(key) ?? "");
  }
  async execute<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    await Promise.all([...keys].sort().map((k) => this.acquire(k)));
    try {
      return await fn();
    } finally {
      await Promise.all(keys.map((k) => this.release(k)));
    }
  }
}`,
    },
    {
      name: "a keyed lock helper: order then stock here, stock then order there (classes from the key templates)",
      files: keyedLocks,
      code: `import { withLock } from "./locks";
export async function ship(orderId: string, sku: string) {
  await withLock(\`order:\${orderId}\`, async () => {
    await withLock(\`stock:\${sku}\`, async () => {});
  });
}
export async function restock(orderId: string, sku: string) {
  await withLock(\`stock:\${sku}\`, async () => {
    await withLock(\`order:\${orderId}\`, async () => {});
  });
}`,
      errors: [
        {
          line: 4,
          column: 11,
          ...cycle("`ship` acquires `stock:${…}` while holding `order:${…}`", "`restock` acquires `order:${…}` while holding `stock:${…}`"),
          related: [
            { line: 3, message: "`order:${…}` acquired here by `ship`" },
            { line: 8, message: "`stock:${…}` acquired here by `restock`" },
            { line: 9, message: "`order:${…}` acquired here while `stock:${…}` is held" },
          ],
        },
        {
          line: 9,
          column: 11,
          ...cycle("`restock` acquires `order:${…}` while holding `stock:${…}`", "`ship` acquires `stock:${…}` while holding `order:${…}`"),
        },
      ],
    },
    {
      name: "the same two transactions as request handlers outside a migrations folder",
      filename: "src/plans/move-subscriptions.ts",
      files: { "src/plans/rename-plans.ts": planMigration("renamePlans", RENAME_PLAN, MOVE_SUBSCRIPTIONS) },
      code: planMigration("moveSubscriptions", MOVE_SUBSCRIPTIONS, RENAME_PLAN),
      errors: [
        {
          line: 6,
          column: 11,
          ...cycle(
            "`moveSubscriptions` acquires `plan rows` while holding `subscription rows`",
            "`renamePlans` acquires `subscription rows` while holding `plan rows`",
            "wait for the other until the database detects the deadlock and aborts one of them with an error",
            SAME_ROWS,
          ),
        },
        { line: 6, column: 11, filename: "src/plans/rename-plans.ts", messageId: "cycle" },
      ],
    },
    {
      name: "two procedures of a router object update and delete the same two tables' rows in opposite orders: named by their keys",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const procedure = { mutation: <T>(fn: (input: { id: string }) => Promise<T>) => fn };
export const automationRouter = {
  update: procedure.mutation(async ({ id }) => {
    await prisma.$transaction(async (tx) => {
      await tx.action.update({ where: { id }, data: { type: "x" } });
      await tx.automation.update({ where: { id }, data: { name: "y" } });
    });
  }),
  remove: procedure.mutation(async ({ id }) => {
    await prisma.$transaction(async (tx) => {
      await tx.automation.delete({ where: { id } });
      await tx.action.delete({ where: { id } });
    });
  }),
};`,
      errors: [
        {
          line: 8,
          column: 13,
          ...cycle(
            "`update` acquires `automation rows` while holding `action rows`",
            "`remove` acquires `action rows` while holding `automation rows`",
            "wait for the other until the database detects the deadlock and aborts one of them with an error",
            SAME_ROWS,
          ),
        },
        { line: 14, column: 13, messageId: "cycle" },
      ],
    },
    {
      name: "three locks in one order in one function and in another order in a second: one finding in each function",
      files: keyedLocks,
      code: `import { withLock } from "./locks";
export async function edit(id: string) {
  await withLock(\`action:\${id}\`, async () => {
    await withLock(\`trigger:\${id}\`, async () => {
      await withLock(\`rule:\${id}\`, async () => {});
    });
  });
}
export async function remove(id: string) {
  await withLock(\`rule:\${id}\`, async () => {
    await withLock(\`action:\${id}\`, async () => {
      await withLock(\`trigger:\${id}\`, async () => {});
    });
  });
}`,
      errors: [
        {
          line: 4,
          column: 11,
          ...cycle(
            "`edit` acquires `trigger:${…}` while holding `action:${…}`",
            "`edit` acquires `rule:${…}` while holding `trigger:${…}`, and `remove` acquires `action:${…}` while holding `rule:${…}`",
          ),
          related: [
            { line: 3, message: "`action:${…}` acquired here by `edit`" },
            { line: 4, message: "`trigger:${…}` acquired here by `edit`" },
            { line: 5, message: "`rule:${…}` acquired here while `trigger:${…}` is held" },
            { line: 10, message: "`rule:${…}` acquired here by `remove`" },
            { line: 11, message: "`action:${…}` acquired here while `rule:${…}` is held" },
            { line: 5, message: "also inverted here: `edit` acquires `rule:${…}` while holding `action:${…}`" },
          ],
        },
        {
          line: 11,
          column: 11,
          ...cycle("`remove` acquires `action:${…}` while holding `rule:${…}`", "`edit` acquires `rule:${…}` while holding `action:${…}`"),
        },
      ],
    },
    {
      name: "helpers passing their callback by reference to runExclusive, nested in opposite orders",
      files: keyedLocks,
      code: `import { withOrders, withStock } from "./locks";
export async function ship() {
  await withOrders(async () => {
    await withStock(async () => {});
  });
}
export async function restock() {
  await withStock(async () => {
    await withOrders(async () => {});
  });
}`,
      errors: [
        {
          line: 4,
          column: 11,
          ...cycle("`ship` acquires `stockLock` while holding `ordersLock`", "`restock` acquires `ordersLock` while holding `stockLock`"),
        },
        {
          line: 9,
          column: 11,
          ...cycle("`restock` acquires `ordersLock` while holding `stockLock`", "`ship` acquires `stockLock` while holding `ordersLock`"),
        },
      ],
    },
    {
      name: "a lock helper declared in locksmith.json: orders then stock here, stock then (through a call) orders there",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: DECLARED_NESTING,
      errors: DECLARED_CYCLE,
    },
    {
      name: "the same lock helper declared by a @locksmith tag: the same cycle",
      files: { "src/lock-client.ts": annotatedLockModule() },
      code: DECLARED_NESTING,
      errors: DECLARED_CYCLE,
    },
    {
      name: "a package's lock client declared in locksmith.json (its declaration file has no body): orders then stock, stock then orders",
      files: packagedLockClient(),
      settings: declaredLockSettings(),
      code: declaredLockJobs(["stock", "orders"]),
      errors: PACKAGED_CYCLE,
    },
    {
      name: "the same lock client declared by the @locksmith tag its package ships: the same cycle",
      files: packagedLockClient(true),
      code: declaredLockJobs(["stock", "orders"]),
      errors: PACKAGED_CYCLE,
    },
    {
      name: "a declared acquire/release pair (take, give): orders then stock here, stock then orders there",
      files: declaredLocks,
      settings: declaredLockSettings(),
      code: declaredTakeJobs(["stock", "orders"]),
      errors: DECLARED_TAKE_CYCLE,
    },
    {
      name: "the same pair declared by @locksmith tags (acquires, releases): the same cycle",
      files: { "src/lock-client.ts": annotatedLockModule() },
      code: declaredTakeJobs(["stock", "orders"]),
      errors: DECLARED_TAKE_CYCLE,
    },
    // Multi-key acquisition in the caller's order.
    {
      name: "advisory locks taken one by one over the caller's keys (Express route service)",
      code: `${pg}export async function reserveStock(skus: string[]) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const sku of skus) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [sku]);
    await client.query("UPDATE stock SET reserved = reserved + 1 WHERE sku = ANY($1)", [skus]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
      errors: [
        {
          line: 7,
          column: 35,
          messageId: "callerOrderLoop",
          message:
            "`reserveStock` takes PostgreSQL advisory lock (`pg_advisory_xact_lock`) for each of `skus` one after the other, keeping each, in the order its caller listed them, so two calls with overlapping keys listed in different orders can each hold one key and wait for a key the other holds until the database detects the deadlock and aborts one of them with an error.",
          help: SORT_FIRST,
          related: [{ line: 7, message: "`skus` as the caller passed it, not sorted" }],
        },
      ],
      output: `${pg}export async function reserveStock(skus: string[]) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const sku of [...skus].sort()) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [sku]);
    await client.query("UPDATE stock SET reserved = reserved + 1 WHERE sku = ANY($1)", [skus]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "advisory locks for every id at once in a Prisma transaction (NestJS service)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export class InventoryService {
  async reserve(itemIds: number[]) {
    return prisma.$transaction(async (tx) => {
      await Promise.all(itemIds.map((id) => tx.$executeRaw\`SELECT pg_advisory_xact_lock(\${id})\`));
      return tx.item.findMany({ where: { id: { in: itemIds } } });
    });
  }
}`,
      errors: [
        {
          line: 6,
          column: 45,
          messageId: "callerOrderParallel",
          message:
            "`InventoryService.reserve` takes PostgreSQL advisory lock (`pg_advisory_xact_lock`) for each of `itemIds` at once (`Promise.all`), in the order its caller listed them, so two calls with overlapping keys listed in different orders can each hold one key and wait for a key the other holds until the database detects the deadlock and aborts one of them with an error.",
          help: SORT_FIRST,
        },
      ],
      output: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export class InventoryService {
  async reserve(itemIds: number[]) {
    return prisma.$transaction(async (tx) => {
      await Promise.all([...itemIds].sort().map((id) => tx.$executeRaw\`SELECT pg_advisory_xact_lock(\${id})\`));
      return tx.item.findMany({ where: { id: { in: itemIds } } });
    });
  }
}`,
    },
    {
      name: "a lock provider hashing the caller's keys and locking them at once (the lock promises awaited later)",
      code: `import { EntityManager } from "@mikro-orm/core";
export class AdvisoryLockProvider {
  constructor(private readonly manager: EntityManager) {}
  async execute<T>(keys: string | string[], job: () => Promise<T>): Promise<T> {
    return this.manager.transactional(async (em) => {
      const fn = "pg_advisory_xact_lock";
      const all = Array.isArray(keys) ? keys : [keys];
      const hashed = all.map((key) => this.hash(key));
      const locking = hashed.map((n) => em.execute(\`SELECT \${fn}(?)\`, [n]));
      await Promise.all(locking);
      return job();
    });
  }
  private hash(key: string): number {
    let h = 5381;
    for (let i = 0; i < key.length; i++) h = (h * 33) ^ key.charCodeAt(i);
    return h >>> 0;
  }
}`,
      errors: [
        {
          line: 9,
          column: 41,
          messageId: "callerOrderParallel",
          help: SORT_FIRST,
          related: [{ line: 9, message: "`keys` as the caller passed it, not sorted" }],
          suggestions: [
            {
              title: "Sort `hashed` first",
              output: `import { EntityManager } from "@mikro-orm/core";
export class AdvisoryLockProvider {
  constructor(private readonly manager: EntityManager) {}
  async execute<T>(keys: string | string[], job: () => Promise<T>): Promise<T> {
    return this.manager.transactional(async (em) => {
      const fn = "pg_advisory_xact_lock";
      const all = Array.isArray(keys) ? keys : [keys];
      const hashed = all.map((key) => this.hash(key));
      const locking = [...hashed].sort().map((n) => em.execute(\`SELECT \${fn}(?)\`, [n]));
      await Promise.all(locking);
      return job();
    });
  }
  private hash(key: string): number {
    let h = 5381;
    for (let i = 0; i < key.length; i++) h = (h * 33) ^ key.charCodeAt(i);
    return h >>> 0;
  }
}`,
            },
          ],
        },
      ],
    },
    {
      name: "rows updated one by one in the caller's transaction, in the caller's order",
      code: `import { Prisma } from "@prisma/client";
export async function debitAll(tx: Prisma.TransactionClient, accountIds: string[], amount: number) {
  for (const id of accountIds) {
    await tx.account.update({ where: { id }, data: { balance: { decrement: amount } } });
  }
}`,
      errors: [
        {
          line: 4,
          column: 11,
          messageId: "callerOrderLoop",
          message:
            "`debitAll` takes `account` rows for each of `accountIds` one after the other, keeping each, in the order its caller listed them, so two calls with overlapping keys listed in different orders can each hold one key and wait for a key the other holds until the database detects the deadlock and aborts one of them with an error.",
          help: ROWS_AT_ONCE,
        },
      ],
      output: `import { Prisma } from "@prisma/client";
export async function debitAll(tx: Prisma.TransactionClient, accountIds: string[], amount: number) {
  for (const id of [...accountIds].sort()) {
    await tx.account.update({ where: { id }, data: { balance: { decrement: amount } } });
  }
}`,
    },
    {
      name: "rows locked FOR UPDATE one by one after BEGIN, keyed by a field of each item",
      code: `${pg}export async function shipOrder(lines: Array<{ productId: number; qty: number }>) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const line of lines) {
      const { rows } = await client.query("SELECT stock FROM products WHERE id = $1 FOR UPDATE", [line.productId]);
      if (rows[0].stock < line.qty) throw new Error("out of stock");
      await client.query("UPDATE products SET stock = stock - $1 WHERE id = $2", [line.qty, line.productId]);
    }
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
      errors: [
        { line: 8, column: 30, messageId: "callerOrderLoop", help: ROWS_AT_ONCE },
        { line: 10, column: 13, messageId: "callerOrderLoop", help: ROWS_AT_ONCE },
      ],
    },
    {
      name: "redlock locks for every resource at once, one acquire per key",
      code: `import Redlock from "redlock";
import Redis from "ioredis";
const redlock = new Redlock([new Redis()]);
export async function lockCarts(cartIds: string[]) {
  return Promise.all(cartIds.map((id) => redlock.acquire([\`lock:cart:\${id}\`], 5000)));
}`,
      errors: [{ line: 5, column: 42, messageId: "callerOrderParallel", help: ONE_REDLOCK_CALL }],
    },
    {
      name: "cycle through a callback passed to a function that runs it under its lock",
      code: `${mutexes}${withUsers}export async function renameUser() {
  await withUsers(async () => {
    await sessionsLock.runExclusive(async () => {});
  });
}
export async function expireSessions() {
  await sessionsLock.runExclusive(async () => {
    await withUsers(async () => {});
  });
}`,
      errors: [
        {
          line: 9,
          column: 11,
          // The helper's call is the acquisition of the lock its body takes (lock-wrappers.ts infers it).
          ...cycle(
            "`renameUser` acquires `sessionsLock` while holding `usersLock`",
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
          ),
          related: [
            { line: 8, message: "`usersLock` acquired here by `renameUser`" },
            { line: 13, message: "`sessionsLock` acquired here by `expireSessions`" },
            { line: 14, message: "`usersLock` acquired here while `sessionsLock` is held" },
          ],
        },
        {
          line: 14,
          column: 11,
          ...cycle(
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
            "`renameUser` acquires `sessionsLock` while holding `usersLock`",
          ),
        },
      ],
    },
    {
      name: "cycle within one pair of functions",
      code: `${mutexes}export async function deleteUser() {
  await usersLock.runExclusive(async () => {
    await sessionsLock.runExclusive(async () => {});
  });
}
export async function expireSessions() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {});
  });
}`,
      errors: [
        {
          line: 6,
          column: 11,
          endLine: 6,
          endColumn: 52,
          ...cycle(
            "`deleteUser` acquires `sessionsLock` while holding `usersLock`",
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
          ),
          // Golden full messages and help of this rule.
          message:
            "Inconsistent lock order: `deleteUser` acquires `sessionsLock` while holding `usersLock`, but `expireSessions` acquires `usersLock` while holding `sessionsLock`. Two tasks running these at once can each hold one lock and wait forever for the other.",
          help: ONE_ORDER,
          related: [
            { line: 5, message: "`usersLock` acquired here by `deleteUser`" },
            { line: 10, message: "`sessionsLock` acquired here by `expireSessions`" },
            { line: 11, message: "`usersLock` acquired here while `sessionsLock` is held" },
          ],
        },
        {
          line: 11,
          column: 11,
          endLine: 11,
          endColumn: 49,
          ...cycle(
            "`expireSessions` acquires `usersLock` while holding `sessionsLock`",
            "`deleteUser` acquires `sessionsLock` while holding `usersLock`",
          ),
          related: [
            { line: 10, message: "`sessionsLock` acquired here by `expireSessions`" },
            { line: 5, message: "`usersLock` acquired here by `deleteUser`" },
            { line: 6, message: "`sessionsLock` acquired here while `usersLock` is held" },
          ],
        },
      ],
    },
    {
      name: "cycle across two files with circular imports, through one level of calls",
      files: {
        "src/sessions.ts": `import { Mutex } from "async-mutex";
import { usersLock } from "./file";
export const sessionsLock = new Mutex();
export async function dropSessionsOf(id: string) {
  await sessionsLock.runExclusive(async () => {
    console.log(id);
  });
}
export async function expireAll() {
  const release = await sessionsLock.acquire();
  try {
    await usersLock.runExclusive(async () => {});
  } finally {
    release();
  }
}`,
      },
      code: `import { Mutex } from "async-mutex";
import { dropSessionsOf } from "./sessions";
export const usersLock = new Mutex();
export async function deleteUser(id: string) {
  await usersLock.runExclusive(async () => {
    await dropSessionsOf(id);
  });
}`,
      errors: [
        {
          line: 6,
          column: 11,
          endColumn: 29,
          ...cycle(
            "`deleteUser` holds `usersLock` and calls `dropSessionsOf`, which acquires `sessionsLock`",
            "`expireAll` acquires `usersLock` while holding `sessionsLock`",
          ),
          related: [
            { line: 5, message: "`usersLock` acquired here by `deleteUser`" },
            { line: 5, filename: "src/sessions.ts", message: "`sessionsLock` acquired here by `dropSessionsOf` while `usersLock` is held" },
            { line: 10, filename: "src/sessions.ts", message: "`sessionsLock` acquired here by `expireAll`" },
            { line: 12, filename: "src/sessions.ts", message: "`usersLock` acquired here while `sessionsLock` is held" },
          ],
        },
        {
          filename: "src/sessions.ts",
          line: 12,
          column: 11,
          ...cycle(
            "`expireAll` acquires `usersLock` while holding `sessionsLock`",
            "`deleteUser` holds `usersLock` and calls `dropSessionsOf`, which acquires `sessionsLock`",
          ),
          related: [
            { line: 10, filename: "src/sessions.ts" },
            { line: 5, filename: "src/file.ts" },
            { line: 6, filename: "src/file.ts", message: "`deleteUser` calls `dropSessionsOf` here" },
            { line: 5, filename: "src/sessions.ts" },
          ],
        },
      ],
    },
    {
      name: "cycle through two levels of calls and class methods",
      code: `${mutexes}export class Accounts {
  async close(id: string) {
    await usersLock.runExclusive(async () => {
      await this.cleanup(id);
    });
  }
  private async cleanup(id: string) {
    await this.forget(id);
  }
  private async forget(id: string) {
    await sessionsLock.runExclusive(async () => {});
  }
}
export async function expire() {
  await sessionsLock.runExclusive(async () => {
    await usersLock.runExclusive(async () => {});
  });
}`,
      errors: [
        {
          line: 7,
          column: 13,
          ...cycle(
            "`Accounts.close` holds `usersLock` and calls `Accounts.cleanup`, which calls `Accounts.forget`, which acquires `sessionsLock`",
            "`expire` acquires `usersLock` while holding `sessionsLock`",
          ),
          related: [
            { line: 6 },
            { line: 11, message: "`Accounts.cleanup` calls `Accounts.forget` here" },
            { line: 14, message: "`sessionsLock` acquired here by `Accounts.forget` while `usersLock` is held" },
            { line: 18 },
            { line: 19 },
          ],
        },
        {
          line: 19,
          column: 11,
          ...cycle(
            "`expire` acquires `usersLock` while holding `sessionsLock`",
            "`Accounts.close` holds `usersLock` and calls `Accounts.cleanup`, which calls `Accounts.forget`, which acquires `sessionsLock`",
          ),
        },
      ],
    },
    {
      name: "a bank transfer with a keyed lock manager: fixed with lockAll",
      code: `${manager}export async function transfer(from: string, to: string, amount: number) {
  await accountLocks.lock(from, async () => {
    await accountLocks.lock(to, async () => {
      console.log(from, to, amount);
    });
  });
}`,
      errors: [
        {
          line: 5,
          column: 11,
          endLine: 7,
          endColumn: 7,
          ...inArgumentOrder("argumentOrder", "transfer", "accountLocks[key]", "from", "to"),
          message:
            "`transfer` locks `accountLocks[key]` for `from` and then for `to`: the order follows the arguments, so two calls with the keys swapped can each hold one lock and wait forever for the other.",
          help: LOCK_ALL,
          related: [{ line: 4, message: "`accountLocks[key]` acquired here by `transfer`" }],
        },
      ],
      output: `${manager}export async function transfer(from: string, to: string, amount: number) {
  await accountLocks.lockAll([from, to], async () => {
    console.log(from, to, amount);
  });
}`,
    },
    {
      name: "runtime mutexes from a factory: fixed with the top-level lockAll, imported",
      code: `import { Mutex } from "@locksmith/runtime";
const locks = new Map<string, Mutex>();
function mutexFor(id: string): Mutex {
  let mutex = locks.get(id);
  if (!mutex) locks.set(id, (mutex = new Mutex()));
  return mutex;
}
export function transfer(from: string, to: string) {
  return mutexFor(from).run(() => mutexFor(to).run(async () => {
    console.log(from, to);
  }));
}`,
      errors: [{ line: 9, column: 35, ...inArgumentOrder("argumentOrder", "transfer", "mutexFor(key)", "from", "to"), help: LOCK_ALL }],
      output: `import { Mutex, lockAll } from "@locksmith/runtime";
const locks = new Map<string, Mutex>();
function mutexFor(id: string): Mutex {
  let mutex = locks.get(id);
  if (!mutex) locks.set(id, (mutex = new Mutex()));
  return mutex;
}
export function transfer(from: string, to: string) {
  return lockAll([mutexFor(from), mutexFor(to)], async () => {
    console.log(from, to);
  });
}`,
    },
    {
      name: "async-mutex mutexes in a Map: reported, no fix (lockAll does not take them)",
      code: `import { Mutex } from "async-mutex";
const locks = new Map<string, Mutex>();
export async function transfer(from: string, to: string) {
  await locks.get(from)!.runExclusive(async () => {
    await locks.get(to)!.runExclusive(async () => {});
  });
}`,
      errors: [{ line: 5, column: 11, ...inArgumentOrder("argumentOrder", "transfer", "locks[key]", "from", "to"), help: LOCK_ALL }],
    },
    {
      name: "keys from one destructured request",
      code: `${manager}export async function transfer(request: { fromId: string; toId: string }) {
  const { fromId, toId } = request;
  await accountLocks.lock(fromId, async () => {
    await accountLocks.lock(toId, async () => {});
  });
}`,
      errors: [
        {
          line: 6,
          column: 11,
          ...inArgumentOrder("argumentOrder", "transfer", "accountLocks[key]", "request.fromId", "request.toId"),
          help: LOCK_ALL,
        },
      ],
      output: `${manager}export async function transfer(request: { fromId: string; toId: string }) {
  const { fromId, toId } = request;
  await accountLocks.lockAll([fromId, toId], async () => {});
}`,
    },
    {
      name: "two variables of one name in nested scopes, from two inputs: two keys in argument order",
      code: `${manager}export async function swap(left: string, right: string) {
  let slot = \`slot:\${left}\`;
  await accountLocks.lock(slot, async () => {
    let slot = \`slot:\${right}\`;
    await accountLocks.lock(slot, async () => {});
  });
}`,
      errors: [{ line: 7, column: 11, ...inArgumentOrder("argumentOrder", "swap", "accountLocks[key]", "slot", "slot") }],
    },
    {
      name: "Redis lock keys in argument order",
      code: `${redis}export async function transfer(from: string, to: string) {
  const a = await redis.set(\`lock:account:\${from}\`, "1", "PX", 5000, "NX");
  if (!a) throw new Error("busy");
  const b = await redis.set(\`lock:account:\${to}\`, "1", "PX", 5000, "NX");
  if (!b) throw new Error("busy");
  await redis.del(\`lock:account:\${to}\`);
  await redis.del(\`lock:account:\${from}\`);
}`,
      errors: [
        {
          line: 6,
          column: 19,
          endColumn: 73,
          ...inArgumentOrder("argumentOrder", "transfer", "lock:account:${…}", "from", "to"),
          help: SORT,
          related: [{ line: 4 }],
        },
      ],
    },
    {
      name: "SQL rows updated in argument order inside one transaction",
      code: `${pg}export async function transfer(from: number, to: number, amount: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);
    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
      errors: [
        {
          line: 8,
          column: 11,
          ...inArgumentOrder("rowsInArgumentOrder", "transfer", "accounts rows", "from", "to"),
          message:
            "`transfer` locks `accounts rows` for `from` and then for `to` in one transaction: the order follows the arguments, so two calls with the keys swapped can each hold one lock and wait for the other until the database detects the deadlock and aborts one of them with an error.",
          help: SELECT_ANY,
          related: [{ line: 7, message: "`accounts rows` acquired here by `transfer`" }],
          suggestions: [
            {
              title: "Lock both accounts rows first, in id order",
              output: `${pg}export async function transfer(from: number, to: number, amount: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", [[from, to]]);
    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);
    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
            },
          ],
        },
      ],
    },
    {
      name: "the primary flag moved from one row to another, both by id, in argument order",
      code: `${pg}export async function movePrimaryAddress(fromAddressId: number, toAddressId: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE addresses SET is_primary = false WHERE id = $1", [fromAddressId]);
    await client.query("UPDATE addresses SET is_primary = true WHERE id = $1", [toAddressId]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
      errors: [
        {
          line: 8,
          column: 11,
          ...inArgumentOrder("rowsInArgumentOrder", "movePrimaryAddress", "addresses rows", "fromAddressId", "toAddressId"),
          help: SELECT_ANY,
        },
      ],
    },
    {
      name: "two FOR UPDATE reads in a Prisma transaction callback",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function transfer(from: number, to: number) {
  await prisma.$transaction(async (tx) => {
    await tx.$queryRaw\`SELECT balance FROM accounts WHERE id = \${from} FOR UPDATE\`;
    await tx.$queryRaw\`SELECT balance FROM accounts WHERE id = \${to} FOR UPDATE\`;
  });
}`,
      errors: [
        { line: 6, column: 11, ...inArgumentOrder("rowsInArgumentOrder", "transfer", "accounts rows", "from", "to"), help: SELECT_ANY },
      ],
    },
    {
      name: "advisory locks in argument order",
      code: `${pg}export async function transfer(from: number, to: number) {
  const client = await pool.connect();
  await client.query("BEGIN");
  await client.query("SELECT pg_advisory_xact_lock($1)", [from]);
  await client.query("SELECT pg_advisory_xact_lock($1)", [to]);
  await client.query("COMMIT");
}`,
      errors: [{ line: 7, column: 9, ...inArgumentOrder("argumentOrder", "transfer", "advisory lock", "from", "to"), help: SORT }],
    },
    {
      name: "argument order through a call: the callee locks the key it is given",
      code: `${manager}async function credit(account: string) {
  await accountLocks.lock(account, async () => {});
}
export async function transfer(from: string, to: string) {
  await accountLocks.lock(from, async () => {
    await credit(to);
  });
}`,
      errors: [creditAfterTransfer(8, 7, 4)],
    },
    {
      name: "through a call, with both keys passed on under other names (const aliases of the parameters)",
      code: `${manager}async function credit(account: string) {
  const key = account;
  await accountLocks.lock(key, async () => {});
}
export async function transfer(from: string, to: string) {
  const source = from;
  await accountLocks.lock(source, async () => {
    await credit(to);
  });
}`,
      errors: [creditAfterTransfer(10, 9, 5)],
    },
  ],
});

// The suggestion for rows, against the real PostgreSQL: the argument-order transfer deadlocks when two opposite
// transfers interleave; with both rows locked first by `id = ANY($1) ORDER BY id FOR UPDATE` it does not.
describe("row-lock order against PostgreSQL", () => {
  const table = `lo_accounts_${suffix()}`;
  let pool: Pool;
  before(async () => {
    pool = await connectPg();
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, balance int NOT NULL)`);
  });
  after(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });
  beforeEach(async () => {
    await pool.query(`DELETE FROM ${table}`);
    await pool.query(`INSERT INTO ${table} (id, balance) VALUES (1, 1000), (2, 1000)`);
  });

  /** The transfer as the rule's tests write it; `between` runs after the first UPDATE, `lockFirst` applies the suggestion. */
  async function transfer(from: number, to: number, amount: number, options: { lockFirst: boolean; between?: () => Promise<void> }) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      if (options.lockFirst) await client.query(`SELECT id FROM ${table} WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [[from, to]]);
      await client.query(`UPDATE ${table} SET balance = balance - $1 WHERE id = $2`, [amount, from]);
      await options.between?.();
      await client.query(`UPDATE ${table} SET balance = balance + $1 WHERE id = $2`, [amount, to]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  }

  const balances = async () =>
    (await pool.query(`SELECT id, balance FROM ${table} ORDER BY id`)).rows.map((r: { id: number; balance: number }) => [r.id, r.balance]);

  test("argument order: two opposite transfers that interleave deadlock (PostgreSQL aborts one)", async () => {
    let firstUpdates = 0;
    let bothDone!: () => void;
    const barrier = new Promise<void>((resolve) => (bothDone = resolve));
    const between = async () => {
      if (++firstUpdates === 2) bothDone();
      await barrier;
    };
    const results = await Promise.allSettled([
      transfer(1, 2, 100, { lockFirst: false, between }),
      transfer(2, 1, 30, { lockFirst: false, between }),
    ]);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.deepEqual(
      failures.map((f) => (f.reason as { code?: string }).code),
      ["40P01"],
      "exactly one transfer dies with deadlock_detected",
    );
    const survivor =
      results[0]!.status === "fulfilled"
        ? [
            [1, 900],
            [2, 1100],
          ]
        : [
            [1, 1030],
            [2, 970],
          ];
    assert.deepEqual(await balances(), survivor);
  });

  test("rows locked first in id order: opposite transfers all commit", async () => {
    const runs = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0 ? transfer(1, 2, 10, { lockFirst: true }) : transfer(2, 1, 3, { lockFirst: true }),
    );
    const results = await Promise.allSettled(runs);
    assert.deepEqual(
      results.map((r) => r.status),
      Array(10).fill("fulfilled"),
    );
    assert.deepEqual(await balances(), [
      [1, 1000 - 50 + 15],
      [2, 1000 + 50 - 15],
    ]);
  });
});
