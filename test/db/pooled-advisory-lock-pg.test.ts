// Proof on PostgreSQL of unsafe-lock-release's pooled session lock: `pg_advisory_lock` sent through a `Pool` belongs
// to whichever pooled connection ran it. When the unlock, also sent through the pool, lands on another connection, it
// unlocks nothing (false) and the lock stays held by the first connection, idle in the pool: every later acquisition
// waits. The shape the help gives (one client for lock, work and unlock) leaves the lock free.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Pool } from "pg";
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { lintCode } from "../helpers/rule-tester";
import { connectPg, pgConfig } from "../runtime/services";
import { loadModule } from "./lost-update-proof";

/** A sync job as services write it: the pool is theirs; `busy` runs while the lock is held (other requests). */
const THROUGH_POOL = `import type { Pool } from "pg";
export async function syncOnce(pool: Pool, key: number, busy: () => Promise<void>) {
  await pool.query("SELECT pg_advisory_lock($1)", [key]);
  try {
    await busy();
  } finally {
    await pool.query("SELECT pg_advisory_unlock($1)", [key]);
  }
}
`;

/** The same job on one client, as the help says. */
const ON_ONE_CLIENT = `import type { Pool } from "pg";
export async function syncOnce(pool: Pool, key: number, busy: () => Promise<void>) {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [key]);
    try {
      await busy();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [key]);
    }
  } finally {
    client.release();
  }
}
`;

type SyncOnce = (pool: Pool, key: number, busy: () => Promise<void>) => Promise<void>;

describe("unsafe-lock-release proof: a session advisory lock through a pg Pool", () => {
  const key = 700_000 + Math.floor(Math.random() * 100_000);
  let pool: Pool;
  let observer: Pool;

  before(async () => {
    pool = new Pool(pgConfig({ max: 2 }));
    observer = await connectPg();
  });
  after(async () => {
    await pool?.end();
    await observer?.end();
  });

  /** Whether another session can take the lock now (and gives it back at once). */
  async function lockIsFree(): Promise<boolean> {
    const client = await observer.connect();
    try {
      const { rows } = await client.query<{ taken: boolean }>("SELECT pg_try_advisory_lock($1) AS taken", [key]);
      if (rows[0]!.taken) await client.query("SELECT pg_advisory_unlock($1)", [key]);
      return rows[0]!.taken;
    } finally {
      client.release();
    }
  }

  async function lockFreesWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (await lockIsFree()) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Runs the job while another request holds the pool's idle connection (the one that took the lock) for a moment, so
   * the unlock goes out on the pool's other connection.
   */
  async function run(code: string): Promise<void> {
    const { syncOnce } = loadModule(code) as { syncOnce: SyncOnce };
    let other: { release(): void } | undefined;
    await syncOnce(pool, key, async () => {
      // The lock's connection went back to the pool after the statement: another request checks it out.
      other = await pool.connect();
    });
    other?.release();
  }

  test("the rule reports the pooled lock, not the one-client version", () => {
    const pooled = lintCode(unsafeLockRelease, { code: THROUGH_POOL }).diagnostics;
    const lockAt = THROUGH_POOL.indexOf("pool.query(");
    assert.deepEqual(
      pooled.map((d) => [d.messageId, d.span.start]),
      [["pooledSessionLock", lockAt]],
    );
    assert.equal(lintCode(unsafeLockRelease, { code: ON_ONE_CLIENT }).diagnostics.length, 0);
  });

  test("through the pool, the unlock runs on another connection and the lock stays held", async () => {
    await run(THROUGH_POOL);
    assert.equal(await lockIsFree(), false, "the lock should still be held by the pooled connection that took it");
    // Clean up: the connection that holds it ends with the pool. The server ends that session a moment after the
    // client closes it, so the lock comes free soon after, not at once.
    await pool.end();
    pool = new Pool(pgConfig({ max: 2 }));
    assert.equal(await lockFreesWithin(5_000), true);
  });

  test("on one client, the unlock frees the lock", async () => {
    await run(ON_ONE_CLIENT);
    assert.equal(await lockIsFree(), true);
  });
});
