import { and, count, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
const hostnames = pgTable(
  "hostnames",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    name: text("name").notNull(),
    note: text("note"),
    removedAt: timestamp("removed_at"),
  },
  (t) => [uniqueIndex("hostnames_org_name").on(t.orgId, t.name)],
);
const db = drizzle(process.env.DATABASE_URL!);
const HOSTNAME_CAP = 500;
// The per-organisation cap is checked by counting the live rows, then the new names are upserted: a burst of requests
// all count the same total below the cap and all insert, so the catalogue grows past it.
export async function addHostnames(orgId: string, names: string[], note: string | null) {
  const [{ n }] = await db
    .select({ n: count() })
    .from(hostnames)
    .where(and(eq(hostnames.orgId, orgId), isNull(hostnames.removedAt)));
  if (n + names.length > HOSTNAME_CAP) return { error: `hostname limit reached (max ${HOSTNAME_CAP})` };
  const rows = await db
    .insert(hostnames)
    .values(names.map((name) => ({ orgId, name, note })))
    .onConflictDoUpdate({ target: [hostnames.orgId, hostnames.name], set: { note, removedAt: null } })
    .returning();
  return { rows };
}
