// Proof on PostgreSQL (pg) for inconsistent-lock-order's multi-key shape (issue #16): a reservation that takes
// `pg_advisory_xact_lock` for each SKU in the order its caller listed them deadlocks when two reservations list the
// same SKUs in opposite orders, and PostgreSQL aborts one with 40P01; the rule's suggestion (`[...skus].sort()`) makes
// the second wait for the first instead, and both commit.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { applyEdits, editsFor } from "../../server/src/engine/fixes";
import { lintCode } from "../helpers/rule-tester";
import { connectPg, suffix, until } from "../runtime/services";
import { loadModule, waitsForLock } from "./lost-update-proof";

/** The reservation as an Express route's service writes it; `pause` runs after each advisory lock. */
const RESERVE = `import type { Pool } from "pg";
export async function reserveStock(pool: Pool, skus: string[], pause: () => Promise<void>) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (const sku of skus) {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [sku]);
      await pause();
    }
    await client.query("UPDATE stock SET reserved = reserved + 1 WHERE sku = ANY($1)", [skus]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`;

type Reserve = (pool: Pool, skus: string[], pause: () => Promise<void>) => Promise<void>;

describe("inconsistent-lock-order proof: advisory locks over the caller's keys on PostgreSQL", () => {
  const schema = `locksmith_advisory_order_${suffix()}`;
  const application = `locksmith_ao_${suffix()}`;
  let admin: Pool;
  let pool: Pool;
  const linted = lintCode(inconsistentLockOrder, { code: RESERVE });
  const suggestion = linted.diagnostics[0]?.suggestions[0];
  const fixed = suggestion ? applyEdits(RESERVE, editsFor(suggestion, linted.fileName)) : RESERVE;

  before(async () => {
    admin = await connectPg();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.stock (sku text PRIMARY KEY, reserved integer NOT NULL)`);
    pool = await connectPg({ options: `-c search_path=${schema}`, application_name: application });
  });
  after(async () => {
    await pool?.end();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  /**
   * Reserves [a, b] and [b, a] at once. Each pauses after its first lock until both have one (the interleaving that
   * deadlocks), or until the other is seen waiting for a lock (it cannot get that far).
   */
  async function opposite(reserve: Reserve) {
    const [a, b] = [`sku-a-${suffix()}`, `sku-b-${suffix()}`];
    await pool.query("INSERT INTO stock (sku, reserved) VALUES ($1, 0), ($2, 0)", [a, b]);
    let locked = 0;
    const firstLockOnly = () => {
      let first = true;
      return async () => {
        if (!first) return;
        first = false;
        locked++;
        await until(async () => locked === 2 || (await waitsForLock(admin, application)), "both reservations hold a lock, or one waits");
      };
    };
    const results = await Promise.allSettled([reserve(pool, [a, b], firstLockOnly()), reserve(pool, [b, a], firstLockOnly())]);
    const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code?: string }).code] : []));
    const { rows } = await pool.query("SELECT reserved FROM stock WHERE sku = ANY($1) ORDER BY sku", [[a, b]]);
    return { codes, reserved: rows.map((r: { reserved: number }) => r.reserved) };
  }

  test("the loop is flagged, and its suggestion sorts the keys first", () => {
    assert.deepEqual(
      linted.diagnostics.map((d) => [d.ruleId, linted.lineOf(d.span.start).line]),
      [["inconsistent-lock-order", 7]],
    );
    assert.ok(fixed.includes("for (const sku of [...skus].sort()) {"), fixed);
    assert.equal(lintCode(inconsistentLockOrder, { code: fixed }).diagnostics.length, 0, "the suggested code is not flagged");
  });

  test("flagged code: two reservations in opposite orders deadlock, PostgreSQL aborts one (40P01)", async () => {
    const { codes, reserved } = await opposite(loadModule(RESERVE)["reserveStock"]);
    assert.deepEqual(codes, ["40P01"]);
    assert.deepEqual(reserved, [1, 1]);
  });

  test("suggested code: the second reservation waits for the first SKU's lock; both commit", async () => {
    const { codes, reserved } = await opposite(loadModule(fixed)["reserveStock"]);
    assert.deepEqual(codes, []);
    assert.deepEqual(reserved, [2, 2]);
  });
});
