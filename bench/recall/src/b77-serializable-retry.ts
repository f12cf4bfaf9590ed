import { Pool, type PoolClient } from "pg";
export class EventLog {
  constructor(
    private readonly pool: Pool,
    private readonly maxAttempts = 3,
  ) {}
  // Retries a serialization failure at once, with no pause: contending writers collide again at once.
  async appendWithin<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (err: any) {
        await client.query("ROLLBACK");
        if (err?.code === "40001" && attempt < this.maxAttempts) continue;
        throw err;
      } finally {
        client.release();
      }
    }
  }
}
