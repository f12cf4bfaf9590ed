// Session 32's held-out recall set (b354–b369, bench/recall). The shapes missed by the starting build and fixed where
// one sentence covers them, each an invalid case written freshly, with the nearest correct shapes as valid cases:
// - a flag set in the same `Promise.all` as the work it guards claims that work, as a set before the work does: two
//   callers that both read the flag unset both do the work;
// - a Drizzle relational query (`db.query.t.findFirst({ where: and(eq(…), …) })`) is a lookup as the select builder's
//   is: an insert of the key it found missing, into a table with no unique index over it, duplicates the row;
// - an entity created from a whole object (`repo.create(input)`) has that object's fields: a lookup by `input.a`,
//   `input.b` that found nothing, then the insert of `create(input)`, inserts the key it looked up;
// - a Redis key read with GET (the caller turned away while it says "in progress"), then set without NX before the
//   work and set again after it (the finished record), is a lock taken in two round trips;
// - a locking read (`SELECT … FOR UPDATE`) whose promise is neither awaited nor kept locks nothing before the
//   statements after it.
import { selectThenUpdate } from "../../rules/select-then-update";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** Drizzle (node-postgres): quest participants and player stats. */
const QUESTS = (body: string) => `import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { boolean, integer, pgTable, text } from "drizzle-orm/pg-core";
const questEntries = pgTable("quest_entries", {
  id: text("id").primaryKey(),
  questId: text("quest_id").notNull(),
  playerId: text("player_id").notNull(),
  bountyPaid: boolean("bounty_paid").notNull().default(false),
});
const playerStats = pgTable("player_stats", {
  playerId: text("player_id").primaryKey(),
  gold: integer("gold").notNull().default(0),
});
const db = drizzle(process.env.DATABASE_URL!, { schema: { questEntries, playerStats } });
${body}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The flag is claimed by a conditional update first; only the caller whose update matched pays.
      name: "Drizzle: the bounty claimed by a guarded update, then paid",
      code: QUESTS(`export async function payBounty(entryId: string, gold: number) {
  const claimed = await db
    .update(questEntries)
    .set({ bountyPaid: true })
    .where(and(eq(questEntries.id, entryId), eq(questEntries.bountyPaid, false)))
    .returning({ playerId: questEntries.playerId });
  if (claimed.length === 0) return;
  await db.update(playerStats).set({ gold: sql\`\${playerStats.gold} + \${gold}\` }).where(eq(playerStats.playerId, claimed[0]!.playerId));
}`),
    },
    {
      // Only the flag is set in the batch: nothing else is claimed, two callers end alike.
      name: "Drizzle: the flag set alone in a Promise.all with a log write of fixed values",
      code: QUESTS(`export async function closeEntry(entryId: string) {
  const entry = await db.query.questEntries.findFirst({ where: eq(questEntries.id, entryId) });
  if (!entry || entry.bountyPaid) return;
  await Promise.all([
    db.update(questEntries).set({ bountyPaid: true }).where(eq(questEntries.id, entry.id)),
  ]);
}`),
    },
  ],
  invalid: [
    {
      name: "Drizzle: the bounty flag tested on a loaded entry, then set in one Promise.all with the payment",
      code: QUESTS(`export async function payBounty(entryId: string, gold: number) {
  const entry = await db.query.questEntries.findFirst({ where: eq(questEntries.id, entryId) });
  if (!entry) throw new Error("no such entry");
  if (entry.bountyPaid) return;
  await Promise.all([
    db.update(questEntries).set({ bountyPaid: true }).where(eq(questEntries.id, entry.id)),
    db.update(playerStats).set({ gold: sql\`\${playerStats.gold} + \${gold}\` }).where(eq(playerStats.playerId, entry.playerId)),
  ]);
}`),
      errors: [{ line: 20, column: 5, messageId: "checkThenWrite" }],
    },
  ],
});

/** Drizzle (node-postgres): a wiki's page drafts, with no unique index over (page, author). */
const DRAFTS = (body: string, extra = "") => `import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
const pageDrafts = pgTable("page_drafts", {
  id: uuid("id").primaryKey().defaultRandom(),
  pageId: text("page_id").notNull(),
  authorId: text("author_id").notNull(),
  body: text("body").notNull(),
});
const pinnedDrafts = pgTable(
  "pinned_drafts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    pageId: text("page_id").notNull(),
    authorId: text("author_id").notNull(),
  },
  (t) => [uniqueIndex("pinned_drafts_page_author").on(t.pageId, t.authorId)],
);
const db = drizzle(process.env.DATABASE_URL!, { schema: { pageDrafts, pinnedDrafts } });
${extra}${body}`;

/** TypeORM: connector sync cursors, one entity without and one with a unique index over (connector, stream). */
const CURSORS = (body: string) => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, Index, PrimaryGeneratedColumn, Repository } from "typeorm";
@Entity("sync_cursors")
export class SyncCursor {
  @PrimaryGeneratedColumn("uuid")
  id!: string;
  @Column()
  connectorId!: string;
  @Column()
  stream!: string;
  @Column()
  position!: string;
}
@Entity("stream_cursors")
@Index(["connectorId", "stream"], { unique: true })
export class StreamCursor {
  @PrimaryGeneratedColumn("uuid")
  id!: string;
  @Column()
  connectorId!: string;
  @Column()
  stream!: string;
  @Column()
  position!: string;
}
type CursorInput = { connectorId: string; stream: string; position: string };
${body}`;

runRuleTests(writeSkew, {
  valid: [
    {
      // The lookup is by the columns of a declared unique index: a second insert fails instead of duplicating.
      name: "Drizzle: a relational lookup by a uniquely indexed pair, then the insert",
      code: DRAFTS(`export async function pinDraft(pageId: string, authorId: string) {
  const pinned = await db.query.pinnedDrafts.findFirst({
    where: and(eq(pinnedDrafts.pageId, pageId), eq(pinnedDrafts.authorId, authorId)),
  });
  if (pinned) return pinned;
  await db.insert(pinnedDrafts).values({ pageId, authorId });
}`),
    },
    {
      name: "TypeORM: create(input) after a lookup of a uniquely indexed entity",
      code: CURSORS(`@Injectable()
export class StreamCursorStore {
  constructor(@InjectRepository(StreamCursor) private readonly cursors: Repository<StreamCursor>) {}
  async record(input: CursorInput) {
    const existing = await this.cursors.findOne({ where: { connectorId: input.connectorId, stream: input.stream } });
    if (existing) return existing;
    return this.cursors.save(this.cursors.create(input));
  }
}`),
    },
  ],
  invalid: [
    {
      name: "Drizzle: a relational findFirst of a draft by page and author, then the insert",
      code: DRAFTS(`export async function startDraft(pageId: string, authorId: string, body: string) {
  const draft = await db.query.pageDrafts.findFirst({
    where: and(eq(pageDrafts.pageId, pageId), eq(pageDrafts.authorId, authorId)),
  });
  if (draft) return draft;
  const [created] = await db.insert(pageDrafts).values({ pageId, authorId, body }).returning();
  return created;
}`),
      errors: [{ line: 25, column: 27, messageId: "duplicate" }],
    },
    {
      name: "TypeORM: a lookup by input.connectorId and input.stream, then save(create(input))",
      code: CURSORS(`@Injectable()
export class SyncCursorStore {
  constructor(@InjectRepository(SyncCursor) private readonly cursors: Repository<SyncCursor>) {}
  async record(input: CursorInput) {
    const existing = await this.cursors.findOne({ where: { connectorId: input.connectorId, stream: input.stream } });
    if (existing) {
      existing.position = input.position;
      return this.cursors.save(existing);
    }
    return this.cursors.save(this.cursors.create(input));
  }
}`),
      errors: [{ line: 37, column: 12, messageId: "duplicate" }],
    },
  ],
});

/** node-redis: an export job marked in a key while it runs. */
const EXPORTS = (body: string) => `import { createClient } from "redis";
const redis = createClient({ url: process.env.REDIS_URL });
declare function buildExport(reportId: string): Promise<string>;
${body}`;

/** Sequelize: tickets numbered per event. */
const TICKETS = (body: string) => `import { DataTypes, Model, QueryTypes, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Ticket extends Model {
  declare serial: number;
}
Ticket.init({ eventId: DataTypes.STRING, serial: DataTypes.INTEGER }, { sequelize, tableName: "tickets" });
${body}`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "node-redis: the running mark written with NX, the result stored after",
      code: EXPORTS(`export async function exportReport(reportId: string) {
  const marked = await redis.set(\`export:\${reportId}\`, "running", { NX: true, EX: 600 });
  if (marked !== "OK") return { status: "running" };
  const url = await buildExport(reportId);
  await redis.set(\`export:\${reportId}\`, url, { EX: 86_400 });
  return { status: "done", url };
}`),
    },
    {
      // A read-through cache: read, computed on a miss, stored once after.
      name: "node-redis: a cache filled after a miss",
      code: EXPORTS(`export async function cachedExport(reportId: string) {
  const cached = await redis.get(\`export-url:\${reportId}\`);
  if (cached) return cached;
  const url = await buildExport(reportId);
  await redis.setEx(\`export-url:\${reportId}\`, 3600, url);
  return url;
}`),
    },
    {
      name: "Sequelize: the locking read awaited before the maximum is read",
      code: TICKETS(`export async function issueTicket(eventId: string) {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query("SELECT id FROM events WHERE id = :eventId FOR UPDATE", {
      replacements: { eventId },
      type: QueryTypes.SELECT,
      transaction,
    });
    const last = await Ticket.max<number, Ticket>("serial", { where: { eventId }, transaction });
    return Ticket.create({ eventId, serial: (last ?? 0) + 1 }, { transaction });
  });
}`),
    },
  ],
  invalid: [
    {
      name: "node-redis: the key read, marked running with a plain SETEX, and overwritten with the result",
      code: EXPORTS(`export async function exportReport(reportId: string) {
  const state = await redis.get(\`export:\${reportId}\`);
  if (state) return { status: state === "running" ? "running" : "done" };
  await redis.setEx(\`export:\${reportId}\`, 600, "running");
  const url = await buildExport(reportId);
  await redis.setEx(\`export:\${reportId}\`, 86_400, url);
  return { status: "done", url };
}`),
      errors: [{ line: 7, column: 9, messageId: "testedThenMarkedInProgress" }],
    },
    {
      name: "Sequelize: the locking read sent without await before the maximum is read",
      code: TICKETS(`export async function issueTicket(eventId: string) {
  return sequelize.transaction(async (transaction) => {
    sequelize.query("SELECT id FROM events WHERE id = :eventId FOR UPDATE", {
      replacements: { eventId },
      type: QueryTypes.SELECT,
      transaction,
    });
    const last = await Ticket.max<number, Ticket>("serial", { where: { eventId }, transaction });
    return Ticket.create({ eventId, serial: (last ?? 0) + 1 }, { transaction });
  });
}`),
      errors: [{ line: 9, column: 5, messageId: "lockNotAwaited" }],
    },
  ],
});
