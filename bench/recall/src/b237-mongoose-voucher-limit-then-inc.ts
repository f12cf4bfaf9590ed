import mongoose, { Schema } from "mongoose";
const Voucher = mongoose.model(
  "Voucher",
  new Schema({
    code: { type: String, unique: true },
    usedCount: { type: Number, default: 0 },
    usageLimit: { type: Number, required: true },
    active: { type: Boolean, default: true },
  }),
);
declare function chargeAndEnroll(userId: string, courseId: string, voucherCode: string): Promise<void>;
// Redeeming a limited voucher tests its use count against the limit on the loaded document, charges and enrolls, then
// $incs the count. The $inc is atomic, but the limit was tested on a count read before the payment: two buyers of the
// last use both pass and both are enrolled at the discount.
export async function redeemVoucher(code: string, userId: string, courseId: string) {
  const voucher = await Voucher.findOne({ code, active: true });
  if (!voucher) throw new Error("unknown voucher");
  if (voucher.usedCount >= voucher.usageLimit) throw new Error("voucher used up");
  await chargeAndEnroll(userId, courseId, code);
  await Voucher.updateOne({ _id: voucher._id }, { $inc: { usedCount: 1 } });
}
// Correct: a use is reserved by one guarded findOneAndUpdate before the payment, and given back if it fails.
export async function redeemVoucherReserved(code: string, userId: string, courseId: string) {
  const voucher = await Voucher.findOneAndUpdate(
    { code, active: true, $expr: { $lt: ["$usedCount", "$usageLimit"] } },
    { $inc: { usedCount: 1 } },
    { new: true },
  );
  if (!voucher) throw new Error("voucher unknown or used up");
  try {
    await chargeAndEnroll(userId, courseId, code);
  } catch (err) {
    await Voucher.updateOne({ _id: voucher._id }, { $inc: { usedCount: -1 } });
    throw err;
  }
}
