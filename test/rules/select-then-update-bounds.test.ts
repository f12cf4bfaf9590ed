// select-then-update: a bound comparison (`amount > total - paid`) checks every column its arithmetic reads, so a
// write that changes one of them after the check is a check-then-write, even when another column comes first
// (idurar-erp-crm #1424: a payment checked against what is still owed, then the paid amount raised with `$inc`).
// Look-alikes: the bound repeated in the update's filter, a bound over a column the write leaves alone.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const invoices = (body: string) => `import type { Request, Response } from "express";
import { Schema, model } from "mongoose";
const Invoice = model("Invoice", new Schema({ total: Number, paid: Number, maxInstallment: Number }));
export async function payInstallment(req: Request, res: Response) {
  const amount = Number(req.body.amount);
  const invoice = await Invoice.findById(req.params.id);
  if (!invoice) return res.status(404).end();
${body}
  return res.status(204).end();
}
`;

const checkThenWrite = (line: number, column: number) => ({
  line,
  column,
  messageId: "documentCheckThenWrite",
  data: { write: "`Invoice.updateOne(…)`", column: "`paid`", line: 6 },
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the bound repeated in the update's filter, its matchedCount checked",
      code: invoices(`  const remaining = (invoice.total ?? 0) - (invoice.paid ?? 0);
  if (amount > remaining) return res.status(409).json({ error: "overpayment" });
  const result = await Invoice.updateOne(
    { _id: invoice._id, paid: { $lte: (invoice.total ?? 0) - amount } },
    { $inc: { paid: amount } },
  );
  if (result.matchedCount === 0) return res.status(409).json({ error: "overpayment" });`),
    },
    {
      name: "a bound over a column the write leaves alone (a per-installment limit)",
      code: invoices(`  if (amount > (invoice.maxInstallment ?? 0)) return res.status(409).json({ error: "above the installment limit" });
  await Invoice.updateOne({ _id: invoice._id }, { $inc: { paid: amount } });`),
    },
  ],
  invalid: [
    {
      name: "amount checked against total - paid, then paid raised with $inc and no condition",
      code: invoices(`  if (amount > (invoice.total ?? 0) - (invoice.paid ?? 0)) return res.status(409).json({ error: "overpayment" });
  await Invoice.updateOne({ _id: invoice._id }, { $inc: { paid: amount } });`),
      errors: [checkThenWrite(9, 9)],
    },
    {
      name: "the same bound through a local computed from the read",
      code: invoices(`  const remaining = (invoice.total ?? 0) - (invoice.paid ?? 0);
  if (amount > remaining) return res.status(409).json({ error: "overpayment" });
  await Invoice.updateOne({ _id: invoice._id }, { $inc: { paid: amount } });`),
      errors: [checkThenWrite(10, 9)],
    },
  ],
});
