import mysql from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
type QueuedJob = { id: number; channel: string; payload: string };
// A worker reserves the next job by selecting the oldest unreserved one and then marking it reserved by id. Two
// workers polling together select the same job, both mark it, and both run it.
export async function reserveNextJob(channel: string): Promise<QueuedJob | null> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    "SELECT id, channel, payload FROM queue_jobs WHERE channel = ? AND reserved_at IS NULL ORDER BY created_at LIMIT 1",
    [channel],
  );
  if (rows.length === 0) return null;
  const job = rows[0] as QueuedJob;
  await pool.query("UPDATE queue_jobs SET reserved_at = NOW(), reserved_by = ? WHERE id = ?", [process.pid, job.id]);
  return job;
}
// Correct: the mark repeats the unreserved test, and a worker that changed no row lost the job to another.
export async function reserveNextJobGuarded(channel: string): Promise<QueuedJob | null> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    "SELECT id, channel, payload FROM queue_jobs WHERE channel = ? AND reserved_at IS NULL ORDER BY created_at LIMIT 1",
    [channel],
  );
  if (rows.length === 0) return null;
  const job = rows[0] as QueuedJob;
  const [result] = await pool.query<mysql.ResultSetHeader>(
    "UPDATE queue_jobs SET reserved_at = NOW(), reserved_by = ? WHERE id = ? AND reserved_at IS NULL",
    [process.pid, job.id],
  );
  return result.affectedRows === 1 ? job : null;
}
