// select-then-update: a new revision numbered from the latest one (and copying its labels) is inserted as part of a
// Prisma batch (`const ops = [prisma.revision.create(…)]`, run by `prisma.$transaction(ops)` in a `try`) whose `catch`
// tests the unique index's duplicate-key error through a function of the project (`isRevisionClash(error)`): of two
// concurrent saves one fails on the unique (documentId, number) index, and the function reports it. A catch that tests
// another error, or a batch run outside the `try`, leaves the race reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** `code` is what the error test looks for; `run` runs the batch `ops`. */
const saveRevision = (code: string, run: string) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

function isRevisionClash(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "${code}";
}

export async function saveRevision(documentId: string, body: string) {
  const latest = await prisma.revision.findFirst({ where: { documentId }, orderBy: { number: "desc" } });
  const ops = [
    prisma.revision.create({ data: { documentId, body, labels: latest?.labels ?? [], number: (latest?.number ?? 0) + 1 } }),
    prisma.document.update({ where: { id: documentId }, data: { editedAt: new Date() } }),
  ];
  ${run}
}
`;

const GUARDED = `try {
    await prisma.$transaction(ops);
  } catch (error) {
    if (isRevisionClash(error)) throw new Error("saved concurrently, retry");
    throw error;
  }`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the batch runs in a try whose catch tests the duplicate-key error (P2002) through a project function",
      code: saveRevision("P2002", GUARDED),
    },
  ],
  invalid: [
    {
      name: "the project function tests a missing record (P2025), not a duplicate key",
      code: saveRevision("P2025", GUARDED),
      errors: [
        {
          line: 11,
          column: 5,
          messageId: "insertFromRead",
          data: { write: "`prisma.revision.create(…)`", column: "`number`", line: 9 },
        },
      ],
    },
    {
      name: "the batch runs outside the try that tests for a duplicate key",
      code: saveRevision(
        "P2002",
        `await prisma.$transaction(ops);
  try {
    await prisma.document.update({ where: { id: documentId }, data: { body } });
  } catch (error) {
    if (isRevisionClash(error)) throw new Error("saved concurrently, retry");
  }`,
      ),
      errors: [
        {
          line: 11,
          column: 5,
          messageId: "insertFromRead",
          data: { write: "`prisma.revision.create(…)`", column: "`number`", line: 9 },
        },
      ],
    },
  ],
});
