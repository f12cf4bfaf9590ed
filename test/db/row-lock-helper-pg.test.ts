// Proof on PostgreSQL: the select-then-update finding on the app's own row-lock helper (examples/src/accounts, a
// `lockAccountRow(tx, id)` declared `@locksmith acquires row-lock`) is a real lost update, and taking the declared
// helper's lock before the read removes it. The helper itself runs `SELECT … FOR UPDATE` through the transaction.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { selectThenUpdate } from "../../rules/select-then-update";
import { lintCode } from "../helpers/rule-tester";
import { suffix } from "../runtime/services";
import { concurrently, exampleText, loadModule, usePgProofSchema } from "./lost-update-proof";

const CALLERS = 20;
const HELPER = exampleText("accounts/row-locks.ts");
const SERVICE = exampleText("accounts/account-service.ts");
/** The late lock moved before the read: what the finding asks for. */
const LOCK_FIRST = SERVICE.replace(
  "    const balance: number = rows[0].balance;\n    await lockAccountRow(tx, accountId);\n",
  "    const balance: number = rows[0].balance;\n",
).replace(/(export async function depositLockingLate[^]*?async \(tx\) => \{\n)/, "$1    await lockAccountRow(tx, accountId);\n");

/** The start lines of the select-then-update findings of a version of the service (next to the helper's file). */
function findingLines(service: string): number[] {
  const linted = lintCode(selectThenUpdate, {
    code: service,
    filename: "src/accounts/account-service.ts",
    files: { "src/accounts/row-locks.ts": HELPER },
  });
  return linted.diagnostics.map((d) => linted.lineOf(d.span.start).line);
}

describe("select-then-update on a declared row-lock helper, proven on PostgreSQL (pg)", () => {
  let pool: Pool;
  const helper = loadModule(HELPER);
  const load = (text: string) => loadModule(text, { "./row-locks.js": helper });

  usePgProofSchema(
    (schema) => [`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance integer NOT NULL)`],
    CALLERS,
    (p) => (pool = p),
  );

  async function run(change: (pool: Pool, id: string, amount: number) => Promise<void>, startBalance: number) {
    const id = `acct-${suffix()}`;
    await pool.query("INSERT INTO accounts (id, balance) VALUES ($1, $2)", [id, startBalance]);
    const outcome = await concurrently(CALLERS, () => change(pool, id, 10));
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    return { ...outcome, balance: rows[0].balance as number };
  }

  test("the service is flagged once, at the deposit that reads before it locks; with the lock first, not at all", () => {
    assert.deepEqual(findingLines(SERVICE), [27]);
    assert.notEqual(LOCK_FIRST, SERVICE);
    assert.deepEqual(findingLines(LOCK_FIRST), []);
  });

  test("flagged code: concurrent deposits that read before the lock are lost", async () => {
    const { succeeded, balance } = await run(load(SERVICE)["depositLockingLate"], 0);
    assert.equal(succeeded, CALLERS);
    assert.ok(balance < 10 * CALLERS, `expected lost deposits, but the balance is exactly ${balance}`);
  });

  test("the declared helper's lock taken first: every deposit is applied exactly once", async () => {
    assert.deepEqual(await run(load(LOCK_FIRST)["depositLockingLate"], 0), { succeeded: CALLERS, errors: [], balance: 10 * CALLERS });
  });

  test("withdraw (the helper before the read): exactly 10 withdrawals of 10 succeed on a balance of 100", async () => {
    assert.deepEqual(await run(load(SERVICE)["withdraw"], 100), { succeeded: 10, errors: ["insufficient funds"], balance: 0 });
  });
});
