// select-then-update on inserts: an insert overwrites no row, so two concurrent calls can only get wrong a next
// number computed from the rows read (`last.position + 1`, a count) and inserted twice. Look-alikes: a value passed
// through a helper or copied from the row read (both calls insert what a later call would), a unique index over the
// column in the Prisma schema (the second insert fails instead of duplicating).
import { selectThenUpdate } from "../../rules/select-then-update";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

const panel = (unique: boolean) =>
  `model Panel {\n  id        String @id @default(cuid())\n  chapterId String\n  position  Int\n${unique ? "\n  @@unique([chapterId, position])\n" : ""}}\n`;

/** Prisma's multi-file schema: `schema.prisma` holds the generator and datasource, the models live in `schema/`. */
const GENERATOR_ONLY = `generator client {\n  provider        = "prisma-client-js"\n  previewFeatures = ["prismaSchemaFolder"]\n}\ndatasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n`;

/** Appends a panel after the chapter's last one; `position` is the expression inserted. */
const appendPanel = (position: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function appendPanel(chapterId: string, prompt: string) {
  const last = await prisma.panel.findFirst({ where: { chapterId }, orderBy: { position: "desc" } });
  const position = ${position};
  return prisma.panel.create({ data: { chapterId, prompt, position } });
}
`;

const NEXT_POSITION = {
  line: 7,
  column: 10,
  messageId: "insertFromRead",
  data: { write: "`prisma.panel.create(…)`", column: "`position`", line: 5 },
};

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a storage key built from the share found (a call, not a number): a later call would insert the same key",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function shareDocument(documentId: string, userId: string) {
  const existing = await prisma.share.findFirst({ where: { documentId } });
  const key = existing ? \`shares/\${existing.shareId}/\${userId}.json\` : \`shares/\${documentId}.json\`;
  return prisma.share.create({ data: { documentId, userId, storageKey: key.toLowerCase() } });
}
`,
    },
    {
      name: "a next position under @@unique([chapterId, position]): the second insert fails instead of duplicating",
      root: prismaProject(panel(true)),
      code: appendPanel("(last?.position ?? -1) + 1"),
    },
    {
      name: "a next position under @@unique declared in prisma/schema/*.prisma beside a generator-only schema.prisma (Prisma's schema folder)",
      root: prismaProject(GENERATOR_ONLY, { "comics.prisma": panel(true) }),
      code: appendPanel("(last?.position ?? -1) + 1"),
    },
  ],
  invalid: [
    {
      name: "a next position with the model in prisma/schema/*.prisma and no unique index there: two calls insert the same position",
      root: prismaProject(GENERATOR_ONLY, { "comics.prisma": panel(false) }),
      code: appendPanel("(last?.position ?? -1) + 1"),
      errors: [NEXT_POSITION],
    },
    {
      name: "a next position through a const, with no unique index in the schema: two calls insert the same position",
      root: prismaProject(panel(false)),
      code: appendPanel("(last?.position ?? -1) + 1"),
      errors: [NEXT_POSITION],
    },
    {
      name: "a next position with no schema in sight (an index may or may not exist)",
      code: appendPanel("last ? last.position + 1 : 0"),
      errors: [NEXT_POSITION],
    },
  ],
});
