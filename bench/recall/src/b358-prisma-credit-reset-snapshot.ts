import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type ResetSettings = { resetAmount: number; resetPeriodMs: number };
type CreditsRow = { participantId: string; chatbotId: string; current: number; total: number; lastResetAt: Date | null; createdAt: Date };
// A chatbot's usage credits are topped up once per period. The caller loads the participant's credits row and hands it
// over; when the period has passed since the last reset, the row is updated to the balance loaded plus the reset amount.
// Two chat requests at the start of a period both see the period over and both add the amount: credited twice.
export async function checkAndResetCredits(existing: CreditsRow, settings: ResetSettings) {
  const since = existing.lastResetAt ?? existing.createdAt;
  if (Date.now() - since.getTime() < settings.resetPeriodMs) return { current: existing.current, total: existing.total };
  const updated = await prisma.chatUsageCredits.update({
    where: { participantId_chatbotId: { participantId: existing.participantId, chatbotId: existing.chatbotId } },
    data: { current: Math.min(existing.current + settings.resetAmount, existing.total), lastResetAt: new Date() },
  });
  return { current: updated.current, total: updated.total };
}
export async function getCredits(participantId: string, chatbotId: string, settings: ResetSettings) {
  const existing = await prisma.chatUsageCredits.findUnique({
    where: { participantId_chatbotId: { participantId, chatbotId } },
  });
  if (!existing) throw new Error("no credits for this chatbot");
  return checkAndResetCredits(existing, settings);
}
// Correct: the reset is a compare-and-set on the values read, and a lost race re-reads instead of adding again.
export async function getCreditsReset(participantId: string, chatbotId: string, settings: ResetSettings) {
  const existing = await prisma.chatUsageCredits.findUnique({
    where: { participantId_chatbotId: { participantId, chatbotId } },
  });
  if (!existing) throw new Error("no credits for this chatbot");
  const since = existing.lastResetAt ?? existing.createdAt;
  if (Date.now() - since.getTime() < settings.resetPeriodMs) return { current: existing.current, total: existing.total };
  const { count } = await prisma.chatUsageCredits.updateMany({
    where: { participantId, chatbotId, lastResetAt: existing.lastResetAt, current: existing.current },
    data: { current: Math.min(existing.current + settings.resetAmount, existing.total), lastResetAt: new Date() },
  });
  if (count === 0) {
    const fresh = await prisma.chatUsageCredits.findUnique({ where: { participantId_chatbotId: { participantId, chatbotId } } });
    return { current: fresh?.current ?? 0, total: fresh?.total ?? 0 };
  }
  return { current: Math.min(existing.current + settings.resetAmount, existing.total), total: existing.total };
}
