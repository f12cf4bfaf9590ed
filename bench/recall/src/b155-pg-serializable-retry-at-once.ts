import type { Pool, PoolClient } from "pg";
const TRANSACTION_ATTEMPTS = 2;
// A transaction that failed to serialize is begun again straight away: the transactions it conflicted with are often
// still running or restarting at the same moment, so the retry meets the same conflict and the request fails anyway.
export class RecordRepository {
  private client?: PoolClient;
  constructor(private readonly pool: Pool) {}
  private async begin(serializable: boolean): Promise<PoolClient> {
    this.client = await this.pool.connect();
    await this.client.query(serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
    return this.client;
  }
  private async commit(): Promise<void> {
    await this.client!.query("COMMIT");
  }
  private async rollback(): Promise<void> {
    await this.client?.query("ROLLBACK");
  }
  private end(): void {
    this.client?.release();
    this.client = undefined;
  }
  private isRetryable(err: unknown): boolean {
    return (err as { code?: string } | undefined)?.code === "40001";
  }
  async withTransaction<T>(work: (client: PoolClient) => Promise<T>, options?: { serializable?: boolean }): Promise<T> {
    let failure: unknown;
    for (let attempt = 0; attempt < TRANSACTION_ATTEMPTS; attempt++) {
      try {
        const client = await this.begin(!!options?.serializable);
        const result = await work(client);
        await this.commit();
        return result;
      } catch (err) {
        failure = err;
        await this.rollback();
        if (!this.isRetryable(err)) break;
      } finally {
        this.end();
      }
    }
    throw failure;
  }
}
