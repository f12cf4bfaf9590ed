import { Client } from "pg";
const LOCK_ID = 7_241_908;
interface MigrationDb {
  query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>;
  select(sql: string): Promise<Array<Record<string, unknown>>>;
}
function wrap(client: Client): MigrationDb {
  return {
    query: (sql) => client.query(sql),
    select: async (sql) => (await client.query(sql)).rows,
  };
}
declare function applyPendingMigrations(db: MigrationDb): Promise<void>;
// The runner takes a session advisory lock before migrating, but tests the array of rows `select` returns rather than
// the boolean in its first row: an array is always truthy, so every runner believes it holds the lock, and runners
// started together apply the same migrations at once.
export async function runMigrations(client: Client) {
  const db = wrap(client);
  const lockObtained = await db.select(`SELECT pg_try_advisory_lock(${LOCK_ID}) AS "lockObtained"`);
  if (!lockObtained) throw new Error("Another migration is already running");
  try {
    await applyPendingMigrations(db);
  } finally {
    await db.query(`SELECT pg_advisory_unlock(${LOCK_ID})`);
  }
}
// Correct: the decision reads the boolean of the first row.
export async function runMigrationsLocked(client: Client) {
  const db = wrap(client);
  const [row] = await db.select(`SELECT pg_try_advisory_lock(${LOCK_ID}) AS "lockObtained"`);
  if (!row?.lockObtained) throw new Error("Another migration is already running");
  try {
    await applyPendingMigrations(db);
  } finally {
    await db.query(`SELECT pg_advisory_unlock(${LOCK_ID})`);
  }
}
