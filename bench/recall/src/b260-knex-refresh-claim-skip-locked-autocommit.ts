import knexFactory, { type Knex } from "knex";
const db = knexFactory({ client: "pg", connection: process.env.DATABASE_URL });
type QueueRow = { entity_id: string; entity_ref: string; next_update_at: Date };
// Workers claim the entities due for a refresh with FOR UPDATE SKIP LOCKED, then push their next refresh into the
// future. The select runs on the plain connection, outside any transaction: its row locks end with the statement, so
// a second worker selects the same rows before the first has moved them, and both process the same entities.
export async function claimDueEntities(batchSize: number) {
  const due: QueueRow[] = await db("refresh_queue")
    .select("entity_id", "entity_ref", "next_update_at")
    .where("next_update_at", "<=", db.fn.now())
    .orderBy("next_update_at", "asc")
    .limit(batchSize)
    .forUpdate()
    .skipLocked();
  await db("refresh_queue")
    .whereIn(
      "entity_ref",
      due.map((row) => row.entity_ref),
    )
    .update({ next_update_at: db.raw("now() + interval '120 seconds'") });
  return due;
}
// Correct: the locking select and the update that moves the rows run in one transaction, which holds the row locks
// until the rows are out of the due range.
export async function claimDueEntitiesLocked(batchSize: number) {
  return db.transaction(async (trx: Knex.Transaction) => {
    const due: QueueRow[] = await trx("refresh_queue")
      .select("entity_id", "entity_ref", "next_update_at")
      .where("next_update_at", "<=", trx.fn.now())
      .orderBy("next_update_at", "asc")
      .limit(batchSize)
      .forUpdate()
      .skipLocked();
    await trx("refresh_queue")
      .whereIn(
        "entity_ref",
        due.map((row) => row.entity_ref),
      )
      .update({ next_update_at: trx.raw("now() + interval '120 seconds'") });
    return due;
  });
}
