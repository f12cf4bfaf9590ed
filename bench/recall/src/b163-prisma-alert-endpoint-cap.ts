import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const MAX_ENDPOINTS_PER_USER = 10;
// The per-user cap is enforced by counting the user's endpoints and then creating one: concurrent requests all count
// under the cap and all create, leaving the user with more endpoints than the cap allows.
export async function addEndpoint(userId: string, url: string, kind: string) {
  const existing = await prisma.alertEndpoint.count({ where: { userId } });
  if (existing >= MAX_ENDPOINTS_PER_USER) {
    return { status: 400, error: `At most ${MAX_ENDPOINTS_PER_USER} endpoints` };
  }
  const endpoint = await prisma.alertEndpoint.create({ data: { userId, url, kind } });
  return { status: 201, endpoint };
}
// Correct: the count and the insert run in one transaction behind a row lock on the owning user, so a second request
// waits until the first has inserted and then counts its row.
export async function addEndpointLocked(userId: string, url: string, kind: string) {
  const endpoint = await prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId} FOR UPDATE`;
    const existing = await tx.alertEndpoint.count({ where: { userId } });
    if (existing >= MAX_ENDPOINTS_PER_USER) return null;
    return tx.alertEndpoint.create({ data: { userId, url, kind } });
  });
  if (!endpoint) return { status: 400, error: `At most ${MAX_ENDPOINTS_PER_USER} endpoints` };
  return { status: 201, endpoint };
}
