// Session 23's held-out recall set (bench/recall b210–b225), written afresh in the shapes of the misses fixed:
// - unsafe-lock-release / transaction-through-pool: a pool is known by where its factory is imported from, whatever
//   the local name (`import makeDb from "knex"; const db = makeDb(…)`, `import { Pool as PgPool } from "pg"`), and a
//   method whose only statement sends its first parameter to a pool forwards to it, whether it returns the result or
//   only awaits it. A transaction's handle, a checked-out client, and a method that sends a statement of its own stay
//   silent.
// - select-then-update: each element of a `for … of` over the rows a read found by a column's value is a row found, as
//   after `if (!row) return`, and work the loop awaits on it before an update of it by its key that changes that
//   column (a post published, then marked) is what two runs both do: a filter-then-write. The same loop whose update
//   repeats the filter in its WHERE (a compare-and-set), a mark made before the work, work in the other branch of an `if`,
//   work given the key the update names the row by (it may dedupe on it), and a loop whose only other statements are
//   database writes stay silent.
import { selectThenUpdate } from "../../rules/select-then-update";
import { transactionThroughPool } from "../../rules/transaction-through-pool";
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a transaction-level advisory lock inside the transaction of a knex instance made under another name",
      code: `import makeDb from "knex";
const db = makeDb({ client: "pg", connection: process.env.DATABASE_URL });
declare function rebuildSearchIndex(): Promise<void>;
export async function reindex() {
  await db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(?)", [9_100]);
    await rebuildSearchIndex();
  });
}
`,
    },
    {
      name: "a session lock taken and released on one client checked out of a renamed pg Pool",
      code: `import { Pool as PgPool } from "pg";
const conn = new PgPool();
declare function compactLedger(): Promise<void>;
export async function compact() {
  const client = await conn.connect();
  try {
    await client.query("SELECT pg_advisory_lock(77)");
    try {
      await compactLedger();
    } finally {
      await client.query("SELECT pg_advisory_unlock(77)");
    }
  } finally {
    client.release();
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "a session advisory lock through a knex instance made by a factory imported under another name",
      code: `import makeDb from "knex";
const db = makeDb({ client: "pg", connection: process.env.DATABASE_URL });
declare function rebuildSearchIndex(): Promise<void>;
export async function reindex() {
  await db.raw("SELECT pg_advisory_lock(?)", [9_100]);
  try {
    await rebuildSearchIndex();
  } finally {
    await db.raw("SELECT pg_advisory_unlock(?)", [9_100]);
  }
}
`,
      errors: [{ line: 5, column: 9, messageId: "pooledSessionLock" }],
    },
    {
      name: "a session advisory lock through a wrapper method whose only statement awaits the pool",
      code: `import { Pool } from "pg";
class Store {
  constructor(private readonly pool: Pool) {}
  async run(statement: string): Promise<void> {
    await this.pool.query(statement);
  }
}
const store = new Store(new Pool());
declare function sweepExpired(): Promise<void>;
export async function sweep() {
  await store.run("SELECT pg_advisory_lock(4_410)");
  try {
    await sweepExpired();
  } finally {
    await store.run("SELECT pg_advisory_unlock(4_410)");
  }
}
`,
      errors: [{ line: 11, column: 9, messageId: "pooledSessionLock" }],
    },
  ],
});

runRuleTests(transactionThroughPool, {
  valid: [
    {
      name: "a wrapper method that sends a statement of its own, not its parameter",
      code: `import { Pool } from "pg";
class Health {
  constructor(private readonly pool: Pool) {}
  async query(_label: string): Promise<void> {
    await this.pool.query("SELECT 1");
  }
}
const health = new Health(new Pool());
export async function check() {
  await health.query("BEGIN");
}
`,
    },
  ],
  invalid: [
    {
      name: "BEGIN sent through a wrapper method whose only statement awaits a renamed pg pool",
      code: `import { Pool as PgPool } from "pg";
class Db {
  constructor(private readonly pool: PgPool) {}
  async query(text: string, values: unknown[] = []): Promise<void> {
    await this.pool.query(text, values);
  }
}
const store = new Db(new PgPool());
export async function moveSeat(seatId: number, toRow: number) {
  await store.query("BEGIN");
  await store.query("UPDATE seats SET row_no = $1 WHERE id = $2", [toRow, seatId]);
  await store.query("COMMIT");
}
`,
      errors: [{ line: 10, column: 9, messageId: "beginThroughPool" }],
    },
  ],
});

const prismaHeader = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function publishPost(id: string, body: string): Promise<void>;
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "each queued post claimed by an update that repeats the filter, its count checked",
      code: `${prismaHeader}
export async function publishQueued() {
  const queued = await prisma.post.findMany({ where: { state: "queued" }, take: 20 });
  for (const post of queued) {
    const claimed = await prisma.post.updateMany({ where: { id: post.id, state: "queued" }, data: { state: "publishing" } });
    if (claimed.count === 0) continue;
    await publishPost(post.id, post.body);
  }
}
`,
    },
    {
      name: "each expired trial marked first, then mailed: the mark comes before the work",
      code: `${prismaHeader}
export async function expireTrials() {
  const expired = await prisma.trial.findMany({ where: { active: true } });
  for (const trial of expired) {
    await prisma.trial.update({ where: { id: trial.id }, data: { active: false } });
    await publishPost(trial.id, "trial expired");
  }
}
`,
    },
    {
      name: "the work in one branch, the status set in the other",
      code: `${prismaHeader}
export async function dispatchDue() {
  const due = await prisma.post.findMany({ where: { state: "due" } });
  for (const post of due) {
    if (post.ready) {
      await publishPost(post.id, post.body);
    } else {
      await prisma.post.update({ where: { id: post.id }, data: { state: "waiting" } });
    }
  }
}
`,
    },
    {
      name: "the work is given the key the update names the row by, so it may dedupe on it",
      code: `${prismaHeader}
export async function publishQueuedOnce() {
  const queued = await prisma.post.findMany({ where: { state: "queued" } });
  for (const post of queued) {
    await publishPost(post.slug, "once per slug");
    await prisma.post.update({ where: { slug: post.slug }, data: { state: "published" } });
  }
}
`,
    },
    {
      name: "an idempotent upsert per element before the status is set, no other work",
      code: `${prismaHeader}
export async function closeOpenPeriods(period: string) {
  const open = await prisma.ledgerPeriod.findMany({ where: { state: "open" } });
  for (const row of open) {
    await prisma.periodTotal.upsert({ where: { id: row.id }, create: { id: row.id, period }, update: { period } });
    await prisma.ledgerPeriod.update({ where: { id: row.id }, data: { state: "closed" } });
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "each queued post published, then marked, in a loop over the posts read by their state",
      code: `${prismaHeader}
export async function publishQueued() {
  const queued = await prisma.post.findMany({ where: { state: "queued" }, take: 20 });
  for (const post of queued) {
    await publishPost(post.id, post.body);
    await prisma.post.update({ where: { id: post.id }, data: { state: "published" } });
  }
}
`,
      errors: [{ line: 9, column: 11, messageId: "filterThenWrite" }],
    },
  ],
});
