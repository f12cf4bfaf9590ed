import { Pool } from "pg";
const pool = new Pool();
export async function transfer(from: number, to: number, cents: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const a = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [from]);
    const b = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [to]);
    if (a.rows[0].balance < cents) throw new Error("insufficient");
    await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [cents, from]);
    await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [cents, to]);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK");
    throw e;
  } finally {
    client.release();
  }
}
