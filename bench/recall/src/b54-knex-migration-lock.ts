import knex from "knex";
const db = knex({ client: "pg", connection: process.env.DATABASE_URL, pool: { min: 2, max: 10 } });
declare function applyPending(): Promise<void>;
export class SchemaMigrator {
  private async takeLock(key: number) {
    const result = await db.raw("SELECT pg_try_advisory_lock(?) AS locked", [key]);
    return result.rows[0].locked === true;
  }
  private async dropLock(key: number) {
    const result = await db.raw("SELECT pg_advisory_unlock(?) AS unlocked", [key]);
    return result.rows[0].unlocked === true;
  }
  async migrate() {
    if (!(await this.takeLock(1))) throw new Error("another migration is running");
    try {
      await applyPending();
    } finally {
      if (!(await this.dropLock(1))) throw new Error("unable to release the migration lock");
    }
  }
}
