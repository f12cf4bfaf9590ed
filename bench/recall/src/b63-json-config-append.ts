import { Model } from "objection";
type TileColumnsEntry = { tileId: string; columnIds: string[]; at: string };
class TableMeta extends Model {
  static tableName = "table_metadata";
  id!: string;
  config!: { tileColumns?: TileColumnsEntry[] } | null;
}
export async function recordTileColumns(tableId: string, entry: TileColumnsEntry) {
  return TableMeta.transaction(async (trx) => {
    const table = await TableMeta.query(trx).findById(tableId).throwIfNotFound();
    const config = { ...(table.config ?? {}), tileColumns: [...(table.config?.tileColumns ?? []), entry] };
    return TableMeta.query(trx).patchAndFetchById(tableId, { config });
  });
}
