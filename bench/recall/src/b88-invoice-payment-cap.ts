import type { Request, Response } from "express";
import { Schema, model } from "mongoose";
const Bill = model("Bill", new Schema({ total: Number, discount: Number, credit: Number, removed: Boolean, status: String }));
const Receipt = model("Receipt", new Schema({ bill: Schema.Types.ObjectId, amount: Number }));
// The outstanding amount is computed from a read of the bill; the receipt and the credit increment follow without
// any condition, so ten concurrent payments of the full amount all pass and the bill is paid ten times.
export async function recordPayment(req: Request, res: Response) {
  const bill = await Bill.findOne({ _id: req.body.bill, removed: false });
  if (!bill) return res.status(404).json({ message: "bill not found" });
  const outstanding = (bill.total ?? 0) - (bill.discount ?? 0) - (bill.credit ?? 0);
  if (req.body.amount > outstanding) return res.status(409).json({ message: "amount exceeds what is owed" });
  const receipt = await Receipt.create({ bill: bill._id, amount: req.body.amount });
  await Bill.findOneAndUpdate({ _id: bill._id }, { $inc: { credit: req.body.amount } });
  return res.status(201).json(receipt);
}
