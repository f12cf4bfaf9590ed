// select-then-update: a check that refuses to write nothing. A settings form keeps a write-only secret as stored when
// the request leaves it out (`input.token ? encrypt(input.token) : row.token`) and refuses to save without one (`if
// (!token) throw`): the check validates the write's own value, so the write is judged as any field kept as read — by
// the column's other writers (last writer wins when this form is the only one). A check of the row's state before a
// write of that state (a status transition) still decides the write. A write in a transaction's callback after the
// read outside it is judged the same way: the names it writes are bound in the function that read.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const DB = `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();`;

const saveExport = (validation: string) => `import { prisma } from "./db";

declare function encrypt(plain: string): string;

export async function saveExportSettings(input: { projectId: string; apiKey?: string; region: string }) {
  const stored = await prisma.exportSettings.findUnique({ where: { projectId: input.projectId }, select: { encryptedKey: true } });
  const encryptedKey = input.apiKey ? encrypt(input.apiKey) : stored?.encryptedKey;
  ${validation}
  await prisma.exportSettings.upsert({
    where: { projectId: input.projectId },
    create: { projectId: input.projectId, region: input.region, encryptedKey },
    update: { region: input.region, encryptedKey },
  });
}
`;

/** The same form whose write runs in a transaction's callback, after the read outside it. */
const saveExportInTransaction = (fallback: string) => `import { prisma } from "./db";

export async function saveExportSettings(input: { projectId: string; apiKey?: string; region: string }) {
  const stored = await prisma.exportSettings.findUnique({ where: { projectId: input.projectId }, select: { encryptedKey: true } });
  const encryptedKey = ${fallback};
  await prisma.$transaction(async (tx) => {
    await tx.exportSettings.update({ where: { projectId: input.projectId }, data: { encryptedKey, region: input.region } });
    await tx.auditEntry.create({ data: { projectId: input.projectId, action: "export-settings" } });
  });
}
`;

const ROTATE = `import { prisma } from "./db";
export async function rotateExportKey(projectId: string, encryptedKey: string) {
  await prisma.exportSettings.update({ where: { projectId }, data: { encryptedKey } });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the stored key kept when the request has none, refused when there is none at all; the only writer of the key",
      code: saveExport('if (!encryptedKey) throw new Error("an API key is required");'),
      files: { "src/db.ts": DB },
    },
    {
      name: "the same refusal written as a comparison with undefined",
      code: saveExport('if (encryptedKey === undefined) throw new Error("an API key is required");'),
      files: { "src/db.ts": DB },
    },
    {
      name: "a field kept as read, written in a transaction's callback: judged by the column's writers as outside one",
      code: saveExportInTransaction("input.apiKey ?? stored?.encryptedKey"),
      files: { "src/db.ts": DB },
    },
  ],
  invalid: [
    {
      name: "the same form, and a key rotation writes the column too: the rotation saved in between is undone",
      code: saveExport('if (!encryptedKey) throw new Error("an API key is required");'),
      files: { "src/db.ts": DB, "src/rotate.ts": ROTATE },
      errors: [{ line: 9, column: 9, messageId: "sharedColumnLostUpdate" }],
    },
    {
      name: "the same in a transaction's callback, with a key rotation writing the column too",
      code: saveExportInTransaction("input.apiKey ?? stored?.encryptedKey"),
      files: { "src/db.ts": DB, "src/rotate.ts": ROTATE },
      errors: [{ line: 7, column: 11, messageId: "sharedColumnLostUpdate" }],
    },
    {
      name: "a value computed from the column read (a counter), written in a transaction's callback",
      code: saveExportInTransaction('`${stored?.encryptedKey ?? ""}${input.apiKey}`'),
      files: { "src/db.ts": DB },
      errors: [{ line: 7, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "a check of the stored value itself, not of the value written, still decides the write",
      code: saveExport('if (!stored?.encryptedKey) throw new Error("connect first");'),
      files: { "src/db.ts": DB },
      errors: [{ line: 9, column: 9, messageId: "lostUpdate" }],
    },
  ],
});
