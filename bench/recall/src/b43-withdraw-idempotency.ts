import { and, eq, gte, sql } from "drizzle-orm";
import { db } from "@/db";
import { earnings, earningsLedger } from "@/db/schema";
export async function requestPayout(appId: string, amount: number, idempotencyKey: string) {
  const [prior] = await db
    .select()
    .from(earningsLedger)
    .where(and(eq(earningsLedger.appId, appId), eq(earningsLedger.kind, "payout"), eq(earningsLedger.idempotencyKey, idempotencyKey)))
    .limit(1);
  if (prior) return prior;
  const debited = await db
    .update(earnings)
    .set({ withdrawable: sql`${earnings.withdrawable} - ${amount}` })
    .where(and(eq(earnings.appId, appId), gte(earnings.withdrawable, amount)))
    .returning();
  if (debited.length === 0) throw new Error("insufficient balance");
  const [row] = await db.insert(earningsLedger).values({ appId, kind: "payout", amount, idempotencyKey }).returning();
  return row;
}
