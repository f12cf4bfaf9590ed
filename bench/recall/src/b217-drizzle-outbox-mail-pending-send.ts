import { asc, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
const db = drizzle(process.env.DATABASE_URL!);
const outboxMails = pgTable("outbox_mails", {
  id: uuid("id").primaryKey().defaultRandom(),
  recipient: text("recipient").notNull(),
  body: text("body").notNull(),
  status: text("status").notNull().default("pending"),
  createdAt: timestamp("created_at").notNull().defaultNow(),
  sentAt: timestamp("sent_at"),
});
declare function deliver(recipient: string, body: string): Promise<void>;
// Every API instance runs this processor on a timer. It reads a batch of pending mails, sends each and only then marks
// it sent: two instances read the same batch and every mail in it is delivered twice.
export async function drainOutbox() {
  const batch = await db.select().from(outboxMails).where(eq(outboxMails.status, "pending")).orderBy(asc(outboxMails.createdAt)).limit(10);
  for (const mail of batch) {
    await deliver(mail.recipient, mail.body);
    await db.update(outboxMails).set({ status: "sent", sentAt: new Date() }).where(eq(outboxMails.id, mail.id));
  }
}
// Correct: a batch is claimed in one UPDATE … RETURNING over rows locked with SKIP LOCKED, so each instance sends only
// the mails it moved to "sending".
export async function drainOutboxClaimed() {
  const claimed = await db.execute<{ id: string; recipient: string; body: string }>(sql`
    UPDATE outbox_mails SET status = 'sending'
     WHERE id IN (SELECT id FROM outbox_mails WHERE status = 'pending' ORDER BY created_at LIMIT 10 FOR UPDATE SKIP LOCKED)
     RETURNING id, recipient, body`);
  for (const mail of claimed.rows) {
    await deliver(mail.recipient, mail.body);
  }
  const ids = claimed.rows.map((m) => m.id);
  if (ids.length) await db.update(outboxMails).set({ status: "sent", sentAt: new Date() }).where(inArray(outboxMails.id, ids));
}
