// Session 32 field fixes (wt-field). Each valid case is a FALSE finding's shape from the judged corpus, written
// afresh; each invalid case is its twin that still races.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A table of notes in threads, read by an external reference and inserted into again (a reply). */
const notesHeader = `import { drizzle } from "drizzle-orm/mysql2";
import { and, eq } from "drizzle-orm";
import { int, mysqlTable, text, timestamp } from "drizzle-orm/mysql-core";
const notes = mysqlTable("notes", {
  id: int("id").primaryKey(),
  orgId: int("org_id"),
  messageRef: text("message_ref"),
  threadId: int("thread_id"),
  topicId: int("topic_id"),
  body: text("body"),
  createdAt: timestamp("created_at"),
});
const db = drizzle(process.env.DATABASE_URL!);
`;

/**
 * Pattern 194: a reply inserted as a new row copying the parent's topic through a null guard
 * (`topicId !== null ? Number(topicId) : null`): the guard keeps a null a null and chooses nothing else.
 */
const reply = (topic: string) => `${notesHeader}
export async function replyToNote(orgId: number, ref: string, body: string) {
  const [parent] = await db.select().from(notes).where(and(eq(notes.orgId, orgId), eq(notes.messageRef, ref))).limit(1);
  if (!parent) throw new Error("no note");
  await db.insert(notes).values({
    orgId,
    threadId: Number(parent.threadId),
    topicId: ${topic},
    body,
    createdAt: new Date(),
  });
}
`;

/**
 * Pattern 195: a local declared with a sentinel (`let threadId = -1`), given the parent's thread when one is found, and
 * tested for the sentinel before the insert: the exit refuses only "never assigned", as `!threadId` would.
 */
const append = (test: string) => `${notesHeader}
export async function appendToThread(orgId: number, ref: string, body: string) {
  let threadId = -1;
  const [parent] = await db.select().from(notes).where(and(eq(notes.orgId, orgId), eq(notes.messageRef, ref))).limit(1);
  if (parent) {
    threadId = parent.threadId!;
  }
  if (${test}) {
    throw new Error("note has no thread");
  }
  await db.insert(notes).values({ orgId, threadId, body, createdAt: new Date() });
}
`;

/**
 * Pattern 198: an exit unless the row read is the caller's organisation's (`Number(parent.orgId) !== orgId`) before an
 * insert storing that same organisation: run one after the other, the second call passes the check as the first did.
 */
const forward = (stored: string) => `${notesHeader}
export async function forwardNote(orgId: number, targetOrgId: number, ref: string, body: string) {
  const [parent] = await db.select().from(notes).where(and(eq(notes.orgId, ${stored}), eq(notes.messageRef, ref))).limit(1);
  if (!parent) throw new Error("no note");
  if (Number(parent.orgId) !== orgId) throw new Error("not yours");
  await db.insert(notes).values({ orgId: ${stored}, body, createdAt: new Date() });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "194: a reply copies the parent's topic through a null guard",
      filename: "src/replies.ts",
      code: reply("parent.topicId !== null ? Number(parent.topicId) : null"),
    },
    {
      name: "194: the same guard written as a test that it is null",
      filename: "src/replies.ts",
      code: reply("parent.topicId == null ? undefined : parent.topicId"),
    },
    {
      name: "195: a sentinel-initialised local tested for its sentinel before the insert that copies it",
      filename: "src/threads.ts",
      code: append("threadId === -1"),
    },
    {
      name: "198: the organisation the check requires is the one the insert stores",
      filename: "src/forward.ts",
      code: forward("orgId"),
    },
  ],
  invalid: [
    {
      name: "194 twin: the guard's other branch is another column, so the topic read chooses what is inserted",
      filename: "src/replies.ts",
      code: reply("parent.topicId !== null ? Number(parent.topicId) : parent.id"),
      errors: [{ line: 18, column: 9, messageId: "checkThenWrite" }],
    },
    {
      name: "195 twin: the local is compared with a value the column can hold, not its sentinel",
      filename: "src/threads.ts",
      code: append("threadId === 0"),
      errors: [{ line: 24, column: 9, messageId: "checkThenWrite" }],
    },
    {
      name: "198 twin: the insert stores another organisation than the one the check required",
      filename: "src/forward.ts",
      code: forward("targetOrgId"),
      errors: [{ line: 19, column: 9, messageId: "checkThenWrite" }],
    },
  ],
});

/**
 * Pattern 196: a loop that debits the same player's row (a key declared before the loop) and then credits the table
 * row on every pass: from the second pass the player row is held already, so the order is player → table throughout,
 * as in the refund.
 */
const stakes = (loop: string) => `import { drizzle } from "drizzle-orm/node-postgres";
import { eq, sql } from "drizzle-orm";
import { numeric, pgTable, text } from "drizzle-orm/pg-core";
const players = pgTable("players", { id: text("id").primaryKey(), credit: numeric("credit") });
const tables = pgTable("tables", { id: text("id").primaryKey(), pot: numeric("pot") });
const db = drizzle(process.env.DATABASE_URL!);

export async function repeatStakes(playerId: string, tableId: string, stakes: Array<{ playerId: string; amount: number }>) {
  await db.transaction(async (tx) => {
    for (const stake of stakes) {
${loop}
      await tx.update(tables).set({ pot: sql\`pot + \${stake.amount}\` }).where(eq(tables.id, tableId));
    }
  });
}

export async function refundStake(playerId: string, tableId: string, amount: number) {
  await db.transaction(async (tx) => {
    await tx.update(players).set({ credit: sql\`credit + \${amount}\` }).where(eq(players.id, playerId));
    await tx.update(tables).set({ pot: sql\`pot - \${amount}\` }).where(eq(tables.id, tableId));
  });
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "196: the same player's row taken first on every pass of the loop, the table's after it",
      filename: "src/stakes.ts",
      code: stakes("      await tx.update(players).set({ credit: sql`credit - ${stake.amount}` }).where(eq(players.id, playerId));"),
    },
  ],
  invalid: [
    {
      name: "196 twin: each pass debits the stake's own player, taken while the table row is held from the pass before",
      filename: "src/stakes.ts",
      code: stakes("      await tx.update(players).set({ credit: sql`credit - ${stake.amount}` }).where(eq(players.id, stake.playerId));"),
      errors: [
        { line: 11, column: 13, messageId: "cycle" },
        { line: 11, column: 13, messageId: "callerOrderLoop" },
      ],
    },
    {
      name: "196 twin: the player row is taken only on some passes, so a later pass takes it while holding the table",
      filename: "src/stakes.ts",
      code: stakes(
        "      if (stake.amount > 0) await tx.update(players).set({ credit: sql`credit - ${stake.amount}` }).where(eq(players.id, playerId));",
      ),
      errors: [{ line: 11, column: 35, messageId: "cycle" }],
    },
  ],
});

/**
 * Pattern 197: a payout's lines updated in the order of its relation list, after the same transaction updated the
 * payout's own row by its id: two calls that overlap in a line are calls for one payout, queued at its row first.
 */
const settle = (before: string) => `import { Column, Entity, EntityManager, OneToMany, ManyToOne, PrimaryGeneratedColumn } from "typeorm";

@Entity()
export class Payout {
  @PrimaryGeneratedColumn() id!: number;
  @Column() status!: string;
  @OneToMany(() => PayoutLine, (line) => line.payout) lines!: PayoutLine[];
}

@Entity()
export class PayoutLine {
  @PrimaryGeneratedColumn() id!: number;
  @Column() amount!: number;
  @ManyToOne(() => Payout, (payout) => payout.lines) payout!: Payout;
}

export async function settlePayout(payout: Payout, manager: EntityManager, urgent: boolean) {
${before}
  const lines = manager.getRepository(PayoutLine);
  await Promise.all(payout.lines.map((line) => lines.update({ id: line.id }, { amount: line.amount })));
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "197: the payout's row updated by its id before its lines, in the same transaction",
      filename: "src/payouts.ts",
      code: settle(`  await manager.getRepository(Payout).update({ id: payout.id }, { status: "settled" });`),
    },
  ],
  invalid: [
    {
      name: "197 twin: the payout's row is written only on some paths, so other calls take the lines with no parent lock",
      filename: "src/payouts.ts",
      code: settle(`  if (urgent) await manager.getRepository(Payout).update({ id: payout.id }, { status: "settled" });`),
      errors: [{ line: 20, column: 48, messageId: "callerOrderParallel" }],
    },
  ],
});
