import Stripe from "stripe";
import { sql, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { allowances } from "./schema-allowances";
const db = drizzle(process.env.DATABASE_URL!);
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
export async function activateAllowanceForRun(orgId: string, runId: string) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${"credit_" + orgId}))`);
    const [allowance] = await tx.select().from(allowances).where(eq(allowances.orgId, orgId));
    if (!allowance) return null;
    let paidThrough = allowance.paidThrough;
    if (paidThrough < new Date() && allowance.subscriptionId) {
      const sub = await stripe.subscriptions.retrieve(allowance.subscriptionId);
      paidThrough = new Date(sub.current_period_end * 1000);
    }
    await tx.update(allowances).set({ paidThrough, lastRunId: runId }).where(eq(allowances.orgId, orgId));
    return paidThrough;
  });
}
