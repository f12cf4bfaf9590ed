import { Router } from "express";
import { Pool } from "pg";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
// Registration checks the event's capacity against a count of its registrations, then inserts the attendee: ten
// people registering for the last five places at once all count under the capacity and all get in.
export const registrations = Router();
registrations.post("/events/:eventId/register", async (req, res, next) => {
  const eventId = Number(req.params.eventId);
  const userId = (req as unknown as { user: { id: number } }).user.id;
  try {
    const { rows: events } = await pool.query("SELECT capacity FROM events WHERE id = $1", [eventId]);
    if (events.length === 0) return res.status(404).json({ error: "Event not found" });
    const { rows: counted } = await pool.query("SELECT COUNT(*)::int AS taken FROM registrations WHERE event_id = $1", [eventId]);
    if (counted[0].taken >= events[0].capacity) return res.status(409).json({ error: "Event is full" });
    const { rows } = await pool.query("INSERT INTO registrations (event_id, user_id) VALUES ($1, $2) RETURNING id", [eventId, userId]);
    res.status(201).json({ registrationId: rows[0].id, remaining: events[0].capacity - counted[0].taken - 1 });
  } catch (err) {
    next(err);
  }
});
// Correct: the event row is locked FOR UPDATE in a transaction on one client, so registrations for one event count
// and insert one at a time.
registrations.post("/events/:eventId/register-locked", async (req, res, next) => {
  const eventId = Number(req.params.eventId);
  const userId = (req as unknown as { user: { id: number } }).user.id;
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows: events } = await client.query("SELECT capacity FROM events WHERE id = $1 FOR UPDATE", [eventId]);
    if (events.length === 0) {
      await client.query("ROLLBACK");
      return res.status(404).json({ error: "Event not found" });
    }
    const { rows: counted } = await client.query("SELECT COUNT(*)::int AS taken FROM registrations WHERE event_id = $1", [eventId]);
    if (counted[0].taken >= events[0].capacity) {
      await client.query("ROLLBACK");
      return res.status(409).json({ error: "Event is full" });
    }
    const { rows } = await client.query("INSERT INTO registrations (event_id, user_id) VALUES ($1, $2) RETURNING id", [eventId, userId]);
    await client.query("COMMIT");
    res.status(201).json({ registrationId: rows[0].id });
  } catch (err) {
    await client.query("ROLLBACK");
    next(err);
  } finally {
    client.release();
  }
});
