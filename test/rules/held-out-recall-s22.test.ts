// Session 22's held-out recall set (bench/recall b194–b209), written afresh in the shapes of the misses fixed:
// - select-then-update: a Redis string key's value is one column: a field of the JSON stored there, written back inside
//   the new value of that key (`{ ...record, hits: record.hits + 1, bytes: record.bytes + size }`), is a lost update as
//   a spread of it is. A counter reserved with INCR, and a JSON value written to another key, stay silent.
// - write-skew: an overlap check is no "at most one" check whether the write inserts a row or moves one into the range
//   (an update setting the column the check pinned); and rows the check read that are shown only in its refusal (a
//   lone `return`/`throw` under a test of their size) are still only a check. An equality check before such an update
//   stays silent (a unique index's job), and so do rows the function goes on to use.
// - unchecked-lock-acquisition: `SELECT pg_try_advisory_lock(…)` returns one row whether or not it took the lock, so a
//   test of the rows (`!rows`, `rows.length === 0`, the array a `db.select(sql)` helper returns) decides nothing; a
//   test of the value in a row (`rows[0].ok`, `[row]` then `row?.ok`, `{ rows: [{ ok }] }`) does.
// - select-then-update: where paths meet, a field of a loaded Mongoose document set from the read on one of them is what
//   its save may lose, whatever another statement pushed onto one of its arrays (saved as `$push`). A push alone stays
//   silent.
// - write-skew: Sequelize's `findOrCreate({ where })` is a lookup, then an insert of the where fields; on a model whose
//   declaration has no unique index over them two calls both insert. A model declaring that unique index stays silent.
// - write-skew: `if (rows.length > 0 && rows[0].body === body) return` lets the insert after it run wherever the lookup
//   found nothing, so with no unique index declared over the columns it pins the insert duplicates the row. The same
//   test over a table declaring the unique index stays silent. A unique index over a column the insert fills with a
//   value that is null where the lookup found nothing (`rows[0]?.id ?? null`) closes nothing: NULLs are distinct.
import { selectThenUpdate } from "../../rules/select-then-update";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";
import { sqlProject } from "../helpers/sql-project";

const redisHeader = `import Redis from "ioredis";

const redis = new Redis(process.env.REDIS_URL!);
declare function fetchPage(url: string): Promise<{ html: string; size: number }>;
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a crawl budget reserved with INCR before the fetch",
      code: `${redisHeader}
export async function crawl(siteId: string, url: string) {
  const used = await redis.incr(\`crawl-budget:\${siteId}\`);
  if (used > 500) throw new Error("budget spent");
  const page = await fetchPage(url);
  await redis.incrby(\`crawl-bytes:\${siteId}\`, page.size);
  return page.html;
}
`,
    },
    {
      name: "the JSON value of one key summarised into another key",
      code: `${redisHeader}
export async function snapshot(siteId: string) {
  const raw = await redis.get(\`crawl-stats:\${siteId}\`);
  const stats = raw ? JSON.parse(raw) : { hits: 0, bytes: 0 };
  await redis.set(\`crawl-summary:\${siteId}\`, JSON.stringify({ hits: stats.hits, bytes: stats.bytes }));
}
`,
    },
  ],
  invalid: [
    {
      name: "two fields of a Redis JSON record written back, one of them plus a fetched size",
      code: `${redisHeader}
export async function crawl(siteId: string, url: string) {
  const key = \`crawl-stats:\${siteId}\`;
  const raw = await redis.get(key);
  const stats = raw ? JSON.parse(raw) : { hits: 0, bytes: 0 };
  const page = await fetchPage(url);
  await redis.set(key, JSON.stringify({ hits: stats.hits + 1, bytes: stats.bytes + page.size }));
  return page.html;
}
`,
      errors: [{ line: 11, column: 9, messageId: "redisLostUpdate" }],
    },
    {
      name: "a spread of the record beside a field computed from it",
      code: `${redisHeader}
export async function crawl(siteId: string, url: string) {
  const key = \`crawl-stats:\${siteId}\`;
  const stats = JSON.parse((await redis.get(key)) ?? "{}");
  const page = await fetchPage(url);
  const next = { ...stats, bytes: stats.bytes + page.size, lastUrl: url };
  await redis.set(key, JSON.stringify(next), "EX", 3600);
  return page.html;
}
`,
      errors: [{ line: 11, column: 9, messageId: "redisLostUpdate" }],
    },
  ],
});

const drizzleDesks = `import { drizzle } from "drizzle-orm/node-postgres";
import { and, eq, gt, lt, ne } from "drizzle-orm";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { Pool } from "pg";

const deskHolds = pgTable("desk_holds", {
  id: text("id").primaryKey(),
  deskId: integer("desk_id"),
  day: text("day").notNull(),
  from: timestamp("from").notNull(),
  until: timestamp("until").notNull(),
});
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "an equality check of the desk and day before the hold is moved there: at most one, a unique index's job",
      code: `${drizzleDesks}
export async function moveHold(holdId: string, deskId: number, day: string) {
  const taken = await db.select({ id: deskHolds.id }).from(deskHolds).where(and(eq(deskHolds.deskId, deskId), eq(deskHolds.day, day)));
  if (taken.length > 0) return { ok: false, taken: taken.map((t) => t.id) };
  await db.update(deskHolds).set({ deskId, day }).where(eq(deskHolds.id, holdId));
  return { ok: true };
}
`,
    },
    {
      name: "overlapping holds released one by one before the move: the rows are used, not only counted",
      code: `${drizzleDesks}
export async function moveHold(holdId: string, deskId: number, from: Date, until: Date) {
  const clashes = await db
    .select({ id: deskHolds.id })
    .from(deskHolds)
    .where(and(eq(deskHolds.deskId, deskId), lt(deskHolds.from, until), gt(deskHolds.until, from), ne(deskHolds.id, holdId)));
  for (const clash of clashes) await db.update(deskHolds).set({ deskId: null }).where(eq(deskHolds.id, clash.id));
  await db.update(deskHolds).set({ deskId }).where(eq(deskHolds.id, holdId));
}
`,
    },
  ],
  invalid: [
    {
      name: "an overlap check over the desk, then an update moving the hold onto that desk",
      code: `${drizzleDesks}
export async function moveHold(holdId: string, deskId: number, from: Date, until: Date) {
  const clashes = await db
    .select({ id: deskHolds.id })
    .from(deskHolds)
    .where(and(eq(deskHolds.deskId, deskId), lt(deskHolds.from, until), gt(deskHolds.until, from), ne(deskHolds.id, holdId)));
  if (clashes.length > 0) throw new Error("desk taken");
  await db.update(deskHolds).set({ deskId }).where(eq(deskHolds.id, holdId));
}
`,
      errors: [{ line: 21, column: 9, messageId: "grows" }],
    },
    {
      name: "the clashing holds named in the refusal, then the move",
      code: `${drizzleDesks}
export async function moveHold(holdId: string, deskId: number, from: Date, until: Date) {
  const clashes = await db
    .select({ id: deskHolds.id })
    .from(deskHolds)
    .where(and(eq(deskHolds.deskId, deskId), lt(deskHolds.from, until), gt(deskHolds.until, from), ne(deskHolds.id, holdId)));
  if (clashes.length > 0) return { ok: false, clashes: clashes.map((c) => c.id) };
  await db.update(deskHolds).set({ deskId }).where(eq(deskHolds.id, holdId));
  return { ok: true };
}
`,
      errors: [{ line: 21, column: 9, messageId: "grows" }],
    },
    {
      name: "the clashing holds named in the refusal, then an insert",
      code: `${drizzleDesks}
export async function holdDesk(id: string, deskId: number, day: string, from: Date, until: Date) {
  const clashes = await db
    .select({ id: deskHolds.id })
    .from(deskHolds)
    .where(and(eq(deskHolds.deskId, deskId), lt(deskHolds.from, until), gt(deskHolds.until, from)));
  if (clashes.length > 0) {
    throw new Error(\`desk taken by \${clashes.map((c) => c.id).join(", ")}\`);
  }
  await db.insert(deskHolds).values({ id, deskId, day, from, until });
}
`,
      errors: [{ line: 23, column: 9, messageId: "grows" }],
    },
  ],
});

const pgHeader = `import { Client } from "pg";

declare function rebuildSearchIndex(): Promise<void>;
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "the lock function's value read from the first row",
      code: `${pgHeader}
export async function reindex(client: Client) {
  const { rows } = await client.query("SELECT pg_try_advisory_lock(9001) AS held");
  if (!rows[0].held) return;
  try {
    await rebuildSearchIndex();
  } finally {
    await client.query("SELECT pg_advisory_unlock(9001)");
  }
}
`,
    },
    {
      name: "the value derived from the result, with a row count test beside it",
      code: `${pgHeader}
export async function reindex(client: Client) {
  const result = await client.query("SELECT pg_try_advisory_lock(9001) AS held");
  const held = result.rowCount === 1 && result.rows[0]?.held === true;
  if (!held) return;
  try {
    await rebuildSearchIndex();
  } finally {
    await client.query("SELECT pg_advisory_unlock(9001)");
  }
}
`,
    },
    {
      name: "the column destructured from the first row",
      code: `${pgHeader}
export async function reindex(client: Client) {
  const {
    rows: [{ held }],
  } = await client.query("SELECT pg_try_advisory_lock(9001) AS held");
  if (!held) return;
  try {
    await rebuildSearchIndex();
  } finally {
    await client.query("SELECT pg_advisory_unlock(9001)");
  }
}
`,
    },
    {
      name: "a select helper's first row, then its column",
      code: `${pgHeader}
interface JobDb {
  select(sql: string): Promise<Array<Record<string, unknown>>>;
  query(sql: string): Promise<unknown>;
}
export async function reindex(db: JobDb) {
  const [row] = await db.select("SELECT pg_try_advisory_lock(9001) AS held");
  if (!row?.held) return;
  try {
    await rebuildSearchIndex();
  } finally {
    await db.query("SELECT pg_advisory_unlock(9001)");
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "the rows array tested for truthiness",
      code: `${pgHeader}
export async function reindex(client: Client) {
  const { rows } = await client.query("SELECT pg_try_advisory_lock(9001) AS held");
  if (!rows) return;
  try {
    await rebuildSearchIndex();
  } finally {
    await client.query("SELECT pg_advisory_unlock(9001)");
  }
}
`,
      errors: [{ line: 6, column: 26, messageId: "rowsTested" }],
    },
    {
      name: "the number of rows tested",
      code: `${pgHeader}
export async function reindex(client: Client) {
  const result = await client.query("SELECT pg_try_advisory_lock(9001) AS held");
  if (result.rows.length === 0) throw new Error("busy");
  try {
    await rebuildSearchIndex();
  } finally {
    await client.query("SELECT pg_advisory_unlock(9001)");
  }
}
`,
      errors: [{ line: 6, column: 24, messageId: "rowsTested" }],
    },
    {
      name: "the array a select helper returns tested for truthiness",
      code: `${pgHeader}
interface JobDb {
  select(sql: string): Promise<Array<Record<string, unknown>>>;
  query(sql: string): Promise<unknown>;
}
export async function reindex(db: JobDb) {
  const held = await db.select("SELECT pg_try_advisory_lock(9001) AS held");
  if (!held) throw new Error("another reindex is running");
  try {
    await rebuildSearchIndex();
  } finally {
    await db.query("SELECT pg_advisory_unlock(9001)");
  }
}
`,
      errors: [{ line: 10, column: 22, messageId: "rowsTested" }],
    },
  ],
});

const mongooseCharges = `import { Schema, model } from "mongoose";

const Charge = model("Charge", new Schema({ state: String, events: [String] }));
const NEXT_STATE: Record<string, Record<string, string>> = {
  captured: { authorized: "captured" },
  refunded: { captured: "refunded" },
};
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "an event pushed onto the charge's log and saved",
      code: `${mongooseCharges}
export async function logEvent(chargeId: string, type: string) {
  const charge = await Charge.findById(chargeId);
  if (!charge) return;
  charge.events.push(type);
  await charge.save();
}
`,
    },
  ],
  invalid: [
    {
      name: "an event pushed, then the state moved along a table by the state read, then saved",
      code: `${mongooseCharges}
export async function applyEvent(chargeId: string, type: string) {
  const charge = await Charge.findById(chargeId);
  if (!charge) return;
  charge.events.push(type);
  const next = NEXT_STATE[type]?.[charge.state!];
  if (next) charge.state = next;
  await charge.save();
}
`,
      errors: [{ line: 15, column: 9, messageId: "documentLostUpdate" }],
    },
  ],
});

const sequelizeQuotas = `import { DataTypes, Model, Sequelize } from "sequelize";

const sequelize = new Sequelize(process.env.DATABASE_URL!);
class QuotaRow extends Model {}
QuotaRow.init({ tenantId: DataTypes.STRING, month: DataTypes.STRING, used: DataTypes.INTEGER }, { sequelize, tableName: "quota_rows" });
class KeyedQuotaRow extends Model {}
KeyedQuotaRow.init(
  { tenantId: DataTypes.STRING, month: DataTypes.STRING, used: DataTypes.INTEGER },
  { sequelize, tableName: "keyed_quota_rows", indexes: [{ unique: true, fields: ["tenant_id", "month"] }] },
);
`;

const pgIngest = `import { Pool } from "pg";

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
`;

const ingestDdl = (unique: boolean) => `CREATE TABLE mirror_items (
  id bigserial PRIMARY KEY,
  source_id text NOT NULL,
  external_id text NOT NULL,
  payload text NOT NULL
);
${unique ? "CREATE UNIQUE INDEX mirror_items_key ON mirror_items (source_id, external_id);" : "CREATE INDEX mirror_items_key ON mirror_items (source_id, external_id);"}
`;

const supersedingDdl = `CREATE TABLE mirror_items (
  id bigserial PRIMARY KEY,
  source_id text NOT NULL,
  external_id text NOT NULL,
  payload text NOT NULL,
  replaces bigint
);
CREATE UNIQUE INDEX mirror_items_replaces ON mirror_items (replaces);
`;

const supersedingItem = (
  replaces: string,
) => `export async function mirror(sourceId: string, externalId: string, payload: string, previous: number) {
  const { rows } = await pool.query("SELECT id, payload FROM mirror_items WHERE source_id = $1 AND external_id = $2", [sourceId, externalId]);
  if (rows.length > 0) return rows[0].id;
  await pool.query("INSERT INTO mirror_items (source_id, external_id, payload, replaces) VALUES ($1, $2, $3, $4)", [sourceId, externalId, payload, ${replaces}]);
}
`;

const mirrorItem = `export async function mirror(sourceId: string, externalId: string, payload: string) {
  const { rows } = await pool.query("SELECT id, payload FROM mirror_items WHERE source_id = $1 AND external_id = $2", [sourceId, externalId]);
  if (rows.length > 0 && rows[0].payload === payload) return rows[0].id;
  await pool.query("INSERT INTO mirror_items (source_id, external_id, payload) VALUES ($1, $2, $3)", [sourceId, externalId, payload]);
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "findOrCreate on a model declaring the unique index over the where fields",
      code: `${sequelizeQuotas}
export async function quotaFor(tenantId: string, month: string) {
  const [row] = await KeyedQuotaRow.findOrCreate({ where: { tenantId, month }, defaults: { tenantId, month, used: 0 } });
  return row;
}
`,
    },
    {
      name: "a unique index over a column the insert fills with the caller's value",
      code: `${pgIngest}
${supersedingItem("previous")}`,
      root: sqlProject({ "db/schema.sql": supersedingDdl }),
    },
    {
      name: "a found-and-unchanged exit, then an insert, on a table declaring the unique index",
      code: `${pgIngest}
${mirrorItem}`,
      root: sqlProject({ "db/schema.sql": ingestDdl(true) }),
    },
  ],
  invalid: [
    {
      name: "a unique index over a column the insert fills with null where nothing was found",
      code: `${pgIngest}
${supersedingItem("rows[0]?.id ?? null")}`,
      root: sqlProject({ "db/schema.sql": supersedingDdl }),
      errors: [{ line: 8, column: 9, messageId: "duplicate" }],
    },
    {
      name: "findOrCreate on a model with no unique index over the where fields",
      code: `${sequelizeQuotas}
export async function quotaFor(tenantId: string, month: string) {
  const [row] = await QuotaRow.findOrCreate({ where: { tenantId, month }, defaults: { tenantId, month, used: 0 } });
  return row;
}
`,
      errors: [{ line: 13, column: 23, messageId: "duplicate" }],
    },
    {
      name: "a found-and-unchanged exit, then an insert, on a table with no unique index over the columns looked up",
      code: `${pgIngest}
${mirrorItem}`,
      root: sqlProject({ "db/schema.sql": ingestDdl(false) }),
      errors: [{ line: 8, column: 9, messageId: "duplicate" }],
    },
  ],
});
