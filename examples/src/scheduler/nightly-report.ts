// Several instances of the service run the nightly report; only one may build it.
import Redis from "ioredis";
import { Pool } from "pg";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const pool = new Pool();

declare function buildReport(day: string): Promise<void>;

// ❌ unchecked-lock-acquisition: SET NX returns null when another instance holds the lock,
// but the result is ignored, so every instance builds (and mails) the report.
export async function nightlyReport(day: string) {
  await redis.set(`lock:report:${day}`, process.pid.toString(), "PX", 60_000, "NX");
  await buildReport(day);
}

// ✅ Only the instance that acquired the lock builds the report.
export async function nightlyReportOnce(day: string) {
  const acquired = await redis.set(`lock:report:${day}`, process.pid.toString(), "PX", 60_000, "NX");
  if (acquired !== "OK") return false;
  await buildReport(day);
  return true;
}

// ❌ unchecked-lock-acquisition: pg_try_advisory_lock answers false when another session holds it.
export async function archiveDay(day: number) {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_try_advisory_lock($1)", [day]);
    await client.query("UPDATE reports SET archived = true WHERE day = $1", [day]);
  } finally {
    client.release();
  }
}

// ✅ The advisory lock's answer decides; the transaction-scoped variant releases itself at COMMIT.
export async function archiveDayOnce(day: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT pg_try_advisory_xact_lock($1) AS locked", [day]);
    if (!rows[0].locked) {
      await client.query("ROLLBACK");
      return false;
    }
    await client.query("UPDATE reports SET archived = true WHERE day = $1", [day]);
    await client.query("COMMIT");
    return true;
  } finally {
    client.release();
  }
}
