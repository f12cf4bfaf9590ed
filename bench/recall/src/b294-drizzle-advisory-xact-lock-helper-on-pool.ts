import { and, eq, sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { Pool } from "pg";
type Db = NodePgDatabase<Record<string, never>>;
const toolConnections = pgTable("tool_connections", {
  id: uuid("id").primaryKey(),
  companyId: uuid("company_id").notNull(),
  status: text("status").notNull(),
  draft: jsonb("draft"),
});
interface DraftInput {
  connectionId: string;
  draft: Record<string, unknown>;
}
export function toolDraftService(db: Db) {
  async function saveDraftLocked(companyId: string, input: DraftInput) {
    const [connection] = await db
      .select()
      .from(toolConnections)
      .where(and(eq(toolConnections.id, input.connectionId), eq(toolConnections.companyId, companyId)));
    if (!connection || connection.status !== "draft") throw new Error("not an editable draft");
    await db.update(toolConnections).set({ draft: input.draft }).where(eq(toolConnections.id, input.connectionId));
    return connection.id;
  }
  async function saveDraftWith(executor: Db, companyId: string, input: DraftInput) {
    const [connection] = await executor
      .select()
      .from(toolConnections)
      .where(and(eq(toolConnections.id, input.connectionId), eq(toolConnections.companyId, companyId)));
    if (!connection || connection.status !== "draft") throw new Error("not an editable draft");
    await executor.update(toolConnections).set({ draft: input.draft }).where(eq(toolConnections.id, input.connectionId));
    return connection.id;
  }
  return {
    // Editing a draft takes a transaction-level advisory lock keyed by the connection, then saves the draft through
    // the service's `db` rather than the transaction. The transaction holds one pooled connection while the save asks
    // the same pool for another: with every connection held by such transactions (or a pool of one), each waits for a
    // connection only another's commit would free, and the requests hang.
    editDraft(companyId: string, input: DraftInput) {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`tool_draft_edit:${companyId}:${input.connectionId}`}, 0))`);
        return saveDraftLocked(companyId, input);
      });
    },
    // Correct: the save runs on the transaction that holds the lock.
    editDraftOnTransaction(companyId: string, input: DraftInput) {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`tool_draft_edit:${companyId}:${input.connectionId}`}, 0))`);
        return saveDraftWith(tx as unknown as Db, companyId, input);
      });
    },
  };
}
export const toolDrafts = toolDraftService(
  drizzle(new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) })),
);
