// Recall on real bug shapes (session 32, lead):
// - a raw SQL read that finds a row only while a column holds a state written in its own text (`state = 'queued'`,
//   `paid_at IS NULL`), then an UPDATE of that row by its key that changes the column without repeating the test: two
//   workers both find the row and both claim it, as with an ORM filter (labelled bug b349). The UPDATE repeating the
//   test, or a FOR UPDATE SKIP LOCKED read in a transaction, is the safe form. A NULL column claimed counts only where
//   work follows from the claim (the row itself returned, or awaited work between the read and the write or after
//   it, whose result the write does not store): a soft delete, or a backfill storing what it computed for each row,
//   ends the same however two calls interleave. ORM reads testing a column NULL (Prisma `assigneeId: null`, Drizzle
//   `isNull(t.rewardedAt)`, labelled bug b141) are such claims too. A write of the claimed column later in the body of
//   a loop over the rows read (the `catch` marking a post failed) runs before the write only in an earlier
//   iteration, on another row: it is no claim of this row (labelled bug b164). A Prisma `OR` whose every branch pins
//   the column to a state the write does not store is such a filter too (labelled bug b133).
// - a Mongo aggregate pipeline that totals a set (`$match`, then `$group` with `_id: null` and `$sum`, or `$count`) is
//   a count or sum of that set for write skew; a document the `$sum` counts negatively (a negated amount, or a `$cond`
//   on its kind choosing `$multiply: [x, -1]`) lowers the total (labelled bug b344); so does one a `reduce` of the
//   rows read counts negatively (`m.kind === "earn" ? m.points : -m.points`), and a model injected into a NestJS
//   service (`@InjectModel`, or a field typed Mongoose's `Model<…>`) is a model whatever its name (labelled bug b45).
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const SQL_HEADER = `import mysql from "mysql2/promise";
import { Pool } from "pg";
const db = mysql.createPool({ uri: process.env.DB_URL });
const pg = new Pool();
declare function sendTransfer(amount: number): Promise<void>;
`;

/** A Drizzle table of referrals whose reward is marked by `rewardedAt`. */
const REFERRALS = `import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
declare function creditCustomer(customerId: string, cents: number): Promise<void>;
const referrals = pgTable("referrals", {
  id: uuid("id").primaryKey(),
  refereeId: uuid("referee_id").notNull(),
  referrerCustomer: text("referrer_customer").notNull(),
  rewardedAt: timestamp("rewarded_at"),
});
const db = drizzle(process.env.DATABASE_URL!);
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the UPDATE repeats the state the read required, and a worker that changed no row lost the task",
      code: `${SQL_HEADER}
export async function takeNextExport(region: string) {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT id FROM export_tasks WHERE region = ? AND state = 'queued' ORDER BY id LIMIT 1",
    [region],
  );
  if (rows.length === 0) return undefined;
  const [result] = await db.query<mysql.ResultSetHeader>(
    "UPDATE export_tasks SET state = 'running' WHERE id = ? AND state = 'queued'",
    [rows[0]!.id],
  );
  return result.affectedRows === 1 ? rows[0] : undefined;
}
`,
    },
    {
      name: "the task is read FOR UPDATE SKIP LOCKED in the transaction that claims it",
      code: `${SQL_HEADER}
export async function takeNextExport(region: string) {
  const conn = await db.getConnection();
  try {
    await conn.beginTransaction();
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      "SELECT id FROM export_tasks WHERE region = ? AND state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
      [region],
    );
    if (rows.length === 0) {
      await conn.rollback();
      return undefined;
    }
    await conn.query("UPDATE export_tasks SET state = 'running' WHERE id = ?", [rows[0]!.id]);
    await conn.commit();
    return rows[0];
  } finally {
    conn.release();
  }
}
`,
    },
    {
      name: "the write keeps the column in the state the read required (NULL again)",
      code: `${SQL_HEADER}
export async function resetPayoutNote(payoutId: string) {
  const { rows } = await pg.query("SELECT id FROM payouts WHERE id = $1 AND paid_at IS NULL", [payoutId]);
  if (rows.length === 0) return;
  await pg.query("UPDATE payouts SET paid_at = NULL, note = $2 WHERE id = $1", [payoutId, "reset"]);
}
`,
    },
    {
      name: "a soft delete of a row found by `deleted_at IS NULL`: nothing is done on the strength of the claim",
      code: `${SQL_HEADER}
export async function archiveNote(noteId: string) {
  const { rows } = await pg.query("SELECT id FROM notes WHERE id = $1 AND deleted_at IS NULL", [noteId]);
  if (rows.length === 0) throw new Error("not found");
  await pg.query("UPDATE notes SET deleted_at = now() WHERE id = $1", [noteId]);
  return { archived: true };
}
`,
    },
    {
      name: "Prisma: a soft delete of a row found by `deletedAt: null`, nothing done on the strength of it",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function archiveBoard(boardId: string) {
  const board = await prisma.board.findFirst({ where: { id: boardId, deletedAt: null } });
  if (!board) throw new Error("not found");
  await prisma.board.update({ where: { id: boardId }, data: { deletedAt: new Date() } });
  return { archived: true };
}
`,
    },
    {
      name: "Drizzle: the credit is claimed by an update testing `isNull` first, and only the claimer pays",
      code: `${REFERRALS}export async function rewardReferrer(refereeId: string) {
  const claimed = await db
    .update(referrals)
    .set({ rewardedAt: new Date() })
    .where(and(eq(referrals.refereeId, refereeId), isNull(referrals.rewardedAt)))
    .returning();
  if (claimed.length === 0) return;
  await creditCustomer(claimed[0]!.referrerCustomer, 1500);
}
`,
    },
    {
      name: "Prisma: a provisioned kiosk found by `deviceKey: null` gets the device's key; the awaited work is on the other path",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function pickKioskName(siteId: string): Promise<string>;
export async function registerKiosk(siteId: string, serial: string, deviceKey: string) {
  const provisioned = await prisma.kiosk.findFirst({ where: { siteId, serial, deviceKey: null } });
  if (provisioned) {
    await prisma.kiosk.update({ where: { id: provisioned.id }, data: { deviceKey } });
    return { kioskId: provisioned.id, created: false };
  }
  const name = await pickKioskName(siteId);
  const created = await prisma.kiosk.create({ data: { siteId, serial, deviceKey, name } });
  return { kioskId: created.id, created: true };
}
`,
    },
    {
      name: "Prisma: a backfill filling `previewUrl: null` rows with an upload made for each: the work is what the write stores",
      code: `import { PrismaClient } from "@prisma/client";
import { render, upload } from "./storage";
const prisma = new PrismaClient();
export async function backfillPreviews(limit: number) {
  const docs = await prisma.document.findMany({ where: { previewUrl: null }, select: { id: true, storageKey: true }, take: limit });
  let updated = 0;
  for (const doc of docs) {
    try {
      const image = await render(doc.storageKey);
      const url = await upload(\`previews/\${doc.storageKey}\`, image);
      const normalized = url.trim() || url;
      await prisma.document.update({ where: { id: doc.id }, data: { previewUrl: normalized } });
      updated += 1;
    } catch {
      updated -= 0;
    }
  }
  return { processed: docs.length, updated };
}
`,
    },
    {
      name: "Prisma: a guest cart found by `customerId: null` in a Promise.all with the customer's cart, then assigned at login",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function adoptGuestCart(shopId: string, customerId: string, guestToken: string) {
  const [own, guest] = await Promise.all([
    prisma.cart.findFirst({ where: { shopId, customerId, open: true } }),
    prisma.cart.findFirst({ where: { shopId, guestToken, customerId: null, open: true } }),
  ]);
  if (!guest) return null;
  if (!own) {
    await prisma.cart.update({ where: { id: guest.id }, data: { customerId } });
    return { cartId: guest.id };
  }
  return { cartId: own.id };
}
`,
    },
  ],
  invalid: [
    {
      name: "mysql2: the oldest queued task found by its state, then marked running by id alone",
      code: `${SQL_HEADER}
export async function takeNextExport(region: string) {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT id, region FROM export_tasks WHERE region = ? AND state = 'queued' ORDER BY id LIMIT 1",
    [region],
  );
  if (!rows.length) return undefined;
  const task = rows[0]!;
  await db.query("UPDATE export_tasks SET state = 'running', started_at = NOW() WHERE id = ?", [task.id]);
  return task;
}
`,
      errors: [
        {
          line: 14,
          column: 9,
          messageId: "filterThenWrite",
          data: {
            write: "`UPDATE export_tasks SET state = 'running', started_at = NOW()`",
            column: "`state`",
            line: 8,
            required: "`'queued'`",
          },
        },
      ],
    },
    {
      name: "pg: an unpaid payout found by `paid_at IS NULL`, the transfer sent, then marked paid by id alone",
      code: `${SQL_HEADER}
export async function payOut(payoutId: string) {
  const { rows } = await pg.query("SELECT id, amount FROM payouts WHERE id = $1 AND paid_at IS NULL", [payoutId]);
  if (rows.length > 0) {
    await sendTransfer(rows[0].amount);
    await pg.query("UPDATE payouts SET paid_at = now() WHERE id = $1", [payoutId]);
  }
}
`,
      errors: [{ line: 11, column: 11, messageId: "filterThenWrite" }],
    },
    {
      name: "Drizzle: a referral found while `isNull(rewardedAt)`, the referrer credited, then the reward marked by id",
      code: `${REFERRALS}export async function rewardReferrer(refereeId: string) {
  const [referral] = await db
    .select()
    .from(referrals)
    .where(and(eq(referrals.refereeId, refereeId), isNull(referrals.rewardedAt)));
  if (!referral) return;
  await creditCustomer(referral.referrerCustomer, 1500);
  await db.update(referrals).set({ rewardedAt: new Date() }).where(eq(referrals.id, referral.id));
}
`,
      errors: [
        {
          line: 19,
          column: 9,
          messageId: "filterThenWrite",
          data: {
            write: "`db.update(referrals)…set(…)`",
            column: "`rewardedAt`",
            line: 13,
            required: "`null`",
          },
        },
      ],
    },
    {
      name: "Prisma: an unassigned ticket found by `assigneeId: null`, assigned by id alone and returned to the agent",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function pickTicket(queue: string, agentId: string) {
  const ticket = await prisma.ticket.findFirst({ where: { queue, assigneeId: null }, orderBy: { createdAt: "asc" } });
  if (!ticket) return null;
  await prisma.ticket.update({ where: { id: ticket.id }, data: { assigneeId: agentId } });
  return ticket;
}
`,
      errors: [{ line: 6, column: 9, messageId: "filterThenWrite" }],
    },
    {
      name: "Prisma: pending posts broadcast one by one, each marked posted after its broadcast (and failed in the catch)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function announce(text: string): Promise<string>;
export async function sendDueAnnouncements() {
  const due = await prisma.announcement.findMany({ where: { state: "queued" } });
  for (const item of due) {
    try {
      const ref = await announce(item.text);
      await prisma.announcement.update({ where: { id: item.id }, data: { state: "sent", ref } });
    } catch (err) {
      await prisma.announcement.update({ where: { id: item.id }, data: { state: "error" } });
    }
  }
}
`,
      errors: [{ line: 9, column: 13, messageId: "filterThenWrite" }],
    },
    {
      name: "Prisma: the next job found pending or scheduled and due (`OR`), then marked running by id alone",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function nextJob(now = new Date()) {
  const job = await prisma.exportJob.findFirst({
    where: { OR: [{ phase: "NEW" }, { phase: "RETRY", retryAt: { lte: now } }] },
  });
  if (!job) return null;
  await prisma.exportJob.update({ where: { id: job.id }, data: { phase: "RUNNING" } });
  return job;
}
`,
      errors: [
        {
          line: 8,
          column: 9,
          messageId: "filterThenWrite",
          data: {
            write: "`prisma.exportJob.update(…)`",
            column: "`phase`",
            line: 4,
            required: '`"NEW" or "RETRY"`',
          },
        },
      ],
    },
    {
      name: "Prisma: an unowned card pack found in a transaction without a row lock, paid for, then given an owner",
      code: `import { PrismaClient } from "@prisma/client";
import Stripe from "stripe";
const prisma = new PrismaClient();
const stripe = new Stripe(process.env.STRIPE_KEY!);
export async function buyPack(seriesId: string, buyerId: string, paymentIntentId: string) {
  return prisma.$transaction(async (tx) => {
    const pack = await tx.cardPack.findFirst({ where: { seriesId, ownerId: null }, orderBy: { createdAt: "asc" } });
    if (!pack) throw new Error("sold out");
    const intent = await stripe.paymentIntents.retrieve(paymentIntentId);
    if (intent.status !== "succeeded") throw new Error("unpaid");
    return tx.cardPack.update({ where: { id: pack.id }, data: { ownerId: buyerId } });
  });
}
`,
      errors: [{ line: 11, column: 12, messageId: "filterThenWrite" }],
    },
  ],
});

const MONGO_HEADER = `import mongoose, { Schema } from "mongoose";
const Movement = mongoose.model("PointsMovement", new Schema({ accountId: String, points: Number, kind: String }));
const Seat = mongoose.model("WorkshopSeat", new Schema({ workshopId: String, attendee: String }));
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "a top-up checked against an overdraft: the document inserted raises the total the check bounds from below",
      code: `${MONGO_HEADER}
export async function topUp(accountId: string, points: number) {
  const [sum] = await Movement.aggregate([
    { $match: { accountId } },
    { $group: { _id: null, total: { $sum: { $cond: [{ $eq: ["$kind", "earn"] }, "$points", { $multiply: ["$points", -1] }] } } } },
  ]);
  const balance = sum?.total ?? 0;
  if (balance < 0) throw new Error("account overdrawn");
  await Movement.create({ accountId, points, kind: "earn" });
}
`,
    },
    {
      name: "a pipeline grouped by a field gives one total per group, not a total of the set",
      code: `${MONGO_HEADER}
export async function addMovement(accountId: string, points: number) {
  const rows = await Movement.aggregate([{ $match: { accountId } }, { $group: { _id: "$kind", total: { $sum: "$points" } } }]);
  if (rows.length > 3) throw new Error("too many kinds");
  await Movement.create({ accountId, points, kind: "earn" });
}
`,
    },
  ],
  invalid: [
    {
      name: "points redeemed against a sum of movements, the redemption inserted with the points negated",
      code: `${MONGO_HEADER}
export async function redeemPoints(accountId: string, points: number) {
  const [sum] = await Movement.aggregate([{ $match: { accountId } }, { $group: { _id: null, total: { $sum: "$points" } } }]);
  const balance = sum?.total ?? 0;
  if (balance < points) throw new Error("not enough points");
  await Movement.create({ accountId, points: -points, kind: "redeem" });
}
`,
      errors: [{ line: 9, column: 9, messageId: "shrinks" }],
    },
    {
      name: "a withdrawal the pipeline's $cond counts negatively, inserted after the balance check",
      code: `${MONGO_HEADER}
export async function spendPoints(accountId: string, points: number) {
  const [sum] = await Movement.aggregate([
    { $match: { accountId } },
    { $group: { _id: null, total: { $sum: { $cond: [{ $eq: ["$kind", "earn"] }, "$points", { $multiply: ["$points", -1] }] } } } },
  ]);
  const balance: number = sum?.total ?? 0;
  if (balance < points) throw new Error("not enough points");
  await Movement.create({ accountId, points, kind: "spend" });
}
`,
      errors: [{ line: 12, column: 9, messageId: "shrinks" }],
    },
    {
      name: "rows folded by reduce, a spend counted negatively by the fold's branch on its kind, inserted after the check",
      code: `${MONGO_HEADER}
export async function spendPoints(accountId: string, points: number) {
  const history = await Movement.find({ accountId });
  const balance = history.reduce((sum, m) => sum + (m.kind === "earn" ? m.points : -m.points), 0);
  if (balance < points) throw new Error("not enough points");
  await Movement.create({ accountId, kind: "spend", points });
}
`,
      errors: [{ line: 9, column: 9, messageId: "shrinks" }],
    },
    {
      name: "a NestJS service's injected model (`@InjectModel`, typed `Model<…>`), read and written through `this`",
      code: `import { Injectable } from "@nestjs/common";
import { InjectModel } from "@nestjs/mongoose";
import { Model } from "mongoose";
interface Credit { accountId: string; cents: number }
@Injectable()
export class CreditService {
  constructor(@InjectModel("Credit") private readonly credits: Model<Credit>) {}
  async spend(accountId: string, cents: number) {
    const entries = await this.credits.find({ accountId });
    const balance = entries.reduce((sum, e) => sum + e.cents, 0);
    if (balance < cents) throw new Error("insufficient credit");
    await this.credits.create({ accountId, cents: -cents });
  }
}
`,
      errors: [{ line: 12, column: 11, messageId: "shrinks" }],
    },
    {
      name: "seats counted by a $count stage against the capacity, then one more inserted",
      code: `${MONGO_HEADER}
export async function bookSeat(workshopId: string, attendee: string, capacity: number) {
  const [taken] = await Seat.aggregate([{ $match: { workshopId } }, { $count: "n" }]);
  if ((taken?.n ?? 0) >= capacity) throw new Error("full");
  await Seat.create({ workshopId, attendee });
}
`,
      errors: [{ line: 8, column: 9, messageId: "grows" }],
    },
  ],
});
