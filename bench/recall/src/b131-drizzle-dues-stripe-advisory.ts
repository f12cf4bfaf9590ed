import { and, eq, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import Stripe from "stripe";
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
const duesHolds = pgTable("dues_holds", {
  memberId: uuid("member_id").notNull(),
  season: integer("season").notNull(),
  attempt: integer("attempt").notNull(),
  intentId: text("intent_id"),
  updatedAt: timestamp("updated_at"),
});
// The member's advisory lock is taken inside the transaction and two Stripe calls run under it: a slow Stripe holds
// the lock and the pooled connection, blocking every later checkout of that member and season.
export async function openDuesCheckout(db: NodePgDatabase, memberId: string, season: number, cents: number) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`dues:${memberId}:${season}`}))`);
    const [hold] = await tx
      .select()
      .from(duesHolds)
      .where(and(eq(duesHolds.memberId, memberId), eq(duesHolds.season, season)));
    const attempt = (hold?.attempt ?? 0) + 1;
    const customer = await stripe.customers.create({ metadata: { memberId } });
    const intent = await stripe.paymentIntents.create({ amount: cents, currency: "usd", customer: customer.id });
    await tx
      .update(duesHolds)
      .set({ intentId: intent.id, attempt, updatedAt: new Date() })
      .where(and(eq(duesHolds.memberId, memberId), eq(duesHolds.season, season)));
    return intent;
  });
}
