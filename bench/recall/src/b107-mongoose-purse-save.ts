import { Schema, model } from "mongoose";
const Purse = model("Purse", new Schema({ owner: String, coins: Number }));
// Loaded, added to in memory and saved whole: two deposits into one purse both load 0, and the later save leaves 10
// where 15 was paid in.
export async function deposit(purseId: string, amount: number) {
  const purse = await Purse.findById(purseId);
  if (!purse) throw new Error("purse not found");
  purse.coins = (purse.coins ?? 0) + amount;
  await purse.save();
  return purse.coins;
}
// Correct: the database adds.
export async function depositAtomic(purseId: string, amount: number) {
  const purse = await Purse.findByIdAndUpdate(purseId, { $inc: { coins: amount } }, { new: true });
  if (!purse) throw new Error("purse not found");
  return purse.coins;
}
