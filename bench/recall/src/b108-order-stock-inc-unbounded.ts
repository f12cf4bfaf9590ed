import { Schema, model } from "mongoose";
const Item = model("Item", new Schema({ sku: String, stock: Number, price: Number }));
const Purchase = model("Purchase", new Schema({ buyerId: String, lines: [{ sku: String, quantity: Number }] }));
type Line = { sku: string; quantity: number };
// Stock is checked for every line, then decremented by $inc with no lower bound: concurrent orders all pass the check
// before any decrement and the stock goes negative.
export async function checkout(buyerId: string, lines: Line[]) {
  for (const line of lines) {
    const item = await Item.findOne({ sku: line.sku });
    if (!item || (item.stock ?? 0) < line.quantity) throw new Error(`not enough ${line.sku} in stock`);
  }
  const purchase = await Purchase.create({ buyerId, lines });
  for (const line of lines) {
    await Item.findOneAndUpdate({ sku: line.sku }, { $inc: { stock: -line.quantity } });
  }
  return purchase;
}
// Correct: each decrement carries the stock condition; a line that no longer fits gives back the lines taken.
export async function checkoutGuarded(buyerId: string, lines: Line[]) {
  const taken: Line[] = [];
  for (const line of lines) {
    const updated = await Item.findOneAndUpdate({ sku: line.sku, stock: { $gte: line.quantity } }, { $inc: { stock: -line.quantity } }, { new: true });
    if (!updated) {
      for (const done of taken) await Item.updateOne({ sku: done.sku }, { $inc: { stock: done.quantity } });
      throw new Error(`not enough ${line.sku} in stock`);
    }
    taken.push(line);
  }
  return Purchase.create({ buyerId, lines });
}
