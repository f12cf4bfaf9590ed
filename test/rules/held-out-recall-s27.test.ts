// Session 27's held-out recall set (b274–b289, bench/recall). The shapes missed by the starting build and fixed where
// one sentence covers them, each an invalid case written freshly, with the nearest correct shape as a valid case:
// - a MongoDB `replaceOne(filter, doc)` / `findOneAndReplace` writes its replacement whole: a document loaded, changed
//   in memory and passed back is written as `doc.save()` or `updateOne(filter, { $set: doc })` writes it;
// - in a conjunction or disjunction of tests (`cap !== null && used >= cap`), a bound comparison of a column the write
//   changes is the check, wherever it stands; an equality or a truthiness test (`email === e && verifiedAt`, a
//   shortcut for "already done") still checks what the condition's first operand reads;
// - an UPDATE's WHERE repeats such a check as `(cap IS NULL OR used < cap)`: a parenthesised disjunction of one bound
//   comparison and NULL tests of other columns guards the compared column, so with its count read it is a conditional
//   update;
// - a DELETE in a transaction holds the rows it removes until the transaction ends, as an UPDATE holds those it
//   changes: two transactions that delete and update the same key's rows of two tables in opposite orders deadlock.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A MongoDB driver collection of page-like counters. */
const TALLIES = (body: string) => `import { MongoClient } from "mongodb";
const tallies = new MongoClient("mongodb://localhost").db("site").collection<{ slug: string; hits: number; title: string }>("tallies");
${body}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The replacement is built from the request alone: nothing read is written back.
      name: "MongoDB: a document replaced by one built from the caller's values",
      code: TALLIES(`export async function resetTally(slug: string, title: string) {
  const found = await tallies.findOne({ slug });
  if (!found) return;
  await tallies.replaceOne({ _id: found._id }, { slug, title, hits: 0 });
}`),
    },
    {
      // The count is raised by the database ($inc): the loaded document is only looked at.
      name: "MongoDB: a tally found, then raised with $inc",
      code: TALLIES(`export async function hit(slug: string) {
  const found = await tallies.findOne({ slug });
  if (!found) return;
  await tallies.updateOne({ _id: found._id }, { $inc: { hits: 1 } });
}`),
    },
    {
      // A shortcut for work already done: the truthiness test of the column written is no bound check.
      name: "pg: `owner === user && confirmedAt` returns early, then confirmedAt is set",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function confirmHandle(handleId: string, userId: string) {
  const { rows } = await pool.query("SELECT owner_id, confirmed_at FROM handles WHERE id = $1", [handleId]);
  if (rows[0].owner_id === userId && rows[0].confirmed_at) return;
  await pool.query("UPDATE handles SET confirmed_at = now() WHERE id = $1", [handleId]);
}`,
    },
    {
      // The cap is repeated in the UPDATE's WHERE and the affected-row count is read: a conditional update.
      name: "pg: a nullable cap tested, then the seat taken by an UPDATE that repeats the cap and reads its count",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function takeSeat(eventId: string) {
  const { rows } = await pool.query("SELECT capacity, booked FROM events WHERE id = $1", [eventId]);
  if (rows[0].capacity !== null && rows[0].booked >= rows[0].capacity) throw new Error("full");
  const taken = await pool.query(
    "UPDATE events SET booked = booked + 1 WHERE id = $1 AND (capacity IS NULL OR booked < capacity)",
    [eventId],
  );
  if (taken.rowCount !== 1) throw new Error("full");
}`,
    },
  ],
  invalid: [
    {
      // Two hits load the same document and both write back its count plus one.
      name: "MongoDB: a tally loaded, raised in memory and written back whole by replaceOne",
      code: TALLIES(`export async function hit(slug: string) {
  const found = await tallies.findOne({ slug });
  if (!found) return;
  found.hits = found.hits + 1;
  await tallies.replaceOne({ _id: found._id }, found);
}`),
      errors: [{ line: 7, column: 9, messageId: "documentLostUpdate" }],
    },
    {
      name: "MongoDB: the same write back through findOneAndReplace",
      code: TALLIES(`export async function hit(slug: string) {
  const found = await tallies.findOne({ slug });
  if (!found) return;
  found.hits += 1;
  return tallies.findOneAndReplace({ _id: found._id }, found);
}`),
      errors: [{ line: 7, column: 10, messageId: "documentLostUpdate" }],
    },
    {
      // Two bookings of the last seat both read booked < capacity, and both raise it.
      name: "pg: a nullable cap tested behind its null test, then the count raised without it",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function takeSeat(eventId: string) {
  const { rows } = await pool.query("SELECT capacity, booked FROM events WHERE id = $1", [eventId]);
  if (rows[0].capacity !== null && rows[0].booked >= rows[0].capacity) throw new Error("full");
  await pool.query("UPDATE events SET booked = booked + 1 WHERE id = $1", [eventId]);
}`,
      errors: [{ line: 6, column: 9, messageId: "checkThenWrite" }],
    },
    {
      // The same bound in a disjunction that lets an unlimited plan through.
      name: "better-sqlite3: `!limited || used < quota` decides an unguarded raise of used",
      code: `import Database from "better-sqlite3";
const db = new Database("quota.db");
declare function render(jobId: string): Promise<void>;
export async function renderWithQuota(planId: string, jobId: string) {
  const plan = db.prepare("SELECT limited, used, quota FROM plans WHERE id = ?").get(planId) as {
    limited: number;
    used: number;
    quota: number;
  };
  if (!plan.limited || plan.used < plan.quota) {
    await render(jobId);
    db.prepare("UPDATE plans SET used = used + 1 WHERE id = ?").run(planId);
  }
}`,
      errors: [{ line: 12, column: 5, messageId: "checkThenWrite" }],
    },
  ],
});

/** A pg transaction on one client of the pool, running `body`'s statements for `memberId`. */
const MEMBER_TX = (name: string, body: string) => `export async function ${name}(memberId: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
${body}
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}`;
const DROP_DEVICES = `    await client.query("DELETE FROM member_devices WHERE member_id = $1", [memberId]);`;
const CLOSE_MEMBER = `    await client.query("UPDATE members SET closed_at = now() WHERE id = $1", [memberId]);`;
const POOL = `import { Pool } from "pg";
const pool = new Pool();
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      // Both transactions take the devices' rows first, then the member's: one order, no cycle.
      name: "pg: devices deleted before the member is updated, in both transactions",
      code: `${POOL}${MEMBER_TX("closeMember", `${DROP_DEVICES}\n${CLOSE_MEMBER}`)}
${MEMBER_TX("forgetDevices", `${DROP_DEVICES}\n${CLOSE_MEMBER}`)}`,
    },
    {
      // Autocommit: each DELETE releases its rows when it completes, so nothing is held while the UPDATE waits.
      name: "pg: the same statements in opposite orders outside any transaction",
      code: `${POOL}export async function closeMember(memberId: string) {
  await pool.query("DELETE FROM member_devices WHERE member_id = $1", [memberId]);
  await pool.query("UPDATE members SET closed_at = now() WHERE id = $1", [memberId]);
}
export async function forgetDevices(memberId: string) {
  await pool.query("UPDATE members SET closed_at = now() WHERE id = $1", [memberId]);
  await pool.query("DELETE FROM member_devices WHERE member_id = $1", [memberId]);
}`,
    },
  ],
  invalid: [
    {
      // One transaction holds the devices and waits for the member, the other holds the member and waits for them.
      name: "pg: devices deleted then the member updated here, the member updated then devices deleted there",
      code: `${POOL}${MEMBER_TX("closeMember", `${DROP_DEVICES}\n${CLOSE_MEMBER}`)}
${MEMBER_TX("forgetDevices", `${CLOSE_MEMBER}\n${DROP_DEVICES}`)}`,
      errors: [
        { line: 8, column: 11, messageId: "cycle" },
        { line: 22, column: 11, messageId: "cycle" },
      ],
    },
  ],
});
