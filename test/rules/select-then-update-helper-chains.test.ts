// select-then-update through chains of project functions: a row read by a helper four calls down, and written by a
// wrapper three calls down, is one lost update. Helpers are summarised bottom-up (flow/bottom-up.ts `solveBottomUp`), and a
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

/**
 * A project row read through an access check that hands it back "hydrated": with limits read from another table spread
 * into it. The row the caller holds is still the project read; its visit count is written back from it.
 */
const HYDRATED = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
async function planLimits(plan: string) {
  const limits = await prisma.planLimit.findUnique({ where: { plan } });
  return limits;
}
async function hydrate(project: { id: string; plan: string; visibility: string; visits: number }) {
  const limits = await planLimits(project.plan);
  return { ...project, ...limits, hydrated: true };
}
async function loadProject(id: string) {
  const project = await prisma.project.findUniqueOrThrow({ where: { id } });
  return hydrate(project);
}
async function authorize(id: string) {
  const project = await loadProject(id);
  return project;
}
export async function recordVisit(id: string) {
  const project = await authorize(id);
  await prisma.project.update({ where: { id }, data: { visits: project.visits + 1 } });
}
`;

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
    {
      name: "a helper handing the caller's row back with another read's fields spread in returns that row, not the other read",
      code: HYDRATED,
      output: HYDRATED.replace("visits: project.visits + 1", "visits: { increment: 1 }"),
      errors: [
        {
          line: 21,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.project.update(…)`", column: "`visits`", line: 20 },
        },
      ],
    },
  ],
});
