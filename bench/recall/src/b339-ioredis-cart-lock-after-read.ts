import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { Pool } from "pg";
const redis = new Redis(process.env.REDIS_URL!);
const pool = new Pool();
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
type CartSnapshot = { items: { id: string; unitPrice: number }[]; codes: string[] };
async function loadCart(cartId: string): Promise<CartSnapshot> {
  const items = await pool.query("SELECT id, unit_price AS \"unitPrice\" FROM cart_line_items WHERE cart_id = $1", [cartId]);
  const applied = await pool.query("SELECT DISTINCT code FROM cart_item_adjustments WHERE cart_id = $1", [cartId]);
  return { items: items.rows, codes: applied.rows.map((row) => row.code) };
}
// Applying a promotion code takes the cart's lock, but only after it has read the cart: two requests applying the same
// code both read a cart without the code, then take the lock in turn, and each adds an adjustment to every line.
// The cart shows the code once while its totals subtract it twice.
export async function applyPromotionCode(cartId: string, code: string, percentOff: number) {
  const cart = await loadCart(cartId);
  const token = randomUUID();
  const key = `lock:cart:${cartId}`;
  if ((await redis.set(key, token, "PX", 10_000, "NX")) !== "OK") throw new Error("cart is being updated");
  try {
    if (cart.codes.includes(code)) return;
    for (const item of cart.items) {
      await pool.query("INSERT INTO cart_item_adjustments (cart_id, item_id, code, amount) VALUES ($1, $2, $3, $4)", [
        cartId,
        item.id,
        code,
        (item.unitPrice * percentOff) / 100,
      ]);
    }
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
// Correct: the lock is taken first, so the cart read under it already shows the code another request applied.
export async function applyPromotionCodeLocked(cartId: string, code: string, percentOff: number) {
  const token = randomUUID();
  const key = `lock:cart:${cartId}`;
  if ((await redis.set(key, token, "PX", 10_000, "NX")) !== "OK") throw new Error("cart is being updated");
  try {
    const cart = await loadCart(cartId);
    if (cart.codes.includes(code)) return;
    for (const item of cart.items) {
      await pool.query("INSERT INTO cart_item_adjustments (cart_id, item_id, code, amount) VALUES ($1, $2, $3, $4)", [
        cartId,
        item.id,
        code,
        (item.unitPrice * percentOff) / 100,
      ]);
    }
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
