import { count, eq } from "drizzle-orm";
import { db } from "../db";
import { rivals, workspaces } from "../db/schema";
// The cap is checked by counting the rows there now, then a row is inserted: two requests both see the last free
// slot and both insert, so the workspace ends over its entitlement.
export async function addRival(workspaceId: string, domain: string) {
  const [workspace] = await db.select({ maxRivals: workspaces.maxRivals }).from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!workspace) throw new Error("workspace not found");
  const [{ total }] = await db.select({ total: count() }).from(rivals).where(eq(rivals.workspaceId, workspaceId));
  if (total + 1 > workspace.maxRivals) throw new Error("rival limit reached");
  const [inserted] = await db.insert(rivals).values({ workspaceId, domain }).returning();
  return inserted;
}
