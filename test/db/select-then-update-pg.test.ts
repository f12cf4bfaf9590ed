// Proof on PostgreSQL: the code select-then-update flags loses updates under 50 concurrent callers; the code its fix
// produces, the code each of its suggestions produces (row lock, optimistic retry), and the hand-written correct
// variants lose none.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { selectThenUpdate } from "../../rules/select-then-update";
import { suffix } from "../runtime/services";
import { concurrently, exampleText, lintAndFix, typeErrorsAsExample, usePgProofSchema } from "./lost-update-proof";

const CALLERS = 50;

describe("select-then-update proof on PostgreSQL (pg)", () => {
  let pool: Pool;
  const example = lintAndFix(selectThenUpdate, exampleText("wallets/pg-wallet.ts"), {
    locked: /^Lock the row/,
    optimistic: /^Optimistic update/,
  });

  // The example's SQL names `accounts`: point every connection at the test's own schema.
  usePgProofSchema(
    (schema) => [`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance integer NOT NULL)`],
    CALLERS,
    (p) => (pool = p),
  );

  async function run(debit: (pool: Pool, id: string, amount: number) => Promise<void>, startBalance: number, amount: number) {
    const id = `acct-${suffix()}`;
    await pool.query("INSERT INTO accounts (id, balance) VALUES ($1, $2)", [id, startBalance]);
    const outcome = await concurrently(CALLERS, () => debit(pool, id, amount));
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    return { ...outcome, balance: rows[0].balance as number };
  }

  test("the example is flagged once, at the unlocked debit", () => {
    assert.deepEqual(example.findingLines, [12]);
  });

  test("flagged code: concurrent debits are lost", async () => {
    const { succeeded, balance } = await run(example.original["debit"], 1000, 10);
    assert.equal(succeeded, CALLERS);
    assert.ok(balance > 1000 - 10 * CALLERS, `expected lost debits, but the balance is exactly ${balance}`);
  });

  test("flagged code: a balance that covers 20 debits pays out more than 20", async () => {
    const { succeeded, balance } = await run(example.original["debit"], 200, 10);
    assert.ok(
      succeeded > 20 || balance !== 200 - 10 * succeeded,
      `expected an overdraft or lost debit: ${succeeded} debits, balance ${balance}`,
    );
  });

  test("fixed code: every debit is applied exactly once", async () => {
    assert.deepEqual(await run(example.fixed["debit"], 1000, 10), { succeeded: CALLERS, errors: [], balance: 500 });
  });

  test("fixed code: exactly 20 debits of 10 succeed on a balance of 200", async () => {
    assert.deepEqual(await run(example.fixed["debit"], 200, 10), { succeeded: 20, errors: ["insufficient funds"], balance: 0 });
  });

  test("suggested row lock (FOR UPDATE in withPgTransaction): exactly 20 debits of 10 succeed on a balance of 200", async () => {
    assert.deepEqual(await run(example.suggested["locked"]!.module["debit"], 200, 10), {
      succeeded: 20,
      errors: ["insufficient funds"],
      balance: 0,
    });
  });

  test("suggested optimistic update (compare-and-set in retry): every one of 50 concurrent debits is applied exactly once", async () => {
    assert.deepEqual(await run(example.suggested["optimistic"]!.module["debit"], 1000, 10), {
      succeeded: CALLERS,
      errors: [],
      balance: 500,
    });
  });

  test("suggested optimistic update: exactly 20 debits of 10 succeed on a balance of 200", async () => {
    assert.deepEqual(await run(example.suggested["optimistic"]!.module["debit"], 200, 10), {
      succeeded: 20,
      errors: ["insufficient funds"],
      balance: 0,
    });
  });

  test("both suggestions type-check against the real pg and runtime types", () => {
    for (const name of ["locked", "optimistic"])
      assert.deepEqual(typeErrorsAsExample("wallets/pg-wallet.ts", example.suggested[name]!.text), [], name);
  });

  test("hand-written variants: atomic update, FOR UPDATE in a transaction, optimistic update", async () => {
    assert.deepEqual(await run(example.original["debitAtomically"], 200, 10), {
      succeeded: 20,
      errors: ["insufficient funds"],
      balance: 0,
    });
    assert.deepEqual(await run(example.original["debitLocked"], 200, 10), { succeeded: 20, errors: ["insufficient funds"], balance: 0 });
    assert.deepEqual(await run(example.original["debitOptimistically"], 200, 10), {
      succeeded: 20,
      errors: ["insufficient funds"],
      balance: 0,
    });
  });
});
