// Function summaries (server/src/analysis/summaries.ts): the row locks a function takes through the transaction it is
// given, stated by parameter, composed through wrappers, bounded on cycles; resolved in the call's own file here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { calleeResolver, summaryOf } from "../../server/src/analysis/summaries";
import type { FunctionLike } from "../../server/src/analysis/ast";

const code = `import { Pool, PoolClient } from "pg";
declare const pool: Pool;
async function lockRow(tx: PoolClient, id: string) {
  await tx.query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE", [id]);
}
const lockTwice = (db: PoolClient, a: string, b: string) => Promise.all([lockRow(db, a), lockRow(db, b)]);
async function onPool(id: string) {
  await pool.query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE", [id]);
}
async function ping(tx: PoolClient, n: number): Promise<void> {
  if (n > 0) await pong(n - 1, tx);
}
async function pong(n: number, client: PoolClient): Promise<void> {
  await client.query("UPDATE accounts SET hits = hits + 1 WHERE id = $1", [n]);
  await ping(client, n);
}
`;

const sourceFile = ts.createSourceFile("summaries.ts", code, ts.ScriptTarget.Latest, true);

function fn(name: string): FunctionLike {
  let found: FunctionLike | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name?.text === name) found = node;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name)
      found = node.initializer as ts.ArrowFunction;
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.ok(found, name);
  return found;
}

/** Each row lock as "parameter:mode:table via call, call". */
function locksOf(name: string): string[] {
  return summaryOf(fn(name), calleeResolver()).rowLocks.map(
    (l) =>
      `${l.parameter}:${l.mode}:${l.access.table}${l.chain.length ? ` via ${l.chain.map((c) => c.expression.getText()).join(", ")}` : ""}`,
  );
}

test("a locking read through a parameter is a row lock of that parameter", () => {
  assert.deepEqual(locksOf("lockRow"), ["0:update:accounts"]);
});

test("a wrapper passes its own parameter on: composed, with the call chain", () => {
  assert.deepEqual(locksOf("lockTwice"), ["0:update:accounts via lockRow", "0:update:accounts via lockRow"]);
});

test("a lock through a module-level pool is no parameter's", () => {
  assert.deepEqual(locksOf("onPool"), []);
});

test("mutual recursion ends, and each side maps the lock to its own parameter", () => {
  assert.deepEqual(locksOf("pong"), ["1:write:accounts"]);
  assert.deepEqual(locksOf("ping"), ["0:write:accounts via pong"]);
});
