import Stripe from "stripe";
import { eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { billingProfiles } from "@/db/schema";
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
export async function openBillingPortal(accountId: string, returnUrl: string) {
  const customerId = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${"billing:" + accountId}))`);
    const [profile] = await tx.select().from(billingProfiles).where(eq(billingProfiles.accountId, accountId));
    if (profile?.stripeCustomerId) {
      const existing = await stripe.customers.retrieve(profile.stripeCustomerId);
      if (!existing.deleted) return existing.id;
    }
    const created = await stripe.customers.create({ metadata: { accountId } });
    await tx
      .insert(billingProfiles)
      .values({ accountId, stripeCustomerId: created.id })
      .onConflictDoUpdate({ target: billingProfiles.accountId, set: { stripeCustomerId: created.id } });
    return created.id;
  });
  const session = await stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl });
  return session.url;
}
