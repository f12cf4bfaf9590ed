import { PrismaClient } from "@prisma/client";
const db = new PrismaClient();
export async function grantConsent(subjectId: string, purposeId: string, grantedAt: Date) {
  const prior = await db.consentRecord.findFirst({ where: { subjectId, purposeId, grantedAt } });
  if (prior) return prior;
  return db.$transaction(async (tx) => {
    const record = await tx.consentRecord.create({ data: { subjectId, purposeId, grantedAt } });
    await tx.consentEvent.create({ data: { kind: "granted", recordId: record.id } });
    return record;
  });
}
