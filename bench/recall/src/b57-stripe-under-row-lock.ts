import Stripe from "stripe";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
export async function ensureBillingCustomer(memberId: string) {
  return prisma.$transaction(async (tx) => {
    const [member] = await tx.$queryRaw<Array<{ id: string; email: string; billingCustomerId: string | null }>>`
      SELECT id, email, "billingCustomerId" FROM "Member" WHERE id = ${memberId} FOR UPDATE`;
    if (!member) throw new Error("member not found");
    if (member.billingCustomerId) return member.billingCustomerId;
    const customer = await stripe.customers.create({ email: member.email, metadata: { memberId } });
    await tx.member.update({ where: { id: memberId }, data: { billingCustomerId: customer.id } });
    return customer.id;
  });
}
