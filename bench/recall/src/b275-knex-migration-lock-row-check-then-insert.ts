import knexFactory, { type Knex } from "knex";
const db = knexFactory({ client: "mysql2", connection: process.env.DATABASE_URL });
// Before migrating, every node makes sure the lock table holds its one row: it reads the rows and inserts one when the
// table is empty. Nothing makes that row unique: three nodes starting together against a fresh database all read no
// row and all insert one, and the lock — an UPDATE that expects exactly one affected row — can never be taken again.
export async function ensureSchemaLockRow(conn: Knex | Knex.Transaction = db) {
  const rows = await conn("schema_change_lock").select("*");
  if (!rows.length) {
    await conn("schema_change_lock").insert({ is_locked: 0 });
  }
}
// Correct: one INSERT … SELECT … WHERE NOT EXISTS inserts the row only if the table is still empty when it runs.
export async function ensureSchemaLockRowOnce(conn: Knex | Knex.Transaction = db) {
  await conn.raw("INSERT INTO schema_change_lock (is_locked) SELECT 0 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM schema_change_lock)");
}
