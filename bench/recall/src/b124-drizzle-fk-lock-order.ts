import { eq } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
const tickets = pgTable("tickets", { id: uuid("id").primaryKey(), ownerRunId: uuid("owner_run_id"), state: text("state").notNull() });
const agentRuns = pgTable("agent_runs", { id: uuid("id").primaryKey(), state: text("state").notNull() });
const artifacts = pgTable("artifacts", {
  id: uuid("id").primaryKey().defaultRandom(),
  runId: uuid("run_id")
    .notNull()
    .references(() => agentRuns.id),
  ticketId: uuid("ticket_id")
    .notNull()
    .references(() => tickets.id),
  url: text("url").notNull(),
});
// The ownership check locks the ticket, then the run. Recording an artifact inserts a row whose foreign keys take
// KEY SHARE locks on the run, then the ticket: the two paths take the same two rows in opposite orders and deadlock.
export async function assertTicketOwner(db: NodePgDatabase, ticketId: string, runId: string) {
  return db.transaction(async (tx) => {
    const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, ticketId)).for("update");
    const [run] = await tx.select().from(agentRuns).where(eq(agentRuns.id, runId)).for("update");
    if (run && run.state !== "running" && ticket?.ownerRunId === runId) {
      await tx.update(tickets).set({ ownerRunId: null }).where(eq(tickets.id, ticketId));
    }
    return ticket?.ownerRunId === runId;
  });
}
export async function recordArtifact(db: NodePgDatabase, ticketId: string, runId: string, url: string) {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(artifacts).values({ runId, ticketId, url }).returning();
    return row;
  });
}
