// Session 28's held-out recall set (b290–b305, bench/recall). The shapes missed by the starting build and fixed where
// one sentence covers them, each an invalid case written freshly, with the nearest correct shape as a valid case:
// - a `const` of the same function bound to an object literal is that literal where it is passed as a filter or as
//   data (`const where = { lotId, plate }`, then `findAll({ where })` and `create({ ...where, paid })`): its columns
//   are the lookup's and the insert's;
// - a row inserted into a set whose total a check keeps above a floor, carrying a negated amount of the summed column
//   (`points: -cost`), lowers the total: the check's "at least" is broken by two such inserts as a delete breaks a
//   minimum;
// - a helper returning whether a count or aggregate it reads is above a bound (`return (agg._sum.points ?? 0) >= cost`)
//   is that check, true when the set's value is large, where its caller tests it;
// - a locking read protects the value it read only where it found the row: an upsert of a value computed from the
//   default the code gives a missing row (`current?.stamps ?? 0`) is written unlocked by the first two writers.
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** Sequelize parking permits, looked up by lot, plate and day. */
const PERMITS = (options: string, body: string) => `import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize("postgres://localhost/parking");
class Permit extends Model {}
Permit.init({ lotId: DataTypes.INTEGER, plate: DataTypes.STRING, day: DataTypes.DATEONLY, paid: DataTypes.BOOLEAN }, { sequelize, tableName: "permits"${options} });
${body}`;

/** A Prisma points ledger: an account's balance is the sum of its entries' points. */
const LEDGER = (body: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
${body}`;

runRuleTests(writeSkew, {
  valid: [
    {
      // The model declares the unique index over the columns the const filter pins: a second insert fails.
      name: "Sequelize: a const filter looked up, then spread into the create, under a unique index",
      code: PERMITS(
        `, indexes: [{ unique: true, fields: ["lotId", "plate", "day"] }]`,
        `export async function issuePermit(lotId: number, plate: string, day: string) {
  const where = { lotId, plate, day };
  const existing = await Permit.findAll({ where });
  if (existing.length > 0) return existing[0];
  return Permit.create({ ...where, paid: false });
}`,
      ),
    },
    {
      // A top-up raises the total the check keeps above a floor: it cannot take it below.
      name: "Prisma: a balance floor tested, then a positive entry added",
      code: LEDGER(`export async function refundPoints(accountId: string, points: number) {
  const agg = await prisma.pointEntry.aggregate({ where: { accountId }, _sum: { points: true } });
  if ((agg._sum.points ?? 0) <= 0) throw new Error("account closed");
  await prisma.pointEntry.create({ data: { accountId, points } });
}`),
    },
    {
      // The account row is locked first: spends of one account sum and insert one at a time.
      name: "Prisma: a balance floor tested and a negated entry added under the account's row lock",
      code: LEDGER(`export async function spendPointsLocked(accountId: string, cost: number) {
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw\`SELECT id FROM "Account" WHERE id = \${accountId} FOR UPDATE\`;
    const agg = await tx.pointEntry.aggregate({ where: { accountId }, _sum: { points: true } });
    if ((agg._sum.points ?? 0) < cost) throw new Error("not enough points");
    await tx.pointEntry.create({ data: { accountId, points: -cost } });
  });
}`),
    },
    {
      // The helper's answer is only shown: no write of the ledger depends on it.
      name: "Prisma: a helper answering whether the balance covers a cost, only reported back",
      code: LEDGER(`async function canAfford(accountId: string, cost: number) {
  const agg = await prisma.pointEntry.aggregate({ where: { accountId }, _sum: { points: true } });
  return (agg._sum.points ?? 0) >= cost;
}
export async function quote(accountId: string, cost: number) {
  if (!(await canAfford(accountId, cost))) return { affordable: false };
  await prisma.quoteLog.create({ data: { accountId, cost } });
  return { affordable: true };
}`),
    },
  ],
  invalid: [
    {
      name: "Sequelize: a const filter looked up, then spread into the create, with no unique index",
      code: PERMITS(
        "",
        `export async function issuePermit(lotId: number, plate: string, day: string) {
  const where = { lotId, plate, day };
  const existing = await Permit.findAll({ where });
  if (existing.length > 0) return existing[0];
  return Permit.create({ ...where, paid: false });
}`,
      ),
      errors: [{ line: 9, column: 10, messageId: "duplicate" }],
    },
    {
      name: "Prisma: a balance floor tested, then an entry of the negated cost added",
      code: LEDGER(`export async function spendPoints(accountId: string, cost: number) {
  const agg = await prisma.pointEntry.aggregate({ where: { accountId }, _sum: { points: true } });
  if ((agg._sum.points ?? 0) < cost) throw new Error("not enough points");
  await prisma.pointEntry.create({ data: { accountId, points: -cost } });
}`),
      errors: [{ line: 6, column: 9, messageId: "shrinks" }],
    },
    {
      name: "Prisma: the balance floor tested by one helper, the negated entry added by another",
      code: LEDGER(`async function canAfford(accountId: string, cost: number) {
  const agg = await prisma.pointEntry.aggregate({ where: { accountId }, _sum: { points: true } });
  return (agg._sum.points ?? 0) >= cost;
}
async function debit(accountId: string, cost: number, reason: string) {
  await prisma.pointEntry.create({ data: { accountId, points: -cost, reason } });
}
export async function redeemReward(accountId: string, rewardId: string, cost: number) {
  if (!(await canAfford(accountId, cost))) throw new Error("not enough points");
  const redemption = await prisma.redemption.create({ data: { accountId, rewardId } });
  await debit(accountId, cost, redemption.id);
  return redemption;
}`),
      errors: [{ line: 13, column: 9, messageId: "shrinks" }],
    },
    {
      name: "knex: a wallet's summed deltas tested, then a negated delta inserted",
      code: `import knexFactory from "knex";
const knex = knexFactory({ client: "pg" });
export async function withdraw(walletId: string, amount: number) {
  const row = await knex("wallet_entries").where({ wallet_id: walletId }).sum("delta as total").first();
  if (Number(row?.total ?? 0) < amount) throw new Error("insufficient funds");
  await knex("wallet_entries").insert({ wallet_id: walletId, delta: -amount });
}`,
      errors: [{ line: 6, column: 9, messageId: "shrinks" }],
    },
  ],
});

/** A Drizzle table of loyalty stamps per customer, keyed by the customer. */
const STAMPS = (body: string) => `import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
const db = drizzle("postgres://localhost/shop");
const stampCards = pgTable("stamp_cards", { customerId: text("customer_id").primaryKey(), stamps: integer("stamps").notNull().default(0) });
${body}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The card is created first when missing, so the FOR UPDATE that follows always has a row to lock.
      name: "Drizzle: the row inserted if missing, then read FOR UPDATE and updated",
      code: STAMPS(`export async function addStamp(customerId: string) {
  await db.transaction(async (tx) => {
    await tx.insert(stampCards).values({ customerId }).onConflictDoNothing();
    const [card] = await tx.select().from(stampCards).where(eq(stampCards.customerId, customerId)).for("update");
    await tx.update(stampCards).set({ stamps: Math.min(card.stamps + 1, 10) }).where(eq(stampCards.customerId, customerId));
  });
}`),
    },
    {
      // No default for a missing row: the code assumes the row is there, and where it is the lock holds.
      name: "Drizzle: a row read FOR UPDATE without a default, then upserted",
      code: STAMPS(`export async function addStamp(customerId: string) {
  await db.transaction(async (tx) => {
    const [card] = await tx.select().from(stampCards).where(eq(stampCards.customerId, customerId)).for("update");
    const next = Math.min(card.stamps + 1, 10);
    await tx.insert(stampCards).values({ customerId, stamps: next }).onConflictDoUpdate({ target: stampCards.customerId, set: { stamps: next } });
  });
}`),
    },
    {
      // The upsert raises the count in the database: nothing computed from the read is written.
      name: "Drizzle: a missing row defaulted, then an upsert that increments in SQL",
      code: STAMPS(`export async function addStamp(customerId: string) {
  await db.transaction(async (tx) => {
    const [card] = await tx.select().from(stampCards).where(eq(stampCards.customerId, customerId)).for("update");
    if ((card?.stamps ?? 0) >= 10) throw new Error("card full");
    await tx.insert(stampCards).values({ customerId, stamps: 1 }).onConflictDoUpdate({ target: stampCards.customerId, set: { stamps: sql\`\${stampCards.stamps} + 1\` } });
  });
}`),
    },
  ],
  invalid: [
    {
      name: "Drizzle: a missing row defaulted to zero, then the value computed from it upserted",
      code: STAMPS(`export async function addStamp(customerId: string) {
  await db.transaction(async (tx) => {
    const [card] = await tx.select().from(stampCards).where(eq(stampCards.customerId, customerId)).for("update");
    const next = Math.min((card?.stamps ?? 0) + 1, 10);
    await tx.insert(stampCards).values({ customerId, stamps: next }).onConflictDoUpdate({ target: stampCards.customerId, set: { stamps: next } });
  });
}`),
      errors: [{ line: 10, column: 11, messageId: "lostUpdateDespiteLock" }],
    },
    {
      name: "pg: a missing row defaulted, then INSERT … ON CONFLICT DO UPDATE of the value computed from it",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function addStamp(customerId: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT stamps FROM stamp_cards WHERE customer_id = $1 FOR UPDATE", [customerId]);
    const next = Math.min((rows[0]?.stamps ?? 0) + 1, 10);
    await client.query(
      "INSERT INTO stamp_cards (customer_id, stamps) VALUES ($1, $2) ON CONFLICT (customer_id) DO UPDATE SET stamps = $2",
      [customerId, next],
    );
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}`,
      errors: [{ line: 9, column: 11, messageId: "lostUpdateDespiteLock" }],
    },
  ],
});
