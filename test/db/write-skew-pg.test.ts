// Proof on PostgreSQL (READ COMMITTED, the default): the shapes write-skew flags break their invariant when two
// requests overlap — two demotions leave an organisation without an admin, two bookings take the last seat twice —
// and the shapes it accepts (the parent row locked FOR UPDATE before the check, SERIALIZABLE with the runtime's retry)
// keep it. The overlap is forced, not hoped for: each caller's write waits until the other caller has either reached
// its own write (so both checks ran first) or is blocked on a lock (the fix at work), seen in pg_stat_activity.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool, PoolClient } from "pg";
import { writeSkew } from "../../rules/write-skew";
import { applyFix, lintCode } from "../helpers/rule-tester";
import { suffix, until } from "../runtime/services";
import { loadModule, usePgProofSchema } from "./lost-update-proof";

const DEMOTE_UNLOCKED = `import type { Pool } from "pg";

export async function demote(pool: Pool, orgId: string, userId: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'admin'", [orgId]);
    if (rows[0].n <= 1) throw new Error("an organisation needs an admin");
    await client.query("UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`;

const DEMOTE_LOCKED = DEMOTE_UNLOCKED.replace(
  `await client.query("BEGIN");`,
  `await client.query("BEGIN");
    await client.query("SELECT id FROM orgs WHERE id = $1 FOR UPDATE", [orgId]);`,
);

/** The runtime's transaction helper at its default level (READ COMMITTED): still write skew. */
const DEMOTE_IN_TRANSACTION = `import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function demote(pool: Pool, orgId: string, userId: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'admin'", [orgId]);
    if (rows[0].n <= 1) throw new Error("an organisation needs an admin");
    await tx.query("UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
  });
}
`;

/** The rule's suggestion applied to it: `{ isolation: "serializable" }`, retried by the helper. */
const DEMOTE_SERIALIZABLE = (() => {
  const linted = lintCode(writeSkew, { code: DEMOTE_IN_TRANSACTION });
  const suggestion = linted.diagnostics[0]?.suggestions[0];
  assert.ok(suggestion, "the rule offers no suggestion for the withPgTransaction shape");
  return applyFix(linted, suggestion);
})();

const BOOK_UNLOCKED = `import type { Pool } from "pg";

export async function book(pool: Pool, eventId: string, userId: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows: [event] } = await client.query("SELECT capacity FROM events WHERE id = $1", [eventId]);
    const { rows: [{ taken }] } = await client.query("SELECT count(*)::int AS taken FROM bookings WHERE event_id = $1", [eventId]);
    if (taken >= event.capacity) throw new Error("sold out");
    await client.query("INSERT INTO bookings (event_id, user_id) VALUES ($1, $2)", [eventId, userId]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`;

const BOOK_LOCKED = BOOK_UNLOCKED.replace(
  `"SELECT capacity FROM events WHERE id = $1"`,
  `"SELECT capacity FROM events WHERE id = $1 FOR UPDATE"`,
);

/**
 * The count repeated inside the INSERT (`INSERT … SELECT … WHERE (SELECT count(*) …) < $3`), with the inserted row count
 * tested: no re-check at READ COMMITTED, whose statement snapshot misses the other transaction's uncommitted booking.
 */
const BOOK_RECOUNTED = BOOK_UNLOCKED.replace(
  `await client.query("INSERT INTO bookings (event_id, user_id) VALUES ($1, $2)", [eventId, userId]);`,
  `const added = await client.query(
      "INSERT INTO bookings (event_id, user_id) SELECT $1, $2 WHERE (SELECT count(*) FROM bookings WHERE event_id = $1) < $3",
      [eventId, userId, event.capacity],
    );
    if (added.rowCount !== 1) throw new Error("sold out");`,
);

/**
 * A pool whose clients hold every statement matching `write` (on the first attempt of each caller) until all
 * `parties` callers are there or every other caller is blocked on a lock.
 */
function overlapping(pool: Pool, admin: Pool, parties: number, write: RegExp): Pool {
  const pids = new Set<number>();
  const arrived = new Set<number>();
  let released = false;
  const othersBlocked = async (self: number) => {
    if (pids.size < parties) return false; // the other caller has not even connected yet
    const others = [...pids].filter((p) => p !== self && !arrived.has(p));
    if (others.length === 0) return true;
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1) AND wait_event_type = 'Lock'", [
      others,
    ]);
    return rows[0].n === others.length;
  };
  const wrap = (client: PoolClient, pid: number) =>
    new Proxy(client, {
      get(target, property, receiver) {
        if (property !== "query") return Reflect.get(target, property, receiver);
        return async (text: unknown, values?: unknown[]) => {
          if (!released && typeof text === "string" && write.test(text)) {
            arrived.add(pid);
            await until(async () => released || arrived.size === parties || (await othersBlocked(pid)), "the other caller overlaps");
            released = true;
          }
          return target.query(text as string, values);
        };
      },
    });
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== "connect") return Reflect.get(target, property, receiver);
      return async () => {
        const client = await target.connect();
        const { rows } = await client.query("SELECT pg_backend_pid() AS pid");
        pids.add(rows[0].pid as number);
        return wrap(client, rows[0].pid as number);
      };
    },
  });
}

function findingLines(code: string): number[] {
  const linted = lintCode(writeSkew, { code });
  return linted.diagnostics.map((d) => linted.lineOf(d.span.start).line);
}

describe("write-skew proof on PostgreSQL (pg, READ COMMITTED)", () => {
  let pool: Pool;
  let admin: Pool;
  usePgProofSchema(
    (schema) => [
      `CREATE TABLE ${schema}.orgs (id text PRIMARY KEY)`,
      `CREATE TABLE ${schema}.members (org_id text NOT NULL, user_id text NOT NULL, role text NOT NULL, PRIMARY KEY (org_id, user_id))`,
      `CREATE TABLE ${schema}.events (id text PRIMARY KEY, capacity integer NOT NULL)`,
      `CREATE TABLE ${schema}.bookings (event_id text NOT NULL, user_id text NOT NULL, PRIMARY KEY (event_id, user_id))`,
    ],
    6,
    (p) => {
      pool = p;
      admin = p;
    },
  );

  async function demoteBoth(demote: (pool: Pool, orgId: string, userId: string) => Promise<void>) {
    const org = `org-${suffix()}`;
    await pool.query("INSERT INTO orgs (id) VALUES ($1)", [org]);
    await pool.query("INSERT INTO members (org_id, user_id, role) VALUES ($1, 'ann', 'admin'), ($1, 'bob', 'admin')", [org]);
    const racing = overlapping(pool, admin, 2, /^UPDATE members/);
    const results = await Promise.allSettled([demote(racing, org, "ann"), demote(racing, org, "bob")]);
    const { rows } = await pool.query("SELECT user_id, role FROM members WHERE org_id = $1 ORDER BY user_id", [org]);
    return {
      succeeded: results.filter((r) => r.status === "fulfilled").length,
      errors: results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : [])),
      admins: rows.filter((r) => r.role === "admin").length,
    };
  }

  async function bookBoth(book: (pool: Pool, eventId: string, userId: string) => Promise<void>, held = /^INSERT INTO bookings/) {
    const event = `event-${suffix()}`;
    await pool.query("INSERT INTO events (id, capacity) VALUES ($1, 2)", [event]);
    await pool.query("INSERT INTO bookings (event_id, user_id) VALUES ($1, 'ann')", [event]);
    const racing = overlapping(pool, admin, 2, held);
    const results = await Promise.allSettled([book(racing, event, "bob"), book(racing, event, "cid")]);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM bookings WHERE event_id = $1", [event]);
    return {
      succeeded: results.filter((r) => r.status === "fulfilled").length,
      errors: results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : [])),
      bookings: rows[0].n as number,
    };
  }

  test("the rule flags the unlocked shapes at their writes and accepts the locked and SERIALIZABLE ones", () => {
    assert.deepEqual(findingLines(DEMOTE_UNLOCKED), [9]);
    assert.deepEqual(findingLines(BOOK_UNLOCKED), [10]);
    assert.deepEqual(findingLines(DEMOTE_IN_TRANSACTION), [8]);
    assert.deepEqual(findingLines(DEMOTE_LOCKED), []);
    assert.match(DEMOTE_SERIALIZABLE, /withPgTransaction\(pool, async \(tx\) => \{[^]*\}, \{ isolation: "serializable" \}\);/);
    assert.deepEqual(findingLines(DEMOTE_SERIALIZABLE), []);
    assert.deepEqual(findingLines(BOOK_LOCKED), []);
    assert.deepEqual(findingLines(BOOK_RECOUNTED), [10]);
  });

  test("flagged: two concurrent demotions of the two admins both succeed and leave none", async () => {
    assert.deepEqual(await demoteBoth(loadModule(DEMOTE_UNLOCKED)["demote"]), { succeeded: 2, errors: [], admins: 0 });
  });

  test("parent row locked FOR UPDATE before the count: one demotion succeeds, the other is refused, one admin is left", async () => {
    assert.deepEqual(await demoteBoth(loadModule(DEMOTE_LOCKED)["demote"]), {
      succeeded: 1,
      errors: ["an organisation needs an admin"],
      admins: 1,
    });
  });

  test("flagged: the same inside withPgTransaction at READ COMMITTED still leaves no admin", async () => {
    assert.deepEqual(await demoteBoth(loadModule(DEMOTE_IN_TRANSACTION)["demote"]), { succeeded: 2, errors: [], admins: 0 });
  });

  test("suggested SERIALIZABLE (withPgTransaction retries it): the second demotion is aborted, retried and refused", async () => {
    assert.deepEqual(await demoteBoth(loadModule(DEMOTE_SERIALIZABLE)["demote"]), {
      succeeded: 1,
      errors: ["an organisation needs an admin"],
      admins: 1,
    });
  });

  test("flagged: two concurrent bookings of the last seat both succeed (3 bookings for 2 seats)", async () => {
    assert.deepEqual(await bookBoth(loadModule(BOOK_UNLOCKED)["book"]), { succeeded: 2, errors: [], bookings: 3 });
  });

  test("event row locked FOR UPDATE before the count: one booking gets the last seat, the other is sold out", async () => {
    assert.deepEqual(await bookBoth(loadModule(BOOK_LOCKED)["book"]), { succeeded: 1, errors: ["sold out"], bookings: 2 });
  });

  test("flagged: the count repeated in the INSERT, both inserts made before either commits: both pass (3 bookings for 2 seats)", async () => {
    assert.deepEqual(await bookBoth(loadModule(BOOK_RECOUNTED)["book"], /^COMMIT/), { succeeded: 2, errors: [], bookings: 3 });
  });
});
