// FALSE shape (lock-across-await), session 16 held-out check, capgo supabase/functions/_backend/public/app/put.ts:117.
// Rule that would make it silent: a lock released in the `finally` of an async arrow that is invoked and awaited on the
// spot (`await (async () => { try { … } finally { unlock } })()`) is released on every path before the statements after
// that await; a call made after it holds nothing.
import { Client, Pool } from "pg";

async function notifyCrm(email: string, event: string) {
  await fetch("https://crm.example.com/events", { method: "POST", body: JSON.stringify({ email, event }) });
}

async function takeLaunchLock(projectId: string) {
  const conn = new Client();
  await conn.connect();
  await conn.query("SELECT pg_advisory_lock(hashtext($1))", [`launch:${projectId}`]);
  return conn;
}

async function dropLaunchLock(conn: Client, projectId: string) {
  try {
    await conn.query("SELECT pg_advisory_unlock(hashtext($1))", [`launch:${projectId}`]);
  } finally {
    await conn.end();
  }
}

export async function finishSetup(projectId: string, ownerEmail: string, firstLaunch: boolean, db: Pool) {
  const lock = firstLaunch ? await takeLaunchLock(projectId) : null;
  const saved = await (async () => {
    try {
      return await db.query("UPDATE projects SET needs_setup = false WHERE id = $1 RETURNING id", [projectId]);
    } finally {
      if (lock) await dropLaunchLock(lock, projectId);
    }
  })();
  if (firstLaunch && saved.rowCount) {
    await notifyCrm(ownerEmail, "project:launched");
  }
  return saved.rows[0];
}
