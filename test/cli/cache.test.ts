// `--cache`: cached file findings are reused only while the file, what it imports, the global declarations, the
// engine and the configuration are unchanged; project rules always see the whole project; a fully warm run reuses
// the last report without building a Program; a corrupt cache is ignored.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LintCache, cacheKey } from "../../server/src/cli/cache";
import { main } from "../../server/src/cli/main";
import { buildReport } from "../../server/src/cli/report";
import { LintSession, settingsResolver } from "../../server/src/cli/session";
import { ts } from "../../server/src/engine/ts";
import type { Rule } from "../../server/src/engine/types";

/** File rule: reports every `let`, and its type when the checker knows it (so findings depend on imports). */
function makeRules(checked: string[]): Rule[] {
  const letRule: Rule = {
    meta: {
      id: "test-let",
      description: "Reports let.",
      defaultSeverity: "warn",
      fixable: false,
      hasSuggestions: false,
      scope: "file",
      messages: { let: "let of type {{type}}" },
      defaultOptions: {},
    },
    checkFile(context) {
      checked.push(path.basename(context.fileName));
      if (context.sourceFile.text.includes("CRASH")) throw new Error("boom");
      const visit = (node: ts.Node): void => {
        if (ts.isVariableDeclarationList(node) && node.flags & ts.NodeFlags.Let) {
          const declaration = node.declarations[0]!;
          const type = context.checker.typeToString(context.checker.getTypeAtLocation(declaration.name));
          context.report({
            messageId: "let",
            data: { type },
            span: { file: context.fileName, start: node.getStart(context.sourceFile), end: node.end },
          });
        }
        ts.forEachChild(node, visit);
      };
      visit(context.sourceFile);
    },
  };
  /** Project rule: reports on the first file how many files mention "lockA" (depends on every file). */
  const countRule: Rule = {
    meta: {
      id: "test-count",
      description: "Counts lockA.",
      defaultSeverity: "warn",
      fixable: false,
      hasSuggestions: false,
      scope: "project",
      messages: { count: "{{count}} files take lockA" },
      defaultOptions: {},
    },
    checkProject(context) {
      const files = [...context.sourceFiles].sort((a, b) => a.fileName.localeCompare(b.fileName));
      const count = files.filter((sf) => sf.text.includes("lockA")).length;
      context.report({ messageId: "count", data: { count }, span: { file: files[0]!.fileName, start: 0, end: 1 } });
    },
  };
  return [letRule, countRule];
}

interface Project {
  dir: string;
  write(rel: string, text: string): void;
  /** One lint run as the CLI does it; returns the report's messages per file and the files the file rule analysed. */
  lint(key?: string): { messages: string[]; checked: string[] };
  cacheFile: string;
}

function project(files: Record<string, string>): Project {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-cache-")));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  const cacheFile = path.join(dir, ".locksmithcache");
  return {
    dir,
    write,
    cacheFile,
    lint(key = "key-1") {
      const checked: string[] = [];
      const session = new LintSession({ cwd: dir, paths: [], tsconfig: "tsconfig.json", rules: makeRules(checked) });
      const cache = LintCache.open(cacheFile, key, settingsResolver(session.config, session.spec));
      const run = session.lint({ fileCache: cache.fileFindings });
      const report = buildReport(run, dir);
      cache.recordRun(session.host.getProgram(), session.spec, report, run.crashes.length > 0);
      assert.equal(cache.save(), undefined);
      const messages = report.results.flatMap((r) =>
        r.messages.map((m) => `${path.relative(dir, r.filePath)}:${m.line}:${m.column} ${m.ruleId} ${m.message}`),
      );
      return { messages, checked: checked.sort() };
    },
  };
}

const FILES = {
  "tsconfig.json": '{ "compilerOptions": { "strict": true, "noEmit": true }, "include": ["src"] }\n',
  "src/a.ts": 'import { b } from "./b";\nexport let a = b; // lockA\n',
  "src/b.ts": "export const b = 1;\n",
  "src/c.ts": "export let c = 'x';\n",
  "src/globals.d.ts": "declare const GLOBAL_FLAG: boolean;\n",
};

test("an unchanged project reuses every file's findings; project rules still run", () => {
  const p = project(FILES);
  try {
    const cold = p.lint();
    assert.deepEqual(cold.checked, ["a.ts", "b.ts", "c.ts"]);
    assert.deepEqual(cold.messages, [
      "src/a.ts:1:1 test-count 1 files take lockA",
      "src/a.ts:2:8 test-let let of type number",
      "src/c.ts:1:8 test-let let of type string",
    ]);
    const warm = p.lint();
    assert.deepEqual(warm, { messages: cold.messages, checked: [] });
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test("changing a file re-analyses it and the files that import it; project findings on unchanged files update", () => {
  const p = project(FILES);
  try {
    p.lint();
    p.write("src/b.ts", "export const b = 'now a string';\n");
    p.write("src/c.ts", "export let c = 'x'; // lockA too\n");
    const after = p.lint();
    assert.deepEqual(after.checked, ["a.ts", "b.ts", "c.ts"]);
    assert.deepEqual(after.messages, [
      "src/a.ts:1:1 test-count 2 files take lockA",
      "src/a.ts:2:8 test-let let of type string",
      "src/c.ts:1:8 test-let let of type string",
    ]);
    p.write("src/c.ts", "export let c = 2;\n");
    const third = p.lint();
    assert.deepEqual(third.checked, ["c.ts"], "a.ts and b.ts do not depend on c.ts");
    assert.deepEqual(third.messages, [
      "src/a.ts:1:1 test-count 1 files take lockA",
      "src/a.ts:2:8 test-let let of type string",
      "src/c.ts:1:8 test-let let of type number",
    ]);
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test("a change to a global declaration file, or another cache key, re-analyses everything", () => {
  const p = project(FILES);
  try {
    p.lint();
    p.write("src/globals.d.ts", "declare const GLOBAL_FLAG: number;\n");
    assert.deepEqual(p.lint().checked, ["a.ts", "b.ts", "c.ts"]);
    assert.deepEqual(p.lint().checked, []);
    assert.deepEqual(p.lint("key-2").checked, ["a.ts", "b.ts", "c.ts"]);
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test("a file whose rule crashed is analysed again next time", () => {
  const p = project({ ...FILES, "src/c.ts": "export let c = 'CRASH';\n" });
  try {
    p.lint();
    assert.deepEqual(p.lint().checked, ["c.ts"]);
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test("the last run is reused whole only while every file of its Program is unchanged", () => {
  const p = project(FILES);
  try {
    p.lint();
    const reopen = () => {
      const session = new LintSession({ cwd: p.dir, paths: [], tsconfig: "tsconfig.json", rules: makeRules([]) });
      return { session, cache: LintCache.open(p.cacheFile, "key-1", settingsResolver(session.config, session.spec)) };
    };
    const { session, cache } = reopen();
    assert.deepEqual(
      cache.lastRun(session.spec)?.results.map((r) => path.relative(p.dir, r.filePath)),
      ["src/a.ts", "src/b.ts", "src/c.ts"],
    );
    p.write("src/globals.d.ts", "declare const GLOBAL_FLAG: string;\n");
    const changed = reopen();
    assert.equal(changed.cache.lastRun(changed.session.spec), undefined, "a changed declaration file");
    p.lint();
    p.write("src/d.ts", "export const d = 1;\n");
    const withNewFile = reopen();
    assert.equal(withNewFile.cache.lastRun(withNewFile.session.spec), undefined, "a new file");
    const other = LintCache.open(p.cacheFile, "key-2", settingsResolver(withNewFile.session.config, withNewFile.session.spec));
    assert.equal(other.lastRun(withNewFile.session.spec), undefined, "another key");
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test("the key changes with the configuration and the lint options", () => {
  const p = project(FILES);
  try {
    const keyOf = (config: string | undefined, ruleOverrides = {}, reportUnusedDirectives = false) => {
      if (config === undefined) fs.rmSync(path.join(p.dir, "locksmith.json"), { force: true });
      else fs.writeFileSync(path.join(p.dir, "locksmith.json"), config);
      const session = new LintSession({ cwd: p.dir, paths: [], tsconfig: "tsconfig.json", rules: makeRules([]) });
      return cacheKey({ config: session.config, spec: session.spec, ruleOverrides, lintOptions: { reportUnusedDirectives } });
    };
    const base = keyOf(undefined);
    assert.equal(keyOf(undefined), base);
    const keys = [base, keyOf('{ "ignores": ["x"] }'), keyOf(undefined, { "test-let": "off" }), keyOf(undefined, {}, true)];
    assert.equal(new Set(keys).size, keys.length);
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

async function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false });
  return { code, stdout, stderr };
}

test("locksmith lint --cache: same output warm as cold, a corrupt cache is ignored, --cache-location", async () => {
  const p = project({ "src/a.ts": "export const a = 1;\n" });
  try {
    const cold = await cli(["lint", "--cache", "--format", "json", "src"], p.dir);
    assert.equal(cold.code, 0, cold.stderr);
    const cache = JSON.parse(fs.readFileSync(p.cacheFile, "utf8"));
    assert.equal(cache.format, 2);
    assert.deepEqual(cache.lastRun.lintFiles, [path.join(p.dir, "src", "a.ts")]);
    assert.deepEqual(await cli(["lint", "--cache", "--format", "json", "src"], p.dir), cold);
    fs.writeFileSync(p.cacheFile, "{ not json");
    assert.deepEqual(await cli(["lint", "--cache", "--format", "json", "src"], p.dir), cold);
    assert.equal(JSON.parse(fs.readFileSync(p.cacheFile, "utf8")).format, 2, "rewritten");

    assert.equal((await cli(["lint", "--cache", "--cache-location", "tmp/cache/", "src"], p.dir)).code, 0);
    assert.ok(fs.existsSync(path.join(p.dir, "tmp", "cache", ".locksmithcache")));
    assert.equal((await cli(["lint", "--cache", "--cache-location", "tmp/my-cache.json", "src"], p.dir)).code, 0);
    assert.ok(fs.existsSync(path.join(p.dir, "tmp", "my-cache.json")));
    assert.deepEqual(await cli(["lint", "--cache", "--cache-location", "../elsewhere", "src"], p.dir), {
      code: 2,
      stdout: "",
      stderr: `locksmith: --cache-location must be inside the current folder (${p.dir}), got "../elsewhere"\n`,
    });
    assert.deepEqual(await cli(["lint", "--cache-location", "x", "src"], p.dir), {
      code: 2,
      stdout: "",
      stderr: "locksmith: --cache-location needs --cache\n",
    });
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});
