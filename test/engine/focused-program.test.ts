// The language server lints an edited file on a Program focused on it (the file, what it imports, the files that
// declare globals) instead of rebuilding the whole project's Program after each keystroke. That is only sound if
// the file rules find exactly what they find with the whole Program: checked here on examples/ and on a project
// whose lock comes from a global declaration that the linted file does not import.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { Workspace } from "../../server/src/lsp/projects";
import type { EditorSettings } from "../../server/src/lsp/settings";
import { makeWorkspace, REPO_ROOT } from "../lsp/harness";

const SETTINGS: EditorSettings = { enable: true, rules: {}, runtime: "auto", runtimePath: null, slowCalls: [] };

/** File-rule findings of every file of every project, once with the whole Program and once focused on the file. */
function lintBothWays(folder: string): { whole: Map<string, string[]>; focused: Map<string, string[]> } {
  const workspace = new Workspace(RULES, (message) => assert.fail(message));
  workspace.setFolders([folder]);
  workspace.scan();
  const whole = new Map<string, string[]>();
  const focused = new Map<string, string[]>();
  const describe = (d: { ruleId: string; span: { start: number; end: number }; message: string }) =>
    `${d.ruleId}@${d.span.start}-${d.span.end}: ${d.message}`;
  for (const project of workspace.allProjects()) {
    const files = [...project.files].sort();
    for (const result of project.lintFiles(files, SETTINGS, {}, (m) => assert.fail(m)).results)
      whole.set(result.fileName, result.diagnostics.map(describe));
    for (const file of files) {
      const run = project.lintFocused(file, SETTINGS, {}, (m) => assert.fail(m));
      assert.deepEqual(run.crashes, []);
      focused.set(
        file,
        run.results.flatMap((r) => r.diagnostics.map(describe)),
      );
    }
  }
  return { whole, focused };
}

describe("focused Program", () => {
  test("examples/: every file's findings are the same as with the whole project's Program", () => {
    const { whole, focused } = lintBothWays(path.join(REPO_ROOT, "examples"));
    assert.ok(whole.size >= 10, `only ${whole.size} files`);
    assert.ok([...whole.values()].flat().length >= 15, "examples/ should have findings to compare");
    assert.deepEqual(focused, whole);
  });

  test("a lock declared with `declare global` in a file nobody imports is still a lock in the focused Program", () => {
    const nodeModules = path.join(REPO_ROOT, "node_modules");
    const root = makeWorkspace({
      "tsconfig.json": JSON.stringify({
        compilerOptions: { strict: true, module: "nodenext", target: "es2022", types: [] },
        include: ["src"],
      }),
      // Imported by no file: only its `declare global` makes `accountsLock` known elsewhere.
      "src/setup.ts": `import { Mutex } from "async-mutex";\ndeclare global {\n  var accountsLock: Mutex;\n}\nglobalThis.accountsLock = new Mutex();\n`,
      "src/pay.ts": `export async function pay(work: () => Promise<void>): Promise<void> {\n  const release = await accountsLock.acquire();\n  await work();\n  release();\n}\n`,
    });
    fs.symlinkSync(nodeModules, path.join(root, "node_modules"), "dir");
    const pay = path.join(root, "src", "pay.ts");
    const { whole, focused } = lintBothWays(root);
    assert.deepEqual(focused.get(pay), whole.get(pay));
    assert.deepEqual(
      focused.get(pay)!.map((f) => f.split(":")[0]),
      [
        `lock-release-not-guaranteed@${fs.readFileSync(pay, "utf8").indexOf("accountsLock.acquire()")}-${fs.readFileSync(pay, "utf8").indexOf(";\n  await work")}`,
      ],
    );
    // Without the global declaration `accountsLock` is unknown, and nothing is reported: the finding above came from it.
    fs.rmSync(path.join(root, "src", "setup.ts"));
    assert.deepEqual(lintBothWays(root).focused.get(pay), []);
  });
});
