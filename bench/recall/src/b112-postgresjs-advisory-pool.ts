import postgres from "postgres";
const SCHEMA_LOCK = 42;
// The session advisory lock is taken and released by two tagged-template calls on the pool: they can run on two
// backends, so the unlock does nothing and the backend that took the lock keeps it, idle in the pool, for good.
export class SchemaBootstrap {
  constructor(private readonly sql: postgres.Sql) {}
  async init(schemaSql: string) {
    await this.sql`SELECT pg_advisory_lock(${SCHEMA_LOCK})`;
    try {
      await this.sql.unsafe(schemaSql);
    } finally {
      await this.sql`SELECT pg_advisory_unlock(${SCHEMA_LOCK})`;
    }
  }
  // Correct: one reserved connection takes the lock, runs the schema and releases the lock.
  async initPinned(schemaSql: string) {
    const conn = await this.sql.reserve();
    try {
      await conn`SELECT pg_advisory_lock(${SCHEMA_LOCK})`;
      try {
        await conn.unsafe(schemaSql);
      } finally {
        await conn`SELECT pg_advisory_unlock(${SCHEMA_LOCK})`;
      }
    } finally {
      conn.release();
    }
  }
}
