import knexFactory from "knex";
const knex = knexFactory({ client: "pg", connection: process.env.DATABASE_URL });
// Workers ask for the next task with one UPDATE whose target is chosen by a sub-select. Under READ COMMITTED the
// sub-select is evaluated on the snapshot, and a worker that waited on the row lock re-checks only `id = …`, which
// still holds: two workers asking at once both flip the same row to "computing" and both get it back.
export async function takeNextRenderTask(workerId: string) {
  const result = await knex.raw(
    `UPDATE render_tasks SET status = 'computing', worker_id = ?
       WHERE id = (SELECT id FROM render_tasks WHERE status = 'new' ORDER BY created_at LIMIT 1)
       RETURNING *`,
    [workerId],
  );
  return result.rows[0] ?? null;
}
// Correct: the sub-select locks the row it picks and skips rows another worker holds, and the outer UPDATE re-tests the
// status, so each task is handed to one worker.
export async function takeNextRenderTaskLocked(workerId: string) {
  const result = await knex.raw(
    `UPDATE render_tasks SET status = 'computing', worker_id = ?
       WHERE id = (SELECT id FROM render_tasks WHERE status = 'new' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         AND status = 'new'
       RETURNING *`,
    [workerId],
  );
  return result.rows[0] ?? null;
}
