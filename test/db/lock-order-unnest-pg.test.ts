// Proof on PostgreSQL (pg) for inconsistent-lock-order's one-statement shape (issue #16): a settlement that takes
// `pg_advisory_xact_lock` for every account id of an array in one statement (`FROM unnest($1::bigint[]) AS k`) takes
// them in the array's order, so two settlements given overlapping arrays in opposite orders deadlock and PostgreSQL
// aborts one with 40P01. The rule's fix (the array sorted first) and its help (`ORDER BY k` in the statement, which
// PostgreSQL applies before calling the volatile lock function) make the second wait for the first; both commit.
//
// One statement cannot be paused between two of its locks, so each array carries a gate key after its first account,
// a different one per settlement, that a third session holds: each settlement takes its first account and waits at
// its gate; both gates are then let go together, and each asks for the account the other holds.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool, PoolClient } from "pg";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { applyEdits, editsFor } from "../../server/src/engine/fixes";
import { lintCode } from "../helpers/rule-tester";
import { connectPg, suffix, until } from "../runtime/services";
import { loadModule } from "./lost-update-proof";

/** The settlement as an Express route's service writes it. */
const SETTLE = `import type { Pool } from "pg";
export async function settle(pool: Pool, accountIds: number[]) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", [accountIds]);
    await client.query("UPDATE ledger SET settled = settled + 1 WHERE id = ANY($1)", [accountIds]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`;

type Settle = (pool: Pool, accountIds: number[]) => Promise<void>;

describe("inconsistent-lock-order proof: advisory locks over an array in one statement on PostgreSQL", () => {
  const schema = `locksmith_unnest_order_${suffix()}`;
  const application = `locksmith_uo_${suffix()}`;
  let admin: Pool;
  let pool: Pool;
  const linted = lintCode(inconsistentLockOrder, { code: SETTLE });
  const fix = linted.diagnostics[0]?.fixes[0];
  const fixed = fix ? applyEdits(SETTLE, editsFor(fix, linted.fileName)) : SETTLE;
  const ordered = SETTLE.replace("AS k", "AS k ORDER BY k");

  before(async () => {
    admin = await connectPg();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.ledger (id bigint PRIMARY KEY, settled integer NOT NULL)`);
    pool = await connectPg({ options: `-c search_path=${schema}`, application_name: application });
  });
  after(async () => {
    await pool?.end();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  /** Settles [a, gate1, b] and [b, gate2, a] at once, the gates held by another session until both settlements wait. */
  async function opposite(settle: Settle) {
    const base = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const [a, b, gate1, gate2] = [base + 1, base + 2, base + 3, base + 4];
    await pool.query("INSERT INTO ledger (id, settled) VALUES ($1, 0), ($2, 0), ($3, 0), ($4, 0)", [a, b, gate1, gate2]);
    const gatekeeper: PoolClient = await admin.connect();
    try {
      await gatekeeper.query("SELECT pg_advisory_lock($1), pg_advisory_lock($2)", [gate1, gate2]);
      const running = Promise.allSettled([settle(pool, [a, gate1, b]), settle(pool, [b, gate2, a])]);
      await until(async () => {
        const { rows } = await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [application],
        );
        return rows[0].n === 2;
      }, "both settlements wait");
      await gatekeeper.query("SELECT pg_advisory_unlock_all()");
      const results = await running;
      const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code?: string }).code] : []));
      const { rows } = await pool.query("SELECT settled FROM ledger WHERE id = ANY($1) ORDER BY id", [[a, b]]);
      return { codes, settled: rows.map((r: { settled: number }) => r.settled) };
    } finally {
      gatekeeper.release();
    }
  }

  test("the statement is flagged, and its fix sorts the array first", () => {
    assert.deepEqual(
      linted.diagnostics.map((d) => [d.ruleId, linted.lineOf(d.span.start).line]),
      [["inconsistent-lock-order", 6]],
    );
    assert.ok(fixed.includes("[[...accountIds].sort()]"), fixed);
    assert.equal(lintCode(inconsistentLockOrder, { code: fixed }).diagnostics.length, 0, "the fixed code is not flagged");
    assert.equal(lintCode(inconsistentLockOrder, { code: ordered }).diagnostics.length, 0, "the ORDER BY statement is not flagged");
  });

  test("flagged code: two settlements in opposite orders deadlock, PostgreSQL aborts one (40P01)", async () => {
    const { codes, settled } = await opposite(loadModule(SETTLE)["settle"]);
    assert.deepEqual(codes, ["40P01"]);
    assert.deepEqual(settled, [1, 1]);
  });

  test("fixed code (array sorted first): the second settlement waits for the first; both commit", async () => {
    const { codes, settled } = await opposite(loadModule(fixed)["settle"]);
    assert.deepEqual(codes, []);
    assert.deepEqual(settled, [2, 2]);
  });

  test("ORDER BY k in the statement: the locks are taken in key order; both commit", async () => {
    const { codes, settled } = await opposite(loadModule(ordered)["settle"]);
    assert.deepEqual(codes, []);
    assert.deepEqual(settled, [2, 2]);
  });
});
