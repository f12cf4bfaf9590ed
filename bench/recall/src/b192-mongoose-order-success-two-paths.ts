import { Schema, Types, model } from "mongoose";
const Order = model("Order", new Schema({ status: String, buyer: Schema.Types.ObjectId, seller: Schema.Types.ObjectId, amount: Number }));
const Trader = model("Trader", new Schema({ tradesCompleted: Number, volume: Number }));
declare function announceTrade(orderId: Types.ObjectId, amount: number): Promise<void>;
// An order is completed both by the pending-payments job and by the buyer's new invoice; each path loads the order,
// tests it is not yet a success, sets SUCCESS and saves. When both run at once both pass the test, and each bumps the
// traders' completed trades and announces the trade.
export async function completeOrderAsSuccess(orderId: string) {
  const order = await Order.findById(orderId);
  if (!order || order.status === "SUCCESS") return false;
  order.status = "SUCCESS";
  await order.save();
  await Trader.updateOne({ _id: order.buyer }, { $inc: { tradesCompleted: 1, volume: order.amount } });
  await Trader.updateOne({ _id: order.seller }, { $inc: { tradesCompleted: 1, volume: order.amount } });
  await announceTrade(order._id, order.amount ?? 0);
  return true;
}
// Correct: the transition to SUCCESS is a conditional update; only the caller that gets the document back runs the
// side effects.
export async function completeOrderAsSuccessOnce(orderId: string) {
  const order = await Order.findOneAndUpdate({ _id: orderId, status: { $ne: "SUCCESS" } }, { $set: { status: "SUCCESS" } }, { new: true });
  if (!order) return false;
  await Trader.updateOne({ _id: order.buyer }, { $inc: { tradesCompleted: 1, volume: order.amount } });
  await Trader.updateOne({ _id: order.seller }, { $inc: { tradesCompleted: 1, volume: order.amount } });
  await announceTrade(order._id, order.amount ?? 0);
  return true;
}
