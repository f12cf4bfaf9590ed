import { Pool } from "pg";
const pool = new Pool();
// A ticket reservation reads the event's remaining seats, checks that the request fits, inserts the booking and
// writes the remaining seats back as the value read minus the request. Two buyers of the last seat both read 1, both
// pass, both book, and the counter ends at 0 with the seat sold twice.
export async function reserveTickets(eventId: string, userId: string, seats: number) {
  const { rows } = await pool.query("SELECT seats_remaining FROM events WHERE id = $1", [eventId]);
  if (rows.length === 0) throw new Error("event not found");
  const remaining: number = rows[0].seats_remaining;
  if (remaining < seats) throw new Error("sold out");
  await pool.query("INSERT INTO bookings (event_id, user_id, seats) VALUES ($1, $2, $3)", [eventId, userId, seats]);
  await pool.query("UPDATE events SET seats_remaining = $1 WHERE id = $2", [remaining - seats, eventId]);
}
// Correct: one conditional decrement claims the seats, and its row count says whether they were still there.
export async function reserveTicketsAtomic(eventId: string, userId: string, seats: number) {
  const claimed = await pool.query(
    "UPDATE events SET seats_remaining = seats_remaining - $1 WHERE id = $2 AND seats_remaining >= $1",
    [seats, eventId],
  );
  if (claimed.rowCount === 0) throw new Error("sold out");
  await pool.query("INSERT INTO bookings (event_id, user_id, seats) VALUES ($1, $2, $3)", [eventId, userId, seats]);
}
