import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// Work at a payment provider between a flag's check and its write doubles when two callers pass the check, unless the
// request carries an idempotency key made from the row: Stripe then does it once and answers both with the first result.
const credits = `import { PrismaClient } from "@prisma/client";
import Stripe from "stripe";
import { randomUUID } from "node:crypto";
const prisma = new PrismaClient();
const stripe = new Stripe("sk");
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a Stripe credit keyed by the invite it rewards, then the flag set with the transaction's id",
      code: `${credits}export async function creditInviter(inviteId: string) {
  const invite = await prisma.invite.findUnique({ where: { id: inviteId } });
  if (!invite || invite.credited) return;
  const credit = await stripe.customers.createBalanceTransaction(
    invite.customerId,
    { amount: -500, currency: "usd" },
    { idempotencyKey: \`invite-credit-\${invite.id}\` },
  );
  await prisma.invite.update({ where: { id: inviteId }, data: { credited: true, creditId: credit.id } });
}`,
    },
  ],
  invalid: [
    {
      // A fresh key per call dedupes the call's own network retries, not two callers.
      name: "the same credit with a random idempotency key",
      code: `${credits}export async function creditInviter(inviteId: string) {
  const invite = await prisma.invite.findUnique({ where: { id: inviteId } });
  if (!invite || invite.credited) return;
  const credit = await stripe.customers.createBalanceTransaction(
    invite.customerId,
    { amount: -500, currency: "usd" },
    { idempotencyKey: randomUUID() },
  );
  await prisma.invite.update({ where: { id: inviteId }, data: { credited: true, creditId: credit.id } });
}`,
      errors: [{ line: 14, column: 9, messageId: "checkThenWrite" }],
    },
  ],
});
