import type { Knex } from "knex";
export class LinkService {
  constructor(private readonly knex: Knex) {}
  private async lockForeignRows(trx: Knex.Transaction, table: string, recordIds: string[]) {
    await trx(table).select("__id").whereIn("__id", recordIds).forUpdate();
  }
  async relink(table: string, foreignTable: string, recordId: string, foreignIds: string[]) {
    await this.knex.transaction(async (trx) => {
      await this.lockForeignRows(trx, foreignTable, foreignIds);
      await trx(table)
        .where("__id", recordId)
        .update({ links: JSON.stringify(foreignIds) });
    });
  }
}
