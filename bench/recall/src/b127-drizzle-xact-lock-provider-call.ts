import { sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
const feeds = pgTable("feeds", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id").notNull(),
  remoteId: text("remote_id").notNull(),
});
async function listRemoteFeeds(accessToken: string): Promise<Array<{ id: string }>> {
  const res = await fetch("https://provider.example.com/v1/feeds", { headers: { authorization: `Bearer ${accessToken}` } });
  if (!res.ok) throw new Error(`provider answered ${res.status}`);
  return (await res.json()) as Array<{ id: string }>;
}
// The per-user advisory lock is taken inside the transaction and the provider's HTTP call runs under it: the
// transaction's connection sits idle in transaction for the whole round trip, and slow providers exhaust the pool.
export async function importFeeds(db: NodePgDatabase, userId: string, accessToken: string) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`feeds:${userId}`}))`);
    const remote = await listRemoteFeeds(accessToken);
    if (remote.length === 0) return [];
    return tx
      .insert(feeds)
      .values(remote.map((f) => ({ userId, remoteId: f.id })))
      .returning();
  });
}
// Correct: the provider is asked first, and the transaction holds the lock only for the writes.
export async function importFeedsFetchedFirst(db: NodePgDatabase, userId: string, accessToken: string) {
  const remote = await listRemoteFeeds(accessToken);
  if (remote.length === 0) return [];
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`feeds:${userId}`}))`);
    return tx
      .insert(feeds)
      .values(remote.map((f) => ({ userId, remoteId: f.id })))
      .returning();
  });
}
