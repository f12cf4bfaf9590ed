import { uncheckedOptimisticUpdate } from "../../rules/unchecked-optimistic-update";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

/**
 * A generated summary stored on a ticket only where its summary is still the one read (a summary edited meanwhile
 * stays); `update` is the guarded write, `rest` follows it in the try, `handler` is the catch body.
 */
const storeSummary = (
  handler = 'console.warn("summary skipped", error);',
  rest = "",
  update = "prisma.ticket.updateMany({ where: { id, summary: ticket.summary }, data: { summary } })",
) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function summarise(text: string): Promise<string>;
declare function notifyWatchers(id: string): Promise<void>;

export async function storeSummary(id: string) {
  try {
    const ticket = await prisma.ticket.findUniqueOrThrow({ where: { id } });
    const summary = await summarise(ticket.body);
    await ${update};${rest}
  } catch (error) {
    ${handler}
  }
}`;

/** storeSummary's code with the offered fix applied: the count checked, ConflictError imported. */
const summaryFixed = (code: string) =>
  code
    .replace('import { PrismaClient } from "@prisma/client";\n', '$&import { ConflictError } from "@locksmith/runtime";\n')
    .replace(
      /await (prisma\.ticket\.updateMany\(.*\));/,
      'const updated = await $1;\n    if (updated.count === 0) throw new ConflictError("ticket changed concurrently");',
    );

const APPENDED =
  "prisma.ticket.updateMany({ where: { id, summary: ticket.summary }, data: { summary: `${ticket.summary}\\n${summary}` } })";

const UNCHECKED_SUMMARY = {
  line: 10,
  column: 11,
  messageId: "uncheckedAfterRead",
  data: { write: "`prisma.ticket.updateMany(…)`", column: "`summary`", count: "`count`", line: 8 },
};

/** A render claimed out of a settled state (its count looked at when `checked`), and handed back to the state it had. */
const handBackToPrevious = (checked: boolean) => `import { PrismaClient, RenderState } from "@prisma/client";
const prisma = new PrismaClient();
export async function claimRender(id: string, startedAt: Date) {
  ${checked ? "const claimed = await" : "await"} prisma.renderTask.updateMany({
    where: { id, state: { in: [RenderState.DONE, RenderState.FAILED] } },
    data: { state: RenderState.RENDERING, updatedAt: startedAt },
  });
  ${checked ? "return claimed.count > 0;" : ""}
}
export async function handBackRender(id: string, startedAt: Date, previous: RenderState): Promise<void> {
  await prisma.renderTask.updateMany({
    where: { id, state: RenderState.RENDERING, updatedAt: startedAt },
    data: { state: previous },
  });
}`;

/** Build runs kept per pipeline and version number; `key` is the schema's unique index line, if any. */
const buildRuns = (key: string) =>
  prismaProject(
    `model BuildRun {\n  pk         Int    @id @default(autoincrement())\n  pipelineId String\n  version    Int\n  status     String\n${key}}\n`,
  );

/** A run marked failed unless it already ended, by pipeline and version number, in a job's last-resort catch. */
const markRunFailed = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function failRun(pipelineId: string, version: number, reason: string): Promise<void> {
  await prisma.buildRun.updateMany({
    where: { pipelineId, version, status: { notIn: ["passed", "failed"] } },
    data: { status: "failed", reason },
  });
}`;

/** A booking confirmed, then the guest's other bookings of that night released by a filter starting with `pin`. */
const confirmBooking = (pin: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function confirmBooking(id: string, holdId: string) {
  const booking = await prisma.booking.findFirst({ where: { id } });
  if (!booking) throw new Error("no such booking");
  const confirmed = await prisma.booking.update({ where: { id }, data: { state: "CONFIRMED" } });
  await prisma.booking.updateMany({
    where: { ${pin}, guestId: booking.guestId, night: booking.night },
    data: { state: "RELEASED" },
  });
  return confirmed;
}`;

/** Gift-card balances of a customer read (`lock` appended to the SELECT) and drained card by card in one transaction. */
const drainCards = (lock: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function spend(customerId: string, amount: number) {
  await prisma.$transaction(async (tx) => {
    const cards = await tx.$queryRaw<{ code: string; balance: number }[]>\`
      SELECT "code", "balance" FROM "GiftCard" WHERE "customerId" = \${customerId} ORDER BY "code"${lock}\`;
    let owed = amount;
    for (const card of cards) {
      const take = Math.min(card.balance, owed);
      await tx.$executeRaw\`UPDATE "GiftCard" SET "balance" = "balance" - \${take} WHERE "customerId" = \${customerId} AND "code" = \${card.code}\`;
      owed -= take;
    }
  });
}`;

/** A gift card's redemption count compared and set through Supabase; `update` is the guarded write's statement. */
const redeemGiftCard = (update: string) => `import { NextResponse } from "next/server";
import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE!);
export async function POST(req: Request) {
  const { voucher, memberId } = (await req.json()) as { voucher: string; memberId: string };
  const { data: card } = await supabase.from("gift_cards").select("id, redeemed, max_redemptions").eq("code", voucher).single();
  if (!card || card.redeemed >= card.max_redemptions) return NextResponse.json({ error: "spent" }, { status: 409 });
  ${update}
  await supabase.from("gift_card_uses").insert({ card_id: card.id, member_id: memberId });
  return NextResponse.json({ ok: true });
}`;
const GIFT_CARD_CAS = 'supabase.from("gift_cards").update({ redeemed: card.redeemed + 1 }).eq("id", card.id).eq("redeemed", card.redeemed)';
/** A mailbox paused for a time computed from the bounce count read, the write guarded on that count; `data` is what it stores. */
const pauseMailbox = (data: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const PAUSE_AFTER = 3;

export async function pauseBouncingMailbox(id: string, until: Date): Promise<void> {
  const mailbox = await prisma.mailbox.findUniqueOrThrow({ where: { id } });
  if (mailbox.bounceCount < PAUSE_AFTER) return;
  const pauseMs = Math.min(60_000 * 2 ** (mailbox.bounceCount - PAUSE_AFTER), 3_600_000);
  await prisma.mailbox.updateMany({ where: { id, bounceCount: mailbox.bounceCount }, data: ${data} });
}
`;

/** pauseMailbox's code with the offered fix applied. */
const pauseFixed = (code: string) =>
  code
    .replace('import { PrismaClient } from "@prisma/client";\n', '$&import { ConflictError } from "@locksmith/runtime";\n')
    .replace(
      /await (prisma\.mailbox\.updateMany\(.*\));/,
      'const updated = await $1;\n  if (updated.count === 0) throw new ConflictError("mailbox changed concurrently");',
    );

/** A node-pg-migrate migration creating `stake_positions`, with `index` (a createIndex call) after it. */
const stakeMigration = (index: string) => `import { MigrationBuilder } from "node-pg-migrate";
export function up(pgm: MigrationBuilder): void {
  pgm.createTable("stake_positions", {
    id: "id",
    holder: { type: "text", notNull: true },
    pool_index: { type: "integer", notNull: true },
    staked: { type: "numeric", notNull: true },
    earned: { type: "numeric", notNull: true, default: 0 },
  });
${index}}
`;

/** Rewards split over a pool's holders (postgres.js): each position updated by holder and pool, added to atomically. */
const DISTRIBUTE = `import postgres from "postgres";
const sql = postgres();
export async function distribute(poolIndex: number, perUnit: string) {
  const shares = await sql\`SELECT holder, floor(staked * \${perUnit}::numeric)::text AS amount FROM stake_positions WHERE pool_index = \${poolIndex}\`;
  for (const s of shares) {
    await sql\`UPDATE stake_positions SET earned = earned + \${s.amount}::numeric WHERE holder = \${s.holder} AND pool_index = \${poolIndex}\`;
  }
}
`;

runRuleTests(uncheckedOptimisticUpdate, {
  valid: [
    {
      // The guard is a timestamp the ORM moves on, not the column written: a best-effort revert of a lease.
      name: "Prisma: a part reverted where the row's updatedAt is still the one read, pinned by the id read, count not looked at",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function revertDraftStep(draftId: string) {
  const draft = await prisma.draft.findFirst({ where: { id: draftId }, select: { id: true, updatedAt: true, steps: true } });
  if (!draft) return;
  await prisma.draft.updateMany({
    where: { id: draft.id, updatedAt: draft.updatedAt },
    data: { steps: [] },
  });
}`,
    },
    {
      name: "Supabase: a redemption count compared and set, the rows `.select()` returns checked before the grant",
      code: redeemGiftCard(
        `const { data: claimed } = await ${GIFT_CARD_CAS}.select();\n  if (!claimed?.length) return NextResponse.json({ error: "retry" }, { status: 409 });`,
      ),
    },
    {
      name: "Prisma: a pause computed from the bounce count read, stored only while the count is unchanged (a newer bounce arms its own)",
      code: pauseMailbox("{ pausedUntil: new Date(Date.now() + pauseMs) }"),
    },
    {
      name: "best effort: a generated value stored only where the column still holds the value read, last in a try whose catch only logs",
      code: storeSummary(),
    },
    {
      name: "pg: rowCount decides",
      code: `import type { Pool } from "pg";
import { ConflictError } from "@locksmith/runtime";
export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  const { rows: [doc] } = await pool.query("SELECT version FROM docs WHERE id = $1", [id]);
  const result = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
  if (result.rowCount === 0) throw new ConflictError("doc changed");
}`,
    },
    {
      name: "the count is returned to the caller",
      code: `import type { Pool } from "pg";
export async function rename(pool: Pool, id: string, title: string, expectedVersion: number) {
  return (await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, expectedVersion])).rowCount;
}`,
    },
    {
      name: "runtime optimisticUpdate: the write callback returns the count",
      code: `import type { Pool } from "pg";
import { optimisticUpdate } from "@locksmith/runtime";
export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  await optimisticUpdate({
    read: async () => (await pool.query("SELECT version FROM docs WHERE id = $1", [id])).rows[0],
    modify: (doc) => ({ ...doc, title }),
    write: async (next, current) => (await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [next.title, id, current.version])).rowCount,
  });
}`,
    },
    {
      name: "destructured count compared",
      code: `import type { Pool } from "pg";
export async function bump(pool: Pool, id: string, version: number): Promise<void> {
  const { rowCount } = await pool.query("UPDATE docs SET version = version + 1 WHERE id = $1 AND version = $2", [id, version]);
  if (rowCount !== 1) throw new Error("conflict");
}`,
    },
    {
      name: "Prisma update throws when the where matches nothing",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function rename(id: number, title: string, version: number): Promise<void> {
  await prisma.doc.update({ where: { id, version }, data: { title, version: { increment: 1 } } });
}`,
    },
    {
      name: "TypeORM: affected decides",
      code: `import { DataSource } from "typeorm";
import { Doc } from "./doc";
export async function rename(dataSource: DataSource, id: number, title: string, version: number): Promise<void> {
  const result = await dataSource.getRepository(Doc).update({ id, version }, { title, version: version + 1 });
  if (!result.affected) throw new Error("conflict");
}`,
    },
    {
      name: "plain update without a guard",
      code: `import type { Pool } from "pg";
export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  await pool.query("UPDATE docs SET title = $1 WHERE id = $2", [title, id]);
}`,
    },
    {
      // Field report p12: shifting every row of a range by one compares nothing; zero rows shifted is normal.
      name: "Prisma: range shift (gt/lte over positions read before) after a lock",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function moveTrackDown(playlistId: string, trackId: string, targetId: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw\`SELECT id FROM "Track" WHERE "playlistId" = \${playlistId} FOR UPDATE\`;
    const track = await tx.track.findUniqueOrThrow({ where: { id: trackId }, select: { order: true } });
    const target = await tx.track.findUniqueOrThrow({ where: { id: targetId }, select: { order: true } });
    await tx.track.updateMany({
      where: { playlistId, order: { gt: track.order, lte: target.order } },
      data: { order: { decrement: 1 } },
    });
    await tx.track.update({ where: { id: trackId }, data: { order: target.order } });
  });
}
`,
    },
    {
      name: "pg: range shift (>= and <) over a position read before",
      code: `import type { Pool } from "pg";
export async function insertSlideAt(pool: Pool, deckId: string, slideId: string, at: number): Promise<void> {
  const { rows: [slide] } = await pool.query("SELECT position FROM slides WHERE id = $1", [slideId]);
  await pool.query("UPDATE slides SET position = position + 1 WHERE deck_id = $1 AND position >= $2 AND position < $3", [deckId, at, slide.position]);
  await pool.query("UPDATE slides SET position = $1 WHERE id = $2", [at, slideId]);
}`,
    },
    {
      // Releasing a lease: the WHERE pins the state the checked claim above moves rows into, and the lease's start.
      // Zero rows means the lease already passed to another worker, which is exactly when it must not be released.
      name: "Prisma: a lease handed back by a compare-and-set out of the state a checked claim moves rows into",
      code: `import { PrismaClient, RenderState } from "@prisma/client";
const prisma = new PrismaClient();
export async function claimRender(id: string): Promise<Date | null> {
  const startedAt = new Date();
  const claimed = await prisma.renderTask.updateMany({
    where: { id, state: RenderState.WAITING },
    data: { state: RenderState.RENDERING, updatedAt: startedAt },
  });
  return claimed.count === 1 ? startedAt : null;
}
export async function handBackRender(id: string, startedAt: Date): Promise<void> {
  await prisma.renderTask.updateMany({
    where: { id, state: RenderState.RENDERING, updatedAt: startedAt },
    data: { state: RenderState.WAITING, retryAt: new Date(Date.now() + 30_000) },
  });
}`,
    },
    {
      name: "Prisma: after a booking is confirmed, the guest's other held bookings of that night are released by filter (a set, no row pinned)",
      code: confirmBooking('state: "HELD"'),
    },
    {
      name: "Prisma raw SQL: cards read FOR UPDATE in the transaction, then each drained by the code read: nothing can change it",
      code: drainCards(" FOR UPDATE"),
    },
    {
      name: "Prisma: the version number is part of the row's unique key (@@unique([pipelineId, version])): it names the row",
      root: buildRuns("\n  @@unique([pipelineId, version])\n"),
      code: markRunFailed,
    },
    {
      name: "Prisma: a claim handed back to the state the caller kept from before it, out of the state a checked claim moves rows into",
      code: handBackToPrevious(true),
    },
    {
      // Session 21 (a blockchain API's bond rewards): (holder, pool_index) is a unique index of a node-pg-migrate
      // migration, so `holder = $1 AND pool_index = $2` looks the position up by its key; it compares no value read.
      name: "postgres.js: the WHERE pins a unique index a node-pg-migrate migration declares: it names the row",
      files: {
        "migrations/1700000000000_stake-positions.ts": stakeMigration(
          `  pgm.createIndex("stake_positions", ["holder", "pool_index"], { unique: true });\n`,
        ),
      },
      code: DISTRIBUTE,
    },
    {
      name: "postgres.js: the same key declared as a table constraint by addConstraint",
      files: {
        "migrations/1700000000000_stake-positions.ts": stakeMigration(
          `  pgm.addConstraint("stake_positions", "stake_positions_key", { unique: ["holder", "pool_index"] });\n`,
        ),
      },
      code: DISTRIBUTE,
    },
  ],
  invalid: [
    {
      // The row is pinned by `card.id`, a column of the row read (not an enum-like constant such as `Status.OPEN`).
      name: "Supabase: a redemption count compared and set on the row read, the rows it changed never looked at",
      code: redeemGiftCard(`await ${GIFT_CARD_CAS};`),
      errors: [{ line: 8, column: 9, messageId: "uncheckedAfterRead" }],
    },
    {
      // The twin: the migration's index is not unique, so `holder = $1` may be a value compared, not the row's key.
      name: "postgres.js: the same update where the migration's index on (holder, pool_index) is not unique",
      files: {
        "migrations/1700000000000_stake-positions.ts": stakeMigration(`  pgm.createIndex("stake_positions", ["holder", "pool_index"]);\n`),
      },
      code: DISTRIBUTE,
      errors: [{ line: 6, column: 11, messageId: "uncheckedAfterReadUnnamedCount" }],
    },
    {
      name: "a raw SQL tag (postgres.js) whose count has no name of its own: the message says the affected-row count once",
      code: `import postgres from "postgres";
const sql = postgres();

export async function retitle(id: string, title: string) {
  const [note] = await sql\`SELECT title, revision FROM notes WHERE id = \${id}\`;
  await sql\`UPDATE notes SET title = \${title}, revision = revision + 1 WHERE id = \${id} AND revision = \${note.revision}\`;
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "uncheckedAfterReadUnnamedCount",
          message:
            "`UPDATE notes SET title = $?, revision = revision + 1 WHERE id = $? AND revision = $?` only writes if `revision` still has the value read at line 5, but its affected-row count is never checked: when a concurrent update wins, this one changes nothing and the conflict is silently dropped.",
        },
      ],
    },
    {
      name: "the same guarded summary, but the catch rethrows: the caller is told of failures, not of a lost race",
      code: storeSummary("throw error;"),
      errors: [UNCHECKED_SUMMARY],
      output: summaryFixed(storeSummary("throw error;")),
    },
    {
      name: "the same guarded summary, with watchers notified after it as if it had been stored",
      code: storeSummary(undefined, "\n    await notifyWatchers(id);"),
      errors: [UNCHECKED_SUMMARY],
      output: summaryFixed(storeSummary(undefined, "\n    await notifyWatchers(id);")),
    },
    {
      name: "best effort, but the value stored is computed from the read: the change is lost, not superseded",
      code: storeSummary(undefined, "", APPENDED),
      errors: [UNCHECKED_SUMMARY],
      output: summaryFixed(storeSummary(undefined, "", APPENDED)),
    },
    {
      name: "Prisma: the same hand-back when the claim's count is never looked at (no checked claim of that state)",
      code: `import { PrismaClient, RenderState } from "@prisma/client";
const prisma = new PrismaClient();
export async function claimRender(id: string, startedAt: Date): Promise<void> {
  await prisma.renderTask.updateMany({ where: { id, state: RenderState.WAITING }, data: { state: RenderState.RENDERING, updatedAt: startedAt } });
}
export async function handBackRender(id: string, startedAt: Date): Promise<void> {
  await prisma.renderTask.updateMany({
    where: { id, state: RenderState.RENDERING, updatedAt: startedAt },
    data: { state: RenderState.WAITING },
  });
}`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "unchecked",
          data: { write: "`prisma.renderTask.updateMany(…)`", column: "`updatedAt`", count: "`count`" },
        },
      ],
      output: `import { PrismaClient, RenderState } from "@prisma/client";
import { ConflictError } from "@locksmith/runtime";
const prisma = new PrismaClient();
export async function claimRender(id: string, startedAt: Date): Promise<void> {
  await prisma.renderTask.updateMany({ where: { id, state: RenderState.WAITING }, data: { state: RenderState.RENDERING, updatedAt: startedAt } });
}
export async function handBackRender(id: string, startedAt: Date): Promise<void> {
  const updated = await prisma.renderTask.updateMany({
    where: { id, state: RenderState.RENDERING, updatedAt: startedAt },
    data: { state: RenderState.WAITING },
  });
  if (updated.count === 0) throw new ConflictError("rendertask changed concurrently");
}`,
    },
    {
      name: "Prisma: the same run update when the schema has no unique key over pipeline and version: version is compared",
      root: buildRuns(""),
      code: markRunFailed,
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "unchecked",
          data: { write: "`prisma.buildRun.updateMany(…)`", column: "`version`", count: "`count`" },
        },
      ],
      output: markRunFailed
        .replace('import { PrismaClient } from "@prisma/client";\n', '$&import { ConflictError } from "@locksmith/runtime";\n')
        .replace("  await prisma.buildRun", "  const updated = await prisma.buildRun")
        .replace(/\}\);\n\}$/, '});\n  if (updated.count === 0) throw new ConflictError("buildrun changed concurrently");\n}'),
    },
    {
      name: "Prisma: the same release pinning one hold by its id: the guest and night read are compared",
      code: confirmBooking("id: holdId"),
      errors: [{ line: 7, column: 9, messageId: "uncheckedAfterRead" }],
      output: confirmBooking("id: holdId")
        .replace('import { PrismaClient } from "@prisma/client";\n', '$&import { ConflictError } from "@locksmith/runtime";\n')
        .replace("  await prisma.booking.updateMany", "  const updated = await prisma.booking.updateMany")
        .replace(
          "  return confirmed;",
          '  if (updated.count === 0) throw new ConflictError("booking changed concurrently");\n  return confirmed;',
        ),
    },
    {
      name: "Prisma raw SQL: the same drain after a plain read of the cards",
      code: drainCards(""),
      errors: [{ line: 10, column: 13, messageId: "uncheckedAfterReadUnnamedCount" }],
    },
    {
      name: "Prisma: the same hand-back to the earlier state when the claim's count is never looked at",
      code: handBackToPrevious(false),
      errors: [
        {
          line: 11,
          column: 9,
          messageId: "unchecked",
          data: { write: "`prisma.renderTask.updateMany(…)`", column: "`updatedAt`", count: "`count`" },
        },
      ],
      output: handBackToPrevious(false)
        .replace('import { PrismaClient, RenderState } from "@prisma/client";\n', '$&import { ConflictError } from "@locksmith/runtime";\n')
        .replace(
          /  await (prisma\.renderTask\.updateMany\(\{\n    where: \{ id, state: RenderState\.RENDERING[^]*?\}\);)/,
          '  const updated = await $1\n  if (updated.count === 0) throw new ConflictError("rendertask changed concurrently");',
        ),
    },
    {
      name: "pg: version read, compared, count ignored",
      code: `import type { Pool } from "pg";

export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  const { rows: [doc] } = await pool.query("SELECT title, version FROM docs WHERE id = $1", [id]);
  await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          endLine: 5,
          endColumn: 129,
          messageId: "uncheckedAfterRead",
          data: {
            write: "`UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3`",
            column: "`version`",
            count: "`rowCount`",
            line: 4,
          },
          message:
            "`UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3` only writes if `version` still has the value read at line 4, but its affected-row count (`rowCount`) is never checked: when a concurrent update wins, this one changes nothing and the conflict is silently dropped.",
          help: "Check the count and throw `ConflictError` (or retry with backoff).",
          related: [{ line: 4, message: "version read here" }],
        },
      ],
      output: `import type { Pool } from "pg";
import { ConflictError } from "@locksmith/runtime";

export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  const { rows: [doc] } = await pool.query("SELECT title, version FROM docs WHERE id = $1", [id]);
  const updated = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
  if (updated.rowCount === 0) throw new ConflictError("docs changed concurrently");
}
`,
    },
    {
      name: "pg: old value compared (balance = old balance), result bound but unused",
      code: `import type { Pool } from "pg";

export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  const result = await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2 AND balance = $3", [rows[0].balance - amount, id, rows[0].balance]);
  console.log("debited", id);
}
`,
      errors: [
        {
          line: 5,
          column: 24,
          messageId: "uncheckedAfterRead",
          data: {
            write: "`UPDATE accounts SET balance = $1 WHERE id = $2 AND balance = $3`",
            column: "`balance`",
            count: "`rowCount`",
            line: 4,
          },
        },
      ],
    },
    {
      name: "mysql2: expected version passed in, count ignored",
      code: `import type { Pool } from "mysql2/promise";

export async function rename(pool: Pool, id: string, title: string, expectedVersion: number): Promise<void> {
  await pool.execute("UPDATE docs SET title = ?, version = version + 1 WHERE id = ? AND version = ?", [title, id, expectedVersion]);
}
`,
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "unchecked",
          data: {
            write: "`UPDATE docs SET title = ?, version = version + 1 WHERE id = ? AND version = ?`",
            column: "`version`",
            count: "`affectedRows`",
          },
        },
      ],
      output: `import type { Pool, ResultSetHeader } from "mysql2/promise";
import { ConflictError } from "@locksmith/runtime";

export async function rename(pool: Pool, id: string, title: string, expectedVersion: number): Promise<void> {
  const [updated] = await pool.execute<ResultSetHeader>("UPDATE docs SET title = ?, version = version + 1 WHERE id = ? AND version = ?", [title, id, expectedVersion]);
  if (updated.affectedRows === 0) throw new ConflictError("docs changed concurrently");
}
`,
    },
    {
      name: "knex: where({ id, version }).update(...) unchecked",
      code: `import type { Knex } from "knex";

export async function rename(knex: Knex, id: number, title: string, version: number): Promise<void> {
  await knex("docs").where({ id, version }).update({ title, version: version + 1 });
}
`,
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "unchecked",
          data: { write: '`knex("docs").where({id,version}).update(…)`', column: "`version`", count: "the number knex returns" },
        },
      ],
      output: `import type { Knex } from "knex";
import { ConflictError } from "@locksmith/runtime";

export async function rename(knex: Knex, id: number, title: string, version: number): Promise<void> {
  const updated = await knex("docs").where({ id, version }).update({ title, version: version + 1 });
  if (updated === 0) throw new ConflictError("docs changed concurrently");
}
`,
    },
    {
      name: "Prisma: the same guarded write storing a value the caller passed in, count ignored",
      code: pauseMailbox("{ pausedUntil: until }"),
      errors: [
        {
          line: 9,
          column: 9,
          messageId: "uncheckedAfterRead",
          data: { write: "`prisma.mailbox.updateMany(…)`", column: "`bounceCount`", count: "`count`", line: 6 },
        },
      ],
      output: pauseFixed(pauseMailbox("{ pausedUntil: until }")),
    },
    {
      name: "Prisma: the same guarded write moving the compared count itself, count ignored",
      code: pauseMailbox("{ bounceCount: mailbox.bounceCount + 1, pausedUntil: new Date(Date.now() + pauseMs) }"),
      errors: [{ line: 9, column: 9, messageId: "uncheckedAfterRead" }],
      output: pauseFixed(pauseMailbox("{ bounceCount: mailbox.bounceCount + 1, pausedUntil: new Date(Date.now() + pauseMs) }")),
    },
    {
      name: "Prisma: updateMany on the version read, count ignored",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function rename(id: number, title: string): Promise<void> {
  const doc = await prisma.doc.findUniqueOrThrow({ where: { id } });
  await prisma.doc.updateMany({ where: { id, version: doc.version }, data: { title, version: { increment: 1 } } });
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "uncheckedAfterRead",
          data: { write: "`prisma.doc.updateMany(…)`", column: "`version`", count: "`count`", line: 5 },
        },
      ],
      output: `import { PrismaClient } from "@prisma/client";
import { ConflictError } from "@locksmith/runtime";
const prisma = new PrismaClient();

export async function rename(id: number, title: string): Promise<void> {
  const doc = await prisma.doc.findUniqueOrThrow({ where: { id } });
  const updated = await prisma.doc.updateMany({ where: { id, version: doc.version }, data: { title, version: { increment: 1 } } });
  if (updated.count === 0) throw new ConflictError("doc changed concurrently");
}
`,
    },
    {
      name: "Prisma: one row moved only if its position is still the one read, count ignored",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function moveTrack(trackId: string, targetId: string): Promise<void> {
  const track = await prisma.track.findUniqueOrThrow({ where: { id: trackId }, select: { order: true } });
  const target = await prisma.track.findUniqueOrThrow({ where: { id: targetId }, select: { order: true } });
  await prisma.track.updateMany({ where: { id: trackId, order: track.order }, data: { order: target.order } });
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "uncheckedAfterRead",
          data: { write: "`prisma.track.updateMany(…)`", column: "`order`", count: "`count`", line: 5 },
        },
      ],
      output: `import { PrismaClient } from "@prisma/client";
import { ConflictError } from "@locksmith/runtime";
const prisma = new PrismaClient();

export async function moveTrack(trackId: string, targetId: string): Promise<void> {
  const track = await prisma.track.findUniqueOrThrow({ where: { id: trackId }, select: { order: true } });
  const target = await prisma.track.findUniqueOrThrow({ where: { id: targetId }, select: { order: true } });
  const updated = await prisma.track.updateMany({ where: { id: trackId, order: track.order }, data: { order: target.order } });
  if (updated.count === 0) throw new ConflictError("track changed concurrently");
}
`,
    },
    {
      name: "TypeORM: repository update on id and version, affected ignored",
      code: `import { DataSource } from "typeorm";
import { Doc } from "./doc";

export async function rename(dataSource: DataSource, id: number, title: string, version: number): Promise<void> {
  await dataSource.getRepository(Doc).update({ id, version }, { title, version: version + 1 });
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "unchecked",
          data: { write: "`dataSource.getRepository(Doc).update(…)`", column: "`version`", count: "`affected`" },
        },
      ],
      output: `import { DataSource } from "typeorm";
import { Doc } from "./doc";
import { ConflictError } from "@locksmith/runtime";

export async function rename(dataSource: DataSource, id: number, title: string, version: number): Promise<void> {
  const updated = await dataSource.getRepository(Doc).update({ id, version }, { title, version: version + 1 });
  if (updated.affected === 0) throw new ConflictError("doc changed concurrently");
}
`,
    },
    {
      name: "Sequelize: Model.update with version in where, [affected] ignored",
      code: `import type { Transaction } from "sequelize";
import { Doc } from "./models";

export async function rename(id: number, title: string, version: number): Promise<void> {
  await Doc.update({ title, version: version + 1 }, { where: { id, version } });
}
`,
      errors: [
        { line: 5, column: 9, messageId: "unchecked", data: { write: "`Doc.update(…)`", column: "`version`", count: "`[affected]`" } },
      ],
      output: `import type { Transaction } from "sequelize";
import { Doc } from "./models";
import { ConflictError } from "@locksmith/runtime";

export async function rename(id: number, title: string, version: number): Promise<void> {
  const [updated] = await Doc.update({ title, version: version + 1 }, { where: { id, version } });
  if (updated === 0) throw new ConflictError("doc changed concurrently");
}
`,
    },
  ],
});
