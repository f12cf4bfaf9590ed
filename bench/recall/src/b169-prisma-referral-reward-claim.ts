import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// The referral reward is checked as unclaimed, credited to the user's balance, and only then marked claimed: several
// claim requests sent at once all see it unclaimed and each credits the reward again.
export async function claimReferralReward(userId: string, rewardId: string) {
  const reward = await prisma.referralReward.findUnique({ where: { id: rewardId } });
  if (!reward || reward.userId !== userId) throw new Error("reward not found");
  if (reward.status !== "UNCLAIMED") throw new Error("reward already claimed");
  await prisma.user.update({ where: { id: userId }, data: { points: { increment: reward.amount } } });
  await prisma.referralReward.update({ where: { id: rewardId }, data: { status: "CLAIMED", claimedAt: new Date() } });
  return { credited: reward.amount };
}
// Correct: the claim is a conditional update on the unclaimed status, and the credit follows only a claim that
// changed the row, both in one transaction.
export async function claimReferralRewardOnce(userId: string, rewardId: string) {
  return prisma.$transaction(async (tx) => {
    const reward = await tx.referralReward.findUnique({ where: { id: rewardId } });
    if (!reward || reward.userId !== userId) throw new Error("reward not found");
    const claim = await tx.referralReward.updateMany({
      where: { id: rewardId, status: "UNCLAIMED" },
      data: { status: "CLAIMED", claimedAt: new Date() },
    });
    if (claim.count === 0) throw new Error("reward already claimed");
    await tx.user.update({ where: { id: userId }, data: { points: { increment: reward.amount } } });
    return { credited: reward.amount };
  });
}
