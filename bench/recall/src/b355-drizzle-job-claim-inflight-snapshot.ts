import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/planetscale-serverless";
import { datetime, mysqlTable, varchar } from "drizzle-orm/mysql-core";
const db = drizzle({ connection: { url: process.env.DATABASE_URL! } });
const contributorJobs = mysqlTable("contributor_job", {
  id: varchar("id", { length: 191 }).primaryKey(),
  status: varchar("status", { length: 32 }).notNull(),
  claimedBy: varchar("claimed_by", { length: 191 }),
  claimedAt: datetime("claimed_at"),
  createdAt: datetime("created_at").notNull(),
});
const contributors = mysqlTable("contributor", {
  id: varchar("id", { length: 191 }).primaryKey(),
});
// A contributor may hold one job at a time. The rule is tested on the contributor's jobs read together with the next
// candidates; the claim itself is a compare-and-set on the job row only. Two parallel claims by one contributor both see
// no claimed job; A takes the first candidate, B's compare-and-set on it matches nothing and falls through to the second
// candidate: the contributor now holds two jobs.
export async function claimNextJob(userId: string) {
  const [mine, candidates] = await Promise.all([
    db.select().from(contributorJobs).where(eq(contributorJobs.claimedBy, userId)),
    db.select().from(contributorJobs).where(eq(contributorJobs.status, "PENDING")).orderBy(asc(contributorJobs.createdAt)).limit(5),
  ]);
  if (mine.some((job) => job.status === "CLAIMED")) return { claimed: false };
  for (const job of candidates) {
    const result = await db
      .update(contributorJobs)
      .set({ status: "CLAIMED", claimedBy: userId, claimedAt: new Date() })
      .where(and(eq(contributorJobs.id, job.id), eq(contributorJobs.status, "PENDING")));
    if (result.rowsAffected === 1) return { claimed: true, jobId: job.id };
  }
  return { claimed: false };
}
// Correct: the contributor's row is locked first, so the one-job test and the claim run one contributor at a time.
export async function claimNextJobSerialized(userId: string) {
  return db.transaction(async (tx) => {
    await tx.select().from(contributors).where(eq(contributors.id, userId)).for("update");
    const held = await tx
      .select()
      .from(contributorJobs)
      .where(and(eq(contributorJobs.claimedBy, userId), eq(contributorJobs.status, "CLAIMED")));
    if (held.length > 0) return { claimed: false };
    const [job] = await tx
      .select()
      .from(contributorJobs)
      .where(eq(contributorJobs.status, "PENDING"))
      .orderBy(asc(contributorJobs.createdAt))
      .limit(1)
      .for("update", { skipLocked: true });
    if (!job) return { claimed: false };
    await tx
      .update(contributorJobs)
      .set({ status: "CLAIMED", claimedBy: userId, claimedAt: new Date() })
      .where(eq(contributorJobs.id, job.id));
    return { claimed: true, jobId: job.id };
  });
}
