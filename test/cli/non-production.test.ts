// `locksmith lint` on a project with test, e2e, seed and script files: only production code is reported by default
// (`nonProductionFiles`), a file named on the command line gets ESLint's "file ignored" treatment.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runCli, tempProject } from "./helpers";

// The same leak in every file: a lock released only when nothing throws.
const LEAK = `import { Mutex } from "async-mutex";
const accounts = new Mutex();
declare function debit(id: string, cents: number): Promise<void>;
export async function withdraw(id: string, cents: number) {
  const release = await accounts.acquire();
  await debit(id, cents);
  release();
}
`;

const TREE = {
  "src/accounts/withdraw.ts": LEAK,
  "src/migrations/1700000000000-backfill.ts": LEAK,
  "src/accounts/withdraw.spec.ts": LEAK,
  "src/accounts/__tests__/withdraw.ts": LEAK,
  "test/accounts.e2e-spec.ts": LEAK,
  "e2e/withdraw.ts": LEAK,
  "apps/web/playwright/utils/accounts.ts": LEAK,
  "apps/admin/cypress/support/accounts.ts": LEAK,
  "apps/api/src/accounts.e2e-spec.ts": LEAK,
  "src/database/seeders/accounts.ts": LEAK,
  "prisma/seed.ts": LEAK,
  "scripts/close-dormant-accounts.ts": LEAK,
};

const NOTICE =
  'test, e2e, fixture, seed and script files are not linted by default (set "nonProductionFiles": [] in locksmith.json to lint them)';

async function reportedFiles(args: string[], dir: string): Promise<{ code: number; files: string[]; stderr: string }> {
  const { code, stdout, stderr } = await runCli([...args, "--format", "json"], dir);
  const results = JSON.parse(stdout) as Array<{ filePath: string; errorCount: number }>;
  const files = results.filter((r) => r.errorCount > 0).map((r) => path.relative(dir, r.filePath).split(path.sep).join("/"));
  return { code, files: files.sort(), stderr };
}

describe("non-production files", () => {
  test("by default only production code (and migrations) is reported", async () => {
    const dir = tempProject(TREE);
    assert.deepEqual(await reportedFiles(["lint", "."], dir), {
      code: 1,
      files: ["src/accounts/withdraw.ts", "src/migrations/1700000000000-backfill.ts"],
      stderr: "",
    });
  });

  test('"nonProductionFiles": [] lints every file; a list of globs replaces the default one', async () => {
    const all = tempProject({ ...TREE, "locksmith.json": '{ "nonProductionFiles": [] }' });
    assert.deepEqual((await reportedFiles(["lint", "."], all)).files, Object.keys(TREE).sort());
    const custom = tempProject({ ...TREE, "locksmith.json": '{ "nonProductionFiles": ["scripts/**", "**/*.spec.ts"] }' });
    assert.deepEqual(
      (await reportedFiles(["lint", "."], custom)).files,
      Object.keys(TREE)
        .filter((f) => !f.startsWith("scripts/") && !f.endsWith(".spec.ts"))
        .sort(),
    );
  });

  test("a project inside a folder named test is linted: globs match relative to the project", async () => {
    const outer = tempProject({});
    const dir = path.join(outer, "test", "fixtures", "shop");
    fs.mkdirSync(path.join(dir, "src"), { recursive: true });
    fs.writeFileSync(path.join(dir, "src", "withdraw.ts"), LEAK);
    assert.deepEqual(await reportedFiles(["lint", "src"], dir), { code: 1, files: ["src/withdraw.ts"], stderr: "" });
  });

  test("a non-production file named on the command line is not linted, with a notice on stderr", async () => {
    const dir = tempProject(TREE);
    // The notice is not a warning of the report: a pre-commit hook passing staged files with --max-warnings 0 passes.
    const alone = await runCli(["lint", "--max-warnings", "0", "test/accounts.e2e-spec.ts"], dir);
    assert.deepEqual(alone, { code: 0, stdout: "", stderr: `locksmith: ignored test/accounts.e2e-spec.ts: ${NOTICE}\n` });
    const mixed = await runCli(["lint", "scripts/close-dormant-accounts.ts", "src/accounts/withdraw.ts"], dir);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stdout, /^\nsrc\/accounts\/withdraw\.ts\n {2}5:25 {2}error {2}`accounts` is released at line 7 only if/);
    assert.match(mixed.stdout, /✖ 1 problem \(1 error, 0 warnings\)/);
    assert.equal(mixed.stderr, `locksmith: ignored scripts/close-dormant-accounts.ts: ${NOTICE}\n`);
  });

  test('a file named on the command line that "ignores" matches gets its own reason', async () => {
    const dir = tempProject({ "locksmith.json": '{ "ignores": ["src/generated/**"] }', "src/generated/client.ts": LEAK });
    assert.deepEqual(await runCli(["lint", "src/generated/client.ts"], dir), {
      code: 0,
      stdout: "",
      stderr:
        'locksmith: ignored src/generated/client.ts: it matches "ignores" in the configuration (node_modules, dist and .d.ts files always do)\n',
    });
  });

  test("a folder whose files are all ignored is a usage error, not a clean run", async () => {
    const dir = tempProject(TREE);
    assert.deepEqual(await runCli(["lint", "test", "e2e"], dir), {
      code: 2,
      stdout: "",
      stderr: `locksmith: every TypeScript file in test, e2e is ignored: ${NOTICE}\n`,
    });
  });

  test("a glob that is not a string is a configuration error naming the key", async () => {
    for (const value of ['"test/**"', '["test/**", 1]', "false"]) {
      const dir = tempProject({ "locksmith.json": `{ "nonProductionFiles": ${value} }`, "src/a.ts": LEAK });
      assert.deepEqual(await runCli(["lint", "src"], dir), {
        code: 2,
        stdout: "",
        stderr: `locksmith: ${path.join(dir, "locksmith.json")}: "nonProductionFiles" must be an array of glob strings ([] lints every file), got ${JSON.stringify(JSON.parse(value))}\n`,
      });
    }
  });
});
