// inconsistent-lock-order, session-16 held-out shape. A Prisma schema whose only datasource is SQLite has no row locks:
// a write transaction holds the database-wide write lock, so a batch of updates in the caller's order cannot deadlock.
// The same batch against a PostgreSQL datasource takes row locks one after the other and is reported.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

const schema = (provider: string) => `datasource db {
  provider = "${provider}"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"
}

model Preference {
  key   String @id
  value String
}
`;

const BATCH = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function storePreferences(entries: { key: string; value: string }[]) {
  return prisma.$transaction(
    entries.map((entry) => prisma.preference.update({ where: { key: entry.key }, data: { value: entry.value } })),
  );
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "a batch of updates in the caller's order against a SQLite-only Prisma schema: one database-wide write lock, no row order",
      root: prismaProject(schema("sqlite")),
      code: BATCH,
    },
  ],
  invalid: [
    {
      name: "the same batch against a PostgreSQL datasource: row locks taken in the caller's order can deadlock",
      root: prismaProject(schema("postgresql")),
      code: BATCH,
      errors: [{ line: 6, column: 28, messageId: "callerOrderLoop" }],
    },
  ],
});
