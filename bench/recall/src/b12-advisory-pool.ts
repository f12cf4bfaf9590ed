import { Pool } from "pg";
const pool = new Pool();
declare function migrate(): Promise<void>;
export async function runMigrations() {
  await pool.query("SELECT pg_advisory_lock(42)");
  try {
    await migrate();
  } finally {
    await pool.query("SELECT pg_advisory_unlock(42)");
  }
}
