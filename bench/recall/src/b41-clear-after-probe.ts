import Database from "better-sqlite3";
const db = new Database("data/router.db");
type Conn = { id: string; api_key: string; test_status: string; rate_limited_until: number | null };
declare function fetchRemainingQuota(apiKey: string): Promise<{ remaining: number }>;
export async function refreshQuota(connectionId: string) {
  const conn = db.prepare("SELECT id, api_key, test_status, rate_limited_until FROM provider_connections WHERE id = ?").get(connectionId) as Conn;
  const quota = await fetchRemainingQuota(conn.api_key);
  if (conn.test_status === "unavailable" && quota.remaining > 0) {
    db.prepare("UPDATE provider_connections SET test_status = 'active', last_error_at = NULL, rate_limited_until = NULL WHERE id = ?").run(connectionId);
  }
  return quota;
}
