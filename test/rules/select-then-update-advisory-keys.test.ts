// select-then-update under a transaction-scoped advisory lock (`pg_advisory_xact_lock`, server/src/analysis/
// advisory-xact-locks.ts): the lock serialises a read-modify-write only when its key is computed from the row's key
// (the value the statements look the row up by), or is a constant (one lock for every call). Taken in the transaction
// itself, by a helper given the transaction, or by a project wrapper that takes it and then runs the callback in that
// transaction (`withShelfLock(shelfId, async (tx) => …)`, also held in a field or a `const` made by a factory). A lock on
// another key (the library, the owner) serialises other callers, not the ones writing this row: still reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const HEADER = `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

/** Adds one book to a shelf read by `shelfId` in transaction `tx`: the read-modify-write, as a callback body. */
const ADD_BOOK = `const shelf = await tx.shelf.findUnique({ where: { id: shelfId } });
    if (!shelf) throw new Error("no such shelf");
    await tx.shelf.update({ where: { id: shelfId }, data: { books: shelf.books + 1 } });`;

/** A wrapper that takes the lock keyed by `key` (an expression over its parameters), then runs `fn` in the transaction. */
const wrapper = (parameters: string, key: string, body = "return fn(tx);") => `
function withShelfLock<T>(${parameters}, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${${key}}))\`;
    ${body}
  });
}
`;

/** `shelve(libraryId, shelfId)` adding a book through `call` (which wraps ADD_BOOK). */
const shelve = (call: string) => `
export async function shelve(libraryId: string, shelfId: string) {
  ${call}
}`;

const viaWrapper = (args: string) => `await withShelfLock(${args}, async (tx) => {
    ${ADD_BOOK}
  });`;

/** A transaction that takes the lock itself (`lock`) before adding the book. */
const inTransaction = (lock: string) => `${HEADER}
export async function shelve(libraryId: string, shelfId: string) {
  await prisma.$transaction(async (tx) => {
    ${lock}
    ${ADD_BOOK}
  });
}`;

/** The lost update reported at the shelf's update on `line`, fixed by an atomic increment. */
const lostUpdate = (name: string, code: string, line: number) => ({
  name,
  code,
  errors: [{ line, column: 11, messageId: "lostUpdate" }],
  output: code.replace("books: shelf.books + 1", "books: { increment: 1 }"),
});

const unrelatedKey = HEADER + wrapper("libraryId: string, shelfId: string", "libraryId") + shelve(viaWrapper("libraryId, shelfId"));
const lockAfterCallback =
  HEADER +
  wrapper("shelfId: string", "shelfId", "").replace(
    "return prisma.$transaction(async (tx) => {",
    "return prisma.$transaction(async (tx) => {\n    const done = await fn(tx);",
  ) +
  shelve(viaWrapper("shelfId"));
const otherKeyInPlace = inTransaction("await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${libraryId}))`;");
const helperOnOtherKey = inTransaction("await holdShelf(tx, libraryId);").replace(
  "export async function shelve",
  "async function holdShelf(db: Prisma.TransactionClient, key: string) {\n  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;\n}\nexport async function shelve",
);

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a wrapper takes the lock on the shelf's key, then runs the callback in that transaction",
      code: HEADER + wrapper("shelfId: string", "shelfId") + shelve(viaWrapper("shelfId")),
    },
    {
      name: "the wrapper's key is computed from two of its parameters, one of them the shelf's key",
      code:
        HEADER +
        wrapper("libraryId: string, shelfId: string", "`shelf:${libraryId}:${shelfId}`") +
        shelve(viaWrapper("libraryId, shelfId")),
    },
    {
      name: "the wrapper is what a factory returns, held in a const",
      code:
        HEADER +
        `function shelfLocks(db: PrismaClient) {
  return <T>(shelfId: string, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> =>
    db.$transaction(async (tx) => {
      await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${shelfId}))\`;
      return fn(tx);
    });
}
const withShelfLock = shelfLocks(prisma);
` +
        shelve(viaWrapper("shelfId")),
    },
    {
      name: "the wrapper is what a factory returns, set in the constructor of the class that calls it",
      code:
        HEADER +
        `function shelfLocks(db: PrismaClient) {
  return async <T>(shelfId: string, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> =>
    db.$transaction(async (tx) => {
      await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${shelfId}))\`;
      return fn(tx);
    });
}
export class Shelves {
  private readonly withShelfLock: ReturnType<typeof shelfLocks>;
  constructor(db: PrismaClient) {
    this.withShelfLock = shelfLocks(db);
  }
  async shelve(shelfId: string) {
    await this.withShelfLock(shelfId, async (tx) => {
      ${ADD_BOOK}
    });
  }
}`,
    },
    {
      name: "the transaction takes a lock on a constant key: every caller waits for it",
      code: inTransaction("await tx.$executeRaw`SELECT pg_advisory_xact_lock(4242)`;"),
    },
    {
      name: "the lock's key is a const alias of the shelf's key",
      code: inTransaction("const key = shelfId;\n    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;"),
    },
  ],
  invalid: [
    lostUpdate("the wrapper locks the library, not the shelf: two additions to one shelf still interleave", unrelatedKey, 15),
    lostUpdate("the wrapper runs the callback before it takes the lock", lockAfterCallback, 16),
    lostUpdate("the transaction locks another key itself", otherKeyInPlace, 9),
    lostUpdate("a helper given the transaction locks another key", helperOnOtherKey, 12),
  ],
});
