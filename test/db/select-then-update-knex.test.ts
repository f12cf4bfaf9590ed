// Proof with knex on PostgreSQL: the code select-then-update flags loses debits under 50 concurrent callers; the code
// its fix produces (`.andWhere(...).decrement(...)` with a count check) and the hand-written variants lose none.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import knexFactory, { type Knex } from "knex";
import type { Pool } from "pg";
import { selectThenUpdate } from "../../rules/select-then-update";
import { connectPg, pgConfig, suffix } from "../runtime/services";
import { concurrently, exampleText, lintAndFix } from "./lost-update-proof";

const CALLERS = 50;

describe("select-then-update proof with knex on PostgreSQL", () => {
  const schema = `locksmith_proof_${suffix()}`;
  let admin: Pool;
  let knex: Knex;
  const example = lintAndFix(selectThenUpdate, exampleText("wallets/knex-wallet.ts"));

  before(async () => {
    admin = await connectPg();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance integer NOT NULL)`);
    knex = knexFactory({ client: "pg", connection: pgConfig(), searchPath: [schema], pool: { min: 0, max: CALLERS } });
  });
  after(async () => {
    await knex?.destroy();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  async function run(debit: (knex: Knex, id: string, amount: number) => Promise<void>, startBalance: number) {
    const id = `acct-${suffix()}`;
    await knex("accounts").insert({ id, balance: startBalance });
    const outcome = await concurrently(CALLERS, () => debit(knex, id, 10));
    const { balance } = await knex("accounts").where({ id }).first();
    return { ...outcome, balance: balance as number };
  }

  test("the example is flagged once, at the unlocked debit", () => {
    assert.deepEqual(example.findingLines, [9]);
  });

  test("flagged code: concurrent debits are lost or overdraw", async () => {
    const { succeeded, balance } = await run(example.original["debit"], 200);
    assert.ok(
      succeeded > 20 || balance !== 200 - 10 * succeeded,
      `expected an overdraft or lost debit: ${succeeded} debits, balance ${balance}`,
    );
  });

  test("fixed code: exactly 20 debits of 10 succeed on a balance of 200", async () => {
    assert.deepEqual(await run(example.fixed["debit"], 200), { succeeded: 20, errors: ["insufficient funds"], balance: 0 });
  });

  test("fixed code: with enough money every debit is applied once", async () => {
    assert.deepEqual(await run(example.fixed["debit"], 1000), { succeeded: CALLERS, errors: [], balance: 500 });
  });

  test("hand-written variants: decrement with a guard, and forUpdate() in knex.transaction", async () => {
    assert.deepEqual(await run(example.original["debitAtomically"], 200), { succeeded: 20, errors: ["insufficient funds"], balance: 0 });
    assert.deepEqual(await run(example.original["debitLocked"], 200), { succeeded: 20, errors: ["insufficient funds"], balance: 0 });
  });
});
