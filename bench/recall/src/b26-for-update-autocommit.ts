import { Pool } from "pg";
const pool = new Pool();
export async function bumpScore(userId: number) {
  const { rows } = await pool.query("SELECT score FROM players WHERE id = $1 FOR UPDATE", [userId]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await pool.query("UPDATE players SET score = $1 WHERE id = $2", [rows[0].score + 1, userId]);
}
export async function bumpScoreInTransaction(userId: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT score FROM players WHERE id = $1 FOR UPDATE", [userId]);
    await client.query("UPDATE players SET score = $1 WHERE id = $2", [rows[0].score + 1, userId]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
