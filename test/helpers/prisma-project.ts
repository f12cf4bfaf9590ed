// A project folder on disk holding only `prisma/schema.prisma` and, when given, the files of `prisma/schema/` (Prisma's
// multi-file schema folder) (the code under test stays in memory), removed after the test file: for what Locksmith reads
// from the schema (table and column names, unique indexes).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";

export function prismaProject(schema: string, folder: Record<string, string> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-prisma-"));
  fs.mkdirSync(path.join(root, "prisma"));
  fs.writeFileSync(path.join(root, "prisma", "schema.prisma"), schema);
  if (Object.keys(folder).length > 0) fs.mkdirSync(path.join(root, "prisma", "schema"));
  for (const [name, text] of Object.entries(folder)) fs.writeFileSync(path.join(root, "prisma", "schema", name), text);
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  return root.split(path.sep).join("/");
}
