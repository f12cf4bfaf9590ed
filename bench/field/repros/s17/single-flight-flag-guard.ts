// FALSE shape (select-then-update), session 17 held-out check, mempool backend/src/api/liquid/elements-parser.ts:47.
// Rule that would make it silent: a method guarded by a boolean member flag that is checked and set before its first
// await (`if (this.running) return; this.running = true`) and cleared when it ends runs once at a time in the process;
// a cursor it reads and advances is not read by a second concurrent call.
import mysql from "mysql2/promise";

const pool = mysql.createPool({ host: "localhost", user: "indexer", database: "chain" });

async function fetchTip(): Promise<number> {
  return 100;
}

export class SidechainScanner {
  private running = false;

  async scan() {
    if (this.running) {
      return;
    }
    try {
      this.running = true;
      const tip = await fetchTip();
      const [rows]: any = await pool.query(`SELECT cursor_height FROM scan_state WHERE name = 'sidechain'`);
      const from = rows[0].cursor_height;
      for (let h = from + 1; h <= tip; h++) {
        await pool.query(`UPDATE scan_state SET cursor_height = ? WHERE name = 'sidechain'`, [h]);
      }
      this.running = false;
    } catch (e) {
      this.running = false;
      throw e;
    }
  }
}
