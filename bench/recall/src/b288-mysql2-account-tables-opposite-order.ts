import mysql from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
// Deleting an account removes its session tokens, then its account row; resetting the password updates the account row,
// then removes the session tokens. Each runs in one transaction, so a delete and a reset of the same account each hold
// the rows of one table and wait for the other's: InnoDB aborts one with ER_LOCK_DEADLOCK.
export async function deleteAccount(uid: Buffer) {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await conn.query("DELETE FROM sessionTokens WHERE uid = ?", [uid]);
    await conn.query("DELETE FROM accounts WHERE uid = ?", [uid]);
    await conn.commit();
  } catch (err) {
    await conn.rollback();
    throw err;
  } finally {
    conn.release();
  }
}
export async function resetAccount(uid: Buffer, verifyHash: Buffer) {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await conn.query("UPDATE accounts SET verifyHash = ?, verifierSetAt = ? WHERE uid = ?", [verifyHash, Date.now(), uid]);
    await conn.query("DELETE FROM sessionTokens WHERE uid = ?", [uid]);
    await conn.commit();
  } catch (err) {
    await conn.rollback();
    throw err;
  } finally {
    conn.release();
  }
}
// Correct: the reset touches the tables in the delete's order, session tokens first, so the two wait instead of
// deadlocking.
export async function resetAccountOrdered(uid: Buffer, verifyHash: Buffer) {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await conn.query("DELETE FROM sessionTokens WHERE uid = ?", [uid]);
    await conn.query("UPDATE accounts SET verifyHash = ?, verifierSetAt = ? WHERE uid = ?", [verifyHash, Date.now(), uid]);
    await conn.commit();
  } catch (err) {
    await conn.rollback();
    throw err;
  } finally {
    conn.release();
  }
}
