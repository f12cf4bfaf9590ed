import { and, eq, lt, ne } from "drizzle-orm";
import { boolean, integer, jsonb, pgTable, serial, timestamp } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/node-postgres";
const pageVersions = pgTable("page_versions", {
  id: serial("id").primaryKey(),
  pageId: integer("page_id").notNull(),
  snapshot: jsonb("snapshot").notNull(),
  latest: boolean("latest").notNull(),
  updatedAt: timestamp("updated_at", { precision: 0 }).notNull(),
});
const db = drizzle(process.env.DATABASE_URL!);
// Saving a version inserts it flagged latest, then clears the flag on the page's other versions older than the new
// one's timestamp. Timestamps have one-second precision: two autosaves in the same second each skip the other's row,
// and the page is left with two versions marked latest.
export async function saveVersion(pageId: number, snapshot: unknown) {
  const now = new Date();
  const [created] = await db
    .insert(pageVersions)
    .values({ pageId, snapshot, latest: true, updatedAt: now })
    .returning();
  await db
    .update(pageVersions)
    .set({ latest: false })
    .where(and(eq(pageVersions.pageId, pageId), ne(pageVersions.id, created.id), lt(pageVersions.updatedAt, now)));
  return created;
}
