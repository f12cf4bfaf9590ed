import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// Inviting a member to a space counts its members and pending invites, refuses when they fill the paid seats, and
// creates the invite. The counts and the create are separate statements: two admins inviting at once both see one
// seat left and both invites are created.
export async function inviteMember(spaceId: string, email: string, role: string) {
  const [memberCount, inviteCount, space] = await Promise.all([
    prisma.teamSpaceMember.count({ where: { spaceId } }),
    prisma.teamSpaceInvite.count({ where: { spaceId } }),
    prisma.teamSpace.findUnique({ where: { id: spaceId } }),
  ]);
  if (!space) throw new Error("space not found");
  if (memberCount + inviteCount >= space.seats) throw new Error("There are not enough available seats");
  return prisma.teamSpaceInvite.create({ data: { spaceId, email, role } });
}
