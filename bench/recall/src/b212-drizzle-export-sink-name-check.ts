import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
// No unique index over (workspace, name): the lookup below is the only thing keeping names distinct.
const exportSinks = pgTable("export_sinks", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: text("workspace_id").notNull(),
  name: text("name").notNull(),
  target: text("target").notNull(),
});
// Creating an export sink checks that the workspace has none with this name, then inserts. Two requests with one name
// both find nothing and both insert: the workspace ends up with two sinks of the same name.
export async function createExportSink(workspaceId: string, name: string, target: string) {
  const [existing] = await db
    .select({ id: exportSinks.id })
    .from(exportSinks)
    .where(and(eq(exportSinks.workspaceId, workspaceId), eq(exportSinks.name, name)))
    .limit(1);
  if (existing) return { status: 409 as const, error: "An export sink with this name already exists" };
  const [created] = await db.insert(exportSinks).values({ workspaceId, name, target }).returning();
  return { status: 201 as const, sink: created };
}
