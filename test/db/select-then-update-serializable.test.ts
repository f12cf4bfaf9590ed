// Proof on PostgreSQL for select-then-update's SERIALIZABLE finding: under 50 concurrent debits the reported code
// loses no update but fails the calls PostgreSQL aborts (40001); the retried variants apply every debit.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { selectThenUpdate } from "../../rules/select-then-update";
import { lintCode } from "../helpers/rule-tester";
import { suffix } from "../runtime/services";
import { concurrently, exampleText, loadModule, usePgProofSchema } from "./lost-update-proof";

const CALLERS = 50;

describe("select-then-update proof on PostgreSQL: SERIALIZABLE without a retry", () => {
  let pool: Pool;
  const code = exampleText("wallets/pg-serializable.ts");
  const example = loadModule(code);

  usePgProofSchema(
    (schema) => [`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance integer NOT NULL)`],
    CALLERS,
    (p) => (pool = p),
  );

  async function run(debit: (pool: Pool, id: string, amount: number) => Promise<void>) {
    const id = `acct-${suffix()}`;
    await pool.query("INSERT INTO accounts (id, balance) VALUES ($1, $2)", [id, 1000]);
    const outcome = await concurrently(CALLERS, () => debit(pool, id, 10));
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    return { ...outcome, balance: rows[0].balance as number };
  }

  test("the example is flagged once, at the unretried debit", () => {
    const linted = lintCode(selectThenUpdate, { code });
    assert.deepEqual(
      linted.diagnostics.map((d) => [
        linted.lineOf(d.span.start).line,
        d.message.includes("SERIALIZABLE transaction that nothing here retries"),
      ]),
      [[16, true]],
    );
  });

  test("flagged code: no debit is lost, but the aborted ones fail with a serialization failure", async () => {
    const { succeeded, errors, balance } = await run(example["debitOnce"]);
    assert.ok(succeeded < CALLERS, `expected serialization failures, but all ${succeeded} debits succeeded`);
    assert.deepEqual(errors, ["could not serialize access due to concurrent update"]);
    assert.equal(balance, 1000 - 10 * succeeded);
  });

  test("retried by withPgTransaction: every debit is applied once", async () => {
    assert.deepEqual(await run(example["debitRetried"]), { succeeded: CALLERS, errors: [], balance: 500 });
  });

  test("retried by a loop with backoff: every debit is applied once", async () => {
    assert.deepEqual(await run(example["debitWithLoop"]), { succeeded: CALLERS, errors: [], balance: 500 });
  });
});
