// Session 24: a consistency check that counts the rows breaking an invariant and, when there are any, repairs them
// all with one statement repeating the count's filter and binding no value of its caller (opencollective-api's
// `checks/model` scripts). Every concurrent run sends the same statement, which moves every matching row out of the
// set: the check kept no minimum for a second run to break. A removal naming the caller's row stays reported.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const SEQUELIZE = `import { QueryTypes, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
`;
const PRISMA = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
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
  ],
});
