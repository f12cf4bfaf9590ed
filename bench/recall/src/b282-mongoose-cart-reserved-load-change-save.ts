import mongoose, { Schema } from "mongoose";
const Item = mongoose.model("ShopItem", new Schema({ sku: Number, stock: Number, reserved: { type: Number, default: 0 } }));
// Adding to and removing from carts moves an item's reserved count: the document is loaded, `reserved` changed in memory
// and saved. Two cart changes on one item both load the same count and both save their own result: one reservation is
// lost, and `reserved` drifts below zero or above the stock.
async function shiftReserved(sku: number, delta: number) {
  const item = await Item.findOne({ sku });
  if (!item) throw new Error(`unknown item ${sku}`);
  item.reserved = Math.max(0, (item.reserved ?? 0) + delta);
  await item.save();
}
export async function reserveForCart(sku: number, quantity: number) {
  await shiftReserved(sku, quantity);
}
export async function releaseFromCart(sku: number, quantity: number) {
  await shiftReserved(sku, -quantity);
}
// Correct: one conditional update moves the count in the database and refuses to leave [0, stock].
export async function shiftReservedAtomic(sku: number, delta: number) {
  const moved = await Item.findOneAndUpdate(
    {
      sku,
      $expr: {
        $and: [{ $gte: [{ $add: ["$reserved", delta] }, 0] }, { $lte: [{ $add: ["$reserved", delta] }, "$stock"] }],
      },
    },
    { $inc: { reserved: delta } },
    { new: true },
  );
  if (!moved) throw new Error(`cannot move the reservation of item ${sku} by ${delta}`);
}
