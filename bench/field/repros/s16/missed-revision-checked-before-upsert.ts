// MISSED (select-then-update), session 16 held-out check, padloc packages/core/src/server.ts:1466-1478 (updateVault;
// updateOrg at :1112 has the same shape), with packages/server/src/storage/postgres.ts:117.
// An optimistic lock checked outside the write: the client's revision is compared in code with the stored record's,
// the record is changed and given a new revision, and saved by a storage layer whose save is a plain upsert by id
// (`INSERT … ON CONFLICT (id) DO UPDATE SET data = $2`) that does not repeat the comparison. Two clients based on the
// same revision both pass and the later save overwrites the other's change (a shared vault loses items). Silent on
// 3401534, also with the read and the write inlined in one function: the write is an upsert, and the same code with
// `UPDATE … SET data = $2 WHERE id = $1` is reported. The correct look-alike:
// `UPDATE … SET data = $2 WHERE id = $1 AND data->>'revision' = $3` and an error when no row was updated.
import { randomUUID } from "crypto";
import { Pool } from "pg";

interface Stored {
  id: string;
  revision: string;
  payload: string;
  updatedAt?: string;
}

class JsonStore {
  constructor(private readonly pool: Pool) {}

  async get(table: string, id: string): Promise<Stored | null> {
    const { rows } = await this.pool.query(`SELECT data FROM ${table} WHERE id = $1`, [id]);
    return rows[0] ? (rows[0].data as Stored) : null;
  }

  async save(table: string, record: Stored): Promise<void> {
    await this.pool.query(`INSERT INTO ${table} (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = $2`, [record.id, record]);
  }
}

export class SafeService {
  constructor(private readonly store: JsonStore) {}

  async updateSafe(id: string, baseRevision: string, payload: string) {
    const safe = await this.store.get("safes", id);
    if (!safe) throw new Error("not found");
    if (safe.revision !== baseRevision) throw new Error("outdated revision");
    safe.payload = payload;
    safe.revision = randomUUID();
    safe.updatedAt = new Date().toISOString();
    await this.store.save("safes", safe);
    return safe;
  }
}
