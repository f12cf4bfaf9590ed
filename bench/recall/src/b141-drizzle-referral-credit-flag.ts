import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import Stripe from "stripe";
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
const invites = pgTable("invites", {
  id: uuid("id").primaryKey().defaultRandom(),
  inviteeOrgId: uuid("invitee_org_id").notNull(),
  inviterCustomerId: text("inviter_customer_id").notNull(),
  creditedAt: timestamp("credited_at"),
});
const db = drizzle(process.env.DATABASE_URL!);
// The invite is read while not yet credited, the inviter credited on Stripe, and the invite then marked credited by
// id: two deliveries of the paid-invoice webhook both read it uncredited and both credit $20.
export async function creditInviter(inviteeOrgId: string) {
  const [invite] = await db
    .select()
    .from(invites)
    .where(and(eq(invites.inviteeOrgId, inviteeOrgId), isNull(invites.creditedAt)));
  if (!invite) return;
  await stripe.customers.createBalanceTransaction(invite.inviterCustomerId, { amount: -2000, currency: "usd" });
  await db.update(invites).set({ creditedAt: new Date() }).where(eq(invites.id, invite.id));
}
// Correct: the invite is claimed first by a conditional update, and only the delivery that claimed it credits.
export async function creditInviterOnce(inviteeOrgId: string) {
  const claimed = await db
    .update(invites)
    .set({ creditedAt: new Date() })
    .where(and(eq(invites.inviteeOrgId, inviteeOrgId), isNull(invites.creditedAt)))
    .returning();
  if (claimed.length === 0) return;
  await stripe.customers.createBalanceTransaction(claimed[0].inviterCustomerId, { amount: -2000, currency: "usd" });
}
