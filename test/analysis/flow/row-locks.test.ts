// Row locks along paths (server/src/analysis/transactions.ts rowLocksHeldAt): a lock taken in one branch is held on
// some paths after the merge, not all; an early ROLLBACK-and-return guard does not end the transaction for the code
// after it; COMMIT releases everything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../../server/src/engine/ts";
import { rowLocksHeldAt } from "../../../server/src/analysis/transactions";

/** For each `marker(n)` call in `code`: the lines of the row locks held there, `*` marking those held on every path. */
function heldAtMarkers(code: string): Record<string, string[]> {
  const sourceFile = ts.createSourceFile("t.ts", code, ts.ScriptTarget.Latest, true);
  const out: Record<string, string[]> = {};
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "marker")
      out[node.arguments[0]!.getText()] = rowLocksHeldAt(node).map(
        (lock) => `${sourceFile.getLineAndCharacterOfPosition(lock.access.node.getStart()).line + 1}${lock.everyPath ? "*" : ""}`,
      );
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return out;
}

test("a FOR UPDATE in one branch is held on some paths after it; one before the branch on every path", () => {
  const code = `import { Pool } from "pg";
const pool = new Pool();
export async function move(id: string, to: string, strict: boolean) {
  const client = await pool.connect();
  await client.query("BEGIN");
  if (strict) await client.query("SELECT * FROM shelves WHERE id = $1 FOR UPDATE", [to]);
  marker(1);
  await client.query("SELECT * FROM items WHERE id = $1 FOR UPDATE", [id]);
  marker(2);
  await client.query("COMMIT");
  marker(3);
}`;
  assert.deepEqual(heldAtMarkers(code), { 1: ["6"], 2: ["6", "8*"], 3: [] });
});

test("an early ROLLBACK-and-return guard keeps the row lock for the code after it", () => {
  const code = `import { Pool } from "pg";
const pool = new Pool();
export async function withdraw(id: string, amount: number) {
  const client = await pool.connect();
  await client.query("BEGIN");
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
  if (rows[0].balance < amount) {
    await client.query("ROLLBACK");
    marker(1);
    return;
  }
  marker(2);
  await client.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, id]);
  await client.query("COMMIT");
}`;
  assert.deepEqual(heldAtMarkers(code), { 1: [], 2: ["6*"] });
});

test("a locking statement that throws holds nothing in its catch", () => {
  const code = `export async function f(knex: any, id: string) {
  await knex.transaction(async (trx: any) => {
    try {
      await trx("accounts").where({ id }).forUpdate().first();
    } catch (error) {
      marker(2);
      return;
    }
    marker(1);
  });
}`;
  assert.deepEqual(heldAtMarkers(code), { 2: [], 1: ["4*"] });
});
