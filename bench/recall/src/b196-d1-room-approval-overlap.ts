import { drizzle } from "drizzle-orm/d1";
import { and, eq, gt, inArray, lt, ne } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
const roomRequests = sqliteTable("room_requests", {
  id: text("id").primaryKey(),
  roomId: integer("room_id"),
  startsAt: integer("starts_at").notNull(),
  endsAt: integer("ends_at").notNull(),
  status: text("status").notNull(),
});
declare const env: { DB: D1Database };
const OCCUPYING = ["CONFIRMED", "PENDING"];
// Assigning a room to a pending request first looks for occupying requests that overlap it in that room, decides in
// JavaScript, then updates the request. D1 has no interactive transaction: two admins confirming two different requests
// into the same room and slot both find it free, and both groups are told they have it.
export async function assignRoom(requestId: string, roomId: number) {
  const db = drizzle(env.DB);
  const [request] = await db.select().from(roomRequests).where(eq(roomRequests.id, requestId));
  if (!request) throw new Error("Request not found");
  const clashes = await db
    .select({ id: roomRequests.id })
    .from(roomRequests)
    .where(
      and(
        eq(roomRequests.roomId, roomId),
        inArray(roomRequests.status, OCCUPYING),
        lt(roomRequests.startsAt, request.endsAt),
        gt(roomRequests.endsAt, request.startsAt),
        ne(roomRequests.id, requestId),
      ),
    );
  if (clashes.length > 0) return { ok: false, clashes: clashes.map((c) => c.id) };
  await db.update(roomRequests).set({ roomId, status: "CONFIRMED" }).where(eq(roomRequests.id, requestId));
  return { ok: true };
}
// Correct: the update itself carries the overlap test (`NOT EXISTS` over the same room and slot), so D1 runs the check
// and the write as one statement; zero rows changed is the conflict.
export async function assignRoomConditional(requestId: string, roomId: number) {
  const result = await env.DB.prepare(
    `UPDATE room_requests SET room_id = ?1, status = 'CONFIRMED' WHERE id = ?2 AND NOT EXISTS (
       SELECT 1 FROM room_requests other WHERE other.room_id = ?1 AND other.status IN ('CONFIRMED', 'PENDING')
         AND other.id <> ?2 AND other.starts_at < room_requests.ends_at AND other.ends_at > room_requests.starts_at)`,
  )
    .bind(roomId, requestId)
    .run();
  return { ok: result.meta.changes > 0 };
}
