import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const workScopes = pgTable(
  "work_scopes",
  {
    workspaceId: text("workspace_id").notNull(),
    kind: text("kind").notNull(),
    scopeId: text("scope_id").notNull(),
    priority: integer("priority").notNull().default(100),
    notBefore: timestamp("not_before").notNull(),
  },
  (t) => [uniqueIndex("work_scopes_key").on(t.workspaceId, t.kind, t.scopeId)],
);
type Tx = Parameters<Parameters<typeof db.transaction>[0]>[0];
interface ScopeRef {
  workspaceId: string;
  kind: string;
  scopeId: string;
}
// Work scopes are upserted in batches in the order the caller listed them, inside the caller's transaction. Each
// upsert locks the conflicting rows it updates; two reconcilers enqueueing overlapping scopes in different orders lock
// them in opposite orders and deadlock.
async function enqueueScopes(tx: Tx, items: ScopeRef[]) {
  const now = new Date();
  for (let i = 0; i < items.length; i += 100) {
    const batch = items.slice(i, i + 100).map((item) => ({ ...item, notBefore: now }));
    await tx
      .insert(workScopes)
      .values(batch)
      .onConflictDoUpdate({
        target: [workScopes.workspaceId, workScopes.kind, workScopes.scopeId],
        set: { notBefore: now },
      });
  }
}
export async function requeueScopes(items: ScopeRef[]) {
  await db.transaction((tx) => enqueueScopes(tx, items));
}
// Correct: the items are sorted by the conflict key first, so every transaction locks overlapping rows in one order.
export async function requeueScopesSorted(items: ScopeRef[]) {
  const sorted = [...items].sort(
    (a, b) => a.workspaceId.localeCompare(b.workspaceId) || a.kind.localeCompare(b.kind) || a.scopeId.localeCompare(b.scopeId),
  );
  await db.transaction((tx) => enqueueScopes(tx, sorted));
}
