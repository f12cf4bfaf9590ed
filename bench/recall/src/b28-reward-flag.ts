import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
async function addCredits(userId: string, amount: number, reason: string) {
  await prisma.creditGrant.create({ data: { userId, amount, reason } });
}
export async function payReferralBonus(referrerId: string, referralId: string) {
  const referral = await prisma.referral.findFirst({ where: { referralId } });
  if (!referral || referral.bonusPaid) return;
  await prisma.referral.update({ where: { pk: referral.pk }, data: { bonusPaid: true, updatedAt: new Date() } });
  await addCredits(referrerId, 500, `referral:${referralId}`);
}
// Correct twin: the flag is flipped only where it is still unset, and only the caller that flipped it pays.
export async function payReferralBonusOnce(referrerId: string, referralId: string) {
  const claimed = await prisma.referral.updateMany({ where: { referralId, bonusPaid: false }, data: { bonusPaid: true } });
  if (claimed.count === 0) return;
  await addCredits(referrerId, 500, `referral:${referralId}`);
}
// Look-alike: the flag is only a marker, nothing else is done on its account.
export async function markReferralSeen(referralId: string) {
  const referral = await prisma.referral.findFirst({ where: { referralId } });
  if (!referral || referral.seen) return;
  await prisma.referral.update({ where: { pk: referral.pk }, data: { seen: true } });
}
