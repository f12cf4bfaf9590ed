// FALSE shape (lock-release-not-guaranteed), session 18 held-out check, parabol
// packages/server/postgres/migrations/2025-11-20T19:13:58.950Z_replace-pic-urls.ts:72 (and two later migrations).
// Rule that would make it silent: `SET key value NX GET` answers with the value already there (the holder), and null
// when this call set the key; so the lock is held only on the null side of `if (!holder)`, and a failure on the
// other side (routing the change to the holder, or the `continue` of the next iteration) leaves nothing held. After the
// fix the finding stays, naming the path that does skip the DEL: the save on the taken side throwing.
import Redis from "ioredis";

const redis = new Redis();

declare const SERVER_ID: string;
declare function saveDocument(id: string, state: Uint8Array): Promise<void>;
declare function encodeChange(state: Uint8Array): Uint8Array;

export async function backfill(docs: Array<{ id: string; state: Uint8Array | null }>): Promise<void> {
  for (const doc of docs) {
    if (!doc.state) continue;
    const holder = await redis.set(`doc-owner:${doc.id}`, SERVER_ID, "PX", 10_000, "NX", "GET");
    if (!holder) {
      await saveDocument(doc.id, doc.state);
      await redis.del(`doc-owner:${doc.id}`);
    } else {
      const change = encodeChange(doc.state);
      await redis.publish(`doc-inbox:${holder}`, Buffer.from(change));
    }
  }
}
