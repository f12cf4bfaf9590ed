import { randomUUID } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import { Pool } from "pg";
interface Tables {
  campus_events: { id: string; title: string; capacity: number; registered: number };
  event_registrations: { id: string; event_id: string; user_id: string; created_at: Date };
}
const db = new Kysely<Tables>({
  dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) }),
});
// Registering for an event counts its registrations and refuses when the event is full, then inserts the
// registration. Ten tabs submitting at once for a five-seat event all count fewer than five, and all ten register.
export async function registerForEvent(eventId: string, userId: string) {
  const event = await db.selectFrom("campus_events").select(["id", "capacity"]).where("id", "=", eventId).executeTakeFirst();
  if (!event) throw new Error("event not found");
  const { taken } = await db
    .selectFrom("event_registrations")
    .select((eb) => eb.fn.countAll<number>().as("taken"))
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  if (Number(taken) >= event.capacity) throw new Error("event is full");
  await db.insertInto("event_registrations").values({ id: randomUUID(), event_id: eventId, user_id: userId, created_at: new Date() }).execute();
}
// Correct: a seat is taken by one conditional UPDATE of the event's counter, and only a request that moved it registers.
export async function registerForEventReserved(eventId: string, userId: string) {
  await db.transaction().execute(async (trx) => {
    const reserved = await trx
      .updateTable("campus_events")
      .set((eb) => ({ registered: eb("registered", "+", 1) }))
      .where("id", "=", eventId)
      .whereRef("registered", "<", "capacity")
      .executeTakeFirst();
    if (Number(reserved.numUpdatedRows) === 0) throw new Error("event is full");
    await trx.insertInto("event_registrations").values({ id: randomUUID(), event_id: eventId, user_id: userId, created_at: new Date() }).execute();
  });
}
