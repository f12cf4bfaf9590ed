import { Pool } from "pg";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
interface IngestedItem {
  connectionId: string;
  originId: string;
  body: string;
}
// Connector ingest dedups by looking up the current event of (connection, origin) and then either superseding it or
// inserting a fresh one. Nothing unique covers (connection_id, origin_id): two replicas ingesting the same new item
// both see no current row and both insert one, leaving two "current" events for one item forever.
export async function ingestItem(item: IngestedItem) {
  const { rows } = await pool.query(
    "SELECT id, body FROM feed_events WHERE connection_id = $1 AND origin_id = $2 AND superseded_by IS NULL",
    [item.connectionId, item.originId],
  );
  if (rows.length > 0 && rows[0].body === item.body) return rows[0].id as string;
  const { rows: inserted } = await pool.query(
    "INSERT INTO feed_events (connection_id, origin_id, body, supersedes) VALUES ($1, $2, $3, $4) RETURNING id",
    [item.connectionId, item.originId, item.body, rows[0]?.id ?? null],
  );
  return inserted[0].id as string;
}
// Correct: a transaction-level advisory lock keyed by (connection, origin) makes ingests of one item take turns, so
// the second one sees the first one's row.
export async function ingestItemSerialized(item: IngestedItem) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))", [item.connectionId, item.originId]);
    const { rows } = await client.query(
      "SELECT id, body FROM feed_events WHERE connection_id = $1 AND origin_id = $2 AND superseded_by IS NULL",
      [item.connectionId, item.originId],
    );
    if (rows.length > 0 && rows[0].body === item.body) {
      await client.query("COMMIT");
      return rows[0].id as string;
    }
    const { rows: inserted } = await client.query(
      "INSERT INTO feed_events (connection_id, origin_id, body, supersedes) VALUES ($1, $2, $3, $4) RETURNING id",
      [item.connectionId, item.originId, item.body, rows[0]?.id ?? null],
    );
    await client.query("COMMIT");
    return inserted[0].id as string;
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}
