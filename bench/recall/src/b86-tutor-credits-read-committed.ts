import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// Called "atomic", but under READ COMMITTED two requests read the same balance in their transactions and both write
// balance - cost: one charge is lost. The retry on serialization failures never fires at this level.
export async function chargeTutorCredits(learnerId: string, tutorId: string, cost: number) {
  return prisma.$transaction(
    async (tx) => {
      const wallet = await tx.tutorCredit.findUnique({ where: { learnerId_tutorId: { learnerId, tutorId } } });
      if (!wallet) throw new Error("no credit wallet");
      const remaining = Math.max(0, wallet.remaining - cost);
      return tx.tutorCredit.update({
        where: { learnerId_tutorId: { learnerId, tutorId } },
        data: { remaining, lastChargedAt: new Date() },
      });
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted },
  );
}
