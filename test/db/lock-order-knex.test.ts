// Proof with knex on PostgreSQL: the transfer inconsistent-lock-order flags (the `from` row updated, then the `to`
// row, in one knex transaction) deadlocks when two opposite transfers interleave, and PostgreSQL aborts one of them
// with 40P01; the code its suggestion produces (both rows locked first with `whereIn(…).orderBy("id").forUpdate()`)
// makes the second transfer wait instead, and both commit.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import knexFactory, { type Knex } from "knex";
import type { Pool } from "pg";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { applyEdits, editsFor } from "../../server/src/engine/fixes";
import { lintCode } from "../helpers/rule-tester";
import { connectPg, pgConfig, suffix } from "../runtime/services";
import { loadModule } from "./lost-update-proof";

/** The transfer as a service writes it; `pause` runs between the two updates, where the first row is locked. */
const TRANSFER = `import type { Knex } from "knex";
export async function transfer(knex: Knex, fromId: number, toId: number, amount: number, pause: () => Promise<void>) {
  await knex.transaction(async (trx) => {
    await trx("accounts").where({ id: fromId }).decrement("balance", amount);
    await pause();
    await trx("accounts").where({ id: toId }).increment("balance", amount);
  });
}
`;

type Transfer = (knex: Knex, fromId: number, toId: number, amount: number, pause: () => Promise<void>) => Promise<void>;

describe("inconsistent-lock-order proof with knex on PostgreSQL", () => {
  const schema = `locksmith_lock_order_${suffix()}`;
  const application = `locksmith_lo_${suffix()}`;
  let admin: Pool;
  let knex: Knex;
  const linted = lintCode(inconsistentLockOrder, { code: TRANSFER });
  const suggestion = linted.diagnostics[0]?.suggestions[0];
  const suggested = suggestion ? applyEdits(TRANSFER, editsFor(suggestion, linted.fileName)) : TRANSFER;

  before(async () => {
    admin = await connectPg();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.accounts (id integer PRIMARY KEY, balance integer NOT NULL)`);
    knex = knexFactory({
      client: "pg",
      connection: pgConfig({ application_name: application }),
      searchPath: [schema],
      pool: { min: 0, max: 4 },
    });
  });
  after(async () => {
    await knex?.destroy();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  /**
   * Transfers 1 → 2 (100) and 2 → 1 (30) at once. Each pauses after its first update until both have made it (the
   * interleaving that deadlocks), or until the other is seen waiting for a row lock (it cannot get that far).
   */
  async function opposite(transfer: Transfer) {
    await knex("accounts").delete();
    await knex("accounts").insert([
      { id: 1, balance: 1000 },
      { id: 2, balance: 1000 },
    ]);
    let arrived = 0;
    const pause = async () => {
      arrived++;
      for (let waited = 0; arrived < 2 && waited < 10_000; waited += 10) {
        const { rows } = await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [application],
        );
        if (rows[0].n > 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const results = await Promise.allSettled([transfer(knex, 1, 2, 100, pause), transfer(knex, 2, 1, 30, pause)]);
    const balances = (await knex("accounts").orderBy("id")).map((r: { id: number; balance: number }) => [r.id, r.balance]);
    const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code?: string }).code] : []));
    return { results, codes, balances };
  }

  test("the transfer is flagged at its second update, with a suggestion that locks both rows first", () => {
    assert.deepEqual(
      linted.diagnostics.map((d) => [d.ruleId, linted.lineOf(d.span.start).line]),
      [["inconsistent-lock-order", 6]],
    );
    assert.ok(suggested.includes(`await trx("accounts").whereIn("id", [fromId, toId]).orderBy("id").forUpdate();`), suggested);
    assert.equal(lintCode(inconsistentLockOrder, { code: suggested }).diagnostics.length, 0, "the suggested code is not flagged");
  });

  test("flagged code: two opposite transfers deadlock, PostgreSQL aborts one (40P01), the other commits", async () => {
    const { results, codes, balances } = await opposite(loadModule(TRANSFER)["transfer"]);
    assert.deepEqual(codes, ["40P01"], "exactly one transfer dies with deadlock_detected");
    const firstSurvived = results[0]!.status === "fulfilled";
    assert.deepEqual(
      balances,
      firstSurvived
        ? [
            [1, 900],
            [2, 1100],
          ]
        : [
            [1, 1030],
            [2, 970],
          ],
    );
  });

  test("suggested code: the second transfer waits for the first row lock; both commit", async () => {
    const { codes, balances } = await opposite(loadModule(suggested)["transfer"]);
    assert.deepEqual(codes, []);
    assert.deepEqual(balances, [
      [1, 930],
      [2, 1070],
    ]);
  });
});
