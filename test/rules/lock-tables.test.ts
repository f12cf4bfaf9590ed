// Lock tables (a SQL table whose row is the lock) as acquisitions for the lock rules: an insert of an owner row that
// copes with the row existing, into a table named as a lock, whose rows the file deletes.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { lockWithoutExpiry } from "../../rules/lock-without-expiry";
import { reentrantLock } from "../../rules/reentrant-lock";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";
import { connectPg, suffix } from "../runtime/services";

const pg = `import { Pool } from "pg";
const pool = new Pool();
declare function sendInvoices(): Promise<void>;
`;
const ACQUIRE = `"INSERT INTO job_locks (name, owner, expires_at) VALUES ('billing', $1, now() + interval '5 minutes') ON CONFLICT (name) DO NOTHING"`;
const RELEASE = `"DELETE FROM job_locks WHERE name = 'billing' AND owner = $1"`;

/** A lock service over a pg lock table (lines 2-17): `acquire` says whether the row was inserted. */
const service = `import { Pool } from "pg";
class JobLocks {
  constructor(private readonly pool: Pool) {}
  async acquire(name: string, owner: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "INSERT INTO job_locks (name, owner, expires_at) VALUES ($1, $2, now() + interval '5 minutes') ON CONFLICT (name) DO NOTHING",
      [name, owner],
    );
    return rowCount === 1;
  }
  async release(name: string, owner: string): Promise<void> {
    await this.pool.query("DELETE FROM job_locks WHERE name = $1 AND owner = $2", [name, owner]);
  }
}
const locks = new JobLocks(new Pool());
declare function rebuild(): Promise<void>;
`;

/** The correct twin: the insert's row count decides, the release is in `finally`, the row expires. */
const checkedAndReleased = `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query(${ACQUIRE}, [owner]);
  if (rowCount === 0) return;
  try {
    await sendInvoices();
  } finally {
    await pool.query(${RELEASE}, [owner]);
  }
}`;

/** Ordinary upserts: no owner column, or an owner in a table that is not named as a lock (`block_versions` is not). */
const ordinaryUpserts = `${pg}export async function track(page: string, id: string, ownerId: string) {
  await pool.query("INSERT INTO page_views (page, views) VALUES ($1, 1) ON CONFLICT (page) DO NOTHING", [page]);
  await pool.query("INSERT INTO documents (id, owner_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [id, ownerId]);
  await pool.query("INSERT INTO block_versions (id, owner, expires_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO NOTHING", [id, ownerId]);
  await sendInvoices();
  await pool.query("DELETE FROM page_views WHERE page = $1", [page]);
  await pool.query("DELETE FROM documents WHERE id = $1", [id]);
  await pool.query("DELETE FROM block_versions WHERE id = $1", [id]);
}`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    { name: "lock-table insert whose row count decides", code: checkedAndReleased },
    { name: "ordinary upserts are not locks", code: ordinaryUpserts },
    {
      name: "a lock row in a table nobody deletes from is not taken as a lock (a claim kept for good)",
      code: `${pg}export async function claim(owner: string) {
  await pool.query(${ACQUIRE}, [owner]);
  await sendInvoices();
}`,
    },
    {
      name: "a lock service's try-acquire checked by the caller",
      code: `${service}export async function nightly(owner: string) {
  if (!(await locks.acquire("nightly", owner))) return;
  try {
    await rebuild();
  } finally {
    await locks.release("nightly", owner);
  }
}`,
    },
  ],
  invalid: [
    {
      name: "lock-table insert with ON CONFLICT DO NOTHING, result discarded",
      code: `${pg}export async function runBilling(owner: string) {
  await pool.query(${ACQUIRE}, [owner]);
  try {
    await sendInvoices();
  } finally {
    await pool.query(${RELEASE}, [owner]);
  }
}`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "resultDiscarded",
          message:
            "The lock row in `job_locks` may not be acquired — `pool.query(…)` returns a result with a row count of 0 when another holder has it — but its result is discarded: the critical section runs whether or not the lock was acquired, so two callers can run it at the same time.",
        },
      ],
    },
    {
      name: "a lock service's try-acquire whose result the caller discards",
      code: `${service}export async function nightly(owner: string) {
  await locks.acquire("nightly", owner);
  try {
    await rebuild();
  } finally {
    await locks.release("nightly", owner);
  }
}`,
      errors: [
        {
          line: 18,
          column: 9,
          messageId: "resultDiscarded",
          data: {
            // A lock-table helper is keyed by the argument its row's key column is inserted with.
            lock: 'The lock `locks.acquire` takes for `"nightly"`',
            call: '`locks.acquire("nightly", owner)`',
            failure: "a falsy value",
          },
          suggestions: [
            {
              title: "Stop when the lock is not acquired",
              output: `${service}export async function nightly(owner: string) {
  const acquired = await locks.acquire("nightly", owner);
  if (!acquired) {
    throw new Error(\`lock \\"nightly\\" is held by another process\`);
  }
  try {
    await rebuild();
  } finally {
    await locks.release("nightly", owner);
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    { name: "lock-table release in finally", code: checkedAndReleased },
    { name: "ordinary upserts and deletes are not locks", code: ordinaryUpserts },
  ],
  invalid: [
    {
      name: "a lock service whose release names the row by a parameter of its own (not acquire's): released after the work",
      code: `${service
        .replace("async release(name: string", "async release(lockName: string")
        .replace("[name, owner]);\n  }\n}", "[lockName, owner]);\n  }\n}")}export async function nightly(owner: string) {
  if (!(await locks.acquire("nightly", owner))) return;
  await rebuild();
  await locks.release("nightly", owner);
}`,
      errors: [
        { line: 18, column: 15, messageId: "releaseSkippable", related: [{ line: 20, message: "released here, but not on every path" }] },
      ],
    },
    {
      name: "lock-table release after the work, not in finally",
      code: `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query(${ACQUIRE}, [owner]);
  if (rowCount === 0) return;
  await sendInvoices();
  await pool.query(${RELEASE}, [owner]);
}`,
      errors: [
        {
          line: 5,
          column: 30,
          messageId: "releaseSkippable",
          message:
            "The lock row in `job_locks` is released at line 8 only if nothing goes wrong: if `await sendInvoices()` at line 7 throws, the release is skipped and the lock stays held until it expires, and meanwhile every other attempt to take it fails.",
          related: [{ line: 8, message: "released here, but not on every path" }],
        },
      ],
      output: `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query(${ACQUIRE}, [owner]);
  if (rowCount === 0) return;
  try {
    await sendInvoices();
  } finally {
    await pool.query(${RELEASE}, [owner]);
  }
}`,
    },
  ],
});

runRuleTests(lockWithoutExpiry, {
  valid: [
    { name: "lock row written with an expiry", code: checkedAndReleased },
    { name: "ordinary upserts are not locks", code: ordinaryUpserts },
    {
      name: "lock row with the time it was taken, swept when stale",
      code: `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query(
    "INSERT INTO job_locks (name, locked_by, locked_at) VALUES ('billing', $1, now()) ON CONFLICT (name) DO NOTHING",
    [owner],
  );
  if (rowCount === 0) return;
  try {
    await sendInvoices();
  } finally {
    await pool.query("DELETE FROM job_locks WHERE name = 'billing' AND locked_by = $1", [owner]);
  }
}`,
    },
    {
      name: "lock row without a time column, but a sweeper deletes rows by age",
      code: `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query("INSERT INTO job_locks (name, locked_by) VALUES ('billing', $1) ON CONFLICT (name) DO NOTHING", [owner]);
  if (rowCount === 0) return;
  try {
    await sendInvoices();
  } finally {
    await pool.query("DELETE FROM job_locks WHERE name = 'billing' AND locked_by = $1", [owner]);
  }
}
export async function sweep() {
  await pool.query("DELETE FROM job_locks WHERE created < now() - interval '1 hour'");
}`,
    },
  ],
  invalid: [
    {
      name: "a Prisma lock model (jobLock) whose row has an owner and no expiry",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function acquire(key: string, owner: string): Promise<boolean> {
  try {
    await prisma.jobLock.create({ data: { key, owner } });
    return true;
  } catch {
    return false;
  }
}
export async function release(key: string, owner: string): Promise<void> {
  await prisma.jobLock.deleteMany({ where: { key, owner } });
}`,
      errors: [{ line: 5, column: 11, messageId: "tableNoExpiry", data: { lock: "The lock row in `jobLock`", owner: "`owner`" } }],
    },
    {
      name: "lock row with an owner and nothing saying when it lapses",
      code: `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query("INSERT INTO job_locks (name, locked_by) VALUES ('billing', $1) ON CONFLICT (name) DO NOTHING", [owner]);
  if (rowCount === 0) return;
  try {
    await sendInvoices();
  } finally {
    await pool.query("DELETE FROM job_locks WHERE name = 'billing' AND locked_by = $1", [owner]);
  }
}`,
      errors: [
        {
          line: 5,
          column: 30,
          messageId: "tableNoExpiry",
          message:
            "The lock row in `job_locks` is inserted with `locked_by` and no column saying when it lapses or was taken: a holder that crashes (or is killed during a deploy) before deleting its row keeps the lock forever, and every later caller is turned away until someone deletes the row by hand.",
        },
      ],
    },
  ],
});

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "the slow call runs after the lock row is deleted",
      code: `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query(${ACQUIRE}, [owner]);
  if (rowCount === 0) return;
  try {
    await sendInvoices();
  } finally {
    await pool.query(${RELEASE}, [owner]);
  }
  await fetch("https://hooks.example.com/billing-done");
}`,
    },
    {
      name: "a slow call after an ordinary upsert",
      code: `${pg}export async function track(page: string) {
  await pool.query("INSERT INTO page_views (page, views) VALUES ($1, 1) ON CONFLICT (page) DO NOTHING", [page]);
  await fetch("https://hooks.example.com/viewed");
  await pool.query("DELETE FROM page_views WHERE page = $1", [page]);
}`,
    },
  ],
  invalid: [
    {
      name: "an HTTP call while the lock row (a lease) is held",
      code: `${pg}export async function runBilling(owner: string) {
  const { rowCount } = await pool.query(${ACQUIRE}, [owner]);
  if (rowCount === 0) return;
  try {
    await fetch("https://billing.example.com/run");
  } finally {
    await pool.query(${RELEASE}, [owner]);
  }
}`,
      errors: [{ line: 8, column: 5, messageId: "underExpiringLease" }],
    },
  ],
});

/** Prisma: the row is the lock, a duplicate key (P2002) means busy. */
const prismaLocks = `import { PrismaClient, Prisma } from "@prisma/client";
const prisma = new PrismaClient();
declare function doSync(): Promise<void>;
export async function sync(key: string, owner: string) {
  try {
    await prisma.lock.create({ data: { key, owner, expiresAt: new Date(Date.now() + 30_000) } });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return;
    throw error;
  }
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a lock service whose acquire inserts the row (no expiry) and whose release deletes it",
      code: `import { PrismaClient } from "@prisma/client";
export class Locks {
  constructor(private readonly prisma: PrismaClient) {}
  async acquire(key: string, owner: string): Promise<boolean> {
    try {
      const row = await this.prisma.jobLock.create({ data: { key, owner } });
      return row.owner === owner;
    } catch {
      return false;
    }
  }
  async release(key: string, owner: string): Promise<void> {
    await this.prisma.jobLock.deleteMany({ where: { key, owner } });
  }
}`,
    },
    {
      name: "Prisma lock row deleted in finally",
      code: `${prismaLocks}  try {
    await doSync();
  } finally {
    await prisma.lock.deleteMany({ where: { key, owner } });
  }
}`,
    },
  ],
  invalid: [
    {
      name: "Prisma lock row deleted after the work",
      code: `${prismaLocks}  await doSync();
  await prisma.lock.deleteMany({ where: { key, owner } });
}`,
      errors: [
        { line: 6, column: 11, messageId: "releaseSkippable", related: [{ line: 12, message: "released here, but not on every path" }] },
      ],
    },
  ],
});

const TAKEN = "the key is already taken by this same owner, so the second acquisition fails (or waits until the first one expires)";
// Lock order and re-entry tell the rows of a lock table apart by the value of their key column (`name` here, the
// ON CONFLICT target): the row's key is the table's lock instance, as a Redis key is.
const takeRow = (key: string) =>
  `pool.query("INSERT INTO job_locks (name, owner, expires_at) VALUES (${key}, $1, now() + interval '1 minute') ON CONFLICT (name) DO NOTHING", [owner])`;
const giveRow = (key: string) => `pool.query("DELETE FROM job_locks WHERE name = ${key} AND owner = $1", [owner])`;
/** A job holding the lock row `rows[0]` while it takes `rows[1]`, giving them back in reverse. */
const nestedRows = (job: string, rows: [string, string]) => `export async function ${job}(owner: string) {
  await ${takeRow(`'${rows[0]}'`)};
  await ${takeRow(`'${rows[1]}'`)};
  await sendInvoices();
  await ${giveRow(`'${rows[1]}'`)};
  await ${giveRow(`'${rows[0]}'`)};
}`;
/** Two jobs each holding one named lock row while taking another: `invoices`/`ledger` in `billing`, the given order in `reports`. */
const twoRows = (reports: [string, string]) => `${pg}${nestedRows("billing", ["invoices", "ledger"])}
${nestedRows("reports", reports)}`;
/** A job holding the row of `name` that calls a helper taking the row of `key` (the name again, or another). */
const rowThroughCall = (key: "name" | "index") => `${pg}export async function rebuild(name: string, index: string, owner: string) {
  await pool.query(
    "INSERT INTO job_locks (name, owner, expires_at) VALUES ($1, $2, now() + interval '1 minute') ON CONFLICT (name) DO NOTHING",
    [name, owner],
  );
  try {
    await refresh(${key}, owner);
  } finally {
    await pool.query("DELETE FROM job_locks WHERE name = $1 AND owner = $2", [name, owner]);
  }
}
async function refresh(job: string, owner: string) {
  await pool.query(
    "INSERT INTO job_locks (name, owner, expires_at) VALUES ($1, $2, now() + interval '1 minute') ON CONFLICT (name) DO NOTHING",
    [job, owner],
  );
  await pool.query("DELETE FROM job_locks WHERE name = $1 AND owner = $2", [job, owner]);
}`;

/**
 * `billing` holds `invoices` past the release of another row (`ledger`) and then takes `payouts`; `payouts` takes the
 * two given rows in turn. A delete gives back only the row its key names.
 */
const pastOtherRelease = (payouts: [string, string]) => `${pg}export async function billing(owner: string) {
  await ${takeRow("'invoices'")};
  await ${takeRow("'ledger'")};
  await ${giveRow("'ledger'")};
  await ${takeRow("'payouts'")};
  await sendInvoices();
  await ${giveRow("'payouts'")};
  await ${giveRow("'invoices'")};
}
${nestedRows("payouts", payouts)}`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    { name: "two lock rows taken in one order everywhere", code: twoRows(["invoices", "ledger"]) },
    {
      name: "a row held past the release of another row, rows taken in one order everywhere",
      code: pastOtherRelease(["invoices", "payouts"]),
    },
  ],
  invalid: [
    {
      name: "a row held past the release of another row (the delete names its own key), then rows taken in opposite orders",
      code: pastOtherRelease(["payouts", "invoices"]),
      errors: [
        {
          line: 8,
          column: 9,
          messageId: "cycle",
          data: {
            here: "`billing` acquires `job_locks lock payouts` while holding `job_locks lock invoices`",
            elsewhere: "`payouts` acquires `job_locks lock invoices` while holding `job_locks lock payouts`",
            parties: "Two tasks running these at once",
            outcome: "wait forever for the other",
          },
        },
        { line: 15, column: 9, messageId: "cycle" },
      ],
    },
    {
      name: "two lock rows (SQL literal keys) taken in opposite orders",
      code: twoRows(["ledger", "invoices"]),
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "cycle",
          data: {
            here: "`billing` acquires `job_locks lock ledger` while holding `job_locks lock invoices`",
            elsewhere: "`reports` acquires `job_locks lock invoices` while holding `job_locks lock ledger`",
            parties: "Two tasks running these at once",
            outcome: "wait forever for the other",
          },
        },
        { line: 13, column: 9, messageId: "cycle" },
      ],
    },
  ],
});

/**
 * A job that tries the row of `name` and, when it is taken, tries to take it over once it lapsed — or (`retakes`)
 * inserts the same row again while holding it.
 */
const takeover = (retakes: boolean) => `${pg}export async function compact(name: string, owner: string) {
  const first = await pool.query(
    "INSERT INTO job_locks (name, owner, expires_at) VALUES ($1, $2, now() + interval '1 minute') ON CONFLICT (name) DO NOTHING",
    [name, owner],
  );
  if (${retakes ? "first.rowCount === 1" : "first.rowCount === 0"}) {
    const taken = await pool.query(
      "INSERT INTO job_locks (name, owner, expires_at) VALUES ($1, $2, now() + interval '1 minute') ON CONFLICT (name) DO UPDATE SET owner = $2 WHERE job_locks.expires_at < now()",
      [name, owner],
    );
    if (taken.rowCount === 0) return;
  }
  await sendInvoices();
  await pool.query("DELETE FROM job_locks WHERE name = $1 AND owner = $2", [name, owner]);
}`;

/** A job taking the row `exports`, deleting the row of `key`, and taking `exports` again. */
const retakeAfter = (key: string) => `${pg}export async function retry(owner: string) {
  await ${takeRow("'exports'")};
  await ${giveRow(key)};
  await ${takeRow("'exports'")};
  await ${giveRow("'exports'")};
}`;

runRuleTests(reentrantLock, {
  valid: [
    { name: "a job holding one lock row calls a helper taking another row", code: rowThroughCall("index") },
    { name: "a takeover insert of the same row on the branch where the first insert failed (the row is not held)", code: takeover(false) },
    { name: "a row deleted by its own key, then inserted again", code: retakeAfter("'exports'") },
  ],
  invalid: [
    {
      name: "a job holding a lock row calls a helper inserting the same row again",
      code: rowThroughCall("name"),
      errors: [
        {
          line: 10,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: {
            holder: "`rebuild`",
            lock: "`job_locks lock`",
            calls: "`refresh`",
            consequence: TAKEN,
          },
        },
      ],
    },
    {
      name: "a row inserted again after a delete naming another row's key (its own row is still held)",
      code: retakeAfter("'imports'"),
      errors: [
        { line: 7, column: 9, messageId: "reacquired", data: { holder: "`retry`", lock: "`job_locks lock exports`", consequence: TAKEN } },
      ],
    },
    {
      name: "the same row inserted again on the branch where the first insert took it",
      code: takeover(true),
      errors: [
        { line: 10, column: 25, messageId: "reacquired", data: { holder: "`compact`", lock: "`job_locks lock`", consequence: TAKEN } },
      ],
    },
  ],
});

// The unchecked ON CONFLICT DO NOTHING is a real double entry against PostgreSQL, and checking the row count removes it.
describe("lock table against PostgreSQL", () => {
  const table = `lt_job_locks_${suffix()}`;
  let pool: Pool;
  before(async () => {
    pool = await connectPg();
    await pool.query(`CREATE TABLE ${table} (name text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL)`);
  });
  after(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });
  beforeEach(async () => {
    await pool.query(`DELETE FROM ${table}`);
  });

  /** Two workers run billing at once, as the rule's tests write it; both try to insert before either releases. */
  async function runTwoWorkers(checkRowCount: boolean): Promise<string[]> {
    const entered: string[] = [];
    let attempts = 0;
    let bothTried!: () => void;
    const barrier = new Promise<void>((resolve) => (bothTried = resolve));
    const worker = async (owner: string) => {
      const { rowCount } = await pool.query(
        `INSERT INTO ${table} (name, owner, expires_at) VALUES ('billing', $1, now() + interval '5 minutes') ON CONFLICT (name) DO NOTHING`,
        [owner],
      );
      if (++attempts === 2) bothTried();
      await barrier;
      if (checkRowCount && rowCount === 0) return;
      try {
        entered.push(owner);
      } finally {
        await pool.query(`DELETE FROM ${table} WHERE name = 'billing' AND owner = $1`, [owner]);
      }
    };
    await Promise.all([worker("worker-a"), worker("worker-b")]);
    return entered.sort();
  }

  const rowsLeft = async () => Number((await pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  test("result discarded: both workers run the critical section", async () => {
    assert.deepEqual(await runTwoWorkers(false), ["worker-a", "worker-b"]);
    assert.equal(await rowsLeft(), 0);
  });

  test("row count checked: exactly one worker runs it, and its row is deleted", async () => {
    assert.equal((await runTwoWorkers(true)).length, 1);
    assert.equal(await rowsLeft(), 0);
  });
});
