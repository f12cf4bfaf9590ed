import { PrismaClient, Prisma } from "@prisma/client";
const prisma = new PrismaClient();
export async function settleCommissions(partnerId: string, period: string) {
  return prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    const totals = await tx.commission.aggregate({ where: { partnerId, status: "approved" }, _sum: { amountCents: true } });
    const amountCents = totals._sum.amountCents ?? 0;
    if (amountCents <= 0) return null;
    const payout = await tx.partnerPayout.create({ data: { partnerId, period, amountCents } });
    await tx.commission.updateMany({ where: { partnerId, status: "approved" }, data: { status: "paid", payoutId: payout.id } });
    return payout;
  });
}
// Correct twin: the rows summed are the rows flipped (their ids), so a commission approved in between stays approved.
export async function settleCommissionsByIds(partnerId: string, period: string) {
  return prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    const rows = await tx.commission.findMany({ where: { partnerId, status: "approved" }, select: { id: true, amountCents: true } });
    const amountCents = rows.reduce((sum, row) => sum + row.amountCents, 0);
    if (amountCents <= 0) return null;
    const payout = await tx.partnerPayout.create({ data: { partnerId, period, amountCents } });
    await tx.commission.updateMany({
      where: { id: { in: rows.map((row) => row.id) }, status: "approved" },
      data: { status: "paid", payoutId: payout.id },
    });
    return payout;
  });
}
