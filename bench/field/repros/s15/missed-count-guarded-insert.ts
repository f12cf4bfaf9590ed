// MISSED (write-skew), session 15 held-out check, flowglad — found since session 17 (wt-miss): a count repeated inside a PostgreSQL write is no re-check at READ COMMITTED (test/db/write-skew-pg.test.ts); before, the repeated count in the INSERT was taken as one.
// platform/flowglad-next/src/resources/resourceClaimHelpers.ts:720-870 (claims against a subscription's capacity).
// A capacity check made "optimistic" by repeating the count inside the INSERT (`INSERT … SELECT … WHERE (SELECT
// count(*) …) = $expected`) is no compare-and-swap under READ COMMITTED: two transactions each see only committed rows
// and their own, both see the expected count, both insert, and the capacity is exceeded. Only a lock on a parent row,
// SERIALIZABLE, or a constraint stops it. Silent on 5dfade9, and so is the same raw-SQL count-then-insert without
// the repeated count.
import { sql } from "drizzle-orm";
import type { PgTransaction } from "drizzle-orm/pg-core";
import { seats } from "./schema";

export async function takeSeats(tx: PgTransaction<any, any, any>, roomId: string, capacity: number, names: string[]) {
  const [{ taken }] = await tx.execute<{ taken: number }>(
    sql`SELECT count(*)::int AS taken FROM ${seats} WHERE room_id = ${roomId} AND released_at IS NULL`,
  );
  if (names.length > capacity - taken) {
    throw new Error("room full");
  }
  const values = sql.join(
    names.map((name) => sql`(${name})`),
    sql`, `,
  );
  const rows = await tx.execute(sql`
    INSERT INTO ${seats} (room_id, guest)
    SELECT ${roomId}, guest FROM (VALUES ${values}) AS t(guest)
    WHERE (SELECT count(*) FROM ${seats} WHERE room_id = ${roomId} AND released_at IS NULL) = ${taken}
    RETURNING id`);
  if (rows.length !== names.length) {
    throw new Error("conflict, retry");
  }
  return rows;
}
