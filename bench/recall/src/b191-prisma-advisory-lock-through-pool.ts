import { PrismaClient, type Prisma } from "@prisma/client";
const prisma = new PrismaClient();
const RATINGS_LOCK_ID = 7_301_114;
declare function recomputeRatings(db: PrismaClient | Prisma.TransactionClient): Promise<number>;
// The nightly recompute guards itself with a session-level advisory lock taken and released through Prisma's pooled
// client: the unlock may run on another connection, where it releases nothing, and the connection that holds the lock
// goes back to the pool still holding it, so the next run reports "locked" with nothing running.
export async function recomputeAllRatings() {
  const [{ locked }] = await prisma.$queryRaw<{ locked: boolean }[]>`
    SELECT pg_try_advisory_lock(${RATINGS_LOCK_ID}) AS locked`;
  if (!locked) return { outcome: "skipped_locked" as const };
  try {
    const updated = await recomputeRatings(prisma);
    return { outcome: "done" as const, updated };
  } finally {
    await prisma.$executeRaw`SELECT pg_advisory_unlock(${RATINGS_LOCK_ID})`;
  }
}
// Correct: a transaction-level advisory lock, taken inside an interactive transaction, is held by that transaction's
// connection and released when it ends.
export async function recomputeAllRatingsInTransaction() {
  return prisma.$transaction(
    async (tx) => {
      const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(${RATINGS_LOCK_ID}) AS locked`;
      if (!locked) return { outcome: "skipped_locked" as const };
      const updated = await recomputeRatings(tx);
      return { outcome: "done" as const, updated };
    },
    { timeout: 10 * 60_000 },
  );
}
