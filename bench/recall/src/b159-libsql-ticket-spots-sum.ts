import { createClient } from "@libsql/client";
const db = createClient({ url: process.env.DB_URL!, authToken: process.env.DB_TOKEN });
declare function seal(text: string): Promise<string>;
async function spotsLeft(eventId: number, quantity: number): Promise<boolean> {
  const result = await db.execute({
    sql: `SELECT e.max_attendees, COALESCE(SUM(a.quantity), 0) AS booked
          FROM events e LEFT JOIN attendees a ON a.event_id = e.id WHERE e.id = ? GROUP BY e.id`,
    args: [eventId],
  });
  const row = result.rows[0] as unknown as { max_attendees: number; booked: number } | undefined;
  return row !== undefined && Number(row.booked) + quantity <= Number(row.max_attendees);
}
// Spots are checked by summing the quantities booked against the event's limit, then the booking is inserted once its
// fields are encrypted: two buyers of the last spot both see it free and both are booked.
export async function reserve(eventId: number, name: string, email: string, quantity: number) {
  if (!(await spotsLeft(eventId, quantity))) return { error: "Sorry, not enough spots available" };
  const sealedName = await seal(name);
  const sealedEmail = await seal(email);
  const inserted = await db.execute({
    sql: "INSERT INTO attendees (event_id, name, email, created, quantity) VALUES (?, ?, ?, ?, ?)",
    args: [eventId, sealedName, sealedEmail, new Date().toISOString(), quantity],
  });
  return { id: Number(inserted.lastInsertRowid) };
}
// Correct: one statement inserts only while the sum leaves room, and a statement that inserted nothing lost the spot.
export async function reserveAtomic(eventId: number, name: string, email: string, quantity: number) {
  const sealedName = await seal(name);
  const sealedEmail = await seal(email);
  const inserted = await db.execute({
    sql: `INSERT INTO attendees (event_id, name, email, created, quantity)
          SELECT ?, ?, ?, ?, ? WHERE (SELECT COALESCE(SUM(quantity), 0) FROM attendees WHERE event_id = ?) + ?
            <= (SELECT max_attendees FROM events WHERE id = ?)`,
    args: [eventId, sealedName, sealedEmail, new Date().toISOString(), quantity, eventId, quantity, eventId],
  });
  if (inserted.rowsAffected === 0) return { error: "Sorry, not enough spots available" };
  return { id: Number(inserted.lastInsertRowid) };
}
