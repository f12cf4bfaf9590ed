import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { runRuleTests } from "../helpers/rule-tester";
import { connectPg, suffix } from "../runtime/services";

const mutexes = `import { Mutex } from "async-mutex";\nconst usersLock = new Mutex();\nconst sessionsLock = new Mutex();\n`;
const manager = `import { LockManager } from "@locksmith/runtime";\nconst accountLocks = new LockManager();\n`;
const pg = `import { Pool } from "pg";\nconst pool = new Pool();\n`;
const redis = `import Redis from "ioredis";\nconst redis = new Redis();\n`;

const withUsers = `async function withUsers<T>(fn: () => Promise<T>): Promise<T> {\n  return usersLock.runExclusive(() => fn());\n}\n`;
const CYCLE = (here: string, there: string) =>
  `Inconsistent lock order: ${here}, but ${there}. Two tasks running these at once can each hold one lock and wait forever for the other. Take the locks in one order everywhere.`;
const ARGUMENT_ORDER = (fn: string, lock: string, a: string, b: string, remedy: string, extra = "") =>
  `\`${fn}\` locks \`${lock}\` for \`${a}\` and then for \`${b}\`${extra}: the order follows the arguments, so two calls with the keys swapped can each hold one lock and wait forever for the other. ${remedy}`;
const LOCK_ALL = "Take both with the runtime's `lockAll` (canonical order), or sort the keys first.";
const SORT = "Sort the keys first, so that every caller takes them in the same order.";
const SELECT_ANY = "Lock the rows first, in key order, with one `SELECT ... WHERE id = ANY($1) ORDER BY id FOR UPDATE`.";

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "the same order everywhere",
      code: `${mutexes}export async function a() {\n  await usersLock.runExclusive(async () => {\n    await sessionsLock.runExclusive(async () => {});\n  });\n}\nexport async function b() {\n  await usersLock.runExclusive(async () => {\n    await sessionsLock.runExclusive(async () => {});\n  });\n}`,
    },
    {
      name: "sequential, not nested",
      code: `${mutexes}export async function a() {\n  await usersLock.runExclusive(async () => {});\n  await sessionsLock.runExclusive(async () => {});\n}\nexport async function b() {\n  await sessionsLock.runExclusive(async () => {});\n  await usersLock.runExclusive(async () => {});\n}`,
    },
    {
      name: "the first lock is released before the next is taken",
      code: `${mutexes}export async function a() {\n  await usersLock.runExclusive(async () => {\n    await sessionsLock.runExclusive(async () => {});\n  });\n}\nexport async function b() {\n  const release = await sessionsLock.acquire();\n  release();\n  const again = await usersLock.acquire();\n  again();\n}`,
    },
    {
      name: "keys sorted first",
      code: `${manager}export async function transfer(from: string, to: string) {\n  const [first, second] = [from, to].sort();\n  await accountLocks.lock(first, async () => {\n    await accountLocks.lock(second, async () => {});\n  });\n}`,
    },
    {
      name: "keys ordered with a comparison",
      code: `${manager}export async function transfer(from: string, to: string) {\n  const first = from < to ? from : to;\n  const second = from < to ? to : from;\n  await accountLocks.lock(first, async () => {\n    await accountLocks.lock(second, async () => {});\n  });\n}`,
    },
    {
      name: "keys ordered with Math.min / Math.max",
      code: `${manager}export async function transfer(from: number, to: number) {\n  const low = Math.min(from, to);\n  const high = Math.max(from, to);\n  await accountLocks.lock(low, async () => {\n    await accountLocks.lock(high, async () => {});\n  });\n}`,
    },
    {
      name: "the order is chosen by a branch comparing the keys",
      code: `${manager}export async function transfer(from: string, to: string) {\n  if (from < to) {\n    await accountLocks.lock(from, async () => {\n      await accountLocks.lock(to, async () => {});\n    });\n  } else {\n    await accountLocks.lock(to, async () => {\n      await accountLocks.lock(from, async () => {});\n    });\n  }\n}`,
    },
    {
      name: "the runtime's ordered multi-lock",
      code: `${manager}export async function transfer(from: string, to: string) {\n  await accountLocks.lockAll([from, to], async () => {});\n}`,
    },
    {
      name: "top-level lockAll over two mutexes",
      code: `import { Mutex, lockAll } from "@locksmith/runtime";\nconst locks = new Map<string, Mutex>();\nexport async function transfer(from: string, to: string) {\n  await lockAll([locks.get(from)!, locks.get(to)!], async () => {});\n}`,
    },
    {
      name: "Redis locks taken one after the other",
      code: `${redis}export async function transfer(from: string, to: string) {\n  await redis.set(\`lock:account:\${from}\`, "1", "PX", 5000, "NX");\n  await redis.del(\`lock:account:\${from}\`);\n  await redis.set(\`lock:account:\${to}\`, "1", "PX", 5000, "NX");\n  await redis.del(\`lock:account:\${to}\`);\n}`,
    },
    {
      name: "rows locked in one ordered statement first",
      code: `${pg}export async function transfer(from: number, to: number, amount: number) {\n  const client = await pool.connect();\n  await client.query("BEGIN");\n  await client.query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", [[from, to]]);\n  await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);\n  await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);\n  await client.query("COMMIT");\n}`,
    },
    {
      name: "autocommit updates hold no row lock between statements",
      code: `${pg}export async function transfer(from: number, to: number, amount: number) {\n  await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);\n  await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);\n}`,
    },
    {
      name: "queries outside the transaction client are not in the transaction",
      code: `import { PrismaClient } from "@prisma/client";\nconst prisma = new PrismaClient();\nexport async function transfer(from: number, to: number, amount: number) {\n  await prisma.$transaction(async (tx) => {\n    await prisma.$executeRaw\`UPDATE accounts SET balance = balance - \${amount} WHERE id = \${from}\`;\n    await prisma.$executeRaw\`UPDATE accounts SET balance = balance + \${amount} WHERE id = \${to}\`;\n  });\n}`,
    },
    {
      name: "a callback run under the wrapper's lock, the other lock taken after it",
      code: `${mutexes}${withUsers}export async function a() {\n  await withUsers(async () => {});\n  await sessionsLock.runExclusive(async () => {});\n}\nexport async function b() {\n  await sessionsLock.runExclusive(async () => {\n    await withUsers(async () => {});\n  });\n}`,
    },
    {
      name: "a call made after the lock is released",
      files: { "src/sessions.ts": `import { Mutex } from "async-mutex";\nimport { usersLock } from "./file";\nexport const sessionsLock = new Mutex();\nexport async function dropSessions() {\n  await sessionsLock.runExclusive(async () => {\n    await usersLock.runExclusive(async () => {});\n  });\n}` },
      code: `import { Mutex } from "async-mutex";\nimport { dropSessions } from "./sessions";\nexport const usersLock = new Mutex();\nexport async function deleteUser() {\n  await usersLock.runExclusive(async () => {});\n  await dropSessions();\n}`,
    },
  ],
  invalid: [
    {
      name: "cycle through a callback passed to a function that runs it under its lock",
      code: `${mutexes}${withUsers}export async function renameUser() {\n  await withUsers(async () => {\n    await sessionsLock.runExclusive(async () => {});\n  });\n}\nexport async function expireSessions() {\n  await sessionsLock.runExclusive(async () => {\n    await withUsers(async () => {});\n  });\n}`,
      errors: [
        {
          line: 9,
          column: 11,
          message: CYCLE("`withUsers` holds `usersLock` and calls the callback passed by `renameUser`, which acquires `sessionsLock`", "`expireSessions` holds `sessionsLock` and calls `withUsers`, which acquires `usersLock`"),
          related: [{ line: 5 }, { line: 5, message: "`withUsers` calls the callback passed by `renameUser` here" }, { line: 13 }, { line: 14 }, { line: 5 }],
        },
        { line: 14, column: 11 },
      ],
    },
    {
      name: "cycle within one pair of functions",
      code: `${mutexes}export async function deleteUser() {\n  await usersLock.runExclusive(async () => {\n    await sessionsLock.runExclusive(async () => {});\n  });\n}\nexport async function expireSessions() {\n  await sessionsLock.runExclusive(async () => {\n    await usersLock.runExclusive(async () => {});\n  });\n}`,
      errors: [
        {
          line: 6,
          column: 11,
          endLine: 6,
          endColumn: 52,
          message: CYCLE("`deleteUser` acquires `sessionsLock` while holding `usersLock`", "`expireSessions` acquires `usersLock` while holding `sessionsLock`"),
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
          message: CYCLE("`expireSessions` acquires `usersLock` while holding `sessionsLock`", "`deleteUser` acquires `sessionsLock` while holding `usersLock`"),
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
        "src/sessions.ts": `import { Mutex } from "async-mutex";\nimport { usersLock } from "./file";\nexport const sessionsLock = new Mutex();\nexport async function dropSessionsOf(id: string) {\n  await sessionsLock.runExclusive(async () => {\n    console.log(id);\n  });\n}\nexport async function expireAll() {\n  const release = await sessionsLock.acquire();\n  try {\n    await usersLock.runExclusive(async () => {});\n  } finally {\n    release();\n  }\n}`,
      },
      code: `import { Mutex } from "async-mutex";\nimport { dropSessionsOf } from "./sessions";\nexport const usersLock = new Mutex();\nexport async function deleteUser(id: string) {\n  await usersLock.runExclusive(async () => {\n    await dropSessionsOf(id);\n  });\n}`,
      errors: [
        {
          line: 6,
          column: 11,
          endColumn: 29,
          message: CYCLE("`deleteUser` holds `usersLock` and calls `dropSessionsOf`, which acquires `sessionsLock`", "`expireAll` acquires `usersLock` while holding `sessionsLock`"),
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
          message: CYCLE("`expireAll` acquires `usersLock` while holding `sessionsLock`", "`deleteUser` holds `usersLock` and calls `dropSessionsOf`, which acquires `sessionsLock`"),
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
      code: `${mutexes}export class Accounts {\n  async close(id: string) {\n    await usersLock.runExclusive(async () => {\n      await this.cleanup(id);\n    });\n  }\n  private async cleanup(id: string) {\n    await this.forget(id);\n  }\n  private async forget(id: string) {\n    await sessionsLock.runExclusive(async () => {});\n  }\n}\nexport async function expire() {\n  await sessionsLock.runExclusive(async () => {\n    await usersLock.runExclusive(async () => {});\n  });\n}`,
      errors: [
        {
          line: 7,
          column: 13,
          message: CYCLE("`Accounts.close` holds `usersLock` and calls `Accounts.cleanup`, which calls `Accounts.forget`, which acquires `sessionsLock`", "`expire` acquires `usersLock` while holding `sessionsLock`"),
          related: [{ line: 6 }, { line: 11, message: "`Accounts.cleanup` calls `Accounts.forget` here" }, { line: 14, message: "`sessionsLock` acquired here by `Accounts.forget` while `usersLock` is held" }, { line: 18 }, { line: 19 }],
        },
        { line: 19, column: 11 },
      ],
    },
    {
      name: "the guide's bank transfer with a keyed lock manager: fixed with lockAll",
      code: `${manager}export async function transfer(from: string, to: string, amount: number) {\n  await accountLocks.lock(from, async () => {\n    await accountLocks.lock(to, async () => {\n      console.log(from, to, amount);\n    });\n  });\n}`,
      errors: [
        {
          line: 5,
          column: 11,
          endLine: 7,
          endColumn: 7,
          message: ARGUMENT_ORDER("transfer", "accountLocks[key]", "from", "to", LOCK_ALL),
          related: [{ line: 4, message: "`accountLocks[key]` acquired here by `transfer`" }],
        },
      ],
      output: `${manager}export async function transfer(from: string, to: string, amount: number) {\n  await accountLocks.lockAll([from, to], async () => {\n    console.log(from, to, amount);\n  });\n}`,
    },
    {
      name: "runtime mutexes from a factory: fixed with the top-level lockAll, imported",
      code: `import { Mutex } from "@locksmith/runtime";\nconst locks = new Map<string, Mutex>();\nfunction mutexFor(id: string): Mutex {\n  let mutex = locks.get(id);\n  if (!mutex) locks.set(id, (mutex = new Mutex()));\n  return mutex;\n}\nexport function transfer(from: string, to: string) {\n  return mutexFor(from).run(() => mutexFor(to).run(async () => {\n    console.log(from, to);\n  }));\n}`,
      errors: [{ line: 9, column: 35, message: ARGUMENT_ORDER("transfer", "mutexFor(key)", "from", "to", LOCK_ALL) }],
      output: `import { Mutex, lockAll } from "@locksmith/runtime";\nconst locks = new Map<string, Mutex>();\nfunction mutexFor(id: string): Mutex {\n  let mutex = locks.get(id);\n  if (!mutex) locks.set(id, (mutex = new Mutex()));\n  return mutex;\n}\nexport function transfer(from: string, to: string) {\n  return lockAll([mutexFor(from), mutexFor(to)], async () => {\n    console.log(from, to);\n  });\n}`,
    },
    {
      name: "async-mutex mutexes in a Map: reported, no fix (lockAll does not take them)",
      code: `import { Mutex } from "async-mutex";\nconst locks = new Map<string, Mutex>();\nexport async function transfer(from: string, to: string) {\n  await locks.get(from)!.runExclusive(async () => {\n    await locks.get(to)!.runExclusive(async () => {});\n  });\n}`,
      errors: [{ line: 5, column: 11, message: ARGUMENT_ORDER("transfer", "locks[key]", "from", "to", LOCK_ALL) }],
    },
    {
      name: "keys from one destructured request",
      code: `${manager}export async function transfer(request: { fromId: string; toId: string }) {\n  const { fromId, toId } = request;\n  await accountLocks.lock(fromId, async () => {\n    await accountLocks.lock(toId, async () => {});\n  });\n}`,
      errors: [{ line: 6, column: 11, message: ARGUMENT_ORDER("transfer", "accountLocks[key]", "fromId", "toId", LOCK_ALL) }],
      output: `${manager}export async function transfer(request: { fromId: string; toId: string }) {\n  const { fromId, toId } = request;\n  await accountLocks.lockAll([fromId, toId], async () => {});\n}`,
    },
    {
      name: "Redis lock keys in argument order",
      code: `${redis}export async function transfer(from: string, to: string) {\n  const a = await redis.set(\`lock:account:\${from}\`, "1", "PX", 5000, "NX");\n  if (!a) throw new Error("busy");\n  const b = await redis.set(\`lock:account:\${to}\`, "1", "PX", 5000, "NX");\n  if (!b) throw new Error("busy");\n  await redis.del(\`lock:account:\${to}\`);\n  await redis.del(\`lock:account:\${from}\`);\n}`,
      errors: [{ line: 6, column: 19, endColumn: 73, message: ARGUMENT_ORDER("transfer", "lock:account:${…}", "from", "to", SORT), related: [{ line: 4 }] }],
    },
    {
      name: "SQL rows updated in argument order inside one transaction",
      code: `${pg}export async function transfer(from: number, to: number, amount: number) {\n  const client = await pool.connect();\n  try {\n    await client.query("BEGIN");\n    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);\n    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);\n    await client.query("COMMIT");\n  } finally {\n    client.release();\n  }\n}`,
      errors: [
        {
          line: 8,
          column: 11,
          message: ARGUMENT_ORDER("transfer", "accounts rows", "from", "to", SELECT_ANY, " in one transaction"),
          related: [{ line: 7, message: "`accounts rows` acquired here by `transfer`" }],
          suggestions: [
            {
              title: "Lock both accounts rows first, in id order",
              output: `${pg}export async function transfer(from: number, to: number, amount: number) {\n  const client = await pool.connect();\n  try {\n    await client.query("BEGIN");\n    await client.query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", [[from, to]]);\n    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, from]);\n    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, to]);\n    await client.query("COMMIT");\n  } finally {\n    client.release();\n  }\n}`,
            },
          ],
        },
      ],
    },
    {
      name: "two FOR UPDATE reads in a Prisma transaction callback",
      code: `import { PrismaClient } from "@prisma/client";\nconst prisma = new PrismaClient();\nexport async function transfer(from: number, to: number) {\n  await prisma.$transaction(async (tx) => {\n    await tx.$queryRaw\`SELECT balance FROM accounts WHERE id = \${from} FOR UPDATE\`;\n    await tx.$queryRaw\`SELECT balance FROM accounts WHERE id = \${to} FOR UPDATE\`;\n  });\n}`,
      errors: [{ line: 6, column: 11, message: ARGUMENT_ORDER("transfer", "accounts rows", "from", "to", SELECT_ANY, " in one transaction") }],
    },
    {
      name: "advisory locks in argument order",
      code: `${pg}export async function transfer(from: number, to: number) {\n  const client = await pool.connect();\n  await client.query("BEGIN");\n  await client.query("SELECT pg_advisory_xact_lock($1)", [from]);\n  await client.query("SELECT pg_advisory_xact_lock($1)", [to]);\n  await client.query("COMMIT");\n}`,
      errors: [{ line: 7, column: 9, message: ARGUMENT_ORDER("transfer", "advisory lock", "from", "to", SORT) }],
    },
    {
      name: "argument order through a call: the callee locks the key it is given",
      code: `${manager}async function credit(account: string) {\n  await accountLocks.lock(account, async () => {});\n}\nexport async function transfer(from: string, to: string) {\n  await accountLocks.lock(from, async () => {\n    await credit(to);\n  });\n}`,
      errors: [{ line: 8, column: 11, message: ARGUMENT_ORDER("transfer", "accountLocks[key]", "from", "to", LOCK_ALL, " (`transfer` holds `accountLocks[key]` and calls `credit`, which acquires `accountLocks[key]`)"), related: [{ line: 7 }, { line: 4 }] }],
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

  const balances = async () => (await pool.query(`SELECT id, balance FROM ${table} ORDER BY id`)).rows.map((r: { id: number; balance: number }) => [r.id, r.balance]);

  test("argument order: two opposite transfers that interleave deadlock (PostgreSQL aborts one)", async () => {
    let firstUpdates = 0;
    let bothDone!: () => void;
    const barrier = new Promise<void>((resolve) => (bothDone = resolve));
    const between = async () => {
      if (++firstUpdates === 2) bothDone();
      await barrier;
    };
    const results = await Promise.allSettled([transfer(1, 2, 100, { lockFirst: false, between }), transfer(2, 1, 30, { lockFirst: false, between })]);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.deepEqual(failures.map((f) => (f.reason as { code?: string }).code), ["40P01"], "exactly one transfer dies with deadlock_detected");
    const survivor = results[0]!.status === "fulfilled" ? [[1, 900], [2, 1100]] : [[1, 1030], [2, 970]];
    assert.deepEqual(await balances(), survivor);
  });

  test("rows locked first in id order: opposite transfers all commit", async () => {
    const runs = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? transfer(1, 2, 10, { lockFirst: true }) : transfer(2, 1, 3, { lockFirst: true })));
    const results = await Promise.allSettled(runs);
    assert.deepEqual(results.map((r) => r.status), Array(10).fill("fulfilled"));
    assert.deepEqual(await balances(), [[1, 1000 - 50 + 15], [2, 1000 + 50 - 15]]);
  });
});
