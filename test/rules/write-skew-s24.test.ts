// Session 24: a consistency check that counts the rows breaking an invariant and, when there are any, repairs them
// all with one statement repeating the count's filter and binding no value of its caller (opencollective-api's
// `checks/model` scripts). Every concurrent run sends the same statement, which moves every matching row out of the
// set: the check kept no minimum for a second run to break. A removal naming the caller's row stays reported.
// Likewise the membership found by a client's `.is("app_id", null)` and deleted by SQL's `app_id IS NULL` with the
// same keys (capgo's member removal): one test written two ways, so the delete removes exactly the rows found.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const SEQUELIZE = `import { QueryTypes, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
`;
const PRISMA = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

const MEMBERSHIP = `import { createClient } from "@supabase/supabase-js";
import { Pool } from "pg";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_KEY!);
const pool = new Pool();
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "raw SQL: rows breaking an invariant counted, then all of them repaired by one constant statement",
      code: `${SEQUELIZE}
export async function checkOrphanedInvoices({ repair = false } = {}) {
  const rows = await sequelize.query<{ total: number }>(
    \`SELECT COUNT(*) AS total FROM "Invoices" WHERE "archivedAt" IS NULL AND "currency" IS NULL AND "kind" = 'MANUAL'\`,
    { type: QueryTypes.SELECT, raw: true },
  );
  if (rows[0].total > 0) {
    if (!repair) throw new Error("invoices without a currency");
    await sequelize.query(
      \`UPDATE "Invoices" SET "archivedAt" = NOW() WHERE "archivedAt" IS NULL AND "currency" IS NULL AND "kind" = 'MANUAL'\`,
    );
  }
}
`,
    },
    {
      name: "Prisma: expired sessions counted, then every expired one deleted by a filter of constants",
      code: `${PRISMA}
export async function purgeRevokedSessions() {
  const revoked = await prisma.session.count({ where: { revoked: true } });
  if (revoked === 0) return;
  await prisma.session.deleteMany({ where: { revoked: true } });
}
`,
    },
    {
      name: "Supabase lookup with .is(column, null), then the pg DELETE of exactly that row (IS NULL): a row found, removed",
      code: `${MEMBERSHIP}
export async function leaveWorkspace(workspaceId: string, userId: string) {
  const { data } = await supabase
    .from("workspace_members")
    .select("user_id")
    .eq("user_id", userId)
    .eq("workspace_id", workspaceId)
    .is("project_id", null)
    .maybeSingle();
  if (!data) throw new Error("not a member");
  await pool.query("DELETE FROM workspace_members WHERE user_id = $1 AND workspace_id = $2 AND project_id IS NULL", [userId, workspaceId]);
}
`,
    },
  ],
  invalid: [
    {
      name: "raw SQL: the repair names the caller's row, after a count kept above one",
      code: `${SEQUELIZE}
export async function demoteOwner(teamId: number, memberId: number) {
  const rows = await sequelize.query<{ total: number }>(
    \`SELECT COUNT(*) AS total FROM "Members" WHERE "TeamId" = :teamId AND "role" = 'OWNER'\`,
    { type: QueryTypes.SELECT, replacements: { teamId } },
  );
  if (rows[0].total > 1) {
    await sequelize.query(\`UPDATE "Members" SET "role" = 'MEMBER' WHERE "id" = :memberId\`, { replacements: { memberId } });
  }
}
`,
      errors: [{ line: 10, column: 11, messageId: "shrinks" }],
    },
    {
      name: "Prisma: a constant filter, but the count is kept above one",
      code: `${PRISMA}
export async function retireLastFallbackRegion() {
  const active = await prisma.region.count({ where: { fallback: true } });
  if (active <= 1) throw new Error("keep one fallback region");
  await prisma.region.updateMany({ where: { fallback: true, name: "eu-west" }, data: { fallback: false } });
}
`,
      errors: [{ line: 7, column: 9, messageId: "shrinks" }],
    },
    {
      name: "owners counted above one, then a member deleted by its key: the same delete after a minimum check",
      code: `${MEMBERSHIP}
export async function removeMember(workspaceId: string, userId: string, memberId: string) {
  const { count } = await supabase
    .from("workspace_members")
    .select("user_id", { count: "exact", head: true })
    .eq("workspace_id", workspaceId)
    .eq("role", "owner");
  if ((count ?? 0) <= 1) throw new Error("a workspace keeps one owner");
  await pool.query("DELETE FROM workspace_members WHERE user_id = $1 AND workspace_id = $2 AND project_id IS NULL", [memberId, workspaceId]);
}
`,
      errors: [{ line: 13, column: 9, messageId: "shrinks" }],
    },
  ],
});
