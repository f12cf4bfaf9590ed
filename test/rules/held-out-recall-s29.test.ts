// Session 29's held-out recall set (b306–b321, bench/recall). The shapes missed by the starting build and fixed where
// one sentence covers them, each an invalid case written freshly, with the nearest correct shape as a valid case:
// - a transaction's callback runs where its opener is called: a check before the opener decides the callback's writes
//   as one before them in the same body does (Kysely `db.transaction().execute(cb)`, Drizzle `db.transaction(cb)`);
// - `const [a, b] = await Promise.all([p, q])` binds each name to its own promise's value: a count awaited that way is
//   the check its name is compared in;
// - a loop whose catch retries an exclusive create that failed with EEXIST (`mkdir(lockDir)`, `open(path, "wx")`) is
//   waiting for a lock file another process holds, and is judged as any try-lock wait;
// - (field, isomer) a check that a column is set, before a write that sets that column again (`if (!site.theme) throw`,
//   then `theme: input.theme`), cannot be failed by a later call: run one after the other, both pass it.
import { retryWithoutBackoff } from "../../rules/retry-without-backoff";
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** Kysely refund requests: an admin reviews each once. */
const REFUNDS = (body: string) => `import { Kysely, PostgresDialect } from "kysely";
import { Pool } from "pg";
interface Tables {
  refund_requests: { id: string; ticket_id: string; cents: number; state: string | null };
  refunds: { id: string; ticket_id: string; cents: number };
}
const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: new Pool() }) });
${body}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The state test is the UPDATE's own filter, and only the call whose UPDATE changed the row records the refund.
      name: "Kysely: the review's state pinned in the UPDATE inside the transaction",
      code: REFUNDS(`export async function grantRefund(requestId: string) {
  const request = await db.selectFrom("refund_requests").selectAll().where("id", "=", requestId).executeTakeFirst();
  if (!request) throw new Error("unknown request");
  await db.transaction().execute(async (trx) => {
    const granted = await trx.updateTable("refund_requests").set({ state: "granted" }).where("id", "=", requestId).where("state", "=", "open").executeTakeFirst();
    if (Number(granted.numUpdatedRows) === 0) throw new Error("already reviewed");
    await trx.insertInto("refunds").values({ id: requestId, ticket_id: request.ticket_id, cents: request.cents }).execute();
  });
}`),
    },
    {
      // The read locks the row inside the transaction that tests and writes it.
      name: "Kysely: the request read FOR UPDATE inside the transaction, tested, then updated",
      code: REFUNDS(`export async function grantRefundLocked(requestId: string) {
  await db.transaction().execute(async (trx) => {
    const request = await trx.selectFrom("refund_requests").selectAll().where("id", "=", requestId).forUpdate().executeTakeFirst();
    if (!request || request.state !== "open") throw new Error("already reviewed");
    await trx.updateTable("refund_requests").set({ state: "granted" }).where("id", "=", requestId).execute();
  });
}`),
    },
    {
      // Every call that passes the check finds the theme set, before and after any other call's write.
      name: "Kysely: a theme tested present before db.transaction().execute(…), replaced inside it",
      code: REFUNDS(`export async function setTicketNote(requestId: string, note: string) {
  const request = await db.selectFrom("refund_requests").selectAll().where("id", "=", requestId).executeTakeFirst();
  if (!request) throw new Error("unknown request");
  if (!request.state) throw new Error("request has no state");
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("refund_requests").set({ state: note }).where("id", "=", requestId).execute();
  });
}`),
    },
    {
      // The same in one body: the start build reported it, though a later call passes the check all the same.
      name: "Kysely: a state tested present, then replaced with the caller's value",
      code: REFUNDS(`export async function renameState(requestId: string, state: string) {
  const request = await db.selectFrom("refund_requests").selectAll().where("id", "=", requestId).executeTakeFirst();
  if (!request || request.state == null) throw new Error("request has no state");
  await db.updateTable("refund_requests").set({ state }).where("id", "=", requestId).execute();
}`),
    },
  ],
  invalid: [
    {
      name: "Kysely: the review's state tested before db.transaction().execute(…), updated by id inside it",
      code: REFUNDS(`export async function grantRefund(requestId: string) {
  const request = await db.selectFrom("refund_requests").selectAll().where("id", "=", requestId).executeTakeFirst();
  if (!request) throw new Error("unknown request");
  if (request.state !== "open") throw new Error("already reviewed");
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("refund_requests").set({ state: "granted" }).where("id", "=", requestId).execute();
    await trx.insertInto("refunds").values({ id: requestId, ticket_id: request.ticket_id, cents: request.cents }).execute();
  });
}`),
      errors: [{ line: 13, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "Drizzle: a voucher's state tested before db.transaction(cb), moved on and credited inside the callback",
      code: `import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
const db = drizzle("postgres://localhost/app");
const vouchers = pgTable("vouchers", { code: text("code").primaryKey(), state: text("state").notNull(), cents: integer("cents").notNull() });
const wallets = pgTable("wallets", { userId: text("user_id").primaryKey(), cents: integer("cents").notNull() });
export async function redeemVoucher(code: string, userId: string) {
  const [voucher] = await db.select().from(vouchers).where(eq(vouchers.code, code));
  if (!voucher || voucher.state !== "issued") throw new Error("voucher not available");
  await db.transaction(async (tx) => {
    await tx.update(vouchers).set({ state: "redeemed" }).where(eq(vouchers.code, code));
    await tx.update(wallets).set({ cents: sql\`\${wallets.cents} + \${voucher.cents}\` }).where(eq(wallets.userId, userId));
  });
}`,
      errors: [{ line: 11, column: 11, messageId: "checkThenWrite" }],
    },
    {
      // A first binding: the column is tested unset, then set. A later call would find it set and refuse.
      name: "Kysely: a column tested unset before db.transaction().execute(…), set inside it",
      code: REFUNDS(`export async function openRequest(requestId: string, state: string) {
  const request = await db.selectFrom("refund_requests").selectAll().where("id", "=", requestId).executeTakeFirst();
  if (!request) throw new Error("unknown request");
  if (!request.state) {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable("refund_requests").set({ state }).where("id", "=", requestId).execute();
    });
  }
}`),
      errors: [{ line: 13, column: 13, messageId: "checkThenWrite" }],
    },
  ],
});

/** Prisma bookings of a workshop with a capacity (no unique key over the booking's columns). */
const WORKSHOPS = (body: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
${body}`;

runRuleTests(writeSkew, {
  valid: [
    {
      // The counts are taken after the workshop row is locked in the transaction that inserts: one booking at a time.
      name: "Prisma: counts awaited together under the workshop's row lock, then a booking created",
      code: WORKSHOPS(`export async function bookSeat(workshopId: string, userId: string) {
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw\`SELECT id FROM "Workshop" WHERE id = \${workshopId} FOR UPDATE\`;
    const [booked, held] = await Promise.all([
      tx.booking.count({ where: { workshopId } }),
      tx.seatHold.count({ where: { workshopId } }),
    ]);
    if (booked + held >= 20) throw new Error("workshop full");
    return tx.booking.create({ data: { workshopId, userId } });
  });
}`),
    },
  ],
  invalid: [
    {
      name: "Prisma: a count and the capacity awaited together by Promise.all, tested, then a booking created",
      code: WORKSHOPS(`export async function bookSeat(workshopId: string, userId: string) {
  const [booked, workshop] = await Promise.all([
    prisma.booking.count({ where: { workshopId } }),
    prisma.workshop.findUnique({ where: { id: workshopId } }),
  ]);
  if (!workshop) throw new Error("no such workshop");
  if (booked >= workshop.capacity) throw new Error("workshop full");
  return prisma.booking.create({ data: { workshopId, userId } });
}`),
      errors: [{ line: 10, column: 10, messageId: "grows" }],
    },
  ],
});

/** A lock directory under a run folder: mkdir fails with EEXIST while another process holds it. */
const LOCK_DIR = (body: string) => `import { mkdir, open, rm } from "node:fs/promises";
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
${body}`;

runRuleTests(retryWithoutBackoff, {
  valid: [
    {
      // The wait doubles with each failed attempt, capped, and adds jitter: contenders spread out.
      name: "fs: a lock directory retried on EEXIST with exponential backoff and jitter",
      code: LOCK_DIR(`export async function lockRun(runDir: string) {
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      await mkdir(runDir + "/.lock");
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      await pause(Math.min(2000, 20 * 2 ** attempt) + Math.random() * 20);
    }
  }
  throw new Error("run is locked");
}`),
    },
    {
      // A name already taken is answered by trying another name: nothing is waited for.
      name: "fs: an exclusive create retried under a fresh name after EEXIST",
      code: LOCK_DIR(`export async function createReport(dir: string) {
  for (let n = 0; n < 100; n++) {
    const path = dir + "/report-" + n + ".txt";
    try {
      const handle = await open(path, "wx");
      await handle.close();
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  throw new Error("no free report name");
}`),
    },
  ],
  invalid: [
    {
      name: "fs: a lock directory retried on EEXIST after a fixed pause",
      code: LOCK_DIR(`export async function lockRun(runDir: string) {
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      await mkdir(runDir + "/.lock");
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      await pause(50);
    }
  }
  throw new Error("run is locked");
}
export async function unlockRun(runDir: string) {
  await rm(runDir + "/.lock", { recursive: true, force: true });
}`),
      errors: [{ line: 4, column: 3, messageId: "constantDelay" }],
    },
  ],
});
