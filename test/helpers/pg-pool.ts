// A pg module of a project under test: its pool and a BEGIN/COMMIT wrapper that runs a callback on one connection of
// it in a transaction. Test cases add their own exports after it.
export const PG_POOL_WITH_TRANSACTION = `import { Pool, type PoolClient } from "pg";

export const pool = new Pool();

export async function withTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`;
