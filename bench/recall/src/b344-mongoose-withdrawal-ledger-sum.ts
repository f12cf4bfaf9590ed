import mongoose, { Schema } from "mongoose";
const ledgerSchema = new Schema({
  userId: { type: String, index: true },
  kind: { type: String, enum: ["deposit", "withdrawal"] },
  amountMsats: Number,
  status: { type: String, enum: ["pending", "processing", "complete", "failed"] },
});
const LedgerEntry = mongoose.model("WalletLedgerEntry", ledgerSchema);
const walletSchema = new Schema({ userId: { type: String, unique: true }, balanceMsats: Number });
const Wallet = mongoose.model("LightningWallet", walletSchema);
declare function payLightningInvoice(invoice: string, amountMsats: number): Promise<{ preimage: string }>;
// A Lightning withdrawal computes the balance from the ledger (completed deposits less completed withdrawals), checks
// that it covers the amount, then pays and records the withdrawal. Two withdrawals sent at once both see the full
// balance: both are paid and recorded, and the user has spent more than they held.
export async function withdrawToInvoice(userId: string, invoice: string, amountMsats: number) {
  const [totals] = await LedgerEntry.aggregate([
    { $match: { userId, status: "complete" } },
    { $group: { _id: null, balance: { $sum: { $cond: [{ $eq: ["$kind", "deposit"] }, "$amountMsats", { $multiply: ["$amountMsats", -1] }] } } } },
  ]);
  const balance: number = totals?.balance ?? 0;
  if (balance < amountMsats) throw new Error("insufficient balance");
  await payLightningInvoice(invoice, amountMsats);
  await LedgerEntry.create({ userId, kind: "withdrawal", amountMsats, status: "complete" });
}
// Correct: the balance is one field decremented only where it still covers the amount; the loser is refused first.
export async function withdrawToInvoiceGuarded(userId: string, invoice: string, amountMsats: number) {
  const wallet = await Wallet.findOneAndUpdate(
    { userId, balanceMsats: { $gte: amountMsats } },
    { $inc: { balanceMsats: -amountMsats } },
    { new: true },
  );
  if (!wallet) throw new Error("insufficient balance");
  await payLightningInvoice(invoice, amountMsats);
  await LedgerEntry.create({ userId, kind: "withdrawal", amountMsats, status: "complete" });
}
