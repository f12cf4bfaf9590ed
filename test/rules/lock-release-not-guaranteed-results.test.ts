// lock-release-not-guaranteed on how real services read a try-lock's result: a SET NX queued in a MULTI (taken by
// its exec(), a lease when an EXPIRE is queued with it, released by a DEL queued in another MULTI), and a PostgreSQL
// try-lock whose success is kept in a flag the `finally` tests. Each valid shape next to a look-alike still reported.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

/** A try-lock is waited for by nobody: while it leaks, the others' attempts fail. */
const UNTIL_EXPIRY = "the lock stays held until it expires, and meanwhile every other attempt to take it fails";
const SESSION =
  "the lock stays held for as long as the database session lives (a pooled connection can live for hours), and meanwhile every other attempt to take it fails";

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a SET NX queued in a MULTI with its EXPIRE, the reply tested, released by a DEL queued in the finally's MULTI",
      code: `import { createClient } from "redis";
const redis = createClient();
declare function rebuildLeaderboard(season: string): Promise<void>;
export async function refreshLeaderboard(season: string) {
  const [claimed] = await redis
    .multi()
    .setNX(\`leaderboard:\${season}:rebuilding\`, "1")
    .expire(\`leaderboard:\${season}:rebuilding\`, 30)
    .exec();
  if (!claimed) return { status: "busy" };
  try {
    await rebuildLeaderboard(season);
    return { status: "rebuilt" };
  } finally {
    await redis
      .multi()
      .set(\`leaderboard:\${season}:rebuiltAt\`, Date.now().toString())
      .del(\`leaderboard:\${season}:rebuilding\`)
      .exec();
  }
}
`,
    },
    {
      name: "a PostgreSQL try-lock whose success is kept in a flag: the early return runs only when it was not taken, the finally releases only when it was",
      code: `import { Pool } from "pg";
const pool = new Pool();
declare function recomputeInvoiceTotals(): Promise<void>;
export async function runNightlyTotals() {
  let held = false;
  const client = await pool.connect();
  try {
    const result = await client
      .query<{ held: boolean }>("SELECT pg_try_advisory_lock($1) AS held", [9120])
      .catch((error) => {
        throw error;
      });
    held = result.rows[0]?.held === true;
    if (!held) {
      console.info("nightly totals already running elsewhere");
      return;
    }
    await recomputeInvoiceTotals();
  } finally {
    if (held) await client.query("SELECT pg_advisory_unlock($1)", [9120]);
    client.release();
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "the same MULTI claim given back after the rebuild, not in finally: a throw keeps it until the EXPIRE runs out",
      code: `import { createClient } from "redis";
const redis = createClient();
declare function rebuildLeaderboard(season: string): Promise<void>;
export async function refreshLeaderboard(season: string) {
  const [claimed] = await redis
    .multi()
    .setNX(\`leaderboard:\${season}:rebuilding\`, "1")
    .expire(\`leaderboard:\${season}:rebuilding\`, 30)
    .exec();
  if (!claimed) return { status: "busy" };
  await rebuildLeaderboard(season);
  await redis.del(\`leaderboard:\${season}:rebuilding\`);
  return { status: "rebuilt" };
}
`,
      errors: [
        {
          line: 5,
          column: 27,
          messageId: "releaseSkippable",
          data: {
            lock: "Redis lock `leaderboard:${season}:rebuilding`",
            consequence: UNTIL_EXPIRY,
            line: 12,
            skip: "`await rebuildLeaderboard(season)` at line 11 throws",
          },
        },
      ],
      output: `import { createClient } from "redis";
const redis = createClient();
declare function rebuildLeaderboard(season: string): Promise<void>;
export async function refreshLeaderboard(season: string) {
  const [claimed] = await redis
    .multi()
    .setNX(\`leaderboard:\${season}:rebuilding\`, "1")
    .expire(\`leaderboard:\${season}:rebuilding\`, 30)
    .exec();
  if (!claimed) return { status: "busy" };
  try {
    await rebuildLeaderboard(season);
  } finally {
    await redis.del(\`leaderboard:\${season}:rebuilding\`);
  }
  return { status: "rebuilt" };
}
`,
    },
    {
      name: "a PostgreSQL try-lock tested through its result's column (`rows[0]?.held`), unlocked after the work, not in finally",
      code: `import { Pool } from "pg";
const pool = new Pool();
declare function recomputeInvoiceTotals(): Promise<void>;
export async function runNightlyTotals() {
  const client = await pool.connect();
  const result = await client.query<{ held: boolean }>("SELECT pg_try_advisory_lock($1) AS held", [9120]);
  if (!result.rows[0]?.held) {
    client.release();
    return;
  }
  await recomputeInvoiceTotals();
  await client.query("SELECT pg_advisory_unlock($1)", [9120]);
  client.release();
}
`,
      errors: [
        {
          line: 6,
          column: 24,
          messageId: "releaseSkippable",
          data: {
            lock: "PostgreSQL advisory lock (`pg_try_advisory_lock`)",
            consequence: SESSION,
            line: 12,
            skip: "`await recomputeInvoiceTotals()` at line 11 throws",
          },
        },
      ],
      output: `import { Pool } from "pg";
const pool = new Pool();
declare function recomputeInvoiceTotals(): Promise<void>;
export async function runNightlyTotals() {
  const client = await pool.connect();
  const result = await client.query<{ held: boolean }>("SELECT pg_try_advisory_lock($1) AS held", [9120]);
  if (!result.rows[0]?.held) {
    client.release();
    return;
  }
  try {
    await recomputeInvoiceTotals();
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [9120]);
  }
  client.release();
}
`,
    },
  ],
});
