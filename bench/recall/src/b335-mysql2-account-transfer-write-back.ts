import mysql, { type RowDataPacket } from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
// A transfer reads both balances, refuses if the sender is short, and writes each balance back as read minus or plus
// the amount. Two transfers from the same account both read the full balance: both pass the check, the sender is
// debited once, and both recipients are credited.
export async function transfer(fromId: number, toId: number, amount: number) {
  const [fromRows] = await pool.query<RowDataPacket[]>("SELECT balance FROM accounts WHERE id = ?", [fromId]);
  const [toRows] = await pool.query<RowDataPacket[]>("SELECT balance FROM accounts WHERE id = ?", [toId]);
  const from = fromRows[0];
  const to = toRows[0];
  if (!from || !to) throw new Error("account not found");
  if (from.balance < amount) throw new Error("insufficient funds");
  await pool.query("UPDATE accounts SET balance = ? WHERE id = ?", [from.balance - amount, fromId]);
  await pool.query("UPDATE accounts SET balance = ? WHERE id = ?", [to.balance + amount, toId]);
}
// Correct: both rows are locked in id order in one transaction, and the balances are moved relative to their values.
export async function transferLocked(fromId: number, toId: number, amount: number) {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT id, balance FROM accounts WHERE id IN (?, ?) ORDER BY id FOR UPDATE",
      [fromId, toId],
    );
    const from = rows.find((row) => row.id === fromId);
    if (!from || rows.length !== 2) throw new Error("account not found");
    if (from.balance < amount) throw new Error("insufficient funds");
    await conn.query("UPDATE accounts SET balance = balance - ? WHERE id = ?", [amount, fromId]);
    await conn.query("UPDATE accounts SET balance = balance + ? WHERE id = ?", [amount, toId]);
    await conn.commit();
  } catch (error) {
    await conn.rollback();
    throw error;
  } finally {
    conn.release();
  }
}
