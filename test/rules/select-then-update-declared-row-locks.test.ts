// select-then-update: a project helper declared as a `row-lock` (locksmith.json `locks`, or a `@locksmith acquires
// row-lock` tag) locks rows on the transaction it is given, though Locksmith cannot read its body: called with the
// transaction before the read, the read-modify-write after it is protected, as after a `SELECT … FOR UPDATE`. Called
// on another handle, after the read, or on another row, it protects nothing.
import type { EngineSettings, LockDeclaration } from "../../server/src/engine/types";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const LOCKS = "src/locks.ts";

/** A row-lock helper whose statement Locksmith cannot read (it is built by a package); `tag` is its JSDoc. */
const locks = (tag = "") => `import { Prisma } from "@prisma/client";
import { lockRows } from "@acme/db-locks";

${tag}export async function lockAccount(tx: Prisma.TransactionClient, accountId: string) {
  await lockRows(tx, "Account", accountId);
}
`;

/** A withdrawal that reads the balance and writes it back less `amount`, after `before` in the transaction. */
const withdraw = (before: string, after = "") => `import { PrismaClient } from "@prisma/client";
import { lockAccount } from "./locks";

const prisma = new PrismaClient();

export function withdraw(accountId: string, otherId: string, amount: number) {
  return prisma.$transaction(async (tx) => {
    ${before}
    const account = await tx.account.findUniqueOrThrow({ where: { id: accountId } });
    ${after}
    await tx.account.update({ where: { id: accountId }, data: { balance: account.balance - amount } });
  });
}
`;

/** `debit` reads and writes through the transaction it is given; `transfer`, its only caller, after `before`. */
const DEBIT = `import { Prisma } from "@prisma/client";

export async function debit(tx: Prisma.TransactionClient, accountId: string, amount: number) {
  const account = await tx.account.findUniqueOrThrow({ where: { id: accountId } });
  await tx.account.update({ where: { id: accountId }, data: { balance: account.balance - amount } });
}
`;
const transfer = (before: string) => `import { PrismaClient } from "@prisma/client";
import { debit } from "./debit";
import { lockAccount } from "./locks";

const prisma = new PrismaClient();

export function transfer(fromId: string, toId: string, amount: number) {
  return prisma.$transaction(async (tx) => {
    ${before}
    await debit(tx, fromId, amount);
  });
}
`;

const settings = (entry: Partial<LockDeclaration>): EngineSettings => ({
  runtimeImport: { mode: "package", specifier: "@locksmith/runtime" },
  declaredLocks: { root: "/", entries: [{ function: "lockAccount", kind: "row-lock", transaction: 0, ...entry }] },
});

const ACCOUNT_ROW = settings({ key: 1, table: "Account" });
const ANY_KEYED_ROW = settings({ key: 1 });

/** The safe fix of the lost update: an atomic decrement. */
const decremented = (code: string) => code.replace("balance: account.balance - amount", "balance: { decrement: amount }");

/** The lost update: the balance read at line 9 written back at line 11. */
const LOST_BALANCE = { line: 11, column: 11, messageId: "lostUpdate" };

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "declared in locksmith.json: the helper locks the account row on the transaction before the read",
      code: withdraw("await lockAccount(tx, accountId);"),
      files: { [LOCKS]: locks() },
      settings: ACCOUNT_ROW,
    },
    {
      name: "declared by its JSDoc tag",
      code: withdraw("await lockAccount(tx, accountId);"),
      files: { [LOCKS]: locks("/** @locksmith acquires row-lock transaction=tx key=accountId table=Account */\n") },
    },
    {
      name: "declared by key only: it locks the row the read looks up by the same value",
      code: withdraw("await lockAccount(tx, accountId);"),
      files: { [LOCKS]: locks() },
      settings: ANY_KEYED_ROW,
    },
    {
      name: "the caller's transaction: every call of a helper that reads and writes runs after the declared lock",
      code: DEBIT,
      filename: "src/debit.ts",
      files: { [LOCKS]: locks(), "src/transfer.ts": transfer("await lockAccount(tx, fromId);") },
      settings: ACCOUNT_ROW,
    },
  ],
  invalid: [
    {
      name: "the caller's transaction locks another account than the one debited (declared by key only)",
      code: DEBIT,
      filename: "src/debit.ts",
      files: { [LOCKS]: locks(), "src/transfer.ts": transfer("await lockAccount(tx, toId);") },
      settings: ANY_KEYED_ROW,
      errors: [{ ...LOST_BALANCE, line: 5, column: 9 }],
      output: decremented(DEBIT),
    },
    {
      name: "not declared: Locksmith cannot read the helper, so the read is unprotected",
      code: withdraw("await lockAccount(tx, accountId);"),
      files: { [LOCKS]: locks() },
      errors: [LOST_BALANCE],
      output: decremented(withdraw("await lockAccount(tx, accountId);")),
    },
    {
      name: "the helper locks the row on another handle (the client, outside the transaction)",
      code: withdraw("await lockAccount(prisma, accountId);"),
      files: { [LOCKS]: locks() },
      settings: ACCOUNT_ROW,
      errors: [LOST_BALANCE],
      output: decremented(withdraw("await lockAccount(prisma, accountId);")),
    },
    {
      name: "the helper runs after the read: two withdrawals both read the old balance",
      code: withdraw("", "await lockAccount(tx, accountId);"),
      files: { [LOCKS]: locks() },
      settings: ACCOUNT_ROW,
      errors: [LOST_BALANCE],
      output: decremented(withdraw("", "await lockAccount(tx, accountId);")),
    },
    {
      name: "declared by key only, called for another row than the one read",
      code: withdraw("await lockAccount(tx, otherId);"),
      files: { [LOCKS]: locks() },
      settings: ANY_KEYED_ROW,
      errors: [LOST_BALANCE],
      output: decremented(withdraw("await lockAccount(tx, otherId);")),
    },
  ],
});
