import { Pool } from "pg";
const pool = new Pool();
declare function applyLegacyMutation(client: import("pg").PoolClient, ownerId: string, change: unknown): Promise<void>;
// Legacy mutations take a shared advisory lock on the owner so that the migration (which takes it exclusively) cannot
// run beside them. The shared lock is released as the last statement of the happy path: a mutation that throws rolls
// back its transaction but keeps the session lock, and the connection goes back to the pool holding it, so the
// owner's migration waits forever.
export async function runLegacyMutation(ownerId: string, change: unknown) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_lock_shared(hashtext($1))", [ownerId]);
    await applyLegacyMutation(client, ownerId, change);
    await client.query("SELECT pg_advisory_unlock_shared(hashtext($1))", [ownerId]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
// Correct: the transaction-level shared lock ends with the transaction, whichever way it ends.
export async function runLegacyMutationXact(ownerId: string, change: unknown) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock_shared(hashtext($1))", [ownerId]);
    await applyLegacyMutation(client, ownerId, change);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
