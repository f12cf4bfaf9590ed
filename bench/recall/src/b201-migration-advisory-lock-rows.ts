import { Client } from "pg";
const LOCK_ID = 7_241_908;
declare function applyPendingMigrations(client: Client): Promise<void>;
async function select(client: Client, sql: string) {
  const result = await client.query(sql);
  return result.rows;
}
// The runner takes a session advisory lock before migrating, but tests the rows array the query returns rather than the
// boolean in its first row: an array is always truthy, so every runner believes it holds the lock and runners started
// together apply the same migrations at once.
export async function runMigrations(client: Client) {
  const lockObtained = await select(client, `SELECT pg_try_advisory_lock(${LOCK_ID}) AS "lockObtained"`);
  if (!lockObtained) throw new Error("Another migration is already running");
  try {
    await applyPendingMigrations(client);
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${LOCK_ID})`);
  }
}
// Correct: the decision reads the boolean of the first row.
export async function runMigrationsLocked(client: Client) {
  const [row] = await select(client, `SELECT pg_try_advisory_lock(${LOCK_ID}) AS "lockObtained"`);
  if (!row.lockObtained) throw new Error("Another migration is already running");
  try {
    await applyPendingMigrations(client);
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${LOCK_ID})`);
  }
}
