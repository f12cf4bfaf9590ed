import { Pool, type PoolClient } from "pg";
// A deadlock or serialization failure at COMMIT is retried by calling itself again at once: the transactions that
// just collided start over together and collide again.
export class Db {
  constructor(private readonly pool: Pool) {}
  async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let result: T;
    try {
      await client.query("BEGIN");
      result = await work(client);
      await client.query("COMMIT");
    } catch (err: any) {
      await client.query("ROLLBACK");
      client.release();
      if (err?.code === "40001" || err?.code === "40P01") return this.inTransaction(work);
      throw err;
    }
    client.release();
    return result;
  }
}
