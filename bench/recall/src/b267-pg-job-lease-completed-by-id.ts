import { randomUUID } from "node:crypto";
import { Pool } from "pg";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
type Job = { id: string; kind: string; payload: unknown };
// A worker leases a job by writing its lock id and an expiry onto the row. A handler that outlives the lease has its
// job moved back to "waiting" by the stalled-job sweep and claimed by another worker; when the first handler finishes,
// it completes the job and clears the lock by the job's id alone, releasing the second worker's lease under it.
async function leaseNextJob(queue: string, lockId: string, leaseMs: number): Promise<Job | null> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<Job>(
      `SELECT id, kind, payload FROM queue_jobs
        WHERE queue = $1 AND status = 'waiting' AND (lock_expires_at IS NULL OR lock_expires_at <= now())
        ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [queue],
    );
    if (rows.length === 0) {
      await client.query("ROLLBACK");
      return null;
    }
    await client.query(
      `UPDATE queue_jobs SET status = 'active', lock_id = $1, lock_expires_at = now() + $2 * interval '1 millisecond'
        WHERE id = $3`,
      [lockId, leaseMs, rows[0].id],
    );
    await client.query("COMMIT");
    return rows[0];
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
export async function runNextJob(queue: string, handle: (job: Job) => Promise<void>) {
  const lockId = randomUUID();
  const job = await leaseNextJob(queue, lockId, 30_000);
  if (!job) return false;
  await handle(job);
  await pool.query(
    `UPDATE queue_jobs SET status = 'completed', lock_id = NULL, lock_expires_at = NULL, completed_at = now() WHERE id = $1`,
    [job.id],
  );
  return true;
}
// Correct: completion names the lease it holds; a lease already lost completes nothing and is reported.
export async function runNextJobOwned(queue: string, handle: (job: Job) => Promise<void>) {
  const lockId = randomUUID();
  const job = await leaseNextJob(queue, lockId, 30_000);
  if (!job) return false;
  await handle(job);
  const done = await pool.query(
    `UPDATE queue_jobs SET status = 'completed', lock_id = NULL, lock_expires_at = NULL, completed_at = now()
      WHERE id = $1 AND lock_id = $2`,
    [job.id, lockId],
  );
  if (done.rowCount === 0) throw new Error(`lease on job ${job.id} was lost before it completed`);
  return true;
}
