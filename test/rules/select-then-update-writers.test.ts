// select-then-update and the project's writers of a column: a JSON column merged under keys named in the code, or a
// form's fields kept as read when the input leaves them out, is last-writer-wins when this is the only code path that
// writes the column, and a lost update when another function writes it too (the message names that function). Counters,
// arrays appended to, keys the call chooses and checked state transitions stay reported with one writer.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const PRISMA = `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();`;

/** Another module of the project writing other columns of the same table, and a test file writing `metadata`. */
const OTHER_COLUMNS = {
  "src/db.ts": PRISMA,
  "src/rename.ts": `import { prisma } from "./db";
export async function renameOrganization(id: string, name: string) {
  await prisma.organization.update({ where: { id }, data: { name } });
}`,
  "src/organization.test.ts": `import { prisma } from "./db";
export async function resetMetadata(id: string) {
  await prisma.organization.update({ where: { id }, data: { metadata: {} } });
}`,
};

/** The AI-providers section of an organisation's settings, saved into its `metadata` JSON. */
const saveAiProviders = (providers = "providers", extra = "") => `import { prisma } from "./db";

export async function saveAiProviders(organizationId: string, providers: string[]) {
  const org = await prisma.organization.findUnique({ where: { id: organizationId } });
  if (!org) throw new Error("not found");
  const metadata = { ...(org.metadata as Record<string, unknown>), aiProviders: ${providers} };
  await prisma.organization.update({ where: { id: organizationId }, data: { metadata } });
}
${extra}`;

/** A preferences form whose fields keep their stored value when the request leaves them out. */
const savePreferences = `import { prisma } from "./db";

export async function savePreferences(userId: string, input: { digest?: boolean; marketing?: boolean }) {
  const prefs = await prisma.notificationPreference.findUniqueOrThrow({ where: { userId } });
  await prisma.notificationPreference.update({
    where: { userId },
    data: { digest: input.digest ?? prefs.digest, marketing: input.marketing ?? prefs.marketing },
  });
}
`;

const BILLING_WRITER = `import { prisma } from "./db";
export async function updateBilling(id: string, plan: string) {
  const org = await prisma.organization.findUniqueOrThrow({ where: { id } });
  await prisma.organization.update({ where: { id }, data: { metadata: { ...(org.metadata as object), plan } } });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a JSON column merged under a fixed key, and no other production code writes it: last writer wins",
      code: saveAiProviders(),
      files: OTHER_COLUMNS,
    },
    {
      name: "a form's two fields kept as read when the input leaves them out, written by this function only",
      code: savePreferences,
      files: { "src/db.ts": PRISMA },
    },
    {
      name: "raw SQL: the settings JSON merged under a fixed key and stored with JSON.stringify, one writer",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function setTheme(teamId: string, theme: string) {
  const { rows } = await pool.query("SELECT settings FROM teams WHERE id = $1", [teamId]);
  const settings = { ...rows[0].settings, theme };
  await pool.query("UPDATE teams SET settings = $1 WHERE id = $2", [JSON.stringify(settings), teamId]);
}`,
    },
    {
      name: "a form's fields kept as read from the stored preferences or their defaults, one writer",
      code: `import { prisma } from "./db";

export async function unsubscribe(userId: string, input: { digest?: boolean; marketing?: boolean }) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  const stored = (user.preferences as { digest: boolean; marketing: boolean } | null) || { digest: true, marketing: true };
  const preferences = { digest: input.digest ?? stored.digest, marketing: input.marketing ?? stored.marketing };
  await prisma.user.update({ where: { id: userId }, data: { preferences } });
}`,
      files: {
        "src/db.ts": PRISMA,
        "src/avatar.ts": `import { prisma } from "./db";
export const PATCH = withSession(async (userId: string, avatar?: string) => {
  await prisma.user.update({ where: { id: userId }, data: { ...(avatar && { image: avatar }) } });
});
declare function withSession<T>(handler: T): T;`,
      },
    },
  ],
  invalid: [
    {
      name: "the same merge, and updateBilling writes another key of metadata: the message names it",
      code: saveAiProviders(),
      files: { ...OTHER_COLUMNS, "src/billing.ts": BILLING_WRITER },
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "sharedColumnLostUpdate",
          data: {
            write: "`prisma.organization.update(…)`",
            column: "`metadata`",
            line: 4,
            writer: "`updateBilling` (billing.ts:4)",
          },
        },
        {
          filename: "src/billing.ts",
          line: 4,
          column: 9,
          messageId: "sharedColumnLostUpdate",
          data: {
            write: "`prisma.organization.update(…)`",
            column: "`metadata`",
            line: 3,
            writer: "`saveAiProviders` (file.ts:7)",
          },
        },
      ],
    },
    {
      name: "the form, and an admin action writes one of its columns",
      code: savePreferences,
      files: {
        "src/db.ts": PRISMA,
        "src/admin.ts": `import { prisma } from "./db";
export async function disableMarketing(userId: string) {
  await prisma.notificationPreference.update({ where: { userId }, data: { marketing: false } });
}`,
      },
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "sharedColumnLostUpdate",
          data: {
            write: "`prisma.notificationPreference.update(…)`",
            column: "`marketing`",
            line: 4,
            writer: "`disableMarketing` (admin.ts:3)",
          },
        },
      ],
    },
    {
      name: "a writer whose columns are not visible (`data` passed in) may write metadata: reported, and said so",
      code: saveAiProviders(),
      files: {
        ...OTHER_COLUMNS,
        "src/organizations.ts": `import { prisma } from "./db";
export function updateOrganization(id: string, data: object) {
  return prisma.organization.update({ where: { id }, data });
}`,
      },
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "maybeSharedColumnLostUpdate",
          data: {
            write: "`prisma.organization.update(…)`",
            column: "`metadata`",
            line: 4,
            writer: "`updateOrganization` (organizations.ts:3)",
          },
        },
      ],
    },
    {
      name: "one writer, but the key is the call's (`[key]: value`): two calls write different parts",
      code: `import { prisma } from "./db";

export async function setPreference(userId: string, key: string, value: unknown) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  await prisma.user.update({ where: { id: userId }, data: { settings: { ...(user.settings as object), [key]: value } } });
}`,
      files: { "src/db.ts": PRISMA },
      errors: [{ line: 5, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "one writer appending to an array: two calls add different items, one is lost",
      code: `import { prisma } from "./db";

export async function addTrustedOrigin(userId: string, origin: string) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  await prisma.user.update({ where: { id: userId }, data: { trustedOrigins: [...user.trustedOrigins, origin] } });
}`,
      files: { "src/db.ts": PRISMA },
      errors: [{ line: 5, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "one writer of a counter inside the JSON: the count is computed from the stored one",
      code: `import { prisma } from "./db";

export async function recordAttempt(id: string) {
  const session = await prisma.verification.findUniqueOrThrow({ where: { id } });
  const meta = session.metadata as { attempts: number };
  await prisma.verification.update({ where: { id }, data: { metadata: { ...meta, attempts: meta.attempts + 1 } } });
}`,
      files: { "src/db.ts": PRISMA },
      errors: [{ line: 6, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "one writer, but the value kept is one a function computed from the row, not the one read",
      code: `import { prisma } from "./db";

export async function closeRecipient(partnerId: string) {
  const partner = await prisma.partner.findUniqueOrThrow({ where: { id: partnerId } });
  const { payoutsEnabledAt } = recomputePayoutState({ ...partner, recipientId: null });
  await prisma.partner.update({ where: { id: partnerId }, data: { recipientId: null, payoutsEnabledAt } });
}
declare function recomputePayoutState(p: { payoutsEnabledAt: Date | null }): { payoutsEnabledAt: Date | null };`,
      files: { "src/db.ts": PRISMA },
      errors: [{ line: 6, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the defaults form, and a handler assigned through a wrapper writes the same column: named by its variable",
      code: `import { prisma } from "./db";

export async function unsubscribe(userId: string, input: { digest?: boolean }) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  const stored = (user.preferences as { digest: boolean } | null) || { digest: true };
  await prisma.user.update({ where: { id: userId }, data: { preferences: { digest: input.digest ?? stored.digest } } });
}`,
      files: {
        "src/db.ts": PRISMA,
        "src/admin.ts": `import { prisma } from "./db";
export const POST = withSession(async (userId: string) => {
  await prisma.user.update({ where: { id: userId }, data: { ...(userId ? { preferences: {} } : {}) } });
});
declare function withSession<T>(handler: T): T;`,
      },
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "sharedColumnLostUpdate",
          data: { write: "`prisma.user.update(…)`", column: "`preferences`", line: 4, writer: "`POST` (admin.ts:3)" },
        },
      ],
    },
  ],
});
