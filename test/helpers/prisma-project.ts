// A project folder on disk holding only `prisma/schema.prisma` (the code under test stays in memory), removed after
// the test file: for what Locksmith reads from the schema (table and column names, unique indexes).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";

export function prismaProject(schema: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-prisma-"));
  fs.mkdirSync(path.join(root, "prisma"));
  fs.writeFileSync(path.join(root, "prisma", "schema.prisma"), schema);
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  return root.split(path.sep).join("/");
}
