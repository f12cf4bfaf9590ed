// select-then-update: shapes judged false on real applications in session 21 (issue #15), each as a rule a reviewer
// states in one sentence, each next to a look-alike that stays reported.
// - A module constant's entry looked up by a row's identity (`DEFAULTS[key]` for each id missing from the rows read) is
//   what the code holds for that row, the same for every caller: not a value computed from the read. An entry looked up
//   by a column the write changes (`NEXT_STATUS[doc.status]`) stays a value computed from it.
// - An insert inside a callback the `try` awaits (`await db.$transaction(async (tx) => …)`) is an insert of that `try`:
//   its duplicate-key error rejects the awaited call, so a `catch` that tests for it (and retries) handles it as it
//   would an insert written in the `try` itself. The same `catch` without the test stays reported.
// - In a monorepo whose Prisma schema lives in a database package (`packages/db/prisma/schema.prisma`), a model the
//   schema nearest the file lacks is the workspace's one model of that name: its unique keys close a check-then-insert
//   of the key. A workspace whose only such model declares no unique key stays reported.
// - A private method whose every call (`this.m(…)`, the only use of its name) runs under one application lock — inside
//   the callback of the class's own lock wrapper — runs under that lock: its re-read and write are one at a time. The
//   same method also called outside the wrapper stays reported.
// - A function run one at a time (under its callers' lock, by its own timer, or as a serial queue's task) loses no update
//   only when no other code writes a column it writes: a user's edit of the same column from another function still
//   races with it, so that stays reported.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A pnpm workspace on disk: the Prisma schema in packages/db, the code in apps/api (which has none of its own). */
function workspace(membership: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-workspace-"));
  fs.writeFileSync(path.join(root, "pnpm-workspace.yaml"), "packages:\n  - apps/*\n  - packages/*\n");
  fs.mkdirSync(path.join(root, "packages", "db", "prisma"), { recursive: true });
  fs.writeFileSync(
    path.join(root, "packages", "db", "prisma", "schema.prisma"),
    `model Membership {\n  id     Int    @id @default(autoincrement())\n  userId String\n  teamId String\n  role   String\n${membership}}\n`,
  );
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  return root.split(path.sep).join("/");
}

/** A user joining a team on Prisma: the membership looked up by (user, team), created where missing. */
const JOIN = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function join(userId: string, teamId: string) {
  const existing = await prisma.membership.findFirst({ where: { userId, teamId } });
  if (existing && existing.role === "banned") throw new Error("banned");
  if (!existing) await prisma.membership.create({ data: { userId, teamId, role: "member" } });
}`;

/** Settings rows created (or restored) from the built-in defaults for every id the table lacks, on Prisma. */
const restoreDefaults = (written: string) => `import { PrismaClient } from "@prisma/client";
const db = new PrismaClient();
const DEFAULTS: Record<string, { id: string; value: string }> = { theme: { id: "theme", value: "light" } };

export async function restoreDefaults() {
  const rows = await db.setting.findMany({ select: { id: true }, where: { deletedAt: null } });
  const present = new Set(rows.map((row) => row.id));
  for (const id of Object.keys(DEFAULTS).filter((key) => !present.has(key))) {
    await db.setting.upsert({ where: { id }, create: DEFAULTS[id], update: { ...${written}, deletedAt: null } });
  }
}`;

/** A document moved to its next review state, looked up in a table of the workflow, on Prisma. */
const advance = (key: string) => `import { PrismaClient } from "@prisma/client";
const db = new PrismaClient();
const NEXT_STATUS: Record<string, string> = { draft: "review", review: "published" };

export async function advance(id: string) {
  const doc = await db.document.findUnique({ where: { id } });
  if (!doc) return;
  await db.document.update({ where: { id }, data: { status: NEXT_STATUS[${key}] } });
}`;

/** A policy's next version numbered from the latest, in an interactive transaction retried on a duplicate version. */
const nextVersion = (test: string) => `import { PrismaClient, Prisma } from "@prisma/client";
const db = new PrismaClient();

export async function addVersion(policyId: string, content: string) {
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      await db.$transaction(async (tx) => {
        const latest = await tx.policyVersion.findFirst({ where: { policyId }, orderBy: { version: "desc" } });
        await tx.policyVersion.create({ data: { policyId, version: (latest?.version ?? 0) + 1, content } });
      });
      return;
    } catch (error) {
      if (${test} && attempt < 3) continue;
      throw error;
    }
  }
}`;

/** A token refresh on Prisma and Upstash: the re-read and write in a private method run by a SET NX lock wrapper. */
const refresher = (direct: string) => `import { PrismaClient } from "@prisma/client";
import { Redis } from "@upstash/redis";
const prisma = new PrismaClient();
const redis = new Redis({ url: "https://example.upstash.io", token: "t" });
declare function fetchToken(refreshToken: string): Promise<{ accessToken: string; expiresAt: number }>;

export class TokenProvider {
  async accessToken(installationId: string) {
    const row = await prisma.installation.findUniqueOrThrow({ where: { id: installationId } });
    if (row.expiresAt > Date.now()) return row.accessToken;
    ${direct}
    const refreshed = await this.withRefreshLock(\`refresh:\${installationId}\`, () => this.refreshUnderLock(installationId));
    return refreshed?.accessToken ?? null;
  }

  private async withRefreshLock<T>(key: string, fn: () => Promise<T>): Promise<T | null> {
    if (!(await redis.set(key, "1", { nx: true, ex: 20 }))) return null;
    try {
      return await fn();
    } finally {
      await redis.del(key);
    }
  }

  private async refreshUnderLock(installationId: string) {
    const row = await prisma.installation.findUniqueOrThrow({ where: { id: installationId } });
    const token = await fetchToken(row.refreshToken);
    return prisma.installation.update({
      where: { id: installationId },
      data: { accessToken: token.accessToken, expiresAt: token.expiresAt, refreshes: row.refreshes + 1 },
    });
  }
}`;

/** A scheduler tick, one at a time under its busy flag, counting each robot's runs after dispatching it. */
const scheduler = (other: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function dispatch(id: string): Promise<void>;
let ticking = false;

async function finish(id: string, ranAt: Date) {
  const robot = await prisma.robot.findUniqueOrThrow({ where: { id } });
  await prisma.robot.update({ where: { id }, data: { runs: robot.runs + 1, lastRunAt: ranAt } });
}

export async function tick(ids: string[]) {
  if (ticking) return;
  ticking = true;
  try {
    for (const id of ids) {
      await dispatch(id);
      await finish(id, new Date());
    }
  } finally {
    ticking = false;
  }
}
${other}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "each missing setting restored from the module's defaults, looked up by the setting's id",
      code: restoreDefaults("DEFAULTS[id]"),
    },
    {
      name: "a document's next state looked up by its id in a constant table: the same entry for every caller",
      code: advance("doc.id"),
    },
    {
      name: "the next version inserted in a transaction callback the try awaits, retried on a duplicate version",
      code: nextVersion('error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002"'),
    },
    {
      name: "a membership created where missing, closed by the unique key of the workspace's database package",
      code: JOIN,
      root: workspace("  @@unique([userId, teamId])\n"),
      filename: "apps/api/src/teams.ts",
    },
    {
      name: "a private method re-reads and writes the row, called only inside the class's SET NX lock wrapper",
      code: refresher(""),
    },
    {
      name: "a scheduler tick's run count, one at a time, with no other writer of the count",
      code: scheduler(""),
    },
  ],
  invalid: [
    {
      name: "the next state looked up by the status read, which the write changes: a lost update",
      code: advance("doc.status"),
      errors: [{ line: 8, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the same transaction retried on any known request error, not on a duplicate: two callers insert one number",
      code: nextVersion("error instanceof Prisma.PrismaClientKnownRequestError"),
      errors: [{ line: 9, column: 15, messageId: "insertFromRead" }],
    },
    {
      name: "the same membership where the workspace's schema declares no unique key over it: a check-then-insert",
      code: JOIN,
      root: workspace(""),
      filename: "apps/api/src/teams.ts",
      errors: [{ line: 7, column: 24, messageId: "checkThenWrite" }],
    },
    {
      name: "the same method also called outside the lock wrapper: two refreshes can interleave",
      code: refresher("if (row.refreshes === 0) return (await this.refreshUnderLock(installationId)).accessToken;"),
      errors: [{ line: 28, column: 12, messageId: "lostUpdate" }],
    },
    {
      name: "the same tick while a user's reset writes the count from another function: the tick undoes it",
      code: scheduler(`export async function resetRuns(id: string) {
  await prisma.robot.update({ where: { id }, data: { runs: 0 } });
}`),
      errors: [{ line: 8, column: 9, messageId: "lostUpdate" }],
      output: scheduler(`export async function resetRuns(id: string) {
  await prisma.robot.update({ where: { id }, data: { runs: 0 } });
}`).replace("runs: robot.runs + 1", "runs: { increment: 1 }"),
    },
  ],
});
