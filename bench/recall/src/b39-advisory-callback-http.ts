import { Kysely, Transaction, sql } from "kysely";
interface Database { agents: { id: string; tenant_id: string; spec: string; revision: number } }
type Fn<T> = (trx: Transaction<Database>) => Promise<T>;
export function agentUpdateLock(db: Kysely<Database>) {
  return async <T>(tenantId: string, id: string, fn: Fn<T>): Promise<T> =>
    db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`agent:${tenantId}:${id}`}))`.execute(trx);
      return fn(trx);
    });
}
async function putRemoteAgent(id: string, spec: string) {
  const res = await fetch(`https://deploy.example.com/agents/${id}`, { method: "PUT", body: spec });
  if (!res.ok) throw new Error("remote put failed");
}
export class AgentStore {
  private readonly withLock: ReturnType<typeof agentUpdateLock>;
  constructor(db: Kysely<Database>) { this.withLock = agentUpdateLock(db); }
  async updateAgent(tenantId: string, id: string, spec: string) {
    return this.withLock(tenantId, id, async (trx) => {
      const row = await trx.selectFrom("agents").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      await putRemoteAgent(id, spec);
      await trx.updateTable("agents").set({ spec, revision: row.revision + 1 }).where("id", "=", id).execute();
    });
  }
}
