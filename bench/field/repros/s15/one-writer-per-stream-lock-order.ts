// FALSE shape (inconsistent-lock-order), session 15 held-out check, powersync-service
// modules/module-postgres-storage/src/storage/batch/PostgresBucketBatch.ts:455.
// Rule that would make it silent: rows that belong to one replication stream and are written only by the holder of
// that stream's exclusive replication lock, one batch at a time, cannot be taken by two transactions in different
// orders, whatever order the caller lists them in. (The lock is taken elsewhere, so the rule needs to know the batch
// object is the lock holder's: a reviewer would state it as "a batch of a locked stream has a single writer".)
interface SqlDb {
  transaction<R>(fn: (db: SqlDb) => Promise<R>): Promise<R>;
  sql(strings: TemplateStringsArray, ...values: unknown[]): { execute(): Promise<unknown> };
}

export class StreamBatch {
  constructor(private readonly db: SqlDb) {}

  async forget(tables: Array<{ id: string }>) {
    await this.db.transaction(async (db) => {
      for (const table of tables) {
        await db.sql`
          DELETE FROM mirrored_tables
          WHERE
            id = ${{ type: "varchar", value: table.id }}
        `.execute();
      }
    });
  }
}
