import { Pool } from "pg";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
type Decision = { allow: boolean; reason?: string };
type Policy = (ctx: { subject: string; action: string; count: (windowMs: number) => Promise<number> }) => Promise<Decision>;
async function countUsage(subject: string, action: string, windowMs: number) {
  const { rows } = await pool.query(
    "SELECT COUNT(*)::int AS used FROM usage_events WHERE subject = $1 AND action = $2 AND at > now() - ($3 || ' milliseconds')::interval",
    [subject, action, windowMs],
  );
  return rows[0].used as number;
}
// The limiter hands the host's policy a `count` of the subject's usage and records a usage event only after the policy
// allows it. Nothing reserves the subject in between: two requests under a cap of one both count zero, both are
// allowed, and both record.
export async function gate(subject: string, action: string, policy: Policy) {
  const decision = await policy({ subject, action, count: (windowMs) => countUsage(subject, action, windowMs) });
  if (!decision.allow) return decision;
  await pool.query("INSERT INTO usage_events (subject, action, at) VALUES ($1, $2, now())", [subject, action]);
  return decision;
}
// Correct: for a fixed cap the count and the record are one transaction holding an advisory lock on the subject, so
// requests for one subject are admitted one at a time.
export async function gateCapped(subject: string, action: string, cap: number, windowMs: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${subject}:${action}`]);
    const { rows } = await client.query(
      "SELECT COUNT(*)::int AS used FROM usage_events WHERE subject = $1 AND action = $2 AND at > now() - ($3 || ' milliseconds')::interval",
      [subject, action, windowMs],
    );
    if (rows[0].used >= cap) {
      await client.query("ROLLBACK");
      return { allow: false, reason: "cap reached" };
    }
    await client.query("INSERT INTO usage_events (subject, action, at) VALUES ($1, $2, now())", [subject, action]);
    await client.query("COMMIT");
    return { allow: true };
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}
