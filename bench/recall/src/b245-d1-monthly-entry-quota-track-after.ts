import type { D1Database } from "@cloudflare/workers-types";
declare function storeJournalEntries(db: D1Database, workspaceId: string, entries: string[]): Promise<number>;
const ENTRIES_PER_MONTH = 5000;
function currentMonth() {
  const now = new Date();
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
}
// The month's usage row, created or touched and returned by one statement.
function ensureUsage(db: D1Database, workspaceId: string) {
  return db
    .prepare(
      `INSERT INTO journal_usage (workspace_id, month) VALUES (?, ?)
       ON CONFLICT (workspace_id, month) DO UPDATE SET touched_at = datetime('now') RETURNING *`,
    )
    .bind(workspaceId, currentMonth())
    .first<{ entries_stored: number }>();
}
async function hasRoomFor(db: D1Database, workspaceId: string, count: number) {
  const usage = await ensureUsage(db, workspaceId);
  return count <= ENTRIES_PER_MONTH - (usage?.entries_stored ?? 0);
}
function trackStored(db: D1Database, workspaceId: string, count: number) {
  return db
    .prepare("UPDATE journal_usage SET entries_stored = entries_stored + ? WHERE workspace_id = ? AND month = ?")
    .bind(count, workspaceId, currentMonth())
    .run();
}
// The plan's monthly allowance is tested on the stored count, the entries are written, and only then is the count
// raised. The raise is atomic, but the test was made on the count read before: concurrent appends all see room and
// together store more than the plan allows.
export async function appendJournalEntries(db: D1Database, workspaceId: string, entries: string[]) {
  if (!(await hasRoomFor(db, workspaceId, entries.length))) return { allowed: false };
  const stored = await storeJournalEntries(db, workspaceId, entries);
  await trackStored(db, workspaceId, stored);
  return { allowed: true };
}
// Correct: the count is raised first by an UPDATE whose WHERE holds the allowance; a row back means room was reserved.
export async function appendJournalEntriesReserved(db: D1Database, workspaceId: string, entries: string[]) {
  await db
    .prepare("INSERT INTO journal_usage (workspace_id, month) VALUES (?, ?) ON CONFLICT (workspace_id, month) DO NOTHING")
    .bind(workspaceId, currentMonth())
    .run();
  const reserved = await db
    .prepare(
      `UPDATE journal_usage SET entries_stored = entries_stored + ?
       WHERE workspace_id = ? AND month = ? AND entries_stored + ? <= ? RETURNING entries_stored`,
    )
    .bind(entries.length, workspaceId, currentMonth(), entries.length, ENTRIES_PER_MONTH)
    .first<{ entries_stored: number }>();
  if (!reserved) return { allowed: false };
  await storeJournalEntries(db, workspaceId, entries);
  return { allowed: true };
}
