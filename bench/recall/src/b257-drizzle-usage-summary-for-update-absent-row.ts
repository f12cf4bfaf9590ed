import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { bigint, pgTable, uniqueIndex, uuid } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const usageSummaries = pgTable(
  "usage_summaries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull(),
    tokens: bigint("tokens", { mode: "number" }).notNull().default(0),
  },
  (t) => [uniqueIndex("usage_summaries_user_unique").on(t.userId)],
);
// An upload locks the user's summary row with SELECT … FOR UPDATE and creates it when there is none. A locking read
// that finds nothing locks nothing: two first uploads both see no row and both insert; the unique index rejects the
// second, whose whole transaction fails instead of merging into the row the first created.
export async function recordUsageUpload(userId: string, tokens: number) {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: usageSummaries.id })
      .from(usageSummaries)
      .where(eq(usageSummaries.userId, userId))
      .for("update");
    let summaryId = existing?.id;
    if (!summaryId) {
      const [created] = await tx.insert(usageSummaries).values({ userId }).returning({ id: usageSummaries.id });
      summaryId = created.id;
    }
    await tx
      .update(usageSummaries)
      .set({ tokens: sql`${usageSummaries.tokens} + ${tokens}` })
      .where(eq(usageSummaries.id, summaryId));
  });
}
// Correct: the row is created first with ON CONFLICT DO NOTHING, so the locking read always finds it.
export async function recordUsageUploadCreated(userId: string, tokens: number) {
  return db.transaction(async (tx) => {
    await tx.insert(usageSummaries).values({ userId }).onConflictDoNothing({ target: usageSummaries.userId });
    const [summary] = await tx
      .select({ id: usageSummaries.id })
      .from(usageSummaries)
      .where(eq(usageSummaries.userId, userId))
      .for("update");
    await tx
      .update(usageSummaries)
      .set({ tokens: sql`${usageSummaries.tokens} + ${tokens}` })
      .where(eq(usageSummaries.id, summary.id));
  });
}
