// select-then-update: shapes judged false in the session-11 held-out check and still reported at its end (issue #15),
// each as a rule a reviewer states in one sentence, each next to a look-alike that stays reported.
// - A write in the `else` of a test that the column already equals the value written (`if (row.choice === choice)
//   { … } else update(choice)`) is skipped only where it would change nothing: a no-change shortcut, as an early exit
//   is. The same `else` of a test against another value stays reported.
// - A set-once column given in both branches of a conditional spread (`...(keep ? { leftAt: m.leftAt ?? new Date() } :
//   { leftAt: null })`) beside constants is set once as a plain `leftAt: m.leftAt ?? new Date()` is: every caller writes
//   an equivalent value. A counter written beside it from the read stays reported.
// - The id of what an awaited call returned (`(await buildSnapshot(report, previous)).id`, through a `const`) names
//   the object that call made or found; it is not a value computed from the read values passed to it. Another
//   property of that object (`fresh.previousId`) stays a value computed from them.
// - A name given the result of a write (`stats = await create(…)` where none was found, `stats = await update(…)`)
//   keeps naming the row it held, not the values written: today's row found by its date and updated by its id is
//   another row than yesterday's, read for a difference. An update of today's row from its own count stays reported.
// - A Prisma `findUnique` by a unique key beside a `null` filter (`deletedAt: null`), then an insert of that key where
//   none was found: the unique index refuses the second of two concurrent inserts (a soft-deleted row too). The same
//   lookup with `findFirst`, where no unique key is known, stays reported.
// - An operator's command runs one invocation at a time: a handler registered with a command-line framework
//   (`command({ handler })`, `program.command(…).action(fn)`), or a function that only scripts (and tests) call. The same
//   handler registered with the project's own job router, or the function also called by a route, stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A visitor's vote on a poll on node-postgres: the same choice again withdraws it, another one replaces it. */
const castVote = (test: string) => `import { Pool } from "pg";
const pool = new Pool();

export async function castVote(pollId: number, voterKey: string, choice: string) {
  const found = await pool.query("SELECT choice FROM poll_vote WHERE poll_id = $1 AND voter_key = $2", [pollId, voterKey]);
  if (found.rows.length === 0) return null;
  if (${test}) {
    await pool.query("DELETE FROM poll_vote WHERE poll_id = $1 AND voter_key = $2", [pollId, voterKey]);
    return null;
  } else {
    await pool.query("UPDATE poll_vote SET choice = $3 WHERE poll_id = $1 AND voter_key = $2", [pollId, voterKey, choice]);
    return choice;
  }
}`;

/** A member removed from a team on Prisma: the leaving time kept (or set now) unless the history is dropped; `extra` is written beside. */
const removeMember = (extra = "") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function removeMember(memberId: string, dropHistory: boolean) {
  const member = await prisma.member.findFirst({ where: { id: memberId } });
  if (!member) throw new Error("no such member");
  if (member.role === "owner") throw new Error("the owner cannot be removed");
  await prisma.member.update({
    where: { id: memberId },
    data: { active: false, ${extra}...(dropHistory ? { leftAt: null } : { leftAt: member.leftAt ?? new Date() }) },
  });
}`;

/** A user's name normalised from the row read: the body of a command or use case. */
const NORMALISE = `const user = await prisma.user.findUnique({ where: { id } });
    if (!user) return;
    await prisma.user.update({ where: { id }, data: { name: user.name.trim().toLowerCase() } });`;

/** The normalisation as a brocli command's handler; `from` is where `command` comes from. */
const normaliseCommand = (from: string) => `import { command } from "${from}";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export const normaliseName = command({
  name: "normalise-name",
  handler: async ({ id }: { id: string }) => {
    ${NORMALISE}
  },
});`;

/** The normalisation as a use case other files call. */
const NORMALISE_USE_CASE = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function normaliseName(id: string) {
  ${NORMALISE}
}`;

const SCRIPT = 'import { normaliseName } from "../src/file";\nvoid normaliseName(process.argv[2]!);\n';
const TEST =
  'import { normaliseName } from "./file";\ntest("normalises", async () => { await normaliseName("u1"); });\ndeclare function test(name: string, fn: () => Promise<void>): void;\n';

/** A report's snapshot rebuilt from the previous one; `field` is the property of the new snapshot stored. */
const refreshReport = (field: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

declare function loadSnapshot(id: string): Promise<object | null>;
declare function buildSnapshot(report: object, previous?: object): Promise<{ id: string; previousId?: string }>;

export async function refreshReport(reportId: string) {
  const report = await prisma.report.findUnique({ where: { id: reportId } });
  if (!report) throw new Error("no such report");
  const previous = report.snapshotId ? (await loadSnapshot(report.snapshotId)) || undefined : undefined;
  const fresh = await buildSnapshot(report, previous);
  await prisma.report.update({ where: { id: reportId }, data: { snapshotId: fresh.${field} } });
}`;

/** Today's stats saved with the difference from yesterday's; `extra` is written beside on today's row. */
const saveStats = (extra = "") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function saveStats(today: Date, yesterday: Date) {
  const previous = await prisma.dailyStats.findFirst({ where: { date: { equals: yesterday } } });
  const users = await prisma.user.count({});
  let delta = users;
  if (previous) delta -= previous.users;
  let stats = await prisma.dailyStats.findUnique({ where: { date: today } });
  if (!stats) {
    stats = await prisma.dailyStats.create({ data: { date: today, users, delta } });
  } else {
    stats = await prisma.dailyStats.update({ where: { id: stats.id }, data: { users, delta${extra} } });
  }
  return stats;
}`;

/** A code artifact saved by its caller-chosen id, created where missing; `find` is the lookup. */
const saveArtifact = (find: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function saveArtifact(artifactId: string, uid: string, title: string) {
  let artifact = await prisma.codeArtifact.${find}({ where: { artifactId, deletedAt: null } });
  if (artifact && artifact.uid !== uid) throw new Error("forbidden");
  if (!artifact) {
    artifact = await prisma.codeArtifact.create({ data: { artifactId, uid, title } });
  } else {
    artifact = await prisma.codeArtifact.update({ where: { artifactId }, data: { title } });
  }
  return artifact;
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the vote is replaced in the else of a test that it already holds the new choice",
      code: castVote("found.rows[0].choice === choice"),
    },
    {
      name: "a leaving time set once in one branch of a conditional spread, cleared in the other, beside a constant",
      code: removeMember(),
    },
    {
      name: "the report points at the id of the snapshot an awaited call built from the previous one",
      code: refreshReport("id"),
    },
    {
      name: "today's stats row, created where missing, updated by its id with a difference from yesterday's row",
      code: saveStats(),
    },
    {
      name: "an artifact looked up by its unique id beside deletedAt: null, created where missing",
      code: saveArtifact("findUnique"),
    },
    {
      name: "a brocli command's handler normalises a name from the row read",
      code: normaliseCommand("@drizzle-team/brocli"),
    },
    {
      name: "a commander action normalises a name from the row read",
      code: `import { program } from "commander";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

program.command("normalise-name <id>").action(async (id: string) => {
  ${NORMALISE}
});`,
    },
    {
      name: "a use case only a script and a test call",
      code: NORMALISE_USE_CASE,
      files: { "scripts/normalise-names.ts": SCRIPT, "src/file.test.ts": TEST },
    },
  ],
  invalid: [
    {
      name: "the vote is replaced in the else of a test of another value: a check-then-write",
      code: castVote('found.rows[0].choice === "closed"'),
      errors: [{ line: 11, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "the same removal also counts the member's removals from the value read: a lost update",
      code: removeMember("removals: member.removals + 1, "),
      errors: [{ line: 8, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the report stores another property of the snapshot built from the value read",
      code: refreshReport("previousId"),
      errors: [{ line: 12, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the same update also keeps the peak from today's row as read: a lost update",
      code: saveStats(", peak: Math.max(stats.peak, users)"),
      errors: [{ line: 13, column: 19, messageId: "lostUpdate" }],
    },
    {
      name: "the same artifact looked up with findFirst, no unique key known: a check-then-insert",
      code: saveArtifact("findFirst"),
      errors: [{ line: 8, column: 22, messageId: "checkThenWrite" }],
    },
    {
      name: "the same handler registered with the project's own job router: reported",
      code: normaliseCommand("./jobs"),
      files: { "src/jobs.ts": "export function command<T>(spec: T): T {\n  return spec;\n}\n" },
      errors: [{ line: 10, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "the same use case, also called by a route: reported",
      code: NORMALISE_USE_CASE,
      files: {
        "scripts/normalise-names.ts": SCRIPT,
        "src/route.ts": 'import { normaliseName } from "./file";\nexport const POST = (id: string) => normaliseName(id);\n',
      },
      errors: [{ line: 7, column: 11, messageId: "lostUpdate" }],
    },
  ],
});
