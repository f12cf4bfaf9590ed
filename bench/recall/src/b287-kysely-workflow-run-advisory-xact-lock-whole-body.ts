import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
interface Tables {
  workflow_runs: { id: string; status: string; claimed_by: string | null };
}
const db = new Kysely<Tables>({
  dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL, max: 20 }) }),
});
// A workflow run is serialized by a transaction-level advisory lock, taken in a transaction opened only to hold it, and
// the run's whole body executes inside: here a deploy that waits on an image build over HTTP. Each running workflow
// keeps a pooled connection idle in transaction for its whole life, and redelivered runs queue on the lock one
// connection each: twenty runs exhaust the pool and every other request hangs.
async function withRunLock<T>(runId: string, body: () => Promise<T>) {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${runId}))`.execute(trx);
    return body();
  });
}
export async function runDeploy(runId: string, imageRef: string) {
  return withRunLock(runId, async () => {
    const build = await fetch(`${process.env.BUILDER_URL}/builds`, {
      method: "POST",
      body: JSON.stringify({ imageRef }),
    });
    return build.json();
  });
}
// Correct: the run is claimed under the lock (a status change in the same short transaction) and the body runs after
// the transaction ends; a redelivered run finds it claimed and stops.
export async function runDeployClaimed(runId: string, imageRef: string, workerId: string) {
  const claimed = await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${runId}))`.execute(trx);
    const result = await trx
      .updateTable("workflow_runs")
      .set({ status: "running", claimed_by: workerId })
      .where("id", "=", runId)
      .where("status", "=", "queued")
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  });
  if (!claimed) return null;
  const build = await fetch(`${process.env.BUILDER_URL}/builds`, { method: "POST", body: JSON.stringify({ imageRef }) });
  return build.json();
}
