import { sql } from "drizzle-orm";
import { db } from "../db";
import { billingPeriods, usageEvents } from "../db/schema";
type UsageEvent = { idempotencyKey: string; credits: number };
// One transaction inserts a batch of usage events in arrival order (ON CONFLICT DO NOTHING), then bumps the period
// row: two workers flushing the same keys in opposite orders take the unique-index locks in opposite orders and
// deadlock.
export async function recordUsage(orgId: string, periodStart: Date, batch: UsageEvent[]) {
  await db.transaction(async (tx) => {
    await tx
      .insert(usageEvents)
      .values(batch.map((e) => ({ orgId, periodStart, idempotencyKey: e.idempotencyKey, credits: e.credits })))
      .onConflictDoNothing({ target: [usageEvents.periodStart, usageEvents.idempotencyKey] });
    const total = batch.reduce((sum, e) => sum + e.credits, 0);
    await tx
      .insert(billingPeriods)
      .values({ orgId, periodStart, credits: total })
      .onConflictDoUpdate({ target: [billingPeriods.orgId, billingPeriods.periodStart], set: { credits: sql`${billingPeriods.credits} + ${total}` } });
  });
}
// Correct: the rows go in sorted by the conflict key, so every worker takes the locks in one order.
export async function recordUsageSorted(orgId: string, periodStart: Date, batch: UsageEvent[]) {
  const ordered = [...batch].sort((a, b) => (a.idempotencyKey < b.idempotencyKey ? -1 : a.idempotencyKey > b.idempotencyKey ? 1 : 0));
  await db.transaction(async (tx) => {
    await tx
      .insert(usageEvents)
      .values(ordered.map((e) => ({ orgId, periodStart, idempotencyKey: e.idempotencyKey, credits: e.credits })))
      .onConflictDoNothing({ target: [usageEvents.periodStart, usageEvents.idempotencyKey] });
    const total = ordered.reduce((sum, e) => sum + e.credits, 0);
    await tx
      .insert(billingPeriods)
      .values({ orgId, periodStart, credits: total })
      .onConflictDoUpdate({ target: [billingPeriods.orgId, billingPeriods.periodStart], set: { credits: sql`${billingPeriods.credits} + ${total}` } });
  });
}
