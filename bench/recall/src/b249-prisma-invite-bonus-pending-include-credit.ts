import { PrismaClient } from "@prisma/client";
import Stripe from "stripe";
const prisma = new PrismaClient();
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
const BONUS_CENTS = 500;
function findWithPendingBonus(customerId: string) {
  return prisma.workspace.findFirst({
    where: { stripeCustomerId: customerId },
    include: { invitationBonus: { where: { status: "PENDING" }, include: { inviter: true } } },
  });
}
// Credits the paying workspace and, when it has a Stripe customer, the workspace that invited it.
async function creditBothSides(customerId: string, inviterCustomerId: string | null, name: string) {
  await stripe.customers.createBalanceTransaction(customerId, {
    amount: -BONUS_CENTS,
    currency: "usd",
    description: "Invitation bonus",
  });
  if (inviterCustomerId) {
    await stripe.customers.createBalanceTransaction(inviterCustomerId, {
      amount: -BONUS_CENTS,
      currency: "usd",
      description: `Invitation bonus for ${name}`,
    });
  }
}
// On invoice.paid the workspace is loaded with its pending invitation bonus (an included relation), both Stripe
// customers are credited, and only then is the bonus marked paid. Stripe redelivers and retries events: two deliveries
// both see the bonus pending and both credit both customers.
export async function payInvitationBonus(invoice: Stripe.Invoice) {
  const customerId = invoice.customer as string;
  const workspace = await findWithPendingBonus(customerId);
  const bonus = workspace?.invitationBonus;
  if (!bonus) return;
  await creditBothSides(customerId, bonus.inviter.stripeCustomerId, workspace.name);
  await prisma.invitationBonus.update({ where: { id: bonus.id }, data: { status: "PAID", paidInvoiceId: invoice.id } });
}
// Correct: the bonus is claimed by an updateMany guarded by its status before any credit; its count says who won.
export async function payInvitationBonusClaimed(invoice: Stripe.Invoice) {
  const customerId = invoice.customer as string;
  const workspace = await findWithPendingBonus(customerId);
  const bonus = workspace?.invitationBonus;
  if (!bonus) return;
  const claim = await prisma.invitationBonus.updateMany({
    where: { id: bonus.id, status: "PENDING" },
    data: { status: "CREDITING", paidInvoiceId: invoice.id },
  });
  if (claim.count === 0) return;
  await creditBothSides(customerId, bonus.inviter.stripeCustomerId, workspace.name);
  await prisma.invitationBonus.update({ where: { id: bonus.id }, data: { status: "PAID" } });
}
