import { desc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const pipelines = pgTable("pipelines", { id: uuid("id").primaryKey(), name: text("name").notNull() });
// A freeze is active while thawedAt is null; nothing in the schema stops two active freezes of one pipeline.
const pipelineFreezes = pgTable("pipeline_freezes", {
  id: uuid("id").primaryKey().defaultRandom(),
  pipelineId: uuid("pipeline_id").notNull(),
  frozenBy: text("frozen_by").notNull(),
  frozenAt: timestamp("frozen_at").notNull().defaultNow(),
  thawedAt: timestamp("thawed_at"),
});
async function isFrozen(pipelineId: string) {
  const [latest] = await db
    .select()
    .from(pipelineFreezes)
    .where(eq(pipelineFreezes.pipelineId, pipelineId))
    .orderBy(desc(pipelineFreezes.frozenAt))
    .limit(1);
  return latest !== undefined && latest.thawedAt === null;
}
// Freezing checks the latest freeze outside the transaction, then locks the pipeline row and inserts. The row lock comes
// after the check: two requests both see "not frozen", queue on the lock one after the other, and both insert an
// active freeze.
export async function freezePipeline(pipelineId: string, userId: string) {
  if (await isFrozen(pipelineId)) return { status: 409 as const };
  const freeze = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT ${pipelines.id} FROM ${pipelines} WHERE ${eq(pipelines.id, pipelineId)} FOR UPDATE`);
    const [row] = await tx.insert(pipelineFreezes).values({ pipelineId, frozenBy: userId }).returning();
    return row;
  });
  return { status: 200 as const, freeze };
}
// Correct: the latest freeze is read after the pipeline row is locked, in the same transaction.
export async function freezePipelineLocked(pipelineId: string, userId: string) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT ${pipelines.id} FROM ${pipelines} WHERE ${eq(pipelines.id, pipelineId)} FOR UPDATE`);
    const [latest] = await tx
      .select()
      .from(pipelineFreezes)
      .where(eq(pipelineFreezes.pipelineId, pipelineId))
      .orderBy(desc(pipelineFreezes.frozenAt))
      .limit(1);
    if (latest !== undefined && latest.thawedAt === null) return { status: 409 as const };
    const [row] = await tx.insert(pipelineFreezes).values({ pipelineId, frozenBy: userId }).returning();
    return { status: 200 as const, freeze: row };
  });
}
