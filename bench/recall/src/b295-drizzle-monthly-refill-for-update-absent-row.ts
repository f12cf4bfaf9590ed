import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const creditBalances = pgTable("credit_balances", {
  userId: text("user_id").primaryKey(),
  monthlyRemainingCents: integer("monthly_remaining_cents").notNull().default(0),
  refilledAt: timestamp("refilled_at"),
});
type Tier = "free" | "pro" | "team";
const MONTHLY_ALLOWANCE_CENTS: Record<Tier, number> = { free: 0, pro: 2000, team: 10000 };
function rolledOver(tier: Tier, carriedCents: number) {
  return Math.min(carriedCents + MONTHLY_ALLOWANCE_CENTS[tier], MONTHLY_ALLOWANCE_CENTS[tier] * 3);
}
// A paid invoice refills the monthly credit: the balance row is read FOR UPDATE, the allowance is added to what was
// carried over, and the total is upserted. A user's first two invoices (two distinct webhook events) find no row, so
// the FOR UPDATE locks nothing: both carry 0 and both upsert one allowance, and one refill is lost.
export async function refillOnInvoicePaid(userId: string, tier: Tier) {
  await db.transaction(async (tx) => {
    const [current] = await tx
      .select({ monthlyRemainingCents: creditBalances.monthlyRemainingCents })
      .from(creditBalances)
      .where(eq(creditBalances.userId, userId))
      .for("update")
      .limit(1);
    const next = rolledOver(tier, current?.monthlyRemainingCents ?? 0);
    await tx
      .insert(creditBalances)
      .values({ userId, monthlyRemainingCents: next, refilledAt: new Date() })
      .onConflictDoUpdate({ target: creditBalances.userId, set: { monthlyRemainingCents: next, refilledAt: new Date() } });
  });
}
// Correct: the row is created first if it is missing, so the FOR UPDATE that follows always finds a row to lock.
export async function refillOnInvoicePaidLocked(userId: string, tier: Tier) {
  await db.transaction(async (tx) => {
    await tx.insert(creditBalances).values({ userId }).onConflictDoNothing({ target: creditBalances.userId });
    const [current] = await tx
      .select({ monthlyRemainingCents: creditBalances.monthlyRemainingCents })
      .from(creditBalances)
      .where(eq(creditBalances.userId, userId))
      .for("update");
    await tx
      .update(creditBalances)
      .set({ monthlyRemainingCents: rolledOver(tier, current.monthlyRemainingCents), refilledAt: new Date() })
      .where(eq(creditBalances.userId, userId));
  });
}
