// The project's writers of each column (server/src/analysis/db/column-writers.ts): every update the recognisers see,
// by table and column, with its function; inserts, deletes and test files are not writers; writes whose columns are
// not visible are kept as such; an edit re-reads only the edited file, and the next Program sees the new writer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_COMPILER_OPTIONS, ProjectHost } from "../../server/src/engine/project";
import { columnWriterStats, writesOfTable } from "../../server/src/analysis/db/column-writers";

const ROOT = "/virtual-writers";
const DB = `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();`;

const BILLING = `import { prisma } from "./db";
export async function updateBilling(id: string, plan: string) {
  await prisma.organization.update({ where: { id }, data: { metadata: { plan }, plan_name: plan } });
}
export async function createOrganization(name: string) {
  await prisma.organization.create({ data: { name, metadata: {} } });
}
export async function removeOrganization(id: string) {
  await prisma.organization.delete({ where: { id } });
}`;

const GENERIC = `import { prisma } from "./db";
export class OrganizationRepository {
  update(id: string, data: object) {
    return prisma.organization.update({ where: { id }, data });
  }
}`;

const TEST_FILE = `import { prisma } from "../db";
export async function seed(id: string) {
  await prisma.organization.update({ where: { id }, data: { metadata: {} } });
}`;

function project(files: Record<string, string>): ProjectHost {
  const host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, []);
  for (const [name, text] of Object.entries(files)) host.setFileText(`${ROOT}/${name}`, text);
  return host;
}

test("writers of a table: updates with their columns and function, not inserts, deletes or test files", () => {
  const host = project({
    "src/db.ts": DB,
    "src/billing.ts": BILLING,
    "src/repository.ts": GENERIC,
    "src/__tests__/seed.ts": TEST_FILE,
  });
  const writes = writesOfTable(host.getProgram(), "organizations");
  assert.deepEqual(
    writes.map((w) => ({ file: w.file.slice(ROOT.length + 1), line: w.line, writer: w.writer, columns: w.columns })),
    [
      { file: "src/billing.ts", line: 3, writer: "updateBilling", columns: ["metadata", "plan_name"] },
      { file: "src/repository.ts", line: 4, writer: "OrganizationRepository.update", columns: undefined },
    ],
  );
  assert.deepEqual(writesOfTable(host.getProgram(), "users"), []);
});

test("an edit re-reads only the edited file, and the next Program sees its new writer", () => {
  const host = project({ "src/db.ts": DB, "src/billing.ts": BILLING, "src/other.ts": `export const x = "update";` });
  assert.equal(writesOfTable(host.getProgram(), "organization").length, 1);
  const before = columnWriterStats.files;
  host.setFileText(
    `${ROOT}/src/other.ts`,
    `import { prisma } from "./db";
export const rename = (id: string, name: string) => prisma.organization.update({ where: { id }, data: { name } });`,
  );
  const writes = writesOfTable(host.getProgram(), "organization");
  assert.equal(columnWriterStats.files - before, 1);
  assert.deepEqual(
    writes.map((w) => [w.writer, w.columns]),
    [
      ["updateBilling", ["metadata", "plan_name"]],
      ["rename", ["name"]],
    ],
  );
});
