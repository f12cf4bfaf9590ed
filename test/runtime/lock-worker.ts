// Worker process for the multi-process mutual-exclusion and crash tests (spawned by distributed tests).
// argv: <backend: redis|postgres|mysql> <mode: exclusion|hold> <key> <iterations> <results table> <prefix>
// exclusion: take the lock `iterations` times; each critical section records (fence, start, end) into PostgreSQL.
// Environment: REDIS_URL (which Redis), LEASE_CHECK (see below).
// hold: take the lock once, print "HOLDING <fence>" and wait to be killed.
import { createRedisLockProvider } from "@locksmith/runtime/redis";
import { createPgLockProvider } from "@locksmith/runtime/postgres";
import { createMySqlLockProvider } from "@locksmith/runtime/mysql";
import type { SqlLockProvider } from "@locksmith/runtime/postgres";
import { connectMySql, connectPg, connectRedis } from "./services";

async function main(): Promise<void> {
  const [backend, mode, key, iterations, table, prefix] = process.argv.slice(2) as [string, string, string, string, string, string];
  const recorder = await connectPg({ max: 2 });
  const closers: (() => unknown)[] = [() => recorder.end()];
  let provider: SqlLockProvider; // the Redis provider has the same shape (with extra acquire options)
  if (backend === "redis") {
    const redis = await connectRedis();
    closers.push(() => redis.disconnect());
    provider = createRedisLockProvider(redis, { prefix, ttlMs: mode === "hold" ? 800 : 5000, retryDelayMs: { initialDelayMs: 2, maxDelayMs: 20 } });
  } else if (backend === "postgres") {
    const pool = await connectPg({ max: 4 });
    closers.push(() => pool.end());
    provider = createPgLockProvider(pool, { fenceTable: `${table}_fences` });
  } else {
    const pool = await connectMySql();
    closers.push(() => pool.end());
    provider = createMySqlLockProvider(pool, { fenceTable: `${table}_fences` });
  }
  if (mode === "hold") {
    const lease = await provider.acquire(key);
    process.stdout.write(`HOLDING ${lease.fence}\n`);
    await new Promise(() => undefined); // until killed
  }
  // LEASE_CHECK=1: a section counts only if the lease's signal has not aborted by its end (the write a fenced store
  // would accept); a section whose lease was lost is retried, so every worker still records `iterations` sections.
  const checked = process.env["LEASE_CHECK"] === "1";
  for (let i = 0; i < Number(iterations); ) {
    const recorded = await provider.withLease(key, async (lease, signal) => {
      const start = process.hrtime.bigint(); // CLOCK_MONOTONIC: comparable across processes on one machine
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      const end = process.hrtime.bigint();
      if (checked && signal.aborted) return false;
      await recorder.query(`INSERT INTO ${table} (fence, started, ended, worker) VALUES ($1, $2, $3, $4)`, [lease.fence.toString(), start.toString(), end.toString(), process.pid]);
      return true;
    });
    if (recorded) i++;
  }
  for (const close of closers) await close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
