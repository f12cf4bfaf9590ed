// select-then-update: a function that reads and writes through the transaction it is given, with no lock of its own,
// is protected when every production call of it runs in a transaction that has already locked the row read, or the
// parent row its lookup names (the account whose ledger lines it numbers), on every path to the call. One caller
// without the lock, a lock on another account than the one passed, a call from a test only, or the function also
// passed as a value (callers not all known) leave it reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const LEDGER = "src/ledger.ts";

/** The next line of an account's ledger numbered from the last one, through the caller's transaction. */
const ledger = (
  signature = "tx: Prisma.TransactionClient, accountId: string, amount: number",
  prefix = "",
) => `import { Prisma } from "@prisma/client";

export async function lockAccount(tx: Prisma.TransactionClient, accountId: string) {
  await tx.$queryRaw\`SELECT id FROM "Account" WHERE id = \${accountId} FOR UPDATE\`;
}

export async function addLine(${signature}) {
  const last = await ${prefix}tx.ledgerLine.findFirst({ where: { accountId: ${prefix}accountId }, orderBy: { lineNo: "desc" } });
  return ${prefix}tx.ledgerLine.create({ data: { accountId: ${prefix}accountId, amount: ${prefix}amount, lineNo: (last?.lineNo ?? 0) + 1 } });
}
`;

/** Two services that add a ledger line; `depositLock` / `refundLock` run first in their transactions. */
const service = (
  depositLock: string,
  refundLock: string,
  call = "addLine(tx, accountId, amount)",
  refundCall = call,
) => `import { PrismaClient } from "@prisma/client";
import { addLine, lockAccount } from "./ledger";

const prisma = new PrismaClient();

export function deposit(accountId: string, amount: number) {
  return prisma.$transaction(async (tx) => {
    ${depositLock}
    await ${call};
  });
}

export function refund(accountId: string, amount: number, orderId: string) {
  return prisma.$transaction(async (tx) => {
    ${refundLock}
    await tx.order.update({ where: { id: orderId }, data: { refunded: true } });
    await ${refundCall};
  });
}
`;

const HELPER_LOCK = "await lockAccount(tx, accountId);";
const RAW_LOCK = 'await tx.$queryRaw`SELECT id FROM "Account" WHERE id = ${accountId} FOR UPDATE`;';

/** The finding at the ledger's insert (line 9) of `lineNo` read at line 8. */
const LOST_LINE = {
  line: 9,
  column: 10,
  filename: LEDGER,
  messageId: "insertFromRead",
  data: { write: "`tx.ledgerLine.create(…)`", column: "`lineNo`", line: 8 },
};

/** The ledger with the insert run through `const t = <handle>` (`tx`: an alias of the transaction; `db`: the module's client). */
const aliased = (handle: string) =>
  ledger()
    .replace(
      'import { Prisma } from "@prisma/client";',
      'import { Prisma, PrismaClient } from "@prisma/client";\nconst db = new PrismaClient();',
    )
    .replace("  return tx.ledgerLine.create(", `  const t = ${handle};\n  return t.ledgerLine.create(`);

/**
 * The ledger's line added through `depth` functions that only pass the transaction and the account down, from a
 * service that locks the account (`lock`) first: the callers' lock is found however long the chain (the fixpoint).
 */
const passedDown = (depth: number, lock = HELPER_LOCK) => {
  const steps = Array.from(
    { length: depth },
    (_, i) => `export async function step${i}(tx: Prisma.TransactionClient, accountId: string, amount: number) {
  await ${i === depth - 1 ? "addLine" : `step${i + 1}`}(tx, accountId, amount);
}
`,
  ).join("");
  return `${ledger()}${steps}
const prisma = new PrismaClient();
export function deposit(accountId: string, amount: number) {
  return prisma.$transaction(async (tx) => {
    ${lock}
    await step0(tx, accountId, amount);
  });
}
`.replace('import { Prisma } from "@prisma/client";', 'import { Prisma, PrismaClient } from "@prisma/client";');
};

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the account locked by the service five functions above the one adding the line (any depth of passing callers)",
      code: passedDown(5),
      filename: LEDGER,
    },
    {
      name: "the insert runs through a const alias of the transaction parameter: the same handle as the read",
      code: service(HELPER_LOCK, RAW_LOCK),
      files: { [LEDGER]: aliased("tx") },
    },
    {
      name: "the transaction and the account destructured from the parameter",
      code: service(HELPER_LOCK, HELPER_LOCK, "addLine({ tx, accountId, amount })"),
      files: {
        [LEDGER]: ledger("{ tx, accountId, amount }: { tx: Prisma.TransactionClient; accountId: string; amount: number }"),
      },
    },
    {
      name: "every caller locks the account (one through a helper, one by a raw FOR UPDATE) before adding the line",
      code: service(HELPER_LOCK, RAW_LOCK),
      files: { [LEDGER]: ledger() },
    },
    {
      name: "the transaction and the account passed in an options object",
      code: service(HELPER_LOCK, HELPER_LOCK, "addLine({ tx, accountId, amount })"),
      files: { [LEDGER]: ledger("params: { tx: Prisma.TransactionClient; accountId: string; amount: number }", "params.") },
    },
  ],
  invalid: [
    {
      name: "the insert runs through an alias of the module's client, outside the callers' transactions",
      code: service(HELPER_LOCK, RAW_LOCK),
      files: { [LEDGER]: aliased("db") },
      errors: [{ ...LOST_LINE, line: 11, data: { write: "`t.ledgerLine.create(…)`", column: "`lineNo`", line: 9 } }],
    },
    {
      name: "the refund adds a line without locking the account: two refunds both number their line alike",
      code: service(HELPER_LOCK, ""),
      files: { [LEDGER]: ledger() },
      errors: [LOST_LINE],
    },
    {
      name: "the refund locks the account of its order, then adds the line to the account passed",
      code: service(
        HELPER_LOCK,
        "const order = await tx.order.findUniqueOrThrow({ where: { id: orderId } });\n    await lockAccount(tx, order.accountId);",
      ),
      files: { [LEDGER]: ledger() },
      errors: [LOST_LINE],
    },
    {
      name: "the refund locks the account in one branch only",
      code: service(HELPER_LOCK, "if (amount > 100) await lockAccount(tx, accountId);"),
      files: { [LEDGER]: ledger() },
      errors: [LOST_LINE],
    },
    {
      name: "the same chain from a service that locks nothing",
      code: passedDown(5, ""),
      filename: LEDGER,
      errors: [LOST_LINE],
    },
    {
      name: "addLine also handed to a queue as a value: not all its callers are known",
      code: `${service(HELPER_LOCK, RAW_LOCK)}\nexport const handlers = { addLine };\n`,
      files: { [LEDGER]: ledger() },
      errors: [LOST_LINE],
    },
  ],
});
