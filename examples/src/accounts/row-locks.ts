// The app's own row-lock helper: it locks one row through the transaction it is given, with a statement built from the
// table's name, which Locksmith does not read as a lock. The JSDoc tag says what it does, so that a read-modify-write
// of `accounts` after a call of it, on the same transaction, counts as locked (`locksmith locks examples` lists it).
import type { PgQueryable } from "@locksmith/runtime/postgres";

const LOCKABLE_TABLES = new Set(["accounts", "wallets"]);

/** Locks the row `id` of `table` until the transaction on `tx` ends. */
async function lockRow(tx: PgQueryable, table: string, id: string): Promise<void> {
  if (!LOCKABLE_TABLES.has(table)) throw new Error(`cannot lock rows of ${table}`);
  const { rowCount } = await tx.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  if (rowCount === 0) throw new Error(`no ${table} row ${id}`);
}

/** @locksmith acquires row-lock transaction=tx key=accountId table=accounts */
export async function lockAccountRow(tx: PgQueryable, accountId: string): Promise<void> {
  await lockRow(tx, "accounts", accountId);
}
