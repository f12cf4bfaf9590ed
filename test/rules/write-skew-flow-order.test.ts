// write-skew: which writes come after the check is a question about paths, not about text offsets. In a loop, a create
// written above the count runs after it on every later turn, under the count's `break`; a count that only logs decides
// nothing, and a create the function runs once before the count is not decided by it.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const PROJECTS = {
  "src/projects.ts": `import { prisma } from "./prisma";

export async function listProjects(teamId: string) {
  return prisma.project.findMany({ where: { teamId }, orderBy: { createdAt: "desc" } });
}

export async function renameProject(projectId: string, name: string) {
  return prisma.project.update({ where: { id: projectId }, data: { name } });
}

export async function archiveProject(projectId: string) {
  return prisma.project.update({ where: { id: projectId }, data: { archivedAt: new Date() } });
}

export async function createProject(teamId: string, name: string) {
  return prisma.project.create({ data: { name, team: { connect: { id: teamId } } } });
}

export async function countProjects(teamId: string): Promise<number> {
  const count = await prisma.project.count({ where: { teamId } });
  return count;
}
`,
  "src/prisma.ts": `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();
`,
};

const action = (body: string) => `"use server";
import { countProjects, createProject } from "./projects";

export async function createProjectAction(teamId: string, name: string, limit: number) {
  ${body}
}
`;

const importMembers = (check: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function importMembers(teamId: string, emails: string[], seatLimit: number) {
  for (const email of emails) {
    await prisma.teamMember.create({ data: { teamId, email, role: "member" } });
    const seats = await prisma.teamMember.count({ where: { teamId } });
    ${check}
  }
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "a loop that creates, then counts the seats only to log them: nothing written depends on the count",
      code: importMembers('if (seats >= seatLimit) console.warn("team over its seat limit", teamId);'),
    },
    {
      name: "the create runs before the count: the check decides nothing written after it",
      files: PROJECTS,
      code: action(`const project = await createProject(teamId, name);
  const count = await countProjects(teamId);
  if (count > limit) throw new Error("Team project limit exceeded");
  return project;`),
    },
  ],
  invalid: [
    {
      name: "a count helper of another module below the limit, then its create helper: asked at the helper call",
      files: PROJECTS,
      code: action(`const count = await countProjects(teamId);
  if (count >= limit) throw new Error("Team project limit reached");
  return createProject(teamId, name);`),
      errors: [{ line: 7, column: 10, messageId: "grows" }],
    },
    {
      name: "a loop that creates above its seat count: every later turn's create runs because the count was below the limit",
      code: importMembers("if (seats >= seatLimit) break;"),
      errors: [{ line: 6, column: 11, messageId: "grows" }],
    },
  ],
});
