// FALSE shape (write-skew), session 17 held-out check, mempool backend/src/api/pools-parser.ts:178.
// Rule that would make it silent: when the check only chooses between inserting a row and updating it (an upsert in
// two statements) and the update sets constants, the update loses nothing and enforces no count; what can go wrong is
// the insert of a duplicate, which is the write to report, not the update.
import mysql from "mysql2/promise";

const pool = mysql.createPool({ host: "localhost", user: "app", database: "catalog" });

export async function ensureFallbackVendor(): Promise<void> {
  const [rows]: any = await pool.query(`SELECT label FROM vendors WHERE label = 'Other'`);
  if (rows.length === 0) {
    await pool.query(`INSERT INTO vendors(label, url, tags, code) VALUES ('Other', '', '[]', 0)`);
  } else {
    await pool.query(`UPDATE vendors SET label = 'Other', url = '', tags = '[]', code = 0 WHERE code = 0`);
  }
}
