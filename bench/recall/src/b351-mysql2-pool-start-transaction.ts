import mysql from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL, connectionLimit: 10 });
// Moving stock between warehouses runs START TRANSACTION, two updates and COMMIT through the pool. Each pool.query may
// take a different connection: the updates commit on their own, and the connection left inside the open transaction
// goes back to the pool holding its row locks, so later requests wait on them until ER_LOCK_WAIT_TIMEOUT.
export async function moveStock(sku: string, fromWarehouse: number, toWarehouse: number, quantity: number) {
  await pool.query("START TRANSACTION");
  try {
    await pool.query("UPDATE warehouse_stock SET quantity = quantity - ? WHERE sku = ? AND warehouse_id = ?", [quantity, sku, fromWarehouse]);
    await pool.query("UPDATE warehouse_stock SET quantity = quantity + ? WHERE sku = ? AND warehouse_id = ?", [quantity, sku, toWarehouse]);
    await pool.query("COMMIT");
  } catch (error) {
    await pool.query("ROLLBACK");
    throw error;
  }
}
// Correct: one connection is checked out for the whole transaction and released afterwards.
export async function moveStockOnConnection(sku: string, fromWarehouse: number, toWarehouse: number, quantity: number) {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    await connection.query("UPDATE warehouse_stock SET quantity = quantity - ? WHERE sku = ? AND warehouse_id = ?", [quantity, sku, fromWarehouse]);
    await connection.query("UPDATE warehouse_stock SET quantity = quantity + ? WHERE sku = ? AND warehouse_id = ?", [quantity, sku, toWarehouse]);
    await connection.commit();
  } catch (error) {
    await connection.rollback();
    throw error;
  } finally {
    connection.release();
  }
}
