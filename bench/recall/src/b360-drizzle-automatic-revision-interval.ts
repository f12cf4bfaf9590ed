import { and, eq, gte, isNull, lt, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
const resourceRevisions = pgTable("resource_revisions", {
  id: uuid("id").primaryKey().defaultRandom(),
  resourceId: text("resource_id").notNull(),
  kind: text("kind").notNull(),
  snapshot: jsonb("snapshot").notNull(),
  createdAt: timestamp("created_at").notNull().defaultNow(),
});
const resources = pgTable("resources", {
  id: text("id").primaryKey(),
  lastAutomaticRevisionAt: timestamp("last_automatic_revision_at"),
});
const db = drizzle(process.env.DATABASE_URL!, { schema: { resourceRevisions, resources } });
const REVISION_INTERVAL_MS = 10 * 60_000;
// Saving a resource takes an automatic revision at most once per interval: the latest automatic revision inside the
// interval is looked up and, when there is none, one is inserted. Two saves landing together both find none and both
// insert, and the retention that keeps the newest revisions then drops a deliberate one to make room.
export async function takeAutomaticRevision(resourceId: string, snapshot: unknown) {
  const since = new Date(Date.now() - REVISION_INTERVAL_MS);
  const recent = await db.query.resourceRevisions.findFirst({
    where: and(
      eq(resourceRevisions.resourceId, resourceId),
      eq(resourceRevisions.kind, "Automatic"),
      gte(resourceRevisions.createdAt, since),
    ),
  });
  if (recent) return undefined;
  const [revision] = await db.insert(resourceRevisions).values({ resourceId, kind: "Automatic", snapshot }).returning();
  return revision;
}
// Correct: the interval is claimed by one conditional update of the resource row; only the caller whose update matched
// inserts the revision.
export async function takeAutomaticRevisionClaimed(resourceId: string, snapshot: unknown) {
  const now = new Date();
  const since = new Date(now.getTime() - REVISION_INTERVAL_MS);
  const claimed = await db
    .update(resources)
    .set({ lastAutomaticRevisionAt: now })
    .where(
      and(
        eq(resources.id, resourceId),
        or(isNull(resources.lastAutomaticRevisionAt), lt(resources.lastAutomaticRevisionAt, since)),
      ),
    )
    .returning({ id: resources.id });
  if (claimed.length === 0) return undefined;
  const [revision] = await db.insert(resourceRevisions).values({ resourceId, kind: "Automatic", snapshot }).returning();
  return revision;
}
