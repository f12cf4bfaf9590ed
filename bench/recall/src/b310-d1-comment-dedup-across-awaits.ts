import type { D1Database } from "@cloudflare/workers-types";
declare function screenContent(body: string): Promise<void>;
declare function prepareMentions(db: D1Database, body: string): Promise<D1PreparedStatementLike[]>;
type D1PreparedStatementLike = ReturnType<D1Database["prepare"]>;
// A comment is refused as a duplicate when the same author posted the same body on the same target recently. The
// duplicate SELECT runs first, then the content screen, the daily-cap count and the mention preparation are awaited, and
// only then is the INSERT batched. A client that retries a slow request sends a twin that passes the SELECT before the
// first one inserts: two identical comments, and comments cannot be deleted.
export async function createComment(db: D1Database, authorId: string, targetId: string, body: string, dupeHash: string) {
  const since = Date.now() - 10 * 60_000;
  const duplicate = await db
    .prepare("SELECT id FROM comments WHERE author_id = ? AND target_id = ? AND dupe_hash = ? AND created_at >= ?")
    .bind(authorId, targetId, dupeHash, since)
    .first<{ id: string }>();
  if (duplicate) return { id: duplicate.id, deduplicated: true };
  await screenContent(body);
  const today = await db
    .prepare("SELECT COUNT(*) AS n FROM comments WHERE author_id = ? AND created_at >= ?")
    .bind(authorId, Date.now() - 86_400_000)
    .first<{ n: number }>();
  if ((today?.n ?? 0) >= 200) throw new Error("daily comment limit reached");
  const mentionWrites = await prepareMentions(db, body);
  const id = crypto.randomUUID();
  await db.batch([
    db
      .prepare("INSERT INTO comments (id, author_id, target_id, body, dupe_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(id, authorId, targetId, body, dupeHash, Date.now()),
    ...mentionWrites,
  ]);
  return { id, deduplicated: false };
}
