// Redis leases against the real server: exclusion across processes, fencing, renewal, and faults (SIGSTOP of a
// server of the test's own, a holder killed, the key taken away).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import type Redis from "ioredis";
import type { Pool } from "pg";
import { lockAll, LeaseLostError, NotAvailableError, StaleFenceError, TimeoutError, AbortError, Mutex } from "@locksmith/runtime";
import { createRedisLockProvider, fencedGet, fencedSet, fromNodeRedis, type Lease } from "@locksmith/runtime/redis";
import { connectPg, connectRedis, suffix, until } from "./services";
import { assertMutualExclusion, exitOf, lineFrom, spawnWorker } from "./multiprocess";
import { RedisServer } from "./redis-server";

describe("Redis leases", () => {
  let redis: Redis;
  let pg: Pool;
  const prefix = `locksmith:rt:${suffix()}:`;

  before(async () => {
    redis = await connectRedis();
    pg = await connectPg();
  });

  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await pg.end();
  });

  test("acquire, token-checked release, fences strictly increase and survive expiry", async () => {
    const locks = createRedisLockProvider(redis, { prefix, ttlMs: 2000 });
    const first = await locks.acquire("a");
    assert.match(first.token, /^[0-9a-f]{32}$/);
    assert.equal(typeof first.fence, "bigint");
    assert.ok(first.expiresAt > Date.now() && first.expiresAt <= Date.now() + 2000);
    assert.equal(await locks.tryAcquire("a"), null);
    await assert.rejects(locks.acquire("a", { ifAvailable: true }), NotAvailableError);
    await assert.rejects(locks.acquire("a", { timeoutMs: 50 }), TimeoutError);
    await first.release();
    await first.release();
    assert.equal(first.signal.aborted, true);
    const second = await locks.acquire("a", { ttlMs: 1000 });
    assert.ok(second.fence > first.fence);
    await second.release();
    // A stranger's token cannot delete a holder's key.
    const third = await locks.acquire("a");
    await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, `${prefix}{a}`, "not-the-token");
    assert.equal(await locks.tryAcquire("a"), null);
    await third.release();
  });

  test("auto-renewal keeps a lease alive past its TTL; extend() pushes expiresAt", async () => {
    const locks = createRedisLockProvider(redis, { prefix, ttlMs: 600 });
    const lease = await locks.acquire("renewed");
    const firstExpiry = lease.expiresAt;
    await until(() => lease.expiresAt > firstExpiry + 150, "the lease was renewed", 3000);
    await until(async () => (await redis.pttl(`${prefix}{renewed}`)) > 0 && Date.now() > firstExpiry + 100, "the original TTL passed", 3000);
    assert.equal(lease.signal.aborted, false);
    assert.equal(await locks.tryAcquire("renewed"), null);
    const manual = await createRedisLockProvider(redis, { prefix, ttlMs: 5000, autoRenew: false }).acquire("manual");
    await manual.extend(60_000);
    assert.ok(manual.expiresAt > Date.now() + 50_000);
    assert.ok((await redis.pttl(`${prefix}{manual}`)) > 50_000);
    await Promise.all([lease.release(), manual.release()]);
  });

  test("leases with different TTLs are each watched at their own deadline, and a renewed one outlives both", async () => {
    // One queue watches every lease: a short lease queued after a long one must still abort at its own deadline.
    const abortedAt = (lease: Lease) => new Promise<number>((resolve) => lease.signal.addEventListener("abort", () => resolve(performance.now()), { once: true }));
    const long = await createRedisLockProvider(redis, { prefix, ttlMs: 8000, autoRenew: false }).acquire("watch-long");
    const renewed = await createRedisLockProvider(redis, { prefix, ttlMs: 400 }).acquire("watch-renewed");
    const requested = performance.now();
    const short = await createRedisLockProvider(redis, { prefix, ttlMs: 1000, autoRenew: false, safetyMarginMs: 300 }).acquire("watch-short");
    const shortLost = abortedAt(short);
    const abortedAfter = (await shortLost) - requested;
    // The signal aborts safetyMarginMs before the local deadline (ttl - 1% - 2 ms after the request), never after it.
    assert.ok(abortedAfter >= 1000 - 12 - 300 - 1 && abortedAfter < 1000 - 12, `aborted ${abortedAfter.toFixed(0)} ms after the request`);
    assert.ok(short.signal.reason instanceof LeaseLostError);
    assert.equal(long.signal.aborted, false);
    assert.equal(renewed.signal.aborted, false, "renewed past twice its TTL");
    assert.ok((await redis.pttl(`${prefix}{watch-renewed}`)) > 0);
    await Promise.all([long.release(), renewed.release(), short.release()]);
  });

  test("a lease released before its first renewal is due is never renewed", async () => {
    const sent: string[] = []; // the lock key of each call
    const spy = {
      evalsha: (sha1: string, numKeys: number, ...args: (string | number)[]) => (sent.push(String(args[0])), redis.evalsha(sha1, numKeys, ...args)),
      eval: (script: string, numKeys: number, ...args: (string | number)[]) => (sent.push(String(args[0])), redis.eval(script, numKeys, ...args)),
    };
    const calls = (key: string) => sent.filter((k) => k === `${prefix}{${key}}`).length;
    const locks = createRedisLockProvider(spy, { prefix, ttlMs: 300 }); // renewed every 100 ms
    await (await locks.acquire("renew-early")).release();
    const held = await locks.acquire("renew-held");
    await until(() => calls("renew-held") >= 3, "the held lease was renewed twice", 3000);
    await held.release();
    assert.equal(calls("renew-early"), 2, "acquire and release only");
  });

  test("a refused attempt sends nothing more; one whose outcome is unknown (its reply failed) is undone", async () => {
    const sent: string[] = []; // the script (acquire or release) of each call, by its number of keys
    let failReplies = false;
    const spy = {
      evalsha: async (sha1: string, numKeys: number, ...args: (string | number)[]) => {
        sent.push(numKeys === 2 ? "acquire" : "release");
        const reply = await redis.evalsha(sha1, numKeys, ...args);
        if (failReplies && numKeys === 2) throw new Error("connection reset after the command was sent");
        return reply;
      },
      eval: (script: string, numKeys: number, ...args: (string | number)[]) => redis.eval(script, numKeys, ...args),
    };
    const locks = createRedisLockProvider(spy, { prefix, ttlMs: 5000 });
    const held = await locks.acquire("refused");
    sent.length = 0;
    assert.equal(await locks.tryAcquire("refused"), null);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(sent, ["acquire"]);
    await held.release();
    // The server granted the key, but the client never saw the reply: the grant is taken back with its token.
    failReplies = true;
    sent.length = 0;
    assert.equal(await locks.tryAcquire("refused"), null);
    await until(async () => (await redis.exists(`${prefix}{refused}`)) === 0, "the unseen grant was undone", 2000);
    assert.deepEqual(sent, ["acquire", "release"]);
  });

  test("fences are exact on both sides of 2^53 (a number reply below it, a decimal string above)", async () => {
    const locks = createRedisLockProvider(redis, { prefix, ttlMs: 2000 });
    await redis.set(`${prefix}{big}:fence`, "9007199254740989");
    const fences: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = await locks.acquire("big");
      fences.push(lease.fence);
      await lease.release();
    }
    assert.deepEqual(fences, [9007199254740990n, 9007199254740991n, 9007199254740992n, 9007199254740993n]);
    assert.equal(await redis.get(`${prefix}{big}:fence`), "9007199254740993");
  });

  test("the signal aborts as soon as the key is taken away (renewal answered 'not yours')", async () => {
    const locks = createRedisLockProvider(redis, { prefix, ttlMs: 3000 });
    const lease = await locks.acquire("stolen");
    await redis.del(`${prefix}{stolen}`);
    const started = Date.now();
    await until(() => lease.signal.aborted, "the lease signal aborted", 3000);
    assert.ok(Date.now() - started < 2000, "detected at the first renewal, long before the TTL");
    assert.ok(lease.signal.reason instanceof LeaseLostError);
    await assert.rejects(lease.extend(), LeaseLostError);
    await lease.release();
  });

  test("withLease over several keys passes the leases in sorted order and releases all", async () => {
    const locks = createRedisLockProvider(redis, { prefix, ttlMs: 2000 });
    const fences = await locks.withLease(["k2", "k1", "k2"], async (leases, signal) => {
      assert.deepEqual(leases.map((l) => l.key), ["k1", "k2"]);
      assert.equal(signal.aborted, false);
      return leases.map((l) => l.fence);
    });
    assert.equal(fences.length, 2);
    assert.notEqual(await locks.tryAcquire("k1"), null);
    const mutex = new Mutex();
    const ok = await lockAll([locks.lockable("k3"), mutex], async () => mutex.isLocked && (await locks.tryAcquire("k3")) === null);
    assert.equal(ok, true);
    await (await locks.acquire("k3", { timeoutMs: 1000 })).release();
  });

  test("an abort while polling rejects promptly and leaves nothing behind", async () => {
    const locks = createRedisLockProvider(redis, { prefix, ttlMs: 5000 });
    const held = await locks.acquire("busy");
    const controller = new AbortController();
    const waiting = locks.acquire("busy", { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(waiting, AbortError);
    await held.release();
    assert.equal(await redis.exists(`${prefix}{busy}`), 0);
  });

  test("fencedSet rejects a stale writer; fromNodeRedis adapts the node-redis call shape", async () => {
    const data = `${prefix}data`;
    await fencedSet(redis, data, "v5", 5n);
    await fencedSet(redis, data, "v5 again", 5n);
    await assert.rejects(fencedSet(redis, data, "stale", 4n), StaleFenceError);
    assert.deepEqual(await fencedGet(redis, data), { value: "v5 again", fence: 5n });
    const calls: unknown[] = [];
    const shim = fromNodeRedis({ eval: async (script, options) => (calls.push(options), redis.eval(script, options.keys.length, ...options.keys, ...options.arguments)) });
    await fencedSet(shim, data, "v6", 6n);
    assert.deepEqual(calls[0], { keys: [data], arguments: ["v6", "6"] });
  });

  test("Redlock over several clients: quorum grants, fences stay increasing, a minority cannot grant", async () => {
    const clients = [redis, await connectRedis(), await connectRedis()];
    try {
      // Three "nodes" on one server, kept apart by prefix; a fourth prefix stands for a node that is down.
      const nodes = clients.map((c, i) => ({ eval: (s: string, n: number, ...a: (string | number)[]) => c.eval(s, n, ...a.map((x, j) => (j < n ? `${i}:${x}` : x))) }));
      const locks = createRedisLockProvider(nodes, { prefix, ttlMs: 2000 });
      const a = await locks.acquire("quorum");
      assert.equal(await locks.tryAcquire("quorum"), null);
      await a.release();
      // Holder on a minority only: take the key on two nodes directly, so only one node can grant.
      await clients[1]!.set(`1:${prefix}{quorum}`, "other", "PX", 2000);
      await clients[2]!.set(`2:${prefix}{quorum}`, "other", "PX", 2000);
      assert.equal(await locks.tryAcquire("quorum"), null);
      await clients[1]!.del(`1:${prefix}{quorum}`);
      const b = await locks.acquire("quorum", { timeoutMs: 3000 });
      assert.ok(b.fence > a.fence);
      await b.release();
      await clients[2]!.del(`2:${prefix}{quorum}`);
      const c = await locks.acquire("quorum");
      assert.ok(c.fence > b.fence, "fences were lifted on the quorum, so a different majority continues above them");
      await c.release();
    } finally {
      for (const k of await redis.keys(`*:${prefix}*`)) await redis.del(k);
      clients[1]!.disconnect();
      clients[2]!.disconnect();
    }
  });

  test("mutual exclusion across 4 processes: no overlapping critical sections, fences strictly increase", async () => {
    const sections = (await assertMutualExclusion(pg, "redis", "shared", `rt_redis_cs_${suffix()}`, prefix)).length;
    assert.equal(sections, 32);
  });

  test("a killed holder process: another acquires after the TTL, with a newer fence", async () => {
    const child = spawnWorker(["redis", "hold", "crash", "0", `rt_unused_${suffix()}`, prefix]);
    const exited = exitOf(child);
    const [, fence] = await lineFrom(child, /HOLDING (\d+)/);
    child.kill("SIGKILL");
    await exited;
    const locks = createRedisLockProvider(redis, { prefix, ttlMs: 2000 });
    assert.equal(await locks.tryAcquire("crash"), null, "the dead holder's lease is still valid");
    const started = Date.now();
    const lease = await locks.acquire("crash", { timeoutMs: 5000 });
    assert.ok(Date.now() - started < 2000, "acquired once the 800 ms TTL ran out");
    assert.ok(lease.fence > BigInt(fence!));
    await lease.release();
  });

  test("Redis paused with SIGSTOP: the signal aborts before the TTL ends, and the stale holder's fencedSet is rejected", async () => {
    // A server of the test's own: pausing the shared one would stall every other client on the machine.
    const server = await RedisServer.start(false);
    const own = server.client();
    const holder = server.client();
    try {
      await pausedHolderLosesItsLease(own, holder);
    } finally {
      own.disconnect();
      holder.disconnect();
      await server.dispose();
    }
  });
});

/** The holder's lease signal aborts while Redis is paused, and its late fenced write is refused after a new holder's. */
async function pausedHolderLosesItsLease(redis: Redis, holder: Redis): Promise<void> {
    const prefix = `rt_paused_${suffix()}:`;
    const info = await redis.info("server");
    const pid = Number(/process_id:(\d+)/.exec(info)![1]);
    const ttlMs = 1000;
    // The margin leaves room for timer lateness on a loaded machine; the default is 10% of the TTL.
    const locks = createRedisLockProvider(holder, { prefix, ttlMs, safetyMarginMs: 250 });
    const data = `${prefix}fenced`;
    let lease: Lease | undefined;
    let abortedAfterMs = Infinity;
    let acquiredAt = 0;
    try {
      lease = await locks.acquire("paused");
      acquiredAt = performance.now();
      await fencedSet(holder, data, "written by the first holder", lease.fence);
      const aborted = new Promise<void>((resolve) => lease!.signal.addEventListener("abort", () => resolve(), { once: true }));
      execFileSync("kill", ["-STOP", String(pid)]);
      try {
        await aborted;
        abortedAfterMs = performance.now() - acquiredAt;
        // Hold the pause until the key must have expired on Redis's clock.
        await until(() => performance.now() - acquiredAt > ttlMs + 50, "the TTL passed", 5000);
      } finally {
        execFileSync("kill", ["-CONT", String(pid)]);
      }
    } finally {
      execFileSync("kill", ["-CONT", String(pid)]); // whatever happened above, never leave Redis stopped
    }
    assert.ok(abortedAfterMs < ttlMs, `signal aborted ${abortedAfterMs.toFixed(0)} ms after acquisition, TTL ${ttlMs} ms`);
    assert.ok(lease!.signal.reason instanceof LeaseLostError);
    // A new holder takes over and writes with its newer fence; the paused holder's late write is refused.
    const next = await createRedisLockProvider(redis, { prefix, ttlMs: 2000 }).acquire("paused", { timeoutMs: 5000 });
    assert.ok(next.fence > lease!.fence);
    await fencedSet(redis, data, "written by the new holder", next.fence);
    await assert.rejects(fencedSet(holder, data, "stale write", lease!.fence), StaleFenceError);
    assert.equal((await fencedGet(redis, data))?.value, "written by the new holder");
    await lease!.release();
    await next.release();
}
