import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const DigestState = { PENDING: "PENDING", SENT: "SENT" } as const;
export async function queueDigestEntry(mailboxId: string, entry: { messageId: string; summary: string }) {
  return prisma.$transaction(async (tx) => {
    const digest =
      (await tx.mailDigest.findFirst({ where: { mailboxId, state: DigestState.PENDING }, orderBy: { createdAt: "asc" } })) ||
      (await tx.mailDigest.create({ data: { mailboxId, state: DigestState.PENDING } }));
    return tx.mailDigestEntry.create({ data: { digestId: digest.id, messageId: entry.messageId, summary: entry.summary } });
  });
}
