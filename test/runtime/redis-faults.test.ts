// Redis leases under faults the shared server must never see: a redis-server of the test's own is killed and
// restarted (without and with persistence) while leases are held, made unreachable for a while, and the client's
// clocks jump. Each server is killed in teardown, whatever the tests did.
import { after, describe, mock, test } from "node:test";
import assert from "node:assert/strict";
import type Redis from "ioredis";
import { LeaseLostError, StaleFenceError, TimeoutError } from "@locksmith/runtime";
import { createRedisLockProvider, fencedGet, fencedSet, type Lease } from "@locksmith/runtime/redis";
import { RedisServer } from "./redis-server";
import { connectPg, suffix, until } from "./services";
import { assertMutualExclusion } from "./multiprocess";

/** A regression must fail the test, not hang the run. */
const TEST_TIMEOUT_MS = 20_000;

/** Resolves with `performance.now()` when `lease`'s signal aborts. */
function abortTime(lease: Lease): Promise<number> {
  return new Promise((resolve) => lease.signal.addEventListener("abort", () => resolve(performance.now()), { once: true }));
}

for (const persistence of [false, true]) {
  describe(`Redis restarted ${persistence ? "with" : "without"} persistence`, () => {
    const servers: RedisServer[] = [];
    const clients: Redis[] = [];
    after(async () => {
      for (const c of clients) c.disconnect();
      for (const s of servers) await s.dispose();
    });

    test("the held lease is lost before anyone else is granted the key, and fences keep increasing", { timeout: TEST_TIMEOUT_MS }, async () => {
      const server = await RedisServer.start(persistence);
      servers.push(server);
      const [a, b] = [server.client(), server.client()];
      clients.push(a, b);
      const ttlMs = 3000;
      const holder = createRedisLockProvider(a, { ttlMs });
      const next = createRedisLockProvider(b, { ttlMs });
      const lease = await holder.acquire("res");
      await fencedSet(a, "data", "written by the first holder", lease.fence);
      const lost = abortTime(lease);

      // The next holder polls from the moment Redis goes down, so it is granted the key as soon as the server allows.
      const restarted = server.restart();
      const granted = next.acquire("res", { timeoutMs: 8000 }).then((second) => ({ second, grantedAt: performance.now() }));
      await restarted;
      const lostAt = await lost;
      assert.ok(lease.signal.reason instanceof LeaseLostError);
      assert.match((lease.signal.reason as Error).message, /connection to Redis closed/);
      await assert.rejects(lease.extend(), LeaseLostError);
      // With persistence the key survived, still holding the first holder's token: its release frees it (queued
      // until the client is reconnected). Without, the key is gone and the next holder gets it at once.
      assert.deepEqual(await fencedGet(b, "data"), persistence ? { value: "written by the first holder", fence: lease.fence } : null);
      await lease.release();
      const { second, grantedAt } = await granted;
      assert.ok(lostAt < grantedAt, "the first holder learned of the loss before the key was granted again");
      assert.ok(second.fence > lease.fence, `fence went from ${lease.fence} to ${second.fence}`);
      await fencedSet(b, "data", "written by the second holder", second.fence);
      await assert.rejects(fencedSet(a, "data", "late write by the first holder", lease.fence), StaleFenceError);
      assert.deepEqual(await fencedGet(b, "data"), { value: "written by the second holder", fence: second.fence });
      await second.release();
    });

    test("no overlapping critical sections across 3 processes while Redis restarts under them", { timeout: TEST_TIMEOUT_MS }, async () => {
      const server = await RedisServer.start(persistence);
      servers.push(server);
      const pg = await connectPg();
      try {
        // Each worker records a section only if its lease's signal was not aborted at the section's end: the write
        // a fenced store would still accept.
        const table = `rt_redis_restart_${suffix()}`;
        let restartedAt = 0n;
        const restarts = (async () => {
          // Every worker is connected and has recorded a section, so the restart hits them all mid-run.
          const recorded = () =>
            pg.query(`SELECT count(*)::int AS n, count(DISTINCT worker)::int AS workers FROM ${table}`).then(
              (r) => r.rows[0] as { n: number; workers: number },
              () => ({ n: 0, workers: 0 }),
            );
          await until(async () => ((r) => r.workers === 3 && r.n >= 10)(await recorded()), "every worker recorded sections", 15_000);
          await server.restart();
          restartedAt = process.hrtime.bigint();
        })();
        let sections;
        try {
          sections = await assertMutualExclusion(pg, "redis", "shared", table, "locksmith:restart:", 3, 30, { REDIS_URL: server.url, LEASE_CHECK: "1" });
        } finally {
          await restarts;
        }
        assert.equal(sections.length, 90);
        assert.ok(sections.some((s) => BigInt(s.started) > restartedAt), "sections ran after the restart too");
      } finally {
        await pg.end();
      }
    });
  });
}

describe("Redis unreachable, then back", () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  after(async () => {
    for (const c of clients) c.disconnect();
    await server?.dispose();
  });

  test("waits fail with TimeoutError within their timeout, leases are lost and release at once, then it works again", { timeout: TEST_TIMEOUT_MS }, async () => {
    server = await RedisServer.start(false);
    const queued = server.client(); // ioredis default: commands wait in the offline queue
    const failing = server.client({ enableOfflineQueue: false }); // commands fail at once while disconnected
    clients.push(queued, failing);
    await until(() => failing.status === "ready", "the client connected");
    const held = await createRedisLockProvider(queued, { ttlMs: 5000 }).acquire("held");
    await server.down();
    await until(() => held.signal.aborted, "the held lease learned the connection closed", 2000);
    const releasing = performance.now();
    await held.release(); // a lost lease's release does not wait for an unreachable server
    assert.ok(performance.now() - releasing < 100);

    for (const client of [queued, failing]) {
      const locks = createRedisLockProvider(client, { ttlMs: 5000 });
      const started = performance.now();
      await assert.rejects(locks.acquire("k", { timeoutMs: 300 }), TimeoutError);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 290 && elapsed < 800, `rejected after ${elapsed.toFixed(0)} ms`);
      await assert.rejects(
        locks.withLease("k", () => assert.fail("ran without a lease"), { timeoutMs: 200 }),
        TimeoutError,
      );
    }

    await server.up();
    for (const client of [queued, failing]) {
      const lease = await createRedisLockProvider(client, { ttlMs: 5000 }).acquire("k", { timeoutMs: 5000 });
      assert.equal(lease.signal.aborted, false);
      await lease.release();
    }
  });
});

describe("Redis without the scripts (SCRIPT FLUSH)", () => {
  let server: RedisServer;
  let client: Redis;
  after(async () => {
    client?.disconnect();
    await server?.dispose();
  });

  test("acquisition and release fall back to EVAL and still act at once", { timeout: TEST_TIMEOUT_MS }, async () => {
    server = await RedisServer.start(false);
    client = server.client();
    const locks = createRedisLockProvider(client, { ttlMs: 5000 });
    const first = await locks.acquire("flushed");
    await client.script("FLUSH");
    await first.release();
    assert.equal(await client.exists("locksmith:lock:{flushed}"), 0, "released by EVAL, not left to its TTL");
    await client.script("FLUSH");
    const second = await locks.acquire("flushed");
    assert.ok(second.fence > first.fence);
    await client.script("FLUSH");
    assert.equal(await locks.tryAcquire("flushed"), null);
    assert.equal(await client.get("locksmith:lock:{flushed}"), second.token, "a refused attempt leaves the holder's key");
    await second.release();
    assert.equal(await client.exists("locksmith:lock:{flushed}"), 0);
  });
});

describe("client clock jumps (fake timers)", () => {
  let server: RedisServer;
  let client: Redis;
  after(async () => {
    mock.timers.reset();
    client?.disconnect();
    await server?.dispose();
  });

  test("a wall clock stepped forward or back neither shortens nor lengthens a lease", { timeout: TEST_TIMEOUT_MS }, async () => {
    server = await RedisServer.start(false);
    client = server.client();
    const ttlMs = 1000;
    const locks = createRedisLockProvider(client, { ttlMs, autoRenew: false, safetyMarginMs: 100 });
    const requested = performance.now();
    const lease = await locks.acquire("wall");
    const lost = abortTime(lease);
    mock.timers.enable({ apis: ["Date"], now: Date.now() + 3_600_000 }); // an hour ahead
    assert.equal(lease.signal.aborted, false);
    assert.ok(lease.expiresAt > Date.now() && lease.expiresAt <= Date.now() + ttlMs, "expiresAt follows the new wall clock");
    mock.timers.setTime(Date.now() - 7_200_000); // then an hour behind the real time
    const abortedAfter = (await lost) - requested;
    mock.timers.reset();
    // Documented: the signal aborts safetyMarginMs before the local deadline, which is ttl - drift (1% + 2 ms)
    // after the request was sent; a loaded machine may fire the timer late, but never past the deadline.
    const deadline = ttlMs - (Math.ceil(ttlMs * 0.01) + 2);
    assert.ok(abortedAfter >= deadline - 100 - 1 && abortedAfter < deadline, `aborted ${abortedAfter.toFixed(0)} ms after the request`);
    await lease.release();
  });

  test("timers that fire early (a jump of the timer clock) do not end a lease before its deadline", { timeout: TEST_TIMEOUT_MS }, async () => {
    const locks = createRedisLockProvider(client, { ttlMs: 1000 });
    mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
    try {
      const lease = await locks.acquire("timers");
      mock.timers.tick(60_000); // every lease timer fires: the watchdog re-checks the monotonic clock
      assert.equal(lease.signal.aborted, false);
      assert.ok((await client.pttl("locksmith:lock:{timers}")) > 0, "the key is still held"); // (`until` needs real timers)
      assert.equal(await locks.tryAcquire("timers"), null);
      await lease.release();
    } finally {
      mock.timers.reset();
    }
  });
});
