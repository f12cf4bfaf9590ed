// Transaction wrappers (server/src/analysis/transaction-wrappers.ts): which parameter a project function runs in a
// transaction, where the isolation level comes from, whether it retries; and the scope a call site's callback gets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { transactionWrapperOf, wrapperScopeOf } from "../../server/src/analysis/transaction-wrappers";
import { calleeResolver } from "../../server/src/analysis/summaries";
import type { FunctionLike } from "../../server/src/analysis/ast";

const code = `import { Prisma, PrismaClient } from "@prisma/client";
import { withPgTransaction } from "@locksmith/runtime/postgres";
import type { Pool } from "pg";
declare const prisma: PrismaClient;
declare const pool: Pool;
async function passOptions<T>(name: string, fn: (tx: Prisma.TransactionClient) => Promise<T>, opts?: object) {
  return prisma.$transaction(fn, opts);
}
async function mapOption<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>, opts: { level?: Prisma.TransactionIsolationLevel }) {
  return prisma.$transaction((tx) => fn(tx), { isolationLevel: opts.level, timeout: 10_000 });
}
async function fixedLevel<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>) {
  return prisma.$transaction(fn, { isolationLevel: Prisma.TransactionIsolationLevel.Serializable });
}
async function onPg<T>(fn: (tx: { query: Pool["query"] }) => Promise<T>) {
  return withPgTransaction(pool, fn, { isolation: "serializable" });
}
declare const store: { run<T>(tx: Prisma.TransactionClient, fn: () => T): T };
async function stored<T>(fn: () => Promise<T>) {
  return prisma.$transaction((tx) => store.run(tx, fn), { isolationLevel: "Serializable" });
}
async function throughPassOptions<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>, level?: Prisma.TransactionIsolationLevel) {
  return passOptions("nested", (tx) => fn(tx), { isolationLevel: level });
}
async function overloaded<T>(nameOrFn: string | ((tx: Prisma.TransactionClient) => Promise<T>), maybeFn?: (tx: Prisma.TransactionClient) => Promise<T>) {
  const fn = (typeof nameOrFn === "function" ? nameOrFn : maybeFn!) as (tx: Prisma.TransactionClient) => Promise<T>;
  const run = maybeFn as (tx: Prisma.TransactionClient) => Promise<T>;
  return throughPassOptions(run, "Serializable");
}
async function pingPong<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>, depth: number): Promise<T> {
  return depth > 0 ? pongPing(fn, depth - 1) : fixedLevel(fn);
}
async function pongPing<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>, depth: number): Promise<T> {
  return pingPong(fn, depth);
}
declare function inSpan<T>(name: string, work: () => Promise<T>): Promise<T>;
async function byOverload<T>(nameOrFn: string | ((tx: Prisma.TransactionClient) => Promise<T>), fnOrOptions?: ((tx: Prisma.TransactionClient) => Promise<T>) | object) {
  if (typeof nameOrFn === "string") {
    return inSpan(nameOrFn, async () => {
      const fn = fnOrOptions as (tx: Prisma.TransactionClient) => Promise<T>;
      return passOptions(nameOrFn, (tx) => fn(tx));
    });
  }
  return fixedLevel(nameOrFn);
}
export async function overloadCaller(id: string) {
  await byOverload("named", async (tx) => tx.board.findFirst({ where: { id } }));
  await byOverload(async (tx) => tx.board.findFirst({ where: { id } }));
}
async function handsOnToNoWrapper<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>) {
  return notAWrapper(String(fn));
}
async function notAWrapper(id: string) {
  return prisma.$transaction(async (tx) => tx.board.findFirst({ where: { id } }));
}
export async function caller(id: string) {
  await passOptions("a", async (tx) => tx.board.findFirst({ where: { id } }), { isolationLevel: "Serializable" });
  await mapOption(async (tx) => tx.board.findFirst({ where: { id } }), { level: "RepeatableRead" });
  await passOptions("b", async (tx) => prisma.board.findFirst({ where: { id } }));
}
`;

const sourceFile = ts.createSourceFile("wrappers.ts", code, ts.ScriptTarget.Latest, true);
const sameFile = calleeResolver();

function fn(name: string): FunctionLike {
  let found: FunctionLike | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name?.text === name) found = node;
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.ok(found, name);
  return found;
}

function overloadReads(): ts.CallExpression[] {
  return nodesIn(fn("overloadCaller")).filter(
    (node): node is ts.CallExpression =>
      ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "findFirst",
  );
}

function nodesIn(root: ts.Node): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return found;
}

function reads(): ts.CallExpression[] {
  const found: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "findFirst")
      found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(fn("caller"));
  return found;
}

test("a wrapper that passes its callback and options on to $transaction", () => {
  assert.deepEqual(transactionWrapperOf(fn("passOptions"), sameFile), {
    callback: 1,
    isolation: { parameter: 2, property: "isolationLevel" },
    retried: false,
  });
});

test("a wrapper that calls its callback inline and maps one of its own options onto isolationLevel", () => {
  const { runs, ...wrapper } = transactionWrapperOf(fn("mapOption"), sameFile)!;
  assert.deepEqual(wrapper, { callback: 0, isolation: { parameter: 1, property: "level" }, retried: false });
  // Where the opener's own callback runs the wrapper's: the point an advisory lock taken before it must be held at.
  assert.equal(runs?.getText(), "fn(tx)");
});

test("a level fixed inside the wrapper; the runtime helper retries by itself", () => {
  assert.deepEqual(transactionWrapperOf(fn("fixedLevel"), sameFile), { callback: 0, isolation: { level: "serializable" }, retried: false });
  assert.deepEqual(transactionWrapperOf(fn("onPg"), sameFile), { callback: 0, isolation: { level: "serializable" }, retried: true });
});

test("a wrapper that binds the transaction to async-local storage around its callback (no handle passed)", () => {
  assert.deepEqual(transactionWrapperOf(fn("stored"), sameFile), {
    callback: 0,
    stored: true,
    isolation: { level: "serializable" },
    retried: false,
  });
});

test("a wrapper that hands its callback on to another project wrapper, its level mapped through that wrapper's options", () => {
  const { runs, ...wrapper } = transactionWrapperOf(fn("throughPassOptions"), sameFile)!;
  assert.deepEqual(wrapper, { callback: 0, isolation: { parameter: 1 }, retried: false });
  assert.equal(runs?.getText(), "fn(tx)");
  // Through a \`const\` alias of a parameter (an overload's \`maybeFn as Callback\`), at a level fixed at the call.
  assert.deepEqual(transactionWrapperOf(fn("overloaded"), sameFile), { callback: 1, isolation: { level: "serializable" }, retried: false });
});

test("an overloaded wrapper whose callback is one parameter or another, each way with its own level", () => {
  const { runs, alternatives, ...named } = transactionWrapperOf(fn("byOverload"), sameFile)!;
  assert.deepEqual(named, { callback: 1, retried: false });
  assert.equal(runs?.getText(), "fn(tx)");
  assert.deepEqual(alternatives, [{ callback: 0, isolation: { level: "serializable" }, retried: false }]);
  const [viaName, direct] = overloadReads();
  assert.equal(wrapperScopeOf(viaName!, sameFile)?.handle?.key, "tx");
  assert.equal(wrapperScopeOf(viaName!, sameFile)?.isolation, undefined);
  assert.equal(wrapperScopeOf(direct!, sameFile)?.isolation, "serializable");
});

test("wrappers that hand a callback to each other in a cycle get the same summary whichever is asked first", () => {
  const expected = { callback: 0, isolation: { level: "serializable" }, retried: false };
  assert.deepEqual(transactionWrapperOf(fn("pongPing"), sameFile), expected);
  assert.deepEqual(transactionWrapperOf(fn("pingPong"), sameFile), expected);
  assert.equal(transactionWrapperOf(fn("handsOnToNoWrapper"), sameFile), undefined);
});

test("a function whose transaction runs its own inline callback is no wrapper", () => {
  assert.equal(transactionWrapperOf(fn("notAWrapper"), sameFile), undefined);
});

test("a call site's callback runs in the wrapper's transaction, at the level its arguments ask for", () => {
  const resolve = calleeResolver();
  const [serializable, repeatable, onClient] = reads();
  assert.equal(wrapperScopeOf(serializable!, resolve)?.isolation, "serializable");
  assert.equal(wrapperScopeOf(serializable!, resolve)?.handle?.key, "tx");
  assert.equal(wrapperScopeOf(repeatable!, resolve)?.isolation, "repeatable read");
  // A statement through the client, not the callback's transaction, runs outside it.
  assert.equal(wrapperScopeOf(onClient!, resolve), undefined);
});
