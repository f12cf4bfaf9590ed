// write-skew: false alarms of the session-14 held-out set still reported at the start of session 15, each written
// afresh next to a look-alike that stays reported.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** A team's members read through Drizzle's relational queries, then `removal` runs after `check`. */
const teamMembers = (check: string, removal: string) => `import { and, eq } from "drizzle-orm";
import { db } from "./db";
import { members, projects } from "./schema";

export async function removeMember(teamId: string, memberId: string, heirId: string): Promise<void> {
  await db.transaction(async (tx) => {
    ${check}
    await tx.update(projects).set({ ownerId: heirId }).where(eq(projects.ownerId, memberId));
    ${removal}
  });
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "a relational query by primary key finds one row: its existence, then that very row deleted by id, is no set a second caller can shrink",
      code: teamMembers(
        `const member = await tx.query.members.findFirst({ where: eq(members.id, memberId) });
    const heir = await tx.query.members.findFirst({ where: eq(members.id, heirId) });
    if (!member || !heir) return;`,
        "await tx.delete(members).where(eq(members.id, memberId));",
      ),
      filename: "src/teams/remove-member.ts",
    },
  ],
  invalid: [
    {
      name: "the team's admins counted through a relational query, then one deleted: two removals both see two admins and leave none",
      code: teamMembers(
        `const admins = await tx.query.members.findMany({ where: and(eq(members.teamId, teamId), eq(members.role, "admin")) });
    if (admins.length <= 1) throw new Error("a team keeps one admin");`,
        "await tx.delete(members).where(eq(members.id, memberId));",
      ),
      filename: "src/teams/remove-member.ts",
      errors: [{ line: 10, column: 11, messageId: "shrinks" }],
    },
  ],
});
