import mysql, { type RowDataPacket } from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL, namedPlaceholders: true });
// A lead is looked up and inserted when none is found, updated otherwise: two submissions of one form at once both
// find none and both insert, so the lead is duplicated.
export async function recordLead(account: string, email: string, name: string) {
  const [found] = await pool.query<RowDataPacket[]>("SELECT id FROM leads WHERE account = :account AND email = :email LIMIT 1", {
    account,
    email,
  });
  if (found.length === 0) {
    await pool.query("INSERT INTO leads SET account = :account, email = :email, name = :name", { account, email, name });
    return "created";
  }
  await pool.query("UPDATE leads SET name = :name WHERE id = :id", { name, id: found[0].id });
  return "updated";
}
// Correct: one statement against the unique (account, email) key inserts or updates.
export async function recordLeadUpsert(account: string, email: string, name: string) {
  await pool.query(
    "INSERT INTO leads (account, email, name) VALUES (:account, :email, :name) ON DUPLICATE KEY UPDATE name = VALUES(name)",
    {
      account,
      email,
      name,
    },
  );
}
