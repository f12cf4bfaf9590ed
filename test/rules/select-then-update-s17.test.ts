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

const PRISMA = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

/** A login that resets the failed-attempt counter; `beforeReset` runs between the check and the reset. */
const login = (beforeReset: string) => `${PRISMA}
declare function checkPassword(hash: string, password: string): Promise<boolean>;
declare function mailUnlockNotice(email: string): Promise<void>;

export async function logIn(email: string, password: string) {
  const member = await prisma.member.findFirst({ where: { email } });
  if (!member || !(await checkPassword(member.passwordHash, password))) throw new Error("wrong e-mail or password");
  if (member.failedLogins > 0 || member.lockedUntil) {
    ${beforeReset}await prisma.member.update({ where: { id: member.id }, data: { failedLogins: 0, lockedUntil: null } });
  }
  return member.id;
}
`;

/** A message's JSON reference (its external id and chat) written back with a flag; `elsewhere` is more of the module. */
const hideMessage = (elsewhere: string) => `${PRISMA}
export async function hideMessage(externalId: string) {
  const message = await prisma.message.findFirst({ where: { ref: { path: ["externalId"], equals: externalId } } });
  if (!message) return null;
  const ref = typeof message.ref === "object" && message.ref !== null ? message.ref : {};
  return prisma.message.update({ where: { id: message.id }, data: { ref: { ...ref, hidden: true }, status: "HIDDEN" } });
}
${elsewhere}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a JSON column kept as read (behind a type guard with an empty default) with one flag added, and no other writer of it",
      code: hideMessage(""),
    },
    {
      name: "the same flag added where the row's name is rebound to the update's own result: the value spread is the one read",
      code: `${PRISMA}
export async function retractMessage(externalId: string) {
  let message = await prisma.message.findFirst({ where: { ref: { path: ["externalId"], equals: externalId } } });
  if (!message) return null;
  const ref = typeof message.ref === "object" && message.ref !== null ? message.ref : {};
  message = await prisma.message.update({ where: { id: message.id }, data: { ref: { ...ref, retracted: true } } });
  return message.id;
}
`,
    },
    {
      name: "a failed-login counter reset to 0 (and the lock cleared) only while above 0: skipped only where the row holds 0 already",
      code: login(""),
    },
    {
      name: "a Drizzle relational lookup by every column of a unique index the schema declares, then an insert of that key: a second concurrent insert fails",
      files: drizzleProject(`unique("integrations_project_type").on(t.projectId, t.type)`),
      code: CONNECT_TRACKER,
    },
  ],
  invalid: [
    {
      name: "the same flag added where another function of the project rewrites the JSON column: its change is undone",
      code: hideMessage(`
export async function moveMessage(id: string, chatId: string) {
  await prisma.message.update({ where: { id }, data: { ref: { chatId } } });
}
`),
      errors: [{ line: 8, column: 10, messageId: "sharedColumnLostUpdate" }],
    },
    {
      name: "the same reset behind a check that also guards an e-mail sent before it: both calls send it",
      code: login("await mailUnlockNotice(member.email);\n    "),
      errors: [{ line: 12, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "the same insert where the schema indexes the two columns without making them unique: both calls insert",
      files: drizzleProject(`index("integrations_project_type").on(t.projectId, t.type)`),
      code: CONNECT_TRACKER,
      errors: [{ line: 17, column: 27, messageId: "checkThenWrite" }],
    },
  ],
});
