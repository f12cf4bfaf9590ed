import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
function currentMonth() {
  return new Date().toISOString().slice(0, 7);
}
async function canUserSubmit(userId: string) {
  const balance = await prisma.creditEvent.aggregate({
    where: { userId, effectiveMonth: currentMonth() },
    _sum: { change: true },
  });
  return (balance._sum.change ?? 0) > 0;
}
async function consumeCredit(userId: string, submissionId: string) {
  await prisma.creditEvent.create({
    data: { userId, submissionId, change: -1, type: "SUBMISSION", effectiveMonth: currentMonth() },
  });
}
// A submission costs one credit: the month's credit events are summed, the submission is created, and a -1 event is
// added. The check and the debit are separate calls with nothing between them: a user with one credit left who fires
// several submissions at once passes the check in each, and every submission is created.
export async function createSubmission(userId: string, listingId: string, link: string) {
  if (!(await canUserSubmit(userId))) throw new Error("no submission credits left this month");
  const submission = await prisma.submission.create({ data: { userId, listingId, link } });
  await consumeCredit(userId, submission.id);
  return submission;
}
// Correct: one transaction locks the user's row first, so a user's submissions sum and debit one at a time.
export async function createSubmissionLocked(userId: string, listingId: string, link: string) {
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId} FOR UPDATE`;
    const balance = await tx.creditEvent.aggregate({
      where: { userId, effectiveMonth: currentMonth() },
      _sum: { change: true },
    });
    if ((balance._sum.change ?? 0) <= 0) throw new Error("no submission credits left this month");
    const submission = await tx.submission.create({ data: { userId, listingId, link } });
    await tx.creditEvent.create({
      data: { userId, submissionId: submission.id, change: -1, type: "SUBMISSION", effectiveMonth: currentMonth() },
    });
    return submission;
  });
}
