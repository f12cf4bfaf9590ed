import knexFactory, { type Knex } from "knex";
const db = knexFactory({ client: "mysql2", connection: process.env.DATABASE_URL });
type StripeSubscription = { id: string; customer: string; status: string; priceId: string; amount: number };
// Two Stripe webhooks for one new subscription (subscription created, checkout completed) both link it to the member:
// each looks the subscription up by its Stripe id, finds nothing, inserts it and records a "paid" event. The table
// has no unique key on subscription_id, so the member ends with two subscriptions and two MRR events.
export async function linkSubscription(memberId: string, subscription: StripeSubscription) {
  const row = { customer_id: subscription.customer, status: subscription.status, price_id: subscription.priceId };
  const existing = await db("member_stripe_subscriptions").where({ subscription_id: subscription.id }).first();
  if (existing) {
    await db("member_stripe_subscriptions").where({ id: existing.id }).update(row);
    return;
  }
  await db("member_stripe_subscriptions").insert({ ...row, subscription_id: subscription.id, member_id: memberId });
  await db("member_paid_events").insert({ member_id: memberId, to_price: subscription.priceId, mrr_delta: subscription.amount });
}
// Correct: the member's row is locked FOR UPDATE in the transaction that looks the subscription up and inserts it, so a
// second link of the same member waits and then finds the first one's row.
export async function linkSubscriptionLocked(memberId: string, subscription: StripeSubscription) {
  await db.transaction(async (trx: Knex.Transaction) => {
    await trx("members").where({ id: memberId }).forUpdate().first();
    const row = { customer_id: subscription.customer, status: subscription.status, price_id: subscription.priceId };
    const existing = await trx("member_stripe_subscriptions").where({ subscription_id: subscription.id }).first();
    if (existing) {
      await trx("member_stripe_subscriptions").where({ id: existing.id }).update(row);
      return;
    }
    await trx("member_stripe_subscriptions").insert({ ...row, subscription_id: subscription.id, member_id: memberId });
    await trx("member_paid_events").insert({ member_id: memberId, to_price: subscription.priceId, mrr_delta: subscription.amount });
  });
}
