// select-then-update: single-writer state and constants behind a "changed?" test, judged false in the session-12
// held-out check (issue #15); each rule a reviewer states in one sentence, each beside a look-alike that stays reported.
// - A merge library's call (`merge(stored, body)` from lodash, deepmerge, defu) is the stored value with the caller's
//   parts replaced, as `{ ...stored, ...body }` is: last-writer-wins with one writer, a lost update with another.
// - An array written as read with the entries of one kind filtered out and new entries of that kind added replaces
//   one part (the kind a literal of the code); an added entry of another kind, or an entry removed by the caller's
//   key, is a different part per call, and stays reported. A row destructured from the statement's
//   result awaited in place (`(await pool.query(…))?.rows[0]`) is the row as read.
// - A constant written in the `then` of `if (row && row.col !== value)` is a no-change shortcut: the write is skipped
//   only without a row or when the column already holds it. A raw SQL literal (`SET col = NULL`) is such a constant.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const PRISMA = `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();`;

/** A dashboard's layout section saved by deep-merging the request into the stored options (or the defaults). */
const saveLayout = `import deepmerge from "deepmerge";
import { prisma } from "./db";
import { DEFAULT_LAYOUT } from "./defaults";

export async function saveLayout(boardId: string, body: Record<string, unknown>) {
  const stored = await prisma.boardOption.findFirst({ where: { boardId, section: "layout" } });
  if (!stored) return prisma.boardOption.create({ data: { boardId, section: "layout", value: body } });
  const value = deepmerge(stored.value || DEFAULT_LAYOUT, body);
  return prisma.boardOption.update({ where: { id: stored.id }, data: { value } });
}`;

const LAYOUT_FILES = {
  "src/db.ts": PRISMA,
  "src/defaults.ts": "export const DEFAULT_LAYOUT = { columns: 3, compact: false };",
};

/** An operator's endpoint setting a tenant's `quota=` entry in its flag list on node-postgres; `entry` is what it adds. */
const setQuota = (entry: string) => `import { Pool } from "pg";
const pool = new Pool();

export async function setQuota(tenantId: string, limit: number) {
  const { flags } = (await pool.query("SELECT flags FROM tenants WHERE id = $1", [tenantId]))?.rows[0];
  const kept = flags.filter((f: string) => !f.startsWith("quota="));
  const next = limit > 0 ? [...kept, ${entry}] : kept;
  await pool.query("UPDATE tenants SET flags = $1 WHERE id = $2", [next, tenantId]);
}`;

/** A start-up sync of a setting from the environment into the one site row; `test` decides the write. */
const syncMaintenance = (test: string) => `import { prisma } from "./db";

export async function syncMaintenanceFlag() {
  if (process.env.MAINTENANCE === undefined) return;
  const maintenance = process.env.MAINTENANCE === "on";
  const site = await prisma.site.findUnique({ where: { id: 1 } });
  if (${test}) {
    await prisma.site.update({ where: { id: 1 }, data: { maintenance } });
  }
}`;

/** A trainee's mentor unassigned on node-postgres, behind a test of the link; `set` is the SET clause. */
const unassignMentor = (set: string) => `import { Pool } from "pg";
const pool = new Pool();

export async function unassignMentor(traineeId: string, mentorId: string | null) {
  const found = await pool.query("SELECT mentor_id FROM trainees WHERE id = $1", [traineeId]);
  const trainee = found.rows[0];
  if (!trainee) throw new Error("no such trainee");
  if (!trainee.mentor_id) throw new Error("no mentor to remove");
  await pool.query("UPDATE trainees SET ${set} WHERE id = $1", [traineeId, mentorId]);
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a section's options deep-merged with deepmerge from the stored value or the defaults, one writer",
      code: saveLayout,
      files: LAYOUT_FILES,
    },
    {
      name: "lodash's merge of the stored preferences and the request, one writer",
      code: `import { merge } from "lodash";
import { prisma } from "./db";

export async function savePanel(userId: string, patch: object) {
  const row = await prisma.panelSettings.findUniqueOrThrow({ where: { userId } });
  await prisma.panelSettings.update({ where: { userId }, data: { settings: merge(row.settings, patch) } });
}`,
      files: { "src/db.ts": PRISMA },
    },
    {
      name: "the quota entry of a flag list filtered out and added again with the new limit, one writer",
      code: setQuota("`quota=${limit}`"),
    },
    {
      name: "a flag synced from the environment in the then of a test that the row holds another value",
      code: syncMaintenance("site && site.maintenance !== maintenance"),
      files: { "src/db.ts": PRISMA },
    },
    {
      name: "raw SQL: the mentor link cleared (NULL) after a test that it is set",
      code: unassignMentor("mentor_id = NULL, updated_at = now()"),
    },
  ],
  invalid: [
    {
      name: "the same deep merge, and another function writes the options' value: the message names it",
      code: saveLayout,
      files: {
        ...LAYOUT_FILES,
        "src/reset.ts": `import { prisma } from "./db";
export async function resetColumns(id: string) {
  await prisma.boardOption.update({ where: { id }, data: { value: { columns: 3 } } });
}`,
      },
      errors: [
        {
          line: 9,
          column: 10,
          messageId: "sharedColumnLostUpdate",
          data: { write: "`prisma.boardOption.update(…)`", column: "`value`", line: 6, writer: "`resetColumns` (reset.ts:3)" },
        },
      ],
    },
    {
      name: "a merge from the project's own module is not a known merge: reported",
      code: `import { merge } from "./merge";
import { prisma } from "./db";

export async function savePanel(userId: string, patch: object) {
  const row = await prisma.panelSettings.findUniqueOrThrow({ where: { userId } });
  await prisma.panelSettings.update({ where: { userId }, data: { settings: merge(row.settings, patch) } });
}`,
      files: {
        "src/db.ts": PRISMA,
        "src/merge.ts": "export function merge(a: object, b: object): object {\n  return { ...a, ...b, count: 1 };\n}\n",
      },
      errors: [{ line: 6, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the quota entry filtered out but another kind of entry added: two calls append different entries",
      code: setQuota("`beta=${tenantId}`"),
      errors: [{ line: 8, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "an entry removed by the caller's key (not one the code names): two calls remove different entries",
      code: `import { Pool } from "pg";
const pool = new Pool();

export async function dropWebhook(projectId: string, url: string) {
  const { hooks } = (await pool.query("SELECT hooks FROM projects WHERE id = $1", [projectId]))?.rows[0];
  const next = hooks.filter((h: { url: string }) => h.url !== url);
  await pool.query("UPDATE projects SET hooks = $1 WHERE id = $2", [next, projectId]);
}`,
      errors: [{ line: 7, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the flag written in the then of a test against another value: a check-then-write",
      code: syncMaintenance("site && site.maintenance !== false"),
      files: { "src/db.ts": PRISMA },
      errors: [{ line: 8, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "raw SQL: the mentor replaced by the request's after a test that one is set: a check-then-write",
      code: unassignMentor("mentor_id = $2, updated_at = now()"),
      errors: [{ line: 9, column: 9, messageId: "checkThenWrite" }],
    },
  ],
});
