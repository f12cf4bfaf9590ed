// Which project functions may reach the database (server/src/analysis/db/row-summaries.ts `mayReachDatabase`): a
// name reaches a read when a function of that name reads, or keeps the result of a call of a name that does; a write
// when one runs exactly one write and no read, or runs none and calls a name that does. Only the functions a name
// depends on are read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { CALL_KINDS, calleeName, nodesOfKinds } from "../../server/src/analysis/ast";
import { databaseNameStats, mayReachDatabase, wrappedWriteAt } from "../../server/src/analysis/db/row-summaries";
import { calleeResolver } from "../../server/src/analysis/summaries";

const REPOSITORY = `import { PrismaClient } from "@prisma/client";
declare const prisma: PrismaClient;
export async function loadInvoice(id: string) {
  return prisma.invoice.findUnique({ where: { id } });
}
export async function invoiceForReminder(id: string) {
  const invoice = await loadInvoice(id);
  return invoice;
}
export async function markPaid(id: string, paidAt: Date) {
  await prisma.invoice.update({ where: { id }, data: { paidAt } });
}
export async function settleInvoice(id: string) {
  await markPaid(id, new Date());
}
export async function refreshTotals(id: string) {
  const invoice = await prisma.invoice.findUnique({ where: { id } });
  await prisma.invoice.update({ where: { id }, data: { total: invoice!.total } });
}
export function reminderSubject(title: string) {
  return title.trim();
}
export async function retryLater(attempt: number): Promise<void> {
  if (attempt > 0) return backOff(attempt - 1);
}
export async function backOff(attempt: number): Promise<void> {
  return retryLater(attempt);
}
`;

const CONTROLLER = `import { invoiceForReminder, settleInvoice, refreshTotals, reminderSubject, retryLater } from "./invoices";
export async function remind(id: string) {
  const invoice = await invoiceForReminder(id);
  await settleInvoice(id);
  await refreshTotals(id);
  const subject = reminderSubject("Invoice due");
  await retryLater(3);
  return { invoice, subject };
}
`;

function project(): { program: ts.Program; calls: Map<string, ts.CallExpression> } {
  const files = new Map([
    ["/billing/src/invoices.ts", REPOSITORY],
    ["/billing/src/controller.ts", CONTROLLER],
  ]);
  const sourceFiles = new Map([...files].map(([name, text]) => [name, ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true)]));
  const host = ts.createCompilerHost({ noLib: true });
  host.getSourceFile = (name) => sourceFiles.get(name);
  host.fileExists = (name) => files.has(name);
  const program = ts.createProgram([...files.keys()], { noLib: true, noResolve: true, target: ts.ScriptTarget.ES2022 }, host);
  const controller = sourceFiles.get("/billing/src/controller.ts")!;
  const calls = new Map(nodesOfKinds<ts.CallExpression>(controller, CALL_KINDS).map((call) => [calleeName(call) ?? "", call]));
  return { program, calls };
}

test("a name reaches a read or a write through the functions of that name, and through their wrappers", () => {
  const { program, calls } = project();
  const resolve = calleeResolver(program, () => program.getTypeChecker());
  const reaches = (name: string, kind: "read" | "write") => mayReachDatabase(calls.get(name)!, resolve, kind);
  assert.equal(reaches("invoiceForReminder", "read"), true, "keeps the result of a function that reads");
  assert.equal(reaches("settleInvoice", "write"), true, "calls a function that runs one write");
  assert.equal(reaches("refreshTotals", "read"), true);
  assert.equal(reaches("refreshTotals", "write"), false, "a function that reads is no way of writing");
  assert.equal(reaches("invoiceForReminder", "write"), false);
  assert.equal(reaches("reminderSubject", "read"), false);
  assert.equal(reaches("retryLater", "read"), false, "a cycle without a database access reaches nothing");
  assert.equal(reaches("retryLater", "write"), false);
});

test("only the functions a name depends on are read", () => {
  const { program, calls } = project();
  const resolve = calleeResolver(program, () => program.getTypeChecker());
  const before = databaseNameStats.functions;
  assert.equal(mayReachDatabase(calls.get("reminderSubject")!, resolve, "read"), false);
  assert.equal(databaseNameStats.functions - before, 1, "reminderSubject alone: it calls no project function");
  assert.equal(mayReachDatabase(calls.get("invoiceForReminder")!, resolve, "read"), true);
  assert.equal(databaseNameStats.functions - before, 3, "then invoiceForReminder and the loadInvoice it keeps the result of");
});

// A wrapper's write is found at most MAX_WRAPPER_DEPTH (3) calls down from the call asked about, and each function's
// answer is the same whichever call is asked first (a walk from an outer caller does not decide for the inner ones).
const LEDGER = `import { PrismaClient } from "@prisma/client";
declare const prisma: PrismaClient;
export async function storeBalance(id: string, balance: number) {
  await prisma.wallet.update({ where: { id }, data: { balance } });
}
export async function saveBalance(id: string, balance: number) {
  await storeBalance(id, balance);
}
export async function putBalance(id: string, balance: number) {
  await saveBalance(id, balance);
}
export async function setBalance(id: string, balance: number) {
  await putBalance(id, balance);
}
export async function recordBalance(id: string, balance: number) {
  await setBalance(id, balance);
}
export async function auditAndStore(id: string, balance: number) {
  await prisma.audit.create({ data: { id } });
  await storeBalance(id, balance);
}
export async function pingPong(id: string, balance: number): Promise<void> {
  if (balance > 0) return pongPing(id, balance - 1);
  await prisma.wallet.update({ where: { id }, data: { balance } });
}
export async function pongPing(id: string, balance: number): Promise<void> {
  return pingPong(id, balance);
}
`;

function ledgerCalls(order: string[]): { resolve: ReturnType<typeof calleeResolver>; calls: Map<string, ts.CallExpression> } {
  const caller = `export async function run(id: string, n: number) {\n${order.map((name) => `  await ${name}(id, n);\n`).join("")}}\n`;
  const file = ts.createSourceFile("/wallet/src/ledger.ts", LEDGER + caller, ts.ScriptTarget.ES2022, true);
  const host = ts.createCompilerHost({ noLib: true });
  host.getSourceFile = (name) => (name === file.fileName ? file : undefined);
  host.fileExists = (name) => name === file.fileName;
  const program = ts.createProgram([file.fileName], { noLib: true, noResolve: true, target: ts.ScriptTarget.ES2022 }, host);
  const run = file.statements.find((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === "run")!;
  const calls = new Map(nodesOfKinds<ts.CallExpression>(run, CALL_KINDS).map((call) => [calleeName(call) ?? "", call]));
  return { resolve: calleeResolver(program, () => program.getTypeChecker()), calls };
}

test("a wrapper's write is found three calls down, whichever call is asked first", () => {
  const chain = ["recordBalance", "setBalance", "putBalance", "saveBalance", "storeBalance"];
  for (const order of [chain, [...chain].reverse()]) {
    const { resolve, calls } = ledgerCalls(order);
    for (const name of order) {
      const write = wrappedWriteAt(calls.get(name)!, resolve);
      const down = chain.length - 1 - chain.indexOf(name);
      if (down >= 3) {
        assert.equal(write, undefined, `${name}: its statement is ${down + 1} calls down (asked in the order ${order.join(", ")})`);
        continue;
      }
      assert.ok(write, `${name} (asked in the order ${order.join(", ")})`);
      assert.equal(write.kind, "write");
      assert.equal(write.node, calls.get(name));
      assert.deepEqual(
        write.assignments.map((a) => [a.column, a.value?.getText()]),
        [["balance", "n"]],
        `${name}: the caller's value is the written one`,
      );
      assert.equal(write.through?.calls.length, down, `${name}: the calls down to the statement`);
    }
  }
});

test("a function that does more than one write, and a recursive pair, are no wrappers", () => {
  const { resolve, calls } = ledgerCalls(["auditAndStore", "pingPong", "pongPing"]);
  assert.equal(wrappedWriteAt(calls.get("auditAndStore")!, resolve), undefined, "an insert and a write: a service step");
  // pingPong writes once and calls pongPing, which runs pingPong again: the pair's summary is the fixpoint's last
  // iterate, the same whichever is asked first; here neither is a wrapper of a single write.
  const first = [wrappedWriteAt(calls.get("pingPong")!, resolve), wrappedWriteAt(calls.get("pongPing")!, resolve)];
  const again = ledgerCalls(["pongPing", "pingPong"]);
  const second = [wrappedWriteAt(again.calls.get("pingPong")!, again.resolve), wrappedWriteAt(again.calls.get("pongPing")!, again.resolve)];
  assert.deepEqual(
    first.map((w) => w?.kind),
    second.map((w) => w?.kind),
  );
});
