// Stock levels on MySQL/MariaDB through `mysql2/promise`. `reserve` oversells under load (select-then-update); the
// other functions are the correct variants.
import type { Pool, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { withMySqlTransaction } from "@locksmith/runtime/mysql";

/** ❌ Fifty buyers read stock 20, all pass the check, and the last writer wins: stock is oversold. */
export async function reserve(pool: Pool, sku: string, quantity: number): Promise<void> {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT stock FROM inventory WHERE sku = ?", [sku]);
  const stock: number = rows[0]!["stock"];
  if (stock < quantity) throw new Error("out of stock");
  await pool.execute("UPDATE inventory SET stock = ? WHERE sku = ?", [stock - quantity, sku]);
}

/** ✅ Decrement and check in one statement; zero affected rows means there was not enough stock. */
export async function reserveAtomically(pool: Pool, sku: string, quantity: number): Promise<void> {
  const [updated] = await pool.execute<ResultSetHeader>("UPDATE inventory SET stock = stock - ? WHERE sku = ? AND stock >= ?", [quantity, sku, quantity]);
  if (updated.affectedRows === 0) throw new Error("out of stock");
}

/** ✅ SELECT … FOR UPDATE inside the transaction that writes. */
export async function reserveLocked(pool: Pool, sku: string, quantity: number): Promise<void> {
  await withMySqlTransaction(pool, async (tx) => {
    const [rows] = await tx.query<RowDataPacket[]>("SELECT stock FROM inventory WHERE sku = ? FOR UPDATE", [sku]);
    const stock: number = rows[0]!["stock"];
    if (stock < quantity) throw new Error("out of stock");
    await tx.execute("UPDATE inventory SET stock = ? WHERE sku = ?", [stock - quantity, sku]);
  });
}
