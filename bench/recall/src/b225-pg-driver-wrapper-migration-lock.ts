import { Pool } from "pg";
const MIGRATION_LOCK_KEY = 861_204;
// A small driver abstraction over the database: on PostgreSQL every call goes to the pool.
class PostgresDriver {
  readonly dialect = "postgres" as const;
  constructor(private readonly pool: Pool) {}
  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }
}
const driver = new PostgresDriver(new Pool({ connectionString: process.env.DATABASE_URL }));
// The migration runner locks through the driver: the lock is taken on one pooled connection and the unlock runs on
// whichever connection the pool hands out next, where it is a silent no-op. The connection holding the lock returns to
// the pool and serves requests; every later boot queues behind it.
export async function withMigrationLock<T>(run: () => Promise<T>): Promise<T> {
  await driver.exec(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    return await run();
  } finally {
    await driver.exec(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  }
}
