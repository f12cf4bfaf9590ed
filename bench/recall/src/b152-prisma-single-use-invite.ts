import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// A single-use invite is checked for expiry, the membership granted, and only then is the invite expired: two people
// opening the same single-use link together both pass the check and both join.
export async function redeemInvite(code: string, memberId: string) {
  const invite = await prisma.invite.findUnique({ where: { code }, include: { space: true } });
  if (!invite) return { error: "Invalid invite code" };
  if (invite.expiredAt !== null) return { error: "Invite has expired" };
  await prisma.membership.upsert({
    where: { memberId_spaceId: { memberId, spaceId: invite.spaceId } },
    update: { level: invite.level },
    create: { memberId, spaceId: invite.spaceId, level: invite.level },
  });
  if (invite.singleUse) {
    await prisma.invite.update({ where: { code }, data: { expiredAt: new Date() } });
  }
  return { spaceSlug: invite.space.slug };
}
