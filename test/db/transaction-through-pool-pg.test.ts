// Proof on PostgreSQL of transaction-through-pool: `BEGIN` sent through a `pg` Pool opens a transaction on whichever
// pooled connection ran it. While another request holds that connection, the refund's `ROLLBACK` goes out on another
// connection and undoes nothing; the connection goes back to the pool still inside the transaction, and the next
// request's `COMMIT` on it commits the write that was rolled back. On one checked-out client (the help's shape) the
// ROLLBACK undoes the write. Deterministic: pg's pool hands out its most recently released idle connection first.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Pool } from "pg";
import { transactionThroughPool } from "../../rules/transaction-through-pool";
import { lintCode } from "../helpers/rule-tester";
import { connectPg, pgConfig, suffix } from "../runtime/services";
import { loadModule } from "./lost-update-proof";

const TABLE = `refund_orders_${suffix()}`;

/** A refund as services write it: mark the order refunded, call the payment provider, commit or roll back. */
const THROUGH_POOL = `import type { Pool } from "pg";
export async function refundOrder(pool: Pool, orderId: number, issueRefund: () => Promise<void>) {
  await pool.query("BEGIN");
  try {
    await pool.query("UPDATE ${TABLE} SET status = 'refunded' WHERE id = $1", [orderId]);
    await issueRefund();
    await pool.query("COMMIT");
  } catch (error) {
    await pool.query("ROLLBACK");
    throw error;
  }
}
`;

/** The same refund on one client, as the help says. */
const ON_ONE_CLIENT = `import type { Pool } from "pg";
export async function refundOrder(pool: Pool, orderId: number, issueRefund: () => Promise<void>) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE ${TABLE} SET status = 'refunded' WHERE id = $1", [orderId]);
    await issueRefund();
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`;

type RefundOrder = (pool: Pool, orderId: number, issueRefund: () => Promise<void>) => Promise<void>;

describe("transaction-through-pool proof: BEGIN … ROLLBACK through a pg Pool", () => {
  let observer: Pool;

  before(async () => {
    observer = await connectPg();
    await observer.query(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, status text NOT NULL)`);
  });
  after(async () => {
    await observer?.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await observer?.end();
  });

  /**
   * A refund of order 1 whose provider call fails while another request holds a pooled connection, then a refund of
   * order 2 that succeeds. Returns each order's committed status.
   */
  async function run(code: string): Promise<Record<number, string>> {
    await observer.query(`DELETE FROM ${TABLE}`);
    await observer.query(`INSERT INTO ${TABLE} (id, status) VALUES (1, 'paid'), (2, 'paid')`);
    const { refundOrder } = loadModule(code) as { refundOrder: RefundOrder };
    const pool = new Pool(pgConfig({ max: 2 }));
    pool.on("error", () => undefined);
    try {
      let otherRequest: { release(): void } | undefined;
      await assert.rejects(
        refundOrder(pool, 1, async () => {
          otherRequest = await pool.connect();
          throw new Error("the payment provider refused the refund");
        }),
        /refused/,
      );
      otherRequest?.release();
      await refundOrder(pool, 2, async () => undefined);
    } finally {
      await pool.end();
    }
    const { rows } = await observer.query<{ id: number; status: string }>(`SELECT id, status FROM ${TABLE} ORDER BY id`);
    return Object.fromEntries(rows.map((r) => [r.id, r.status]));
  }

  test("the rule reports the BEGIN through the pool, not the one-client version", () => {
    const pooled = lintCode(transactionThroughPool, { code: THROUGH_POOL }).diagnostics;
    assert.deepEqual(
      pooled.map((d) => [d.ruleId, d.span.start]),
      [["transaction-through-pool", THROUGH_POOL.indexOf('pool.query("BEGIN")')]],
    );
    assert.equal(lintCode(transactionThroughPool, { code: ON_ONE_CLIENT }).diagnostics.length, 0);
  });

  test("through the pool, the rolled-back refund is committed by the next request", async () => {
    assert.deepEqual(await run(THROUGH_POOL), { 1: "refunded", 2: "refunded" });
  });

  test("on one client, the ROLLBACK undoes the refund", async () => {
    assert.deepEqual(await run(ON_ONE_CLIENT), { 1: "paid", 2: "refunded" });
  });
});
