import mysql, { type ResultSetHeader, type RowDataPacket } from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
// A queue allows at most `max` jobs per window. Each worker reads the window's count, refuses at the limit, and
// otherwise raises the count in SQL. The raise is atomic but the decision was taken on the count read before it: with
// max = 1, two workers both read 0, both are allowed and both run a job in the same window.
export async function takeRateSlot(queue: string, max: number, windowMs: number) {
  const now = Date.now();
  const [rows] = await pool.query<RowDataPacket[]>("SELECT count, window_start FROM queue_rate_windows WHERE queue = ?", [queue]);
  const current = rows[0];
  if (!current || now - Number(current.window_start) >= windowMs) {
    await pool.query(
      `INSERT INTO queue_rate_windows (queue, count, window_start) VALUES (?, 1, ?)
       ON DUPLICATE KEY UPDATE count = 1, window_start = VALUES(window_start)`,
      [queue, now],
    );
    return true;
  }
  if (Number(current.count) >= max) return false;
  await pool.query("UPDATE queue_rate_windows SET count = count + 1 WHERE queue = ?", [queue]);
  return true;
}
// Correct: the test is part of the update, and the affected-row count says whether this worker got the slot.
export async function takeRateSlotConditional(queue: string, max: number) {
  const [result] = await pool.query<ResultSetHeader>("UPDATE queue_rate_windows SET count = count + 1 WHERE queue = ? AND count < ?", [
    queue,
    max,
  ]);
  return result.affectedRows === 1;
}
