import knexFactory from "knex";
const knex = knexFactory({ client: "pg", connection: process.env.DATABASE_URL, pool: { min: 0, max: 30 } });
declare function applyAnalyticsMigrations(database: string): Promise<void>;
const ANALYTICS_MIGRATION_LOCK = 5_440_021;
// The analytics migrations guard themselves with a session-level advisory lock taken through the knex pool. Each
// `knex.raw` checks out any connection and returns it at once: the lock stays on an idle pooled connection, the unlock
// in `finally` usually runs on another one and releases nothing, and the next deploy waits on a lock nobody holds.
export async function migrateAnalytics(database: string) {
  const result = await knex.raw("SELECT pg_try_advisory_lock(?) AS locked", [ANALYTICS_MIGRATION_LOCK]);
  if (!result.rows[0].locked) throw new Error("another instance is migrating");
  try {
    await applyAnalyticsMigrations(database);
  } finally {
    await knex.raw("SELECT pg_advisory_unlock(?)", [ANALYTICS_MIGRATION_LOCK]);
  }
}
// Correct: the lock is transaction-scoped, taken and held on the transaction's own connection.
export async function migrateAnalyticsInTransaction(database: string) {
  await knex.transaction(async (trx) => {
    const result = await trx.raw("SELECT pg_try_advisory_xact_lock(?) AS locked", [ANALYTICS_MIGRATION_LOCK]);
    if (!result.rows[0].locked) throw new Error("another instance is migrating");
    await applyAnalyticsMigrations(database);
  });
}
