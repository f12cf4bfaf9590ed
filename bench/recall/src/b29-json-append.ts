import { and, eq, sql } from "drizzle-orm";
import { jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/node-postgres";
type Link = { handle: string; linkedAt: string };
const integrations = pgTable("integrations", {
  id: text("id").primaryKey(),
  kind: text("kind"),
  workspaceId: text("workspace_id"),
  config: jsonb("config").$type<{ links?: Link[] }>(),
});
const db = drizzle(process.env.DATABASE_URL!);
async function findByHandle(handle: string) {
  const rows = await db
    .select()
    .from(integrations)
    .where(and(eq(integrations.kind, "chat"), sql`${integrations.config}->'links' @> ${JSON.stringify([{ handle }])}::jsonb`));
  return rows[0] ?? null;
}
async function findIntegration(workspaceId: string) {
  const [row] = await db
    .select()
    .from(integrations)
    .where(and(eq(integrations.kind, "chat"), eq(integrations.workspaceId, workspaceId)))
    .limit(1);
  return row ?? null;
}
export async function linkHandle(workspaceId: string, handle: string) {
  const taken = await findByHandle(handle);
  if (taken && taken.workspaceId !== workspaceId) throw new Error("linked to another workspace");
  if (taken) return taken;
  const existing = await findIntegration(workspaceId);
  if (!existing) throw new Error("no integration");
  const config = existing.config ?? {};
  const links = config.links ?? [];
  const [updated] = await db
    .update(integrations)
    .set({ config: { ...config, links: [...links, { handle, linkedAt: new Date().toISOString() }] } })
    .where(and(eq(integrations.kind, "chat"), eq(integrations.workspaceId, workspaceId)))
    .returning();
  return updated;
}
// Correct twin: the database appends to the array it holds, so a concurrent link is kept.
export async function linkHandleAtomic(workspaceId: string, handle: string) {
  const link = JSON.stringify([{ handle, linkedAt: new Date().toISOString() }]);
  const [updated] = await db
    .update(integrations)
    .set({
      config: sql`jsonb_set(coalesce(${integrations.config}, '{}'), '{links}', coalesce(${integrations.config}->'links', '[]') || ${link}::jsonb)`,
    })
    .where(and(eq(integrations.kind, "chat"), eq(integrations.workspaceId, workspaceId)))
    .returning();
  return updated;
}
