import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
function slugFor(heldOn: Date) {
  return heldOn.toISOString().slice(0, 10).replace(/-/g, "");
}
// A meeting created through the service API gets an id built from its date; the ids the city already has that day are
// read first and the first free suffix is taken. Two requests for the same city and day read the same set, derive the
// same id and both insert it: the loser fails on the primary key and the caller gets a 500.
export async function createMeeting(cityId: string, heldOn: Date, title: string) {
  const base = `${cityId}_${slugFor(heldOn)}`;
  const existing = await prisma.councilMeeting.findMany({ where: { cityId, id: { startsWith: base } }, select: { id: true } });
  const taken = new Set(existing.map((m) => m.id));
  let id = base;
  for (let suffix = 2; taken.has(id); suffix++) id = `${base}_${suffix}`;
  return prisma.councilMeeting.create({ data: { id, cityId, heldOn, title } });
}
// Correct: a duplicate id is expected and handled: the insert is retried with the next suffix when the key is taken.
export async function createMeetingRetrying(cityId: string, heldOn: Date, title: string) {
  const base = `${cityId}_${slugFor(heldOn)}`;
  for (let suffix = 1; suffix <= 20; suffix++) {
    const id = suffix === 1 ? base : `${base}_${suffix}`;
    try {
      return await prisma.councilMeeting.create({ data: { id, cityId, heldOn, title } });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") continue;
      throw err;
    }
  }
  throw new Error("Too many meetings on this date");
}
