// write-skew, session 16: labelled bugs still missed at its start (bench/recall b82, b84, b99), each written afresh
// next to a correct look-alike that stays silent.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** mysql2: a locker's capacity minus the parcels already assigned (an aggregate defaulted to 0), then a parcel assigned. */
const lockerSlots = (lock: string) => `import type { Pool } from "mysql2/promise";
export async function assignParcel(pool: Pool, lockerId: number, parcelId: number, size: number) {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const [lockers] = await conn.query<any[]>("SELECT capacity FROM lockers WHERE id = ?${lock}", [lockerId]);
    const [used] = await conn.query<any[]>("SELECT IFNULL(SUM(size), 0) AS filled FROM parcels WHERE locker_id = ?", [lockerId]);
    const room = Number(lockers[0].capacity) - Number(used[0].filled);
    if (size > room) throw new Error("locker full");
    await conn.query("INSERT INTO parcels (id, locker_id, size) VALUES (?, ?, ?)", [parcelId, lockerId, size]);
    await conn.commit();
  } catch (err) {
    await conn.rollback();
    throw err;
  } finally {
    conn.release();
  }
}
`;

/** Drizzle: a project's webhooks counted with `count()` against the plan's cap, then a webhook inserted. */
const webhooks = (open: string, close: string) => `import { count, eq } from "drizzle-orm";
import { db } from "./db";
import { hooks, projects } from "./schema";
export async function addHook(projectId: string, url: string) {
  return ${open}async (tx) => {
    const [project] = await tx.select({ cap: projects.hookCap }).from(projects).where(eq(projects.id, projectId));
    const [{ n }] = await tx.select({ n: count() }).from(hooks).where(eq(hooks.projectId, projectId));
    if (n >= project.cap) throw new Error("webhook limit reached");
    return tx.insert(hooks).values({ projectId, url }).returning();
  }${close};
}
`;

/** Cloudflare D1: a room's reservations looked up with `where`, then one inserted after a mail is sent. */
const roomBooking = (where: string) => `import type { D1Database } from "@cloudflare/workers-types";
declare function notify(to: string): Promise<void>;
export async function reserveRoom(db: D1Database, roomId: string, from: string, to: string, who: string) {
  const taken = await db.prepare("SELECT id FROM reservations WHERE ${where}").bind(roomId, to, from).first();
  if (taken) return { ok: false };
  await notify(who);
  await db.prepare("INSERT INTO reservations (room_id, starts_at, ends_at, holder) VALUES (?, ?, ?, ?)").bind(roomId, from, to, who).run();
  return { ok: true };
}
`;

/** pg: a helper answering whether a court is booked over a span (`rows.length > 0`), tested in an \`if\`, then an insert. */
const courtBooking = (where: string) => `import type { Pool, PoolClient } from "pg";
async function courtBusy(db: Pool | PoolClient, courtId: string, from: string, to: string): Promise<boolean> {
  const { rows } = await db.query("SELECT id FROM court_slots WHERE ${where} LIMIT 1", [courtId, from, to]);
  return rows.length > 0;
}
export async function bookCourt(pool: Pool, courtId: string, from: string, to: string, player: string) {
  if (await courtBusy(pool, courtId, from, to)) throw new Error("court taken");
  await pool.query("INSERT INTO court_slots (court_id, starts_at, ends_at, player) VALUES ($1, $2, $3, $4)", [courtId, from, to, player]);
}
`;

/** Drizzle raw SQL naming its table by interpolation: a shelf's free slots counted, then books inserted from VALUES. */
const shelveBooks = (lock: string) => `import { sql } from "drizzle-orm";
import { db } from "./db";
import { shelfSlots, shelves } from "./schema";
export async function shelve(shelfId: string, size: number, titles: string[]) {
  await db.transaction(async (tx) => {
    ${lock}
    const [{ used }] = await tx.execute<{ used: number }>(sql\`SELECT count(*)::int AS used FROM \${shelfSlots} WHERE shelf_id = \${shelfId}\`);
    if (titles.length > size - used) throw new Error("shelf full");
    const rows = sql.join(titles.map((t) => sql\`(\${t})\`), sql\`, \`);
    await tx.execute(sql\`INSERT INTO \${shelfSlots} (shelf_id, title) SELECT \${shelfId}, title FROM (VALUES \${rows}) AS v(title)\`);
  });
}
`;

/** MikroORM: a voucher's redemptions summed in JavaScript against its budget, then a redemption created and persisted. */
const redeem = (lockMode: string) => `import { EntityManager, LockMode } from "@mikro-orm/postgresql";
import { Redemption, Voucher } from "./entities";
export async function redeem(em: EntityManager, voucherId: string, amount: number) {
  await em.transactional(async (tx) => {
    const voucher = await tx.findOneOrFail(Voucher, { id: voucherId }${lockMode});
    const redemptions = await tx.find(Redemption, { voucherId });
    const spent = redemptions.reduce((total, r) => total + r.amount, 0);
    if (spent + amount > voucher.budget) throw new Error("voucher exhausted");
    const redemption = tx.create(Redemption, { voucherId, amount });
    await tx.persistAndFlush(redemption);
  });
}
`;

/** A SQLite Drizzle schema (libSQL): one writing transaction at a time. */
const sqliteSchema = `import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
export const hooks = sqliteTable("hooks", { id: integer("id").primaryKey(), projectId: text("project_id"), url: text("url") });
export const projects = sqliteTable("projects", { id: text("id").primaryKey(), hookCap: integer("hook_cap") });
`;

/** A share found by its alias, its files counted by a repository helper given the share's id, then a file added. */
const shareRepo = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export class ShareRepo {
  findByAlias(alias: string) {
    return prisma.share.findFirst({ where: { alias } });
  }
  countFiles(shareId: string) {
    return prisma.shareFile.count({ where: { shareId } });
  }
  addFile(shareId: string, name: string) {
    return prisma.shareFile.create({ data: { shareId, name } });
  }
}
`;
const shareUpload = `import { ShareRepo } from "./share-repo";
export class ShareUploads {
  constructor(private readonly repo: ShareRepo) {}
  async upload(alias: string, name: string) {
    const share = await this.repo.findByAlias(alias);
    if (!share) throw new Error("no such share");
    const files = await this.repo.countFiles(share.id);
    if (files >= share.maxFiles) throw new Error("share full");
    return this.repo.addFile(share.id, name);
  }
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "mysql2: the locker row is locked FOR UPDATE before the sum, in the transaction that inserts",
      code: lockerSlots(" FOR UPDATE"),
      filename: "src/lockers.ts",
    },
    {
      name: "Drizzle: the count() against the cap and the insert run in one SERIALIZABLE transaction",
      code: webhooks("db.transaction(", ', { isolationLevel: "serializable" }'),
      filename: "src/hooks.ts",
    },
    {
      name: "D1: an equality lookup (one start time) before the insert is a unique index's job, not an overlap",
      code: roomBooking("room_id = ? AND starts_at = ? AND holder <> ?"),
      filename: "src/rooms.ts",
    },
    {
      name: "pg: a yes-or-no helper over an equality lookup (one start time) is a unique index's job, not an overlap",
      code: courtBooking("court_id = $1 AND starts_at = $2 AND ends_at = $3"),
      filename: "src/courts.ts",
    },
    {
      name: "Drizzle raw SQL: the shelf row is locked FOR UPDATE in the transaction before the count",
      code: shelveBooks("await tx.execute(sql`SELECT id FROM ${shelves} WHERE id = ${shelfId} FOR UPDATE`);"),
      filename: "src/shelves.ts",
    },
    {
      name: "MikroORM: the voucher row is read with PESSIMISTIC_WRITE in the transaction before the redemptions are summed",
      code: redeem(", { lockMode: LockMode.PESSIMISTIC_WRITE }"),
      filename: "src/vouchers.ts",
    },
    {
      name: "Drizzle on SQLite: the count() and the insert in one transaction, which SQLite serializes",
      code: webhooks("db.transaction(", ""),
      files: { "src/schema.ts": sqliteSchema },
      filename: "src/hooks.ts",
    },
  ],
  invalid: [
    {
      name: "a helper given the id of a row read earlier counts the set (not a value computed from that row), then a helper inserts",
      code: shareUpload,
      files: { "src/share-repo.ts": shareRepo },
      filename: "src/share-uploads.ts",
      errors: [{ line: 9, column: 12, messageId: "grows" }],
    },
    {
      name: "mysql2: capacity minus an IFNULL(SUM(…)) of the parcels, then a parcel inserted, with no row locked",
      code: lockerSlots(""),
      filename: "src/lockers.ts",
      errors: [{ line: 10, column: 11, messageId: "grows" }],
    },
    {
      name: "Drizzle: a count() checked against the cap, then an insert, in a transaction of the default isolation",
      code: webhooks("db.transaction(", ""),
      filename: "src/hooks.ts",
      errors: [{ line: 9, column: 12, messageId: "grows" }],
    },
    {
      name: "D1: an overlap looked up with prepare().bind().first(), a slow call, then prepare().bind().run() inserts",
      code: roomBooking("room_id = ? AND starts_at < ? AND ends_at > ?"),
      filename: "src/rooms.ts",
      errors: [{ line: 7, column: 9, messageId: "grows" }],
    },
    {
      name: "pg: a helper returning whether an overlapping slot exists, tested directly in an if, then the insert",
      code: courtBooking("court_id = $1 AND starts_at < $3 AND ends_at > $2"),
      filename: "src/courts.ts",
      errors: [{ line: 8, column: 9, messageId: "grows" }],
    },
    {
      name: "Drizzle raw SQL: a count of `${shelfSlots}` against size minus it, then an INSERT … SELECT from VALUES (no re-check)",
      code: shelveBooks(""),
      filename: "src/shelves.ts",
      errors: [{ line: 10, column: 11, messageId: "grows" }],
    },
    {
      name: "MikroORM: find() folded by reduce into a sum against the budget, then em.create + persistAndFlush inserts",
      code: redeem(""),
      filename: "src/vouchers.ts",
      errors: [{ line: 10, column: 11, messageId: "grows" }],
    },
    {
      name: "Drizzle on SQLite: the count() and the insert as two statements with no transaction",
      code: webhooks("(", ")(db)"),
      files: { "src/schema.ts": sqliteSchema },
      filename: "src/hooks.ts",
      errors: [{ line: 9, column: 12, messageId: "grows" }],
    },
  ],
});
