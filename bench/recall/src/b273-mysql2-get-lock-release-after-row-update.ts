import mysql, { type RowDataPacket } from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
const LOCK_NAME = "schema_migrations_lock";
// The migration lock is a MySQL named lock (GET_LOCK) on a pooled connection, mirrored by a row in a lock table. The
// unlock marks the row released first and only then calls RELEASE_LOCK: when that update throws, the finally hands the
// connection back to the pool still holding the named lock, and every later migration run waits out its timeout.
export async function withMigrationLock(run: () => Promise<void>) {
  const connection = await pool.getConnection();
  const [[acquired]] = await connection.query<RowDataPacket[]>("SELECT GET_LOCK(?, 10) AS got", [LOCK_NAME]);
  if (acquired.got !== 1) {
    connection.release();
    throw new Error("migrations are locked by another process");
  }
  try {
    await run();
  } finally {
    try {
      await connection.query("UPDATE migrations_lock SET locked = 0, released_at = NOW() WHERE lock_key = 'km01'");
      await connection.query("SELECT RELEASE_LOCK(?)", [LOCK_NAME]);
    } finally {
      connection.release();
    }
  }
}
// Correct: the named lock is released first, in a finally of its own, whatever the bookkeeping update does.
export async function withMigrationLockReleased(run: () => Promise<void>) {
  const connection = await pool.getConnection();
  const [[acquired]] = await connection.query<RowDataPacket[]>("SELECT GET_LOCK(?, 10) AS got", [LOCK_NAME]);
  if (acquired.got !== 1) {
    connection.release();
    throw new Error("migrations are locked by another process");
  }
  try {
    await run();
  } finally {
    try {
      await connection.query("SELECT RELEASE_LOCK(?)", [LOCK_NAME]);
    } finally {
      connection.release();
    }
    await pool.query("UPDATE migrations_lock SET locked = 0, released_at = NOW() WHERE lock_key = 'km01'");
  }
}
