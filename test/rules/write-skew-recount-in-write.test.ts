// write-skew, session 17: a count repeated inside the writing statement (`INSERT … SELECT … WHERE (SELECT count(*) …)
// < n`, `UPDATE … WHERE (SELECT count(*) …) > 1`) re-checks the set atomically only where that statement's read locks
// what it reads (MySQL / MariaDB at REPEATABLE READ) or writers take turns (SQLite). On PostgreSQL at READ COMMITTED
// the subquery reads the statement's snapshot, which misses the other transaction's uncommitted row: both writes pass
// (test/db/write-skew-pg.test.ts proves it). bench/field/repros/s15/missed-count-guarded-insert.ts is the field shape.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** pg: a lab's bench slots counted against its capacity, then a slot inserted with the count repeated in the INSERT. */
const reserveBench = (lock: string) => `import type { PoolClient } from "pg";
export async function reserveBench(db: PoolClient, labId: string, student: string, capacity: number) {
  await db.query("BEGIN");${lock}
  const { rows } = await db.query("SELECT count(*)::int AS used FROM bench_slots WHERE lab_id = $1", [labId]);
  if (rows[0].used >= capacity) throw new Error("lab full");
  const added = await db.query(
    "INSERT INTO bench_slots (lab_id, student) SELECT $1, $2 WHERE (SELECT count(*) FROM bench_slots WHERE lab_id = $1) < $3",
    [labId, student, capacity],
  );
  await db.query("COMMIT");
  return added.rowCount === 1;
}
`;

/** pg: a channel's moderators counted, then one stepped down with the count repeated in the UPDATE's WHERE. */
const stepDown = `import type { Pool } from "pg";
export async function stepDown(pool: Pool, channelId: string, userId: string) {
  const { rows } = await pool.query("SELECT count(*)::int AS mods FROM channel_roles WHERE channel_id = $1 AND role = 'mod'", [channelId]);
  if (rows[0].mods < 2) throw new Error("a channel keeps one moderator");
  await pool.query(
    "UPDATE channel_roles SET role = 'member' WHERE channel_id = $1 AND user_id = $2 AND (SELECT count(*) FROM channel_roles WHERE channel_id = $1 AND role = 'mod') > 1",
    [channelId, userId],
  );
}
`;

/** better-sqlite3: the same bench reservation; SQLite runs one writing statement at a time. */
const reserveBenchSqlite = `import Database from "better-sqlite3";
const db = new Database("labs.db");
export function reserveBench(labId: string, student: string, capacity: number) {
  const { used } = db.prepare("SELECT count(*) AS used FROM bench_slots WHERE lab_id = ?").get(labId) as { used: number };
  if (used >= capacity) throw new Error("lab full");
  const added = db
    .prepare("INSERT INTO bench_slots (lab_id, student) SELECT ?, ? WHERE (SELECT count(*) FROM bench_slots WHERE lab_id = ?) < ?")
    .run(labId, student, labId, capacity);
  return added.changes === 1;
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "pg: the lab row locked FOR UPDATE before the count; the recount in the INSERT is then only a second guard",
      code: reserveBench(`\n  await db.query("SELECT id FROM labs WHERE id = $1 FOR UPDATE", [labId]);`),
      filename: "src/labs.ts",
    },
    {
      name: "better-sqlite3: the count repeated in the INSERT, which SQLite runs while no other statement writes",
      code: reserveBenchSqlite,
      filename: "src/labs.ts",
    },
  ],
  invalid: [
    {
      name: "pg: the count repeated in INSERT … SELECT … WHERE (SELECT count(*) …) < $3 reads a snapshot without the other insert",
      code: reserveBench(""),
      filename: "src/labs.ts",
      errors: [{ line: 6, column: 23, messageId: "grows" }],
    },
    {
      name: "pg: the count repeated in the UPDATE's WHERE; two moderators stepping down lock different rows and both pass",
      code: stepDown,
      filename: "src/channels.ts",
      errors: [{ line: 5, column: 9, messageId: "shrinks" }],
    },
  ],
});
