import { Injectable } from "@nestjs/common";
import { DataSource } from "typeorm";
// A company is looked up by name with a raw SELECT and inserted when none is found: two syncs for one company both
// find none and insert two rows (no unique index covers the name).
@Injectable()
export class DirectorySyncService {
  constructor(private readonly dataSource: DataSource) {}
  async ensureCompany(schema: string, name: string): Promise<string> {
    const found = await this.dataSource.query(`SELECT id FROM "${schema}"."company" WHERE name = $1 AND "deletedAt" IS NULL LIMIT 1`, [name]);
    if (found.length > 0) return found[0].id;
    const created = await this.dataSource.query(`INSERT INTO "${schema}"."company" (name) VALUES ($1) RETURNING id`, [name]);
    return created[0].id;
  }
}
