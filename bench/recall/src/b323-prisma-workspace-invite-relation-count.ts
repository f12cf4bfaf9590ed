import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// Sending invitations loads the workspace with the number of its members and pending invites, refuses when the new
// invitations would pass the plan's user limit, and creates them in one batch. Two admins inviting at once both load
// the same counts, both pass the limit, and the workspace holds more seats than its plan allows.
export async function inviteToWorkspace(slug: string, emails: string[]) {
  const workspace = await prisma.crewWorkspace.findUnique({
    where: { slug },
    include: { _count: { select: { users: true, invites: true } } },
  });
  if (!workspace) throw new Error("workspace not found");
  if (workspace._count.users + workspace._count.invites + emails.length > workspace.usersLimit) {
    throw new Error("user limit reached");
  }
  const expires = new Date(Date.now() + 14 * 86_400_000);
  await prisma.crewInvite.createMany({
    data: emails.map((email) => ({ workspaceId: workspace.id, email, expires })),
  });
}
