// PostgreSQL: transactions with retries, row locks, advisory-lock leases and fencing against the real server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool, PoolClient } from "pg";
import { AbortError, ConflictError, LeaseLostError, NotAvailableError, RetryExhaustedError, StaleFenceError, TimeoutError, assertAffected } from "@locksmith/runtime";
import { createPgLockProvider, fencedUpdate, lockRows, withPgTransaction } from "@locksmith/runtime/postgres";
import { barrier, connectPg, suffix, until } from "./services";
import { assertMutualExclusion } from "./multiprocess";

describe("PostgreSQL", () => {
  let pool: Pool;
  const id = suffix();
  const accounts = `rt_accounts_${id}`;
  const fences = `rt_fences_${id}`;

  before(async () => {
    pool = await connectPg();
    await pool.query(`CREATE TABLE ${accounts} (id int PRIMARY KEY, balance int NOT NULL, version int NOT NULL DEFAULT 0, fence bigint)`);
  });

  after(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${accounts}`);
    await pool.query(`DROP TABLE IF EXISTS ${fences}`);
    await pool.end();
  });

  const reset = async (...balances: number[]) => {
    await pool.query(`TRUNCATE ${accounts}`);
    for (const [i, b] of balances.entries()) await pool.query(`INSERT INTO ${accounts} (id, balance) VALUES ($1, $2)`, [i + 1, b]);
  };

  test("commits on success, rolls back on error, always returns the client to the pool", async () => {
    await reset(100);
    const value = await withPgTransaction(pool, async (tx: PoolClient) => {
      await tx.query(`UPDATE ${accounts} SET balance = balance - 10 WHERE id = 1`);
      return "done";
    });
    assert.equal(value, "done");
    await assert.rejects(
      withPgTransaction(pool, async (tx) => {
        await tx.query(`UPDATE ${accounts} SET balance = 0 WHERE id = 1`);
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    assert.equal((await pool.query(`SELECT balance FROM ${accounts} WHERE id = 1`)).rows[0].balance, 90);
    assert.equal(pool.totalCount - pool.idleCount, 0, "no client left checked out");
  });

  test("concurrent SERIALIZABLE read-modify-writes are retried to the right final state", async () => {
    await reset(0);
    const n = 8;
    const arrive = barrier(n);
    let attempts = 0;
    await Promise.all(
      Array.from({ length: n }, () =>
        withPgTransaction(
          pool,
          async (tx, attempt) => {
            attempts++;
            const { rows } = await tx.query(`SELECT balance FROM ${accounts} WHERE id = 1`);
            if (attempt === 1) await arrive(); // everyone has read before anyone writes
            await tx.query(`UPDATE ${accounts} SET balance = $1 WHERE id = 1`, [rows[0].balance + 1]);
          },
          { isolation: "serializable", retry: { maxAttempts: 50, initialDelayMs: 2, maxDelayMs: 30 } },
        ),
      ),
    );
    assert.equal((await pool.query(`SELECT balance FROM ${accounts} WHERE id = 1`)).rows[0].balance, n);
    assert.ok(attempts > n, `serialization failures were retried (${attempts} attempts for ${n} transactions)`);
  });

  test("a provoked deadlock is detected by PostgreSQL and the victim is retried", async () => {
    await reset(100, 100);
    const arrive = barrier(2);
    const transfer = (from: number, to: number) =>
      withPgTransaction(
        pool,
        async (tx, attempt) => {
          await tx.query("SET LOCAL deadlock_timeout = '50ms'");
          await tx.query(`UPDATE ${accounts} SET balance = balance - 10 WHERE id = $1`, [from]);
          if (attempt === 1) await arrive(); // both hold their first row: opposite order now deadlocks
          await tx.query(`UPDATE ${accounts} SET balance = balance + 10 WHERE id = $1`, [to]);
          return attempt;
        },
        { retry: { maxAttempts: 5, initialDelayMs: 5 } },
      );
    const attempts = await Promise.all([transfer(1, 2), transfer(2, 1)]);
    assert.deepEqual([...attempts].sort(), [1, 2], "exactly one transaction was the deadlock victim and was retried");
    const { rows } = await pool.query(`SELECT id, balance FROM ${accounts} ORDER BY id`);
    assert.deepEqual(rows.map((r) => r.balance), [100, 100]);
  });

  test("optimistic conflicts (assertAffected) are retried; non-retryable errors are not", async () => {
    await reset(5);
    let calls = 0;
    await withPgTransaction(pool, async (tx, attempt) => {
      calls++;
      const version = attempt === 1 ? 99 : 0; // the first attempt uses an outdated version
      const r = await tx.query(`UPDATE ${accounts} SET balance = balance + 1, version = version + 1 WHERE id = 1 AND version = $1`, [version]);
      assertAffected(r.rowCount, "account");
    }, { retry: { initialDelayMs: 1 } });
    assert.equal(calls, 2);
    calls = 0;
    await assert.rejects(withPgTransaction(pool, async (tx) => { calls++; await tx.query("SELECT * FROM rt_missing_table_xyz"); }), /rt_missing_table_xyz/);
    assert.equal(calls, 1);
    const exhausted = await withPgTransaction(pool, () => { throw new ConflictError(); }, { retry: { maxAttempts: 2, initialDelayMs: 1 } }).catch((e: unknown) => e);
    assert.ok(exhausted instanceof RetryExhaustedError);
  });

  test("lockRows: FOR UPDATE in key order, NOWAIT fails at once, SKIP LOCKED skips held rows", async () => {
    await reset(1, 2, 3);
    await withPgTransaction(pool, async (tx) => {
      const rows = await lockRows<{ id: number }>(tx, { table: accounts, ids: [3, 1, 3] });
      assert.deepEqual(rows.map((r) => r.id), [1, 3]);
      await assert.rejects(
        withPgTransaction(pool, (other) => lockRows(other, { table: accounts, ids: [1], wait: "nowait" }), { retry: false }),
        (e: unknown) => (e as { code?: string }).code === "55P03",
      );
      const free = await withPgTransaction(pool, (other) => lockRows<{ id: number }>(other, { table: accounts, ids: [1, 2, 3], wait: "skip-locked", columns: ["id"] }));
      assert.deepEqual(free.map((r) => r.id), [2]);
      const timedOut = await withPgTransaction(pool, (other) => lockRows(other, { table: accounts, ids: [3] }), { lockTimeoutMs: 20, retry: { maxAttempts: 2, initialDelayMs: 1 } }).catch((e: unknown) => e);
      assert.ok(timedOut instanceof RetryExhaustedError && (timedOut.cause as { code?: string }).code === "55P03");
    });
    assert.deepEqual(await lockRows(pool, { table: accounts, ids: [] }), []);
  });

  for (const scope of ["transaction", "session"] as const) {
    test(`advisory-lock leases (${scope} scope): exclusion, timeouts, abort, fences`, async () => {
      const locks = createPgLockProvider(pool, { scope, fenceTable: fences });
      const held = await locks.acquire(`adv-${scope}`);
      assert.equal(await locks.tryAcquire(`adv-${scope}`), null);
      await assert.rejects(locks.acquire(`adv-${scope}`, { ifAvailable: true }), NotAvailableError);
      await assert.rejects(locks.acquire(`adv-${scope}`, { timeoutMs: 50 }), TimeoutError);
      const controller = new AbortController();
      const waiting = locks.acquire(`adv-${scope}`, { signal: controller.signal });
      setTimeout(() => controller.abort(), 30);
      const started = Date.now();
      await assert.rejects(waiting, AbortError);
      assert.ok(Date.now() - started < 1000, "the blocked wait was cancelled on the server");
      await held.release();
      const next = await locks.acquire(`adv-${scope}`, { timeoutMs: 2000 });
      assert.ok(next.fence > held.fence);
      await next.release();
      await until(() => pool.totalCount - pool.idleCount === 0, "every lock connection went back to the pool", 2000);
    });
  }

  test("mutual exclusion across 4 processes with advisory locks: no overlap, fences strictly increase", async () => {
    const sections = (await assertMutualExclusion(pool, "postgres", `mx-${id}`, `rt_pg_cs_${id}`, "")).length;
    assert.equal(sections, 32);
  });

  test("a holder whose backend is terminated: its signal aborts, a new holder takes over, the stale fencedUpdate is rejected", async () => {
    const app = `rt_holder_${id}`;
    const holderPool = await connectPg({ application_name: app, max: 3 });
    try {
      const locks = createPgLockProvider(holderPool, { fenceTable: fences, heartbeatMs: 100 });
      const lease = await locks.acquire("terminated");
      await fencedUpdate(pool, { table: accounts, where: { id: 1 }, set: { balance: 1000 }, fence: lease.fence });
      const { rows } = await pool.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'", [app]);
      assert.equal(rows.length, 1, "one backend holds the transaction-scoped advisory lock");
      const started = Date.now();
      await pool.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
      await until(() => lease.signal.aborted, "the lease signal aborted", 3000);
      assert.ok(Date.now() - started < 2000);
      assert.ok(lease.signal.reason instanceof LeaseLostError);
      const next = await createPgLockProvider(pool, { fenceTable: fences }).acquire("terminated", { timeoutMs: 2000 });
      assert.ok(next.fence > lease.fence);
      await fencedUpdate(pool, { table: accounts, where: { id: 1 }, set: { balance: 2000 }, fence: next.fence });
      await assert.rejects(fencedUpdate(pool, { table: accounts, where: { id: 1 }, set: { balance: 666 }, fence: lease.fence }), StaleFenceError);
      assert.equal((await pool.query(`SELECT balance FROM ${accounts} WHERE id = 1`)).rows[0].balance, 2000);
      await lease.release();
      await next.release();
    } finally {
      await holderPool.end();
    }
  });
});
