import { and, count, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const hosts = pgTable("hosts", {
  id: text("id").primaryKey(),
  plan: text("plan").notNull(),
  publishedEventCap: integer("published_event_cap").notNull(),
});
const roomEvents = pgTable("room_events", {
  id: text("id").primaryKey(),
  hostId: text("host_id").notNull(),
  title: text("title").notNull(),
  status: text("status").notNull(),
  startsAt: timestamp("starts_at").notNull(),
});
// A trial host may keep a few events published. Creating an event as published counts the host's published events
// and refuses at the cap, then inserts the new one. A burst of create requests all count the same total before any of
// them inserts, and the host ends up with ten published events on a three-event trial.
export async function createPublishedEvent(hostId: string, title: string, startsAt: Date) {
  const [host] = await db.select().from(hosts).where(eq(hosts.id, hostId));
  if (!host) throw new Error("unknown host");
  const [published] = await db
    .select({ value: count() })
    .from(roomEvents)
    .where(and(eq(roomEvents.hostId, hostId), eq(roomEvents.status, "published")));
  if ((published?.value ?? 0) >= host.publishedEventCap) throw new Error("publish limit reached");
  await db.insert(roomEvents).values({ id: crypto.randomUUID(), hostId, title, status: "published", startsAt });
}
// Correct: the host row is locked in the transaction that counts and inserts, so a second request waits for the first
// and counts its event.
export async function createPublishedEventLocked(hostId: string, title: string, startsAt: Date) {
  await db.transaction(async (tx) => {
    const [host] = await tx.select().from(hosts).where(eq(hosts.id, hostId)).for("update");
    if (!host) throw new Error("unknown host");
    const [published] = await tx
      .select({ value: count() })
      .from(roomEvents)
      .where(and(eq(roomEvents.hostId, hostId), eq(roomEvents.status, "published")));
    if ((published?.value ?? 0) >= host.publishedEventCap) throw new Error("publish limit reached");
    await tx.insert(roomEvents).values({ id: crypto.randomUUID(), hostId, title, status: "published", startsAt });
  });
}
