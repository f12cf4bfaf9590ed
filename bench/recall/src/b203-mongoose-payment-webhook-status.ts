import { Schema, model } from "mongoose";
const PaymentModel = model(
  "Payment",
  new Schema({
    submissionId: String,
    status: String,
    webhookLog: [{ eventId: String, type: String, receivedAt: Date }],
  }),
);
type PaymentStatus = "pending" | "succeeded" | "partially_refunded" | "fully_refunded" | "disputed";
const TRANSITIONS: Record<string, Partial<Record<PaymentStatus, PaymentStatus>>> = {
  "charge.succeeded": { pending: "succeeded" },
  "charge.refunded": { succeeded: "fully_refunded", partially_refunded: "fully_refunded" },
  "charge.dispute.created": { succeeded: "disputed", partially_refunded: "disputed" },
};
// Each payment-provider event loads the payment, logs the event, moves the status along the transition table from the
// status it read, and saves. The provider fires two events at the same moment: both handlers read the same status, and
// whichever saves last wins, so a refund or dispute can be overwritten by "succeeded" and the payment's state is wrong.
export async function recordPaymentEvent(paymentId: string, event: { id: string; type: string }) {
  const payment = await PaymentModel.findById(paymentId);
  if (!payment) throw new Error("Payment not found");
  payment.webhookLog.push({ eventId: event.id, type: event.type, receivedAt: new Date() });
  const next = TRANSITIONS[event.type]?.[payment.status as PaymentStatus];
  if (next) payment.status = next;
  await payment.save();
  return payment;
}
// Correct: the event is appended with `$push`, and the transition is a compare-and-set on the status it starts from.
export async function recordPaymentEventAtomic(paymentId: string, event: { id: string; type: string }) {
  await PaymentModel.updateOne(
    { _id: paymentId },
    { $push: { webhookLog: { eventId: event.id, type: event.type, receivedAt: new Date() } } },
  );
  for (const [from, to] of Object.entries(TRANSITIONS[event.type] ?? {})) {
    const moved = await PaymentModel.updateOne({ _id: paymentId, status: from }, { $set: { status: to } });
    if (moved.modifiedCount === 1) break;
  }
}
