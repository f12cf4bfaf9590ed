import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";

/**
 * A project folder on disk with a package.json and the given files (`.sql` DDL, migrations), removed after the tests;
 * the code under test stays in memory. Returns the folder, with forward slashes, for a test case's `root`.
 */
export function sqlProject(files: Record<string, string>, prefix = "locksmith-sql-"): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(root, "package.json"), "{}\n");
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  return root.split(path.sep).join("/");
}
