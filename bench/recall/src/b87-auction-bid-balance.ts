import { Schema, model } from "mongoose";
const Trader = model("Trader", new Schema({ funds: Number, reserved: Number }));
const Lot = model("Lot", new Schema({ topBid: Number, topBidder: String, open: Boolean }));
// Two bids on different lots both read the trader's funds, both pass the check and both save funds - bid: the
// trader commits more than they hold.
export async function placeBid(traderId: string, lotId: string, bid: number) {
  const trader = await Trader.findById(traderId);
  if (!trader) throw new Error("trader not found");
  if ((trader.funds ?? 0) < bid) throw new Error("insufficient funds");
  const lot = await Lot.findOneAndUpdate({ _id: lotId, open: true, topBid: { $lt: bid } }, { topBid: bid, topBidder: traderId }, { new: true });
  if (!lot) throw new Error("outbid");
  trader.funds = (trader.funds ?? 0) - bid;
  trader.reserved = (trader.reserved ?? 0) + bid;
  await trader.save();
  return lot;
}
