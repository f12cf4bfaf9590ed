import { Pool } from "pg";
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
// BEGIN, the writes and COMMIT each go through pool.query, so each may run on another connection: nothing is
// atomic, ROLLBACK lands on an idle connection, and the connection that got BEGIN goes back to the pool mid-transaction.
export async function suspendPlayer(accountId: number, moderatorId: number, reason: string) {
  try {
    await pool.query("BEGIN");
    await pool.query("UPDATE players SET suspended = true, suspended_reason = $2 WHERE id = $1", [accountId, reason]);
    await pool.query("INSERT INTO moderation_log (account_id, moderator_id, action, reason) VALUES ($1, $2, 'suspend', $3)", [
      accountId,
      moderatorId,
      reason,
    ]);
    await pool.query("UPDATE abuse_reports SET state = 'actioned' WHERE target_id = $1 AND state = 'open'", [accountId]);
    await pool.query("COMMIT");
  } catch (err) {
    await pool.query("ROLLBACK");
    throw err;
  }
}
