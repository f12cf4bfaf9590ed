// FALSE shape (write-skew), session 17 held-out check, mempool backend/src/repositories/CpfpRepository.ts:232 (schema
// in backend/src/api/database-migration.ts:1809).
// The insert is written with MySQL's singular `VALUE (…)`: the same insert written `VALUES (…)` is silent on e7f8945,
// so the gap is the synonym's parse (the column list and values are not read). Rule that would make it silent: parse
// `VALUE` as `VALUES`; and when the primary key of the inserted row is computed from the value the check looks up (the
// height written into the key), two inserts after the same empty check carry the same key and the second fails on the
// primary key: the row cannot be duplicated.
import mysql from "mysql2/promise";

const pool = mysql.createPool({ host: "localhost", user: "indexer", database: "chain" });

export async function markScanned(height: number): Promise<void> {
  const [rows]: any = await pool.query(`SELECT mark FROM scan_marks WHERE height = ?`, [height]);
  if (!rows?.length) {
    const mark = Buffer.alloc(32);
    mark.writeInt32LE(height);
    await pool.query(`INSERT INTO scan_marks(mark, height, weight) VALUE (?, ?, ?)`, [mark, height, 0]);
  }
}
