// select-then-update: a claim taken before the read (a delete, or an update whose WHERE requires the old value of a
// column it sets, with its affected-row count checked and an exit when it changed nothing) lets one caller per key
// through, so a check-then-write of a row keyed by the same value is not reported (the count tested on every path
// before the read, not necessarily in the next statement); an unchecked claim, one tested on some paths only or whose
// leaving branch goes on to the read, an update by key alone, or a claim on another key stays reported. Set-once writes spelled as conditionals: `row.c ? undefined :
// v` and `row.c ? row.c : f(row.other)` write what every caller computes alike. A new row that copies values as read
// (a title duplicated, a share id reused else generated) is what a later caller would insert too: only a value
// computed from the rows read (a next number, a count) is a duplicate in waiting.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const transfer = (claim: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function createTeam(name: string): Promise<{ id: string }>;

export async function confirmTransfer(projectId: string, clientId: string, name: string) {
  ${claim}
  const project = await prisma.project.findUnique({ where: { id: projectId } });
  if (!project || project.ownerTeamId) throw new Error("already transferred");
  const team = await createTeam(name);
  await prisma.project.update({ where: { id: projectId }, data: { ownerTeamId: team.id } });
}`;

const revoke = (value: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function updateKey(id: string, data: { revoked?: boolean; description?: string; note: string }) {
  const key = await prisma.apiKey.findUnique({ where: { id } });
  if (!key) throw new Error("not found");
  await prisma.apiKey.update({ where: { id }, data: { description: data.description, revokedAt: ${value} } });
}`;

const plainText = (value: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function htmlToText(html: string): string;

export async function fillText(id: string, suffix: string) {
  const email = await prisma.email.findUnique({ where: { id } });
  if (!email) return;
  const text = ${value};
  await prisma.email.update({ where: { id }, data: { text } });
}`;

const share = (value: string, create = "shareId") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function newShareId(): string;

export async function shareCanvas(uid: string, canvasId: string, title: string) {
  const existing = await prisma.shareRecord.findFirst({ where: { entityId: canvasId, uid, deletedAt: null } });
  const shareId = ${value};
  if (existing) return prisma.shareRecord.update({ where: { pk: existing.pk }, data: { title } });
  return prisma.shareRecord.create({ data: { shareId: ${create}, title, uid, entityId: canvasId } });
}`;

const duplicate = (title: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function duplicateArtifact(uid: string, artifactId: string, newId: string) {
  const artifact = await prisma.artifact.findUniqueOrThrow({ where: { artifactId, uid } });
  return prisma.artifact.create({ data: { artifactId: newId, uid, title: ${title}, language: artifact.language } });
}`;

const checkThenWrite = (line: number, read: number, column = "`ownerTeamId`", write = "`prisma.project.update(…)`") => ({
  line,
  column: 9,
  messageId: "checkThenWrite",
  data: { write, column, line: read },
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a delete of the provisioning row, its count checked, before the check of the project it keys",
      code: transfer(
        'const claimed = await prisma.provisionedProject.deleteMany({ where: { projectId, clientId } });\n  if (claimed.count === 0) throw new Error("already transferred");',
      ),
    },
    {
      name: "the delete's count checked after a log line, still on every path before the read",
      code: transfer(
        'const claimed = await prisma.provisionedProject.deleteMany({ where: { projectId, clientId } });\n  console.info("claim", claimed.count);\n  if (claimed.count === 0) throw new Error("already transferred");',
      ),
    },
    {
      name: "a conditional update claim checked inside the if",
      code: transfer(
        'if ((await prisma.transfer.updateMany({ where: { projectId, state: "OPEN" }, data: { state: "DONE" } })).count !== 1) return;',
      ),
    },
    {
      name: "revokedAt set only where unset, from a flag of the input",
      code: revoke("key.revokedAt ? undefined : data.revoked ? new Date() : undefined"),
    },
    {
      name: "a plain-text copy kept where set, else derived from the row's own html",
      code: plainText("email.text ? email.text : email.html ? htmlToText(email.html) : undefined"),
    },
    {
      name: "a share id reused where a record exists, else generated, in the new record",
      code: share("existing?.shareId ?? newShareId()"),
    },
    { name: "a duplicated artifact's title copied as read", code: duplicate("artifact.title") },
    { name: "a duplicated artifact's title in a template", code: duplicate("`Copy of ${artifact.title}`") },
  ],
  invalid: [
    {
      name: "the delete's count is not checked: every caller goes on to the check",
      code: transfer("await prisma.provisionedProject.deleteMany({ where: { projectId, clientId } });"),
      errors: [checkThenWrite(10, 7)],
    },
    {
      name: "the delete's count checked only when a name is given: other callers go on to the check",
      code: transfer(
        'const claimed = await prisma.provisionedProject.deleteMany({ where: { projectId, clientId } });\n  if (name) {\n    if (claimed.count === 0) throw new Error("already transferred");\n  }',
      ),
      errors: [checkThenWrite(13, 10)],
    },
    {
      name: "the count tested right after the delete, but its branch breaks out of the loop on to the read",
      code: transfer(
        "do {\n    const claimed = await prisma.provisionedProject.deleteMany({ where: { projectId, clientId } });\n    if (claimed.count === 0) break;\n  } while (false);",
      ),
      errors: [checkThenWrite(13, 10)],
    },
    {
      name: "an update by key alone, its count checked: an existence check, not a claim",
      code: transfer(
        'const touched = await prisma.project.updateMany({ where: { id: projectId }, data: { touchedAt: new Date() } });\n  if (touched.count === 0) throw new Error("missing");',
      ),
      errors: [checkThenWrite(11, 8)],
    },
    {
      name: "a claim on another key does not serialise this project",
      code: transfer(
        'const claimed = await prisma.provisionedProject.deleteMany({ where: { clientId } });\n  if (claimed.count === 0) throw new Error("already transferred");',
      ),
      errors: [checkThenWrite(11, 8)],
    },
    {
      name: "where already revoked, the note overwrites the time: not set-once",
      code: revoke("key.revokedAt ? data.note : new Date()"),
      errors: [checkThenWrite(7, 5, "`revokedAt`", "`prisma.apiKey.update(…)`")],
    },
    {
      name: "where unset, the value depends on the caller's input",
      code: plainText("email.text ? email.text : htmlToText(email.html) + suffix"),
      errors: [{ line: 9, column: 9, messageId: "lostUpdate", data: { write: "`prisma.email.update(…)`", column: "`text`", line: 6 } }],
    },
    {
      name: "a share number one above the highest read: two concurrent shares insert the same number",
      code: share("existing?.shareId ?? newShareId()", "String(Number(existing?.shareId ?? 0) + 1)"),
      errors: [
        {
          line: 9,
          column: 10,
          messageId: "insertFromRead",
          data: { write: "`prisma.shareRecord.create(…)`", column: "`shareId`", line: 6 },
        },
      ],
    },
    {
      name: "a duplicated artifact's title numbered from the count read",
      code: duplicate("artifact.title + ` (${await prisma.artifact.count({ where: { uid } }) + 1})`"),
      errors: [
        {
          line: 6,
          column: 10,
          messageId: "insertFromRead",
          data: { write: "`prisma.artifact.create(…)`", column: "`title`", line: 5 },
        },
      ],
    },
  ],
});
