// Function summaries (server/src/analysis/summaries.ts): the row locks a function takes through the transaction it is
// given, stated by parameter, composed through wrappers, a fixpoint on cycles; resolved in the call's own file here.
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

function fn(name: string, file = sourceFile): FunctionLike {
  let found: FunctionLike | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name?.text === name) found = node;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name)
      found = node.initializer as ts.ArrowFunction;
    ts.forEachChild(node, visit);
  };
  visit(file);
  assert.ok(found, name);
  return found;
}

/** Each row lock as "parameter:mode:table via call, call". */
function locksOf(name: string, file = sourceFile): string[] {
  return summaryOf(fn(name, file), calleeResolver()).rowLocks.map(
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

test("mutual recursion ends at a fixpoint: each side maps the lock to its own parameter, whichever is asked first", () => {
  // pong's own write, and the same write again through its recursive call (a chain through one call twice is dropped).
  const expected = { pong: ["1:write:accounts", "1:write:accounts via ping, pong"], ping: ["0:write:accounts via pong"] };
  assert.deepEqual(locksOf("pong"), expected.pong);
  assert.deepEqual(locksOf("ping"), expected.ping);
  const fresh = ts.createSourceFile("summaries.ts", code, ts.ScriptTarget.Latest, true);
  assert.deepEqual(locksOf("ping", fresh), expected.ping);
  assert.deepEqual(locksOf("pong", fresh), expected.pong);
});

// The other per-parameter questions the same walk answers: BEGIN/COMMIT sent on a parameter, and transaction-scoped
// advisory locks taken through one, with the parameters their key is computed from.
const control = ts.createSourceFile(
  "control.ts",
  `import { PoolClient } from "pg";
const GLOBAL_LOCK = 77;
async function openOn(c: PoolClient) { await c.query("BEGIN"); }
async function closeOn(c: PoolClient) { await c.query("COMMIT"); }
async function openVia(first: string, conn: PoolClient) { await openOn(conn); }
async function around(c: PoolClient, work: () => Promise<void>) { await c.query("BEGIN"); await work(); await c.query("COMMIT"); }
async function lockOn(tx: PoolClient, id: string) { await tx.query("SELECT pg_advisory_xact_lock($1)", [id]); }
async function lockAlias(tx: PoolClient, id: string) { const k = id; await tx.query("SELECT pg_advisory_xact_lock($1)", [k]); }
async function lockGlobal(tx: PoolClient) { await tx.query("SELECT pg_advisory_xact_lock($1)", [GLOBAL_LOCK]); }
async function lockLocal(tx: PoolClient, row: { id: string }) { await tx.query("SELECT pg_advisory_xact_lock($1)", [row.id]); }
async function lockVia(owner: string, t: PoolClient) { await lockOn(t, owner); }
`,
  ts.ScriptTarget.Latest,
  true,
);

function summary(name: string) {
  const s = summaryOf(fn(name, control), calleeResolver());
  return { opens: [...s.opens], ends: [...s.ends], xactLocks: s.xactLocks };
}

test("BEGIN on a parameter opens, COMMIT ends; passed on through a helper; both on one parameter is a wrapper: neither", () => {
  assert.deepEqual(summary("openOn"), { opens: [0], ends: [], xactLocks: [] });
  assert.deepEqual(summary("closeOn"), { opens: [], ends: [0], xactLocks: [] });
  assert.deepEqual(summary("openVia"), { opens: [1], ends: [], xactLocks: [] });
  assert.deepEqual(summary("around"), { opens: [], ends: [], xactLocks: [] });
});

test("an advisory xact lock through a parameter, keyed by another parameter (also through a const alias, and composed)", () => {
  assert.deepEqual(summary("lockOn").xactLocks, [{ parameter: 0, key: [1] }]);
  assert.deepEqual(summary("lockAlias").xactLocks, [{ parameter: 0, key: [1] }]);
  assert.deepEqual(summary("lockVia").xactLocks, [{ parameter: 1, key: [0] }]);
});

test("a constant key is an empty key; a key from a parameter's field is not known as a parameter", () => {
  assert.deepEqual(summary("lockGlobal").xactLocks, [{ parameter: 0, key: [] }]);
  assert.deepEqual(summary("lockLocal").xactLocks, [{ parameter: 0, key: undefined }]);
});
