import { randomUUID } from "node:crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const storage = new S3Client({});
const assistants = pgTable("assistants", {
  id: uuid("id").primaryKey(),
  draftKey: text("draft_key"),
  draftVersion: integer("draft_version").notNull(),
});
// Saving a draft locks the assistant's row FOR UPDATE, uploads the draft to S3, then records the new key and version.
// The upload runs while the row lock is held: every transaction that needs the row (a run inserted with a foreign key
// to it takes FOR KEY SHARE) waits behind a network upload that can take seconds, and times out.
export async function saveDraft(assistantId: string, body: Buffer) {
  await db.transaction(async (tx) => {
    const [assistant] = await tx.select().from(assistants).where(eq(assistants.id, assistantId)).for("update");
    const key = `drafts/${assistantId}/${assistant.draftVersion + 1}.json`;
    await storage.send(new PutObjectCommand({ Bucket: process.env.DRAFT_BUCKET!, Key: key, Body: body }));
    await tx
      .update(assistants)
      .set({ draftKey: key, draftVersion: assistant.draftVersion + 1 })
      .where(eq(assistants.id, assistantId));
  });
}
// Correct: the draft is uploaded under a fresh key first; the transaction only records it.
export async function saveDraftUploadFirst(assistantId: string, body: Buffer) {
  const key = `drafts/${assistantId}/${randomUUID()}.json`;
  await storage.send(new PutObjectCommand({ Bucket: process.env.DRAFT_BUCKET!, Key: key, Body: body }));
  await db
    .update(assistants)
    .set({ draftKey: key, draftVersion: sql`${assistants.draftVersion} + 1` })
    .where(eq(assistants.id, assistantId));
}
