import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// Toggling a venue favourite looks the pair up and creates it when missing. The schema declares (userId, venueId)
// unique, so a double click does not duplicate the row: the second create fails with P2002, which nothing handles,
// and the request answers 500 while the heart icon falls out of step with the database.
export async function addFavoriteVenue(userId: string, venueId: string) {
  const existing = await prisma.favoriteVenue.findUnique({ where: { userId_venueId: { userId, venueId } } });
  if (existing) return existing;
  return prisma.favoriteVenue.create({ data: { userId, venueId } });
}
// Correct: an upsert by the unique pair, which the second click turns into a no-op update.
export async function addFavoriteVenueUpsert(userId: string, venueId: string) {
  return prisma.favoriteVenue.upsert({
    where: { userId_venueId: { userId, venueId } },
    update: {},
    create: { userId, venueId },
  });
}
