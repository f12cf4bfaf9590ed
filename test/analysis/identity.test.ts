// Handle identity (server/src/analysis/identity.ts): which expressions name the same transaction handle through
// `const` aliases, destructuring, shadowing parameters and `let` variables (which are not aliases).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { canonicalKey, identityOf, isPartOfHandle, sameIdentity } from "../../server/src/analysis/identity";
import { runsIn, transactionScopesOf } from "../../server/src/analysis/transactions";
import { dbAccessOf } from "../../server/src/analysis/db";

/** The canonical key of the receiver of the call `marker(…)`'s first argument in `code`. */
function keyOfArgument(code: string): string {
  const sourceFile = ts.createSourceFile("t.ts", code, ts.ScriptTarget.Latest, true);
  let found: ts.Expression | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "marker") found = node.arguments[0];
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.ok(found, "no marker(…) call");
  return canonicalKey(found);
}

test("a const alias stands for what it aliases, members included", () => {
  assert.equal(keyOfArgument("function f(tx: T) { const t = tx; marker(t.manager); }"), "tx.manager");
  assert.equal(keyOfArgument("function f(tx: T) { const a = tx; const b = a; marker(b); }"), "tx");
});

test("destructuring a const alias names the member", () => {
  assert.equal(keyOfArgument("function f(queryRunner: Q) { const { manager } = queryRunner; marker(manager); }"), "queryRunner.manager");
  assert.equal(keyOfArgument("function f(q: Q) { const { manager: m } = q; marker(m); }"), "q.manager");
});

test("let, calls and awaited values are not aliases", () => {
  assert.equal(keyOfArgument("function f(tx: T) { let t = tx; t = other; marker(t); }"), "t");
  assert.equal(keyOfArgument("async function f(k: K) { const t = await k.transaction(); marker(t); }"), "t");
});

test("an alias in an outer function is seen from a callback, unless a parameter shadows it", () => {
  assert.equal(keyOfArgument("function f(tx: T) { const t = tx; run(() => marker(t)); }"), "tx");
  assert.equal(keyOfArgument("function f(tx: T) { const t = tx; run((t) => marker(t)); }"), "t");
});

test("isPartOfHandle: the handle itself or a member of it", () => {
  const sourceFile = ts.createSourceFile("t.ts", "function f(tx: T) { const m = tx.manager; m; txOther; }", ts.ScriptTarget.Latest, true);
  const fn = sourceFile.statements[0] as ts.FunctionDeclaration;
  const expr = (i: number) => (fn.body!.statements[i] as ts.ExpressionStatement).expression;
  const tx = identityOf(fn.parameters[0]!.name as ts.Identifier);
  assert.equal(isPartOfHandle(expr(1), tx), true);
  assert.equal(isPartOfHandle(expr(2), tx), false);
});

test("isPartOfHandle: the same name declared by a nested function is another handle", () => {
  const code = "function f(client: C) { client.query(a); run(async (client: C) => client.query(b)); const c = client; c.query(d); }";
  const sourceFile = ts.createSourceFile("t.ts", code, ts.ScriptTarget.Latest, true);
  const fn = sourceFile.statements[0] as ts.FunctionDeclaration;
  const client = identityOf(fn.parameters[0]!.name as ts.Identifier);
  const receivers = new Map<string, ts.Expression>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.arguments[0])
      receivers.set(node.arguments[0].getText(), node.expression.expression);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.equal(isPartOfHandle(receivers.get("a")!, client), true);
  assert.equal(isPartOfHandle(receivers.get("b")!, client), false);
  assert.equal(isPartOfHandle(receivers.get("d")!, client), true);
});

test("SET TRANSACTION and COMMIT through an alias of the handle BEGIN ran on are the same transaction's", () => {
  const code = `export async function f(pool: any) {
  const client = await pool.connect();
  const c = client;
  await client.query("BEGIN");
  await c.query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
  await c.query("COMMIT");
  after();
}`;
  const sourceFile = ts.createSourceFile("t.ts", code, ts.ScriptTarget.Latest, true);
  const [scope] = transactionScopesOf(sourceFile);
  assert.equal(scope?.handle?.key, "client");
  assert.equal(scope.isolation, "serializable");
  const statements = (sourceFile.statements[0] as ts.FunctionDeclaration).body!.statements;
  const expression = (i: number) => (statements[i] as ts.ExpressionStatement).expression;
  assert.equal(scope.isOpenAt!(expression(3)), true);
  assert.equal(scope.isOpenAt!(expression(5)), false);
});

test("a statement through a closure's own `client` parameter is not part of the transaction BEGIN opened on `client`", () => {
  const code = `export async function f(pool: any, id: string) {
  const client = await pool.connect();
  await client.query("BEGIN");
  await client.query("UPDATE accounts SET n = n + 1 WHERE id = $1", [id]);
  await audit(pool, async (client: any) => client.query("UPDATE audit SET n = n + 1 WHERE id = $1", [id]));
  const c = client;
  await c.query("UPDATE totals SET n = n + 1 WHERE id = $1", [id]);
  await client.query("COMMIT");
}`;
  const sourceFile = ts.createSourceFile("t.ts", code, ts.ScriptTarget.Latest, true);
  const [scope] = transactionScopesOf(sourceFile);
  const updates = new Map<string, boolean>();
  const visit = (node: ts.Node): void => {
    const access = dbAccessOf(node);
    const table = access?.kind === "write" ? access.table : undefined;
    if (access && table) updates.set(table, runsIn(access, scope!));
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.deepEqual(Object.fromEntries(updates), { accounts: true, audit: false, totals: true });
});

/** `sameIdentity` of the first arguments of the calls `a(…)` and `b(…)` in `code`. */
function sameArguments(code: string): boolean {
  const sourceFile = ts.createSourceFile("t.ts", code, ts.ScriptTarget.Latest, true);
  const found = new Map<string, ts.Expression>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && /^[ab]$/.test(node.expression.text) && node.arguments[0])
      found.set(node.expression.text, node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.ok(found.has("a") && found.has("b"), "no a(…) and b(…) calls");
  return sameIdentity(found.get("a")!, found.get("b")!);
}

test("sameIdentity: an alias, a destructured field and `const self = this` name what they alias", () => {
  assert.equal(sameArguments("function f(tx: T) { const t = tx; a(t.manager); b(tx.manager); }"), true);
  assert.equal(sameArguments("function f(q: Q) { const { manager } = q; a(manager); b(q.manager); }"), true);
  assert.equal(sameArguments("class C { m() { const self = this; a(self.mutex); b(this.mutex); } }"), true);
  assert.equal(sameArguments("class C { m() { a(this.mutex); } n() { run(() => b(this.mutex)); } }"), true);
  assert.equal(sameArguments("import { redis } from './r'; function f(id: string) { a(`lock:${id}`); run(() => b(`lock:${id}`)); }"), true);
});

test("sameIdentity: the same text declared twice names two things", () => {
  assert.equal(sameArguments("function f(db: D) { db.tx((tx) => a(tx)); db.tx((tx) => b(tx)); }"), false);
  assert.equal(sameArguments("function f(rows: R[]) { for (const row of rows) a(row.id); for (const row of rows) b(row.id); }"), false);
  assert.equal(sameArguments("function f(id: string) { a(`lock:${id}`); } function g(id: string) { b(`lock:${id}`); }"), false);
  assert.equal(sameArguments("function f(tx: T) { a(tx); run((tx: T) => b(tx)); }"), false);
  assert.equal(sameArguments("class C { m() { a(this.mutex); } } class D { n() { b(this.mutex); } }"), false);
});
