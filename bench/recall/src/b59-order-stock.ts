import type { Request, Response } from "express";
import { Schema, model } from "mongoose";
const Item = model("Item", new Schema({ name: String, price: Number, stock: Number }));
const Purchase = model("Purchase", new Schema({ buyer: String, item: String, quantity: Number, total: Number }));
export async function placePurchase(req: Request, res: Response) {
  const { itemId, quantity } = req.body as { itemId: string; quantity: number };
  const item = await Item.findById(itemId);
  if (!item) return res.status(404).json({ message: "item not found" });
  if ((item.stock ?? 0) < quantity) return res.status(400).json({ message: "insufficient stock" });
  const purchase = await Purchase.create({ buyer: (req as any).user.id, item: itemId, quantity, total: (item.price ?? 0) * quantity });
  item.stock = (item.stock ?? 0) - quantity;
  await item.save();
  return res.status(201).json(purchase);
}
