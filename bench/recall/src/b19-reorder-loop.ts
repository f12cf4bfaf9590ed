import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function syncTags(venueIds: string[], tag: string) {
  await prisma.$transaction(async (tx) => {
    for (const id of venueIds) {
      await tx.venue.update({ where: { id }, data: { tags: { push: tag } } });
    }
  });
}
