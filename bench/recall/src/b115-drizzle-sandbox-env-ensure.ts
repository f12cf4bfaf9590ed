import { and, eq } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
// No unique index over (tenant, runtime): the lookup is the only guard against a second managed environment.
const runtimes = pgTable("runtimes", {
  id: uuid("id").primaryKey().defaultRandom(),
  tenantId: uuid("tenant_id").notNull(),
  kind: text("kind").notNull(),
  state: text("state").notNull(),
  settings: jsonb("settings"),
  updatedAt: timestamp("updated_at").notNull(),
});
// The managed runtime is looked up, and inserted when none is found: two agent starts for a new tenant both find none
// and both insert one, leaving an orphan that nothing cleans up.
export async function ensureManagedRuntime(db: NodePgDatabase, tenantId: string, settings: Record<string, unknown>) {
  const existing = await db
    .select()
    .from(runtimes)
    .where(and(eq(runtimes.tenantId, tenantId), eq(runtimes.kind, "managed-cluster")))
    .limit(1)
    .then((rows) => rows[0] ?? null);
  if (existing) return existing;
  const [row] = await db
    .insert(runtimes)
    .values({ tenantId, kind: "managed-cluster", state: "active", settings, updatedAt: new Date() })
    .returning();
  if (!row) throw new Error("could not ensure the managed runtime");
  return row;
}
