import { and, count, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const workspaces = pgTable("workspaces", {
  id: text("id").primaryKey(),
  seatLimit: integer("seat_limit").notNull(),
});
const memberships = pgTable("memberships", {
  id: text("id").primaryKey(),
  workspaceId: text("workspace_id").notNull(),
  userId: text("user_id").notNull(),
});
const pendingInvites = pgTable("pending_invites", {
  id: text("id").primaryKey(),
  workspaceId: text("workspace_id").notNull(),
  email: text("email").notNull(),
  status: text("status").notNull(),
  expiresAt: timestamp("expires_at").notNull(),
});
// Inviting someone counts the workspace's members and live invitations against its seat limit, then inserts the
// invitation. Two invitations sent together both count the same total, both pass the limit, and the workspace ends up
// with more pending seats than it paid for.
export async function inviteToWorkspace(workspaceId: string, email: string) {
  const [workspace] = await db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!workspace) throw new Error("no such workspace");
  const [members] = await db.select({ value: count() }).from(memberships).where(eq(memberships.workspaceId, workspaceId));
  const [invites] = await db
    .select({ value: count() })
    .from(pendingInvites)
    .where(
      and(eq(pendingInvites.workspaceId, workspaceId), eq(pendingInvites.status, "pending"), gt(pendingInvites.expiresAt, new Date())),
    );
  const seatsTaken = (members?.value ?? 0) + (invites?.value ?? 0);
  if (seatsTaken >= workspace.seatLimit) throw new Error("no seats left");
  await db.insert(pendingInvites).values({
    id: crypto.randomUUID(),
    workspaceId,
    email,
    status: "pending",
    expiresAt: new Date(Date.now() + 7 * 86_400_000),
  });
}
