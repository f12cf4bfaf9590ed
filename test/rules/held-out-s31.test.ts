// Session 31's held-out precision check (wt-judge). The FALSE shapes fixed, written freshly:
// - a flag recomputed from the rows that point at a row through a foreign key (`where: { leaderId }`, in a helper)
//   and written to that row by its primary key (`where: { id: leaderId }`): the rows read are not the row written.
// - a TypeORM entity copied from the row read with its primary key cleared (`copy.id = undefined`, or
//   `{ ...row, id: undefined }`) and saved: the save inserts a new row and overwrites nothing.
// - two Prisma batch transactions (`$transaction([…])`) in one function, each on its own branch or one after the
//   other: a row the first batch wrote is no longer held when the second runs, so they take no locks in an order.
// Beside each, the nearest real mistakes stay reported: a value of the row itself (read by its key) written back, a
// copy saved with its key kept, and a loop that holds one row while it takes the next.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const prismaClient = `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();
`;

/** A team leader's "both sides staffed" flag, refreshed when a member joins; `lookup` reads the leader's data. */
const teamFlag = (lookup: string, written: string) => `import { prisma } from "./db";

${lookup}

export async function refreshLeader(memberId: string) {
  const member = await prisma.member.findUnique({ where: { id: memberId } });
  if (!member?.leaderId) return;
  const leader = await prisma.member.findUnique({ where: { id: member.leaderId } });
  if (leader && !leader.staffed) {
    await prisma.member.update({ where: { id: member.leaderId }, data: { ${written} } });
  }
}
`;

const BY_FOREIGN_KEY = `async function bothSidesStaffed(leaderId: string) {
  const west = await prisma.member.findFirst({ where: { leaderId, side: "west", active: true } });
  const east = await prisma.member.findFirst({ where: { leaderId, side: "east", active: true } });
  return !!west && !!east;
}`;

const TEAM_SCORE = `async function teamScore(leaderId: string) {
  const rows = await prisma.member.findMany({ where: { leaderId } });
  return rows.reduce((sum, r) => sum + r.score, 0);
}`;

/** A course split at a date: the part after it saved from a copy of the course read; `copy` builds that copy. */
const splitCourse = (copy: string) => `import { DataSource } from "typeorm";
import { Course } from "./course.entity";

export async function splitCourse(dataSource: DataSource, courseId: number, endDate: string) {
  return dataSource.transaction(async (manager) => {
    const existing = await manager.getRepository(Course).findOne({ where: { id: courseId } });
    if (!existing) throw new Error("no course");
    ${copy}
    tail.endDate = endDate;
    tail.weeks = existing.weeks - 1;
    return manager.getRepository(Course).save(tail);
  });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "prisma: a flag recomputed from the rows selected by a foreign key holding the id written",
      files: { "src/db.ts": prismaClient },
      filename: "src/teams.ts",
      code: teamFlag(BY_FOREIGN_KEY, "staffed: await bothSidesStaffed(member.leaderId)"),
    },
    {
      name: "typeorm: a copy of the row read saved after its primary key is cleared",
      filename: "src/courses.ts",
      code: splitCourse("const tail: Course = { ...existing };\n    tail.id = undefined;"),
    },
    {
      name: "typeorm: a copy built with its primary key set to null",
      filename: "src/courses.ts",
      code: splitCourse("const tail: Course = { ...existing, id: null };"),
    },
  ],
  invalid: [
    {
      name: "prisma: the leader's own score, read by its key, written back raised to the team total read by the foreign key",
      files: { "src/db.ts": prismaClient },
      filename: "src/teams.ts",
      code: `import { prisma } from "./db";

${TEAM_SCORE}

export async function addTeamScore(leaderId: string) {
  const leader = await prisma.member.findUnique({ where: { id: leaderId } });
  if (!leader) return;
  await prisma.member.update({ where: { id: leaderId }, data: { score: Math.max(leader.score, await teamScore(leaderId)) } });
}
`,
      errors: [{ line: 11, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "typeorm: the copy keeps the key of the row read, so the save updates that row",
      filename: "src/courses.ts",
      code: splitCourse("const tail: Course = { ...existing };"),
      errors: [{ line: 11, column: 12, messageId: "lostUpdate" }],
    },
    {
      name: "typeorm: a key cleared and then given back before the save",
      filename: "src/courses.ts",
      code: splitCourse("const tail: Course = { ...existing };\n    tail.id = undefined;\n    tail.id = existing.id;"),
      errors: [{ line: 13, column: 12, messageId: "lostUpdate" }],
    },
  ],
});

/** Interest paid out: each savings account's pending interest, then its member's credit, in one transaction. */
const payInterest = (body: string) => `import { prisma } from "./db";

export async function payInterest(rate: number) {
  const due = await prisma.interest.findMany({ where: { status: "due" } });
  ${body}
}
`;

const ONE_BATCH = `const [first] = due;
  if (!first) return;
  await prisma.$transaction(async (tx) => {
    await tx.savings.update({ where: { id: first.savingsId }, data: { pending: { increment: rate } } });
    await tx.member.update({ where: { id: first.memberId }, data: { credit: { increment: rate } } });
  });`;

/** A payout request: the member's bonus, or one savings account, each debited in its own batch transaction. */
const requestPayout = (between: string) => `import { prisma } from "./db";

export async function requestPayout(memberId: string, amount: number, kind: string, savingsId?: string) {
  if (kind === "bonus") {
    await prisma.$transaction([
      prisma.payout.create({ data: { memberId, amount } }),
      prisma.member.update({ where: { id: memberId }, data: { bonus: { decrement: amount } } }),
    ]);
    ${between}
  }
  if (kind === "savings" && savingsId) {
    await prisma.$transaction([
      prisma.payout.create({ data: { memberId, amount, savingsId } }),
      prisma.savings.update({ where: { id: savingsId }, data: { balance: { decrement: amount } } }),
    ]);
    return "OK";
  }
  throw new Error("nothing to pay");
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "prisma: two batch transactions on exclusive branches hold the member row and the savings row apart",
      files: { "src/db.ts": prismaClient, "src/interest.ts": payInterest(ONE_BATCH) },
      filename: "src/payouts.ts",
      code: requestPayout('return "OK";'),
    },
    {
      name: "prisma: the second batch runs after the first has committed",
      files: { "src/db.ts": prismaClient, "src/interest.ts": payInterest(ONE_BATCH) },
      filename: "src/payouts.ts",
      code: requestPayout("// both debited"),
    },
  ],
  invalid: [
    {
      name: "prisma: one batch that debits the member and then the savings account, against savings then member",
      files: { "src/db.ts": prismaClient, "src/interest.ts": payInterest(ONE_BATCH) },
      filename: "src/payouts.ts",
      code: `import { prisma } from "./db";

export async function requestPayout(memberId: string, amount: number, savingsId: string) {
  await prisma.$transaction([
    prisma.member.update({ where: { id: memberId }, data: { bonus: { decrement: amount } } }),
    prisma.savings.update({ where: { id: savingsId }, data: { balance: { decrement: amount } } }),
  ]);
}
`,
      errors: [
        { line: 6, column: 5, messageId: "cycle" },
        { line: 9, column: 11, messageId: "cycle", filename: "src/interest.ts" },
      ],
    },
  ],
});
