import type { Knex } from "knex";
interface SeenEntry { featureName: string; environment: string }
export class LastSeenStore {
  constructor(private readonly db: Knex) {}
  async setLastSeen(entries: SeenEntry[]): Promise<void> {
    const now = new Date();
    const rows = entries.map((e) => ({ feature_name: e.featureName, environment: e.environment, last_seen_at: now }));
    await this.db("last_seen_at_metrics").insert(rows).onConflict(["feature_name", "environment"]).merge(["last_seen_at"]);
  }
}
