import { Pool, type PoolClient } from "pg";
// The overlap check is a helper that runs on the pool by default, and the booking is inserted afterwards: two clubs
// asking for one venue and hour both pass the check and both get the booking.
export async function venueTaken(pool: Pool | PoolClient, venueId: string, startsAt: string, endsAt: string): Promise<boolean> {
  const { rows } = await pool.query("SELECT 1 FROM reservations WHERE venue_id = $1 AND state <> 'rejected' AND starts_at < $3 AND ends_at > $2 LIMIT 1", [venueId, startsAt, endsAt]);
  return rows.length > 0;
}
export async function reserveVenue(pool: Pool, clubId: string, venueId: string, startsAt: string, endsAt: string) {
  if (await venueTaken(pool, venueId, startsAt, endsAt)) throw new Error("venue already reserved");
  const { rows } = await pool.query("INSERT INTO reservations (club_id, venue_id, starts_at, ends_at, state) VALUES ($1, $2, $3, $4, 'pending') RETURNING id", [clubId, venueId, startsAt, endsAt]);
  return rows[0].id as string;
}
// Correct: the venue row is locked first, and the check and the insert run on the same transaction.
export async function reserveVenueLocked(pool: Pool, clubId: string, venueId: string, startsAt: string, endsAt: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT id FROM venues WHERE id = $1 FOR UPDATE", [venueId]);
    if (await venueTaken(client, venueId, startsAt, endsAt)) {
      await client.query("ROLLBACK");
      throw new Error("venue already reserved");
    }
    const { rows } = await client.query("INSERT INTO reservations (club_id, venue_id, starts_at, ends_at, state) VALUES ($1, $2, $3, $4, 'pending') RETURNING id", [clubId, venueId, startsAt, endsAt]);
    await client.query("COMMIT");
    return rows[0].id as string;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
