import knex from "knex";
const db = knex({ client: "mysql2", connection: process.env.DATABASE_URL });
// A rate-limit store kept in a table: the hit count of (route, source) is read, then written back as the count read
// plus one. Two requests in the same window both read 9 and both write 10, so the limit lets extra requests through.
export async function countHit(route: string, source: string, windowMs: number) {
  const now = Date.now();
  const row = await db("route_hits").where({ route, source }).first();
  if (row && row.expires_at > now) {
    await db("route_hits")
      .where({ route, source })
      .update({ hits: row.hits + 1 });
    return row.hits + 1;
  }
  if (row) {
    await db("route_hits").where({ route, source }).update({ hits: 1, expires_at: now + windowMs });
  } else {
    await db("route_hits").insert({ route, source, hits: 1, expires_at: now + windowMs });
  }
  return 1;
}
// Correct: the row is read FOR UPDATE inside the transaction that writes it.
export async function countHitLocked(route: string, source: string, windowMs: number) {
  return db.transaction(async (trx) => {
    const now = Date.now();
    const row = await trx("route_hits").where({ route, source }).forUpdate().first();
    if (row && row.expires_at > now) {
      await trx("route_hits")
        .where({ route, source })
        .update({ hits: row.hits + 1 });
      return row.hits + 1;
    }
    if (row) {
      await trx("route_hits").where({ route, source }).update({ hits: 1, expires_at: now + windowMs });
    } else {
      await trx("route_hits").insert({ route, source, hits: 1, expires_at: now + windowMs });
    }
    return 1;
  });
}
