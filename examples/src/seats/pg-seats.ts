// Seat booking on PostgreSQL through `pg`. `book` double-books under load (select-then-update: the availability check
// and the write are two statements); the other functions are the correct variants.
import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

/** ❌ Fifty users see the seat available, all pass the check, all write: the seat is sold fifty times. */
export async function book(pool: Pool, seatId: string, userId: string): Promise<void> {
  const { rows: [seat] } = await pool.query("SELECT status FROM seats WHERE id = $1", [seatId]);
  if (seat.status !== "available") throw new Error("seat taken");
  await pool.query("UPDATE seats SET status = 'booked', holder = $1 WHERE id = $2", [userId, seatId]);
}

/** ✅ Conditional update: only one UPDATE can still see the seat available. */
export async function bookConditionally(pool: Pool, seatId: string, userId: string): Promise<void> {
  const updated = await pool.query("UPDATE seats SET status = 'booked', holder = $1 WHERE id = $2 AND status = 'available'", [userId, seatId]);
  if (updated.rowCount === 0) throw new Error("seat taken");
}

/** ✅ The seat row is locked from the check to the commit. */
export async function bookLocked(pool: Pool, seatId: string, userId: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows: [seat] } = await tx.query("SELECT status FROM seats WHERE id = $1 FOR UPDATE", [seatId]);
    if (seat.status !== "available") throw new Error("seat taken");
    await tx.query("UPDATE seats SET status = 'booked', holder = $1 WHERE id = $2", [userId, seatId]);
  });
}
