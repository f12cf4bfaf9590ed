// MISSED (select-then-update) in session 15; found since session 16 (wt-miss, 732c4ca: a Drizzle insert is a write), onestopshop app/api/stripe/webhook/route.ts:111-118.
// A per-parent display number computed as count(*) + 1 of the parent's rows and inserted with no unique index on
// (parent, number): two concurrent inserts for one parent (two paid orders of one shop) store the same number.
// Silent on 5dfade9; the same shape with `max(number) + 1` read then inserted is the one to report too.
import { eq, sql } from "drizzle-orm";
import { db } from "./db";
import { invoices } from "./schema";

export async function recordInvoice(shopId: number, total: string, paymentId: string) {
  const existing = await db
    .select({ count: sql<number>`count(*)` })
    .from(invoices)
    .where(eq(invoices.shopId, shopId));

  await db.insert(invoices).values({
    shopId,
    displayNumber: Number(existing[0].count) + 1,
    total,
    paymentId,
  });
}
