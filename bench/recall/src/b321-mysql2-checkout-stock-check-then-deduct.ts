import mysql, { type RowDataPacket } from "mysql2/promise";
const pool = mysql.createPool({ uri: process.env.MYSQL_URL });
// Checkout reads the product's stock, refuses when it is short, creates the order and then deducts the stock as read
// minus the quantity. Two buyers of the last unit both read 1, both create an order, and both write 0: one unit sold
// twice.
export async function checkout(userId: number, productId: number, quantity: number) {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT stock, price FROM products WHERE id = ?", [productId]);
  const product = rows[0];
  if (!product) throw new Error("product not found");
  if (product.stock < quantity) throw new Error("insufficient stock");
  await pool.query("INSERT INTO orders (user_id, product_id, quantity, total) VALUES (?, ?, ?, ?)", [
    userId,
    productId,
    quantity,
    product.price * quantity,
  ]);
  await pool.query("UPDATE products SET stock = ? WHERE id = ?", [product.stock - quantity, productId]);
}
// Correct: the product row is read FOR UPDATE in the transaction that creates the order and deducts the stock.
export async function checkoutLocked(userId: number, productId: number, quantity: number) {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const [rows] = await conn.query<RowDataPacket[]>("SELECT stock, price FROM products WHERE id = ? FOR UPDATE", [productId]);
    const product = rows[0];
    if (!product || product.stock < quantity) throw new Error("insufficient stock");
    await conn.query("INSERT INTO orders (user_id, product_id, quantity, total) VALUES (?, ?, ?, ?)", [
      userId,
      productId,
      quantity,
      product.price * quantity,
    ]);
    await conn.query("UPDATE products SET stock = stock - ? WHERE id = ?", [quantity, productId]);
    await conn.commit();
  } catch (error) {
    await conn.rollback();
    throw error;
  } finally {
    conn.release();
  }
}
