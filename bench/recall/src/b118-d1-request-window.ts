import type { D1Database } from "@cloudflare/workers-types";
interface WindowRule {
  max: number;
  seconds: number;
}
// The requests in the window are counted, and the new one is recorded by a second statement: concurrent requests all
// see a count below the limit and all get through.
export async function admitRequest(db: D1Database, bucket: string, rule: WindowRule) {
  const now = Date.now();
  const seen = await db
    .prepare("SELECT COUNT(*) AS n FROM request_log WHERE bucket = ? AND at > ?")
    .bind(bucket, now - rule.seconds * 1000)
    .first<{ n: number }>();
  if ((seen?.n ?? 0) >= rule.max) return { allowed: false, retryAfter: rule.seconds };
  await db.prepare("INSERT INTO request_log (bucket, at) VALUES (?, ?)").bind(bucket, now).run();
  return { allowed: true };
}
// Correct: one INSERT … SELECT records the request only while the window has room, and its change count decides.
export async function admitRequestAtomically(db: D1Database, bucket: string, rule: WindowRule) {
  const now = Date.now();
  const result = await db
    .prepare("INSERT INTO request_log (bucket, at) SELECT ?, ? WHERE (SELECT COUNT(*) FROM request_log WHERE bucket = ? AND at > ?) < ?")
    .bind(bucket, now, bucket, now - rule.seconds * 1000, rule.max)
    .run();
  return result.meta.changes > 0 ? { allowed: true } : { allowed: false, retryAfter: rule.seconds };
}
