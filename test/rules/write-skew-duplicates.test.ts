// write-skew's duplicate check: a lookup by fields whose "found" branch leaves, then an insert of the same fields,
// with the project's Prisma schema visible and no unique index over a subset of those fields: two concurrent calls
// both find nothing and both insert. Look-alikes: `@@unique` / `@unique` over the fields (the second insert fails),
// no schema holding the model (an index may live elsewhere), a handled P2002, an insert of other fields, a
// SERIALIZABLE transaction around both.
import { writeSkew } from "../../rules/write-skew";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

const invitation = (constraint: string) =>
  `model Invitation {\n  id      String @id @default(cuid())\n  teamId  String\n  email   String${constraint === "field" ? " @unique" : ""}\n  role    String\n${constraint === "pair" ? "\n  @@unique([teamId, email])\n" : ""}}\n`;
const NO_INDEX = prismaProject(invitation("none"));
const PAIR_INDEX = prismaProject(invitation("pair"));
const EMAIL_INDEX = prismaProject(invitation("field"));
const OTHER_MODEL = prismaProject(`model Team {\n  id String @id\n}\n`);
/** The pair index after a doc comment holding a `}`, and a URL default holding `//`. */
const PAIR_INDEX_AFTER_COMMENT = prismaProject(
  invitation("pair").replace(
    "  role    String\n",
    '  /// e.g. inv_{24 random chars}\n  role    String @default("https://example.com//member")\n',
  ),
);

/** An Express-style invitation handler on Prisma; `insert` creates the invitation after the duplicate check. */
const inviteModule = (insert: string, lookup = "findFirst") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function invite(teamId: string, email: string, role: string) {
  const existing = await prisma.invitation.${lookup}({ where: { teamId, email } });
  if (existing) return existing;
  ${insert}
}
`;

const CREATE = "return prisma.invitation.create({ data: { teamId, email, role } });";

/** A find-or-create in one expression (inbox-zero #478): the create runs only when the lookup found nothing. */
const findOrCreate = (
  operator: string,
  create = "prisma.invitation.create({ data: { teamId, email, role } })",
) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function invite(teamId: string, email: string, role: string) {
  return prisma.$transaction(async (tx) => {
    const invitation = (await tx.invitation.findFirst({ where: { teamId, email } })) ${operator} (await ${create.replace("prisma.", "tx.")});
    return invitation.id;
  });
}
`;

/** A seat claim on Prisma with the insert in the branch that runs when nothing was found (`notFound` tests it). */
const claimSeatModule = (lookup: string, notFound: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function joinTeam(teamId: string, email: string, role: string) {
  const existing = await prisma.invitation.${lookup}({ where: { teamId, email } });
  if (${notFound}) {
    await prisma.invitation.create({ data: { teamId, email, role } });
    return { joined: true };
  }
  return { joined: false };
}
`;

const DUPLICATE = {
  line: 7,
  column: 10,
  messageId: "duplicate",
  data: { fields: "`teamId`, `email`", checkLine: 5, write: "`prisma.invitation.create(…)`", line: 7 },
};

/** A mentor's slot: sessions looked up by mentor and start among the live statuses, no unique index unless `unique`. */
const mentorSession = (unique: boolean) =>
  prismaProject(
    `model MentorSession {\n  id        Int      @id @default(autoincrement())\n  mentorId  Int\n  startsAt  DateTime\n  status    String\n${unique ? "\n  @@unique([mentorId, startsAt, status])\n" : "\n  @@index([mentorId, startsAt])\n"}}\n`,
  );
const bookModule = (status: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function book(mentorId: number, startsAt: Date) {
  const clash = await prisma.mentorSession.findFirst({ where: { mentorId, startsAt, status: { in: ["PENDING", "BOOKED"] } } });
  if (clash) throw new Error("slot taken");
  return prisma.mentorSession.create({ data: { mentorId, startsAt, status: ${status} } });
}
`;

/** A workspace's memberships, one row per (workspace, user) when `unique`, else only indexed. */
const workspaceMembers = (unique: boolean) =>
  prismaProject(
    `model WorkspaceMember {\n  id          String @id @default(cuid())\n  workspaceId String\n  userId      String\n  role        String\n${unique ? "\n  @@unique([workspaceId, userId])\n" : "\n  @@index([workspaceId, userId])\n"}}\n`,
  );
/** A NestJS service removing a member: the user's memberships of the workspace counted, self-removal refused, then the row deleted. */
const REMOVE_MEMBER = `import { BadRequestException, Injectable } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class WorkspaceMembersService {
  constructor(private readonly prisma: PrismaService) {}
  async remove(actorId: string, memberId: string, workspaceId: string, userId: string) {
    const memberships = await this.prisma.workspaceMember.count({ where: { workspaceId, userId } });
    if (actorId === userId && memberships === 1) throw new BadRequestException("Leave the workspace instead");
    await this.prisma.workspaceMember.delete({ where: { id: memberId, workspaceId, userId } });
  }
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "findMany then create in the empty branch, under @@unique([teamId, email]): the second insert fails",
      root: PAIR_INDEX,
      code: claimSeatModule("findMany", "existing.length === 0"),
    },
    {
      name: "findMany whose empty branch refuses, the insert running only when rows were found: no duplicate check",
      root: NO_INDEX,
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function acceptInvite(teamId: string, email: string, role: string) {
  const pending = await prisma.invitation.findMany({ where: { teamId, email } });
  if (pending.length === 0) throw new Error("no invitation");
  await prisma.membershipLog.create({ data: { teamId, email, role } });
}
`,
    },
    {
      // The count pins the unique pair: it sees one row at most, which two removals would both delete.
      name: "NestJS + Prisma: a count over (workspaceId, userId) under @@unique([workspaceId, userId]) decides a delete: one row, no set",
      root: workspaceMembers(true),
      code: REMOVE_MEMBER,
    },
    { name: "a find-or-create in one expression under @@unique([teamId, email])", root: PAIR_INDEX, code: findOrCreate("||") },
    {
      name: "a find-or-create whose create writes another email than the one looked up",
      root: NO_INDEX,
      code: findOrCreate("||", "prisma.invitation.create({ data: { teamId, email: email.toLowerCase(), role } })"),
    },
    {
      name: "a lookup among live statuses, and the new row gets a status outside them (the check would not find it)",
      root: mentorSession(false),
      code: bookModule(`"WAITLISTED"`),
    },
    {
      name: "a lookup among live statuses, under @@unique over the looked-up fields and the status",
      root: mentorSession(true),
      code: bookModule(`"PENDING"`),
    },
    { name: "@@unique([teamId, email]) in the schema: the second insert fails", root: PAIR_INDEX, code: inviteModule(CREATE) },
    { name: "@unique on email alone covers the lookup's fields", root: EMAIL_INDEX, code: inviteModule(CREATE) },
    {
      name: "@@unique([teamId, email]) after a comment holding a `}`: comments are not schema",
      root: PAIR_INDEX_AFTER_COMMENT,
      code: inviteModule(CREATE),
    },
    { name: "no schema holds the model: an index may be declared elsewhere", root: OTHER_MODEL, code: inviteModule(CREATE) },
    {
      name: "the duplicate-key error of the insert is caught and tested",
      root: NO_INDEX,
      code: inviteModule(`try {
    return await prisma.invitation.create({ data: { teamId, email, role } });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") return prisma.invitation.findFirst({ where: { teamId, email } });
    throw error;
  }`),
    },
    {
      name: "the insert writes other fields than the ones looked up",
      root: NO_INDEX,
      code: inviteModule('return prisma.invitation.create({ data: { teamId, email: "pending", role } });'),
    },
  ],
  invalid: [
    {
      name: "findMany by teamId and email, then create when the list is empty, no unique index: both create",
      root: NO_INDEX,
      code: claimSeatModule("findMany", "existing.length === 0"),
      errors: [
        {
          line: 7,
          column: 11,
          messageId: "duplicate",
          data: { fields: "`teamId`, `email`", checkLine: 5, write: "`prisma.invitation.create(…)`", line: 7 },
        },
      ],
    },
    {
      name: "findFirst, then create inside `if (!existing)`, no unique index: both create",
      root: NO_INDEX,
      code: claimSeatModule("findFirst", "!existing"),
      errors: [{ line: 7, column: 11, messageId: "duplicate" }],
    },
    {
      // Only an index: the user may have several memberships of the workspace, and two removals can take the last two.
      name: "NestJS + Prisma: the same count under @@index([workspaceId, userId]) only",
      root: workspaceMembers(false),
      code: REMOVE_MEMBER,
      errors: [{ line: 10, column: 11, messageId: "shrinks" }],
    },
    {
      name: "a find-or-create in one expression with `||` and no unique index: both create",
      root: NO_INDEX,
      code: findOrCreate("||"),
      errors: [{ line: 6, column: 96, messageId: "duplicate" }],
    },
    {
      name: "a find-or-create with `??` with no unique index: both create",
      root: NO_INDEX,
      code: findOrCreate("??"),
      errors: [{ line: 6, column: 96, messageId: "duplicate" }],
    },
    {
      name: "a lookup among live statuses, then an insert with one of them, under a non-unique index: both book the slot",
      root: mentorSession(false),
      code: bookModule(`"PENDING"`),
      errors: [
        {
          line: 7,
          column: 10,
          messageId: "duplicate",
          data: { fields: "`mentorId`, `startsAt`", checkLine: 5, write: "`prisma.mentorSession.create(…)`", line: 7 },
        },
      ],
    },
    {
      name: "findFirst by teamId and email, then create, no unique index in the schema",
      root: NO_INDEX,
      code: inviteModule(CREATE),
      errors: [DUPLICATE],
    },
    {
      name: "the insert runs inside a $transaction callback after the check",
      root: NO_INDEX,
      code: inviteModule(`return prisma.$transaction(async (tx) => {
    const created = await tx.invitation.create({ data: { teamId, email, role } });
    await tx.auditEvent.create({ data: { kind: "invited", invitationId: created.id } });
    return created;
  });`),
      errors: [{ ...DUPLICATE, line: 8, column: 27, data: { ...DUPLICATE.data, write: "`tx.invitation.create(…)`", line: 8 } }],
    },
  ],
});
