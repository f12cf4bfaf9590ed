// select-then-update, session-17 work on the judged FALSE findings that still fired (issue #15), each written afresh
// next to a look-alike that stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A Drizzle project: the `integrations` table with `constraint` as pgTable's third argument, and its client. */
const drizzleProject = (constraint: string) => ({
  "src/db/schema.ts": `import { index, pgTable, serial, text, unique } from "drizzle-orm/pg-core";

export const integrations = pgTable(
  "integrations",
  {
    id: serial("id").primaryKey(),
    projectId: text("project_id").notNull(),
    type: text("type").notNull(),
    config: text("config").notNull(),
  },
  (t) => [${constraint}],
);
`,
  "src/db/index.ts": `import { drizzle } from "drizzle-orm/node-postgres";
import { Pool } from "pg";
import * as schema from "./schema";

const db = drizzle(new Pool(), { schema });
export default db;
`,
});

/** A tracker connected to a project: the stored secret carried over, the settings checked, the row inserted if missing. */
const CONNECT_TRACKER = `import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import db from "./db";
import { integrations } from "./db/schema";

declare function validSettings(settings: { host: string; secret: string }): boolean;

export async function connectTracker(projectId: string, host: string) {
  const existing = await db.query.integrations.findFirst({
    where: and(eq(integrations.projectId, projectId), eq(integrations.type, "tracker")),
  });
  let secret = randomBytes(24).toString("hex");
  if (existing) secret = (JSON.parse(existing.config) as { secret?: string }).secret ?? secret;
  const settings = { host, secret };
  if (!validSettings(settings)) throw new Error("invalid settings");
  if (existing) return existing.id;
  const [created] = await db.insert(integrations).values({ projectId, type: "tracker", config: JSON.stringify(settings) }).returning();
  return created?.id;
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a Drizzle relational lookup by every column of a unique index the schema declares, then an insert of that key: a second concurrent insert fails",
      files: drizzleProject(`unique("integrations_project_type").on(t.projectId, t.type)`),
      code: CONNECT_TRACKER,
    },
  ],
  invalid: [
    {
      name: "the same insert where the schema indexes the two columns without making them unique: both calls insert",
      files: drizzleProject(`index("integrations_project_type").on(t.projectId, t.type)`),
      code: CONNECT_TRACKER,
      errors: [{ line: 17, column: 27, messageId: "checkThenWrite" }],
    },
  ],
});
