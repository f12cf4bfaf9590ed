// MySQL/MariaDB: transactions with retries, row locks, GET_LOCK leases and fencing against the real server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool as MySqlPool, PoolConnection } from "mysql2/promise";
import type { Pool } from "pg";
import { AbortError, LeaseLostError, NotAvailableError, StaleFenceError, TimeoutError, assertAffected } from "@locksmith/runtime";
import { createMySqlLockProvider, fencedUpdate, lockRows, withMySqlTransaction } from "@locksmith/runtime/mysql";
import { barrier, connectMySql, connectPg, suffix, until } from "./services";
import { assertMutualExclusion } from "./multiprocess";

describe("MySQL/MariaDB", () => {
  let pool: MySqlPool;
  let pg: Pool;
  const id = suffix();
  const accounts = `rt_accounts_${id}`;
  const fences = `rt_fences_${id}`;
  const csTable = `rt_my_cs_${id}`;

  before(async () => {
    pool = await connectMySql();
    pg = await connectPg();
    await pool.query(`CREATE TABLE ${accounts} (id INT PRIMARY KEY, balance INT NOT NULL, version INT NOT NULL DEFAULT 0, fence BIGINT NULL) ENGINE=InnoDB`);
  });

  after(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${accounts}, ${fences}, ${csTable}_fences`);
    await pool.end();
    await pg.end();
  });

  const reset = async (...balances: number[]) => {
    await pool.query(`DELETE FROM ${accounts}`);
    for (const [i, b] of balances.entries()) await pool.query(`INSERT INTO ${accounts} (id, balance) VALUES (?, ?)`, [i + 1, b]);
  };
  const balances = async () => ((await pool.query(`SELECT balance FROM ${accounts} ORDER BY id`))[0] as { balance: number }[]).map((r) => r.balance);

  test("commits, rolls back, and a provoked deadlock is retried to the right final state", async () => {
    await reset(100, 100);
    await assert.rejects(
      withMySqlTransaction(pool, async (tx: PoolConnection) => {
        await tx.query(`UPDATE ${accounts} SET balance = 0 WHERE id = 1`);
        throw new Error("rolled back");
      }),
      /rolled back/,
    );
    assert.deepEqual(await balances(), [100, 100]);
    const arrive = barrier(2);
    const transfer = (from: number, to: number) =>
      withMySqlTransaction(
        pool,
        async (tx, attempt) => {
          await tx.query(`UPDATE ${accounts} SET balance = balance - 10 WHERE id = ?`, [from]);
          if (attempt === 1) await arrive();
          await tx.query(`UPDATE ${accounts} SET balance = balance + 10 WHERE id = ?`, [to]);
          return attempt;
        },
        { isolation: "repeatable read", lockTimeoutMs: 5000, retry: { maxAttempts: 5, initialDelayMs: 5 } },
      );
    const attempts = await Promise.all([transfer(1, 2), transfer(2, 1)]);
    assert.deepEqual([...attempts].sort(), [1, 2], "InnoDB picked one victim (1213) and it was retried");
    assert.deepEqual(await balances(), [100, 100]);
  });

  test("concurrent optimistic updates converge with assertAffected + retries", async () => {
    await reset(0);
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withMySqlTransaction(pool, async (tx) => {
          const [rows] = await tx.query(`SELECT balance, version FROM ${accounts} WHERE id = 1`);
          const { balance, version } = (rows as { balance: number; version: number }[])[0]!;
          await new Promise((r) => setImmediate(r));
          const [result] = await tx.query(`UPDATE ${accounts} SET balance = ?, version = version + 1 WHERE id = 1 AND version = ?`, [balance + 1, version]);
          assertAffected((result as { affectedRows: number }).affectedRows, "account");
        }, { isolation: "read committed", retry: { maxAttempts: 50, initialDelayMs: 1, maxDelayMs: 20 } }),
      ),
    );
    assert.deepEqual(await balances(), [6]);
  });

  test("lockRows: ordered FOR UPDATE, NOWAIT and SKIP LOCKED", async () => {
    await reset(1, 2, 3);
    await withMySqlTransaction(pool, async (tx) => {
      assert.deepEqual((await lockRows<{ id: number }>(tx, { table: accounts, ids: [3, 1] })).map((r) => r.id), [1, 3]);
      await assert.rejects(withMySqlTransaction(pool, (o) => lockRows(o, { table: accounts, ids: [1], wait: "nowait" }), { retry: false }), (e: unknown) => typeof (e as { errno?: number }).errno === "number");
      const free = await withMySqlTransaction(pool, (o) => lockRows<{ id: number }>(o, { table: accounts, ids: [1, 2, 3], wait: "skip-locked", columns: ["id"] }));
      assert.deepEqual(free.map((r) => r.id), [2]);
    });
  });

  test("GET_LOCK leases: exclusion, timeout, ifAvailable, abort (KILL QUERY), fences, long keys", async () => {
    const locks = createMySqlLockProvider(pool, { fenceTable: fences });
    const key = `rt_lock_${id}`;
    const held = await locks.acquire(key);
    assert.equal(await locks.tryAcquire(key), null);
    await assert.rejects(locks.acquire(key, { ifAvailable: true }), NotAvailableError);
    await assert.rejects(locks.acquire(key, { timeoutMs: 100 }), TimeoutError);
    const controller = new AbortController();
    const waiting = locks.acquire(key, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    await assert.rejects(waiting, AbortError);
    assert.ok(Date.now() - started < 1000);
    await held.release();
    const next = await locks.acquire(key, { timeoutMs: 1000 });
    assert.ok(next.fence > held.fence);
    await next.release();
    const long = await locks.acquire(`rt_${"x".repeat(100)}_${id}`);
    await long.release();
  });

  test("a holder whose connection is killed: its signal aborts, a new holder takes over, the stale fencedUpdate is rejected", async () => {
    await reset(0);
    const locks = createMySqlLockProvider(pool, { fenceTable: fences, heartbeatMs: 100 });
    const key = `rt_killed_${id}`;
    const lease = await locks.acquire(key);
    await fencedUpdate(pool, { table: accounts, where: { id: 1 }, set: { balance: 10 }, fence: lease.fence });
    await fencedUpdate(pool, { table: accounts, where: { id: 1 }, set: { balance: 10 }, fence: lease.fence }); // identical rewrite still counts
    const [rows] = await pool.query("SELECT IS_USED_LOCK(?) AS thread", [key]);
    await pool.query(`KILL ${Number((rows as { thread: number }[])[0]!.thread)}`);
    await until(() => lease.signal.aborted, "the lease signal aborted", 3000);
    assert.ok(lease.signal.reason instanceof LeaseLostError);
    const next = await locks.acquire(key, { timeoutMs: 2000 });
    assert.ok(next.fence > lease.fence);
    await fencedUpdate(pool, { table: accounts, where: { id: 1 }, set: { balance: 20 }, fence: next.fence });
    await assert.rejects(fencedUpdate(pool, { table: accounts, where: { id: 1 }, set: { balance: 666 }, fence: lease.fence }), StaleFenceError);
    assert.deepEqual(await balances(), [20]);
    await lease.release();
    await next.release();
  });

  test("mutual exclusion across 4 processes with GET_LOCK: no overlap, fences strictly increase", async () => {
    const sections = (await assertMutualExclusion(pg, "mysql", `rt_mx_${id}`, csTable, "")).length;
    assert.equal(sections, 32);
  });
});
