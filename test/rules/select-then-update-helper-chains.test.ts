// select-then-update through chains of project functions: a row read by a helper four calls down, and written by a
// wrapper three calls down, is one lost update. Helpers are summarised bottom-up (summaries.ts `solveBottomUp`), and a
// wrapper's write is kept per depth, so the finding is the same whichever function of the file is linted first: a
// function asked about through its caller's chain is not cut short for its own callers.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** Four helpers over one read, three wrappers over one write, then `first` and `second` (each a function using them). */
const store = (first: string, second: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
async function selectWallet(id: string) {
  return prisma.wallet.findUnique({ where: { id } });
}
async function findWallet(id: string) {
  return selectWallet(id);
}
async function fetchWallet(id: string) {
  const wallet = await findWallet(id);
  return wallet;
}
async function loadWallet(id: string) {
  return fetchWallet(id);
}
async function writeBalance(id: string, balance: number) {
  await prisma.wallet.update({ where: { id }, data: { balance } });
}
async function saveBalance(id: string, balance: number) {
  await writeBalance(id, balance);
}
async function putBalance(id: string, balance: number) {
  await saveBalance(id, balance);
}
${first}
${second}
`;

const TOP_UP = `export async function topUp(id: string, amount: number) {
  const wallet = await loadWallet(id);
  if (!wallet) return;
  await putBalance(id, wallet.balance + amount);
}`;

const REFUND = `export async function refund(id: string, amount: number) {
  const wallet = await findWallet(id);
  if (!wallet) return;
  await saveBalance(id, wallet.balance + amount);
}`;

const TOP_UP_ATOMIC = `export async function topUp(id: string, amount: number) {
  const wallet = await loadWallet(id);
  if (!wallet) return;
  await prisma.wallet.update({ where: { id }, data: { balance: { increment: amount } } });
}`;

const LOST = (write: string, line: number, atLine: number, column: number) => ({
  line: atLine,
  column,
  messageId: "lostUpdate",
  data: { write, column: "`balance`", line },
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a read four helpers down, and an atomic increment",
      code: store(TOP_UP_ATOMIC, ""),
    },
  ],
  invalid: [
    {
      name: "the long chains asked first through the outermost helper and wrapper",
      code: store(TOP_UP, REFUND),
      errors: [LOST("`putBalance(…)`", 26, 28, 9), LOST("`saveBalance(…)`", 31, 33, 9)],
    },
    {
      name: "the same chains asked first through a helper and a wrapper in the middle",
      code: store(REFUND, TOP_UP),
      errors: [LOST("`saveBalance(…)`", 26, 28, 9), LOST("`putBalance(…)`", 31, 33, 9)],
    },
  ],
});
