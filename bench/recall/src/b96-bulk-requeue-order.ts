import type { Kysely } from "kysely";
import { sql } from "kysely";
interface DB { runs: { id: string; status: string; revision: number } }
// One UPDATE joined to a VALUES list in the caller's order: the poller and the timer consumer promote overlapping
// runs in different orders and Postgres aborts one with a deadlock.
export async function requeueRuns(db: Kysely<DB>, runs: Array<{ id: string; revision: number }>) {
  if (runs.length === 0) return;
  const values = sql.join(runs.map((r) => sql`(${r.id}, ${r.revision})`));
  await sql`
    UPDATE runs SET status = 'queued', revision = runs.revision + 1
    FROM (VALUES ${values}) AS v(id, revision)
    WHERE runs.id = v.id AND runs.revision = v.revision`.execute(db);
}
