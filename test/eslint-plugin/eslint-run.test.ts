// The plugin inside real ESLint runs: the ESLint class over examples/ (typed, through typescript-eslint's project
// service, and without type information) against `locksmith lint examples --format json`; eslint-disable comments;
// a bad locksmith.json; and which Program the rules run on (typescript-eslint's, Locksmith's own, or the file alone).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ESLint, Linter } from "eslint";
import * as tsParser from "@typescript-eslint/parser";
import plugin from "../../eslint-plugin/src/index";
import { madeBySameTypeScript, programFor } from "../../eslint-plugin/src/program";
import { eslintRule } from "../../eslint-plugin/src/rule";
import { defineRule } from "../../server/src/rule-kit";
import { ANNOTATED_LOCK_MODULE } from "../helpers/lock-modules";
import { RULES } from "../../rules";
import { ts } from "../../server/src/engine/ts";

const REPO = path.resolve(__dirname, "..", "..", "..");
const EXAMPLES = path.join(REPO, "examples");
const FILE_RULE_IDS = new Set(RULES.filter((r) => r.meta.scope === "file").map((r) => r.meta.id));

/** One line per finding: file, line, column, rule id, whether it has a safe fix, how many suggestions. */
interface Row {
  file: string;
  line: number;
  column: number;
  ruleId: string;
  fix: boolean;
  suggestions: number;
}
type JsonResult = {
  filePath: string;
  messages: Array<{ ruleId: string | null; line: number; column: number; fix?: unknown; suggestions?: unknown[] }>;
};

function rows(results: JsonResult[], ruleId: (id: string) => string | undefined): Row[] {
  return results
    .flatMap((r) =>
      r.messages.map((m) => ({
        file: path.relative(REPO, r.filePath),
        line: m.line,
        column: m.column,
        ruleId: (m.ruleId && ruleId(m.ruleId)) ?? `not a rule: ${m.ruleId} ${JSON.stringify(m)}`,
        fix: m.fix !== undefined,
        suggestions: m.suggestions?.length ?? 0,
      })),
    )
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId));
}

function cliRows(): { fileRules: Row[]; projectRules: Row[] } {
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, [path.join(REPO, "server/bin/locksmith.js"), "lint", "examples", "--format", "json"], {
      cwd: REPO,
      encoding: "utf8",
    });
  } catch (error) {
    // Exit code 1: the examples have findings (errors). The report is on stdout either way.
    stdout = (error as { stdout: string }).stdout;
  }
  const all = rows(JSON.parse(stdout) as JsonResult[], (id) => id);
  return { fileRules: all.filter((r) => FILE_RULE_IDS.has(r.ruleId)), projectRules: all.filter((r) => !FILE_RULE_IDS.has(r.ruleId)) };
}

/** ESLint with typescript-eslint's parser (typed through its project service, or not) and locksmith's recommended config. */
function eslintWithPlugin(cwd: string, typed: boolean): ESLint {
  return new ESLint({
    cwd,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tsParser, parserOptions: typed ? { projectService: true, tsconfigRootDir: cwd } : {} },
      },
      plugin.configs.recommended!,
    ],
  });
}

async function eslintRows(typed: boolean): Promise<Row[]> {
  const results = await eslintWithPlugin(EXAMPLES, typed).lintFiles(["src"]);
  return rows(results as JsonResult[], (id) => (id.startsWith("locksmith/") ? id.slice("locksmith/".length) : undefined));
}

test("a typed ESLint run over examples/ reports what `locksmith lint` reports for the file rules: same places, fixes and suggestions", async () => {
  const cli = cliRows();
  // The examples have findings of every file rule, and whole-program findings (lock order) the plugin does not expose.
  assert.deepEqual(new Set(cli.fileRules.map((r) => r.ruleId)), FILE_RULE_IDS);
  assert.ok(cli.projectRules.some((r) => r.ruleId === "inconsistent-lock-order"));
  assert.deepEqual(await eslintRows(true), cli.fileRules);
});

test("without type information, the same findings but where another file or a driver's types decide", async () => {
  const expected = cliRows()
    .fileRules // fulfilment.ts holds the app's own locks, whose bodies (and what makes them locks) are in ../locking/locks.ts.
    .filter((row) => row.file !== "examples/src/orders/fulfilment.ts")
    // A lock released before the returned promise settles: that `work()` returns a promise is in lib's types.
    .filter((row) => !(row.file === "examples/src/locking/locks.ts" && row.ruleId === "lock-release-not-guaranteed"))
    // withdraw's silence needs row-locks.ts: the helper that locks the account row is another file's, which a run
    // without types does not follow, so its read is reported (line 14) — one finding more, not fewer.
    .concat([
      { file: "examples/src/accounts/account-service.ts", line: 14, column: 11, ruleId: "select-then-update", fix: true, suggestions: 0 },
    ])
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId))
    // The FOR UPDATE suggestion in withMySqlTransaction needs the mysql2 pool's type.
    .map((row) =>
      row.file === "examples/src/inventory/mysql-inventory.ts" && row.ruleId === "select-then-update" ? { ...row, suggestions: 0 } : row,
    );
  assert.deepEqual(await eslintRows(false), expected);
});

const NO_EXPIRY = `import Redis from "ioredis";
const redis = new Redis();
export async function run(id: string) {
  // DIRECTIVE
  return redis.set(\`lock:\${id}\`, "1", "NX");
}
`;

test("eslint-disable-next-line locksmith/<rule> suppresses that rule's finding, and only that rule's; locksmith-disable too", () => {
  const linter = new Linter({ cwd: REPO });
  const config: Linter.Config[] = [
    { files: ["**/*.ts"], languageOptions: { parser: tsParser }, linterOptions: { reportUnusedDisableDirectives: "error" } },
    { plugins: { locksmith: plugin }, rules: { "locksmith/lock-without-expiry": "error" } },
  ];
  const lint = (directive: string) =>
    linter
      .verify(NO_EXPIRY.replace("// DIRECTIVE", directive), config, path.join(REPO, "examples/src/file.ts"))
      .map((m) => `${m.line}:${m.column} ${m.ruleId} ${m.message}`);
  assert.deepEqual(lint("// nothing"), [
    "5:10 locksmith/lock-without-expiry Redis lock `lock:${id}` is taken with SET NX and no expiry: a holder that crashes (or is killed during a deploy) before releasing it leaves the key forever, and every later caller is locked out until someone deletes it by hand.",
  ]);
  // Used: no "unused eslint-disable directive" report either.
  assert.deepEqual(lint("// eslint-disable-next-line locksmith/lock-without-expiry -- the key is deleted by a sweeper"), []);
  // Locksmith's own directives still apply (the engine's), so a code base moving to the plugin keeps them.
  assert.deepEqual(lint("// locksmith-disable-next-line lock-without-expiry"), []);
  const other = lint("// eslint-disable-next-line locksmith/unsafe-lock-release");
  assert.equal(other.length, 2);
  assert.match(other[0]!, /^4:3 null Unused eslint-disable directive \(no problems were reported from 'locksmith\/unsafe-lock-release'\)/);
  assert.match(other[1]!, /^5:10 locksmith\/lock-without-expiry /);
});

test("typed: a lock declared by a @locksmith JSDoc tag in another file is seen (typescript-eslint parses JSDoc by default)", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-eslint-jsdoc-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const compilerOptions = {
    strict: true,
    module: "nodenext",
    moduleResolution: "nodenext",
    noEmit: true,
    lib: ["ES2023", "DOM"],
    types: [],
  };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src"] }));
  fs.mkdirSync(path.join(dir, "src"));
  // A promise-chain queue and an HTTP lease: nothing in their bodies says they are locks; the tags do.
  fs.writeFileSync(path.join(dir, "src", "opaque-locks.ts"), ANNOTATED_LOCK_MODULE);
  fs.writeFileSync(
    path.join(dir, "src", "settle.ts"),
    `import { SerialQueue } from "./opaque-locks.js";
declare const repo: { load(id: string): Promise<{ total: number }>; save(id: string, total: number): Promise<void> };
const queue = new SerialQueue();
export async function settle(id: string) {
  await queue.run(async () => {
    const order = await repo.load(id);
    await fetch("https://bank.example/settle/" + id);
    await repo.save(id, order.total);
  });
}
`,
  );
  const lint = async (typed: boolean) => {
    const eslint = eslintWithPlugin(dir, typed);
    return (await eslint.lintFiles(["src"])).flatMap((r) => r.messages.map((m) => `${path.basename(r.filePath)}:${m.line} ${m.ruleId}`));
  };
  assert.deepEqual(await lint(true), ["settle.ts:7 locksmith/lock-across-await"]);
  // Without type information the tag, in the other file, is not read.
  assert.deepEqual(await lint(false), []);
});

test("a rule that throws on a file is one problem on line 1, and the file's other rules still report", () => {
  const crashing = defineRule({
    meta: { id: "crashing-rule", description: "Throws on every file.", defaultSeverity: "error", messages: { never: "Never reported." } },
    checkFile() {
      throw new Error("boom");
    },
  });
  const messages = new Linter({ cwd: REPO }).verify(
    NO_EXPIRY.replace("// DIRECTIVE", ""),
    [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tsParser },
        plugins: { locksmith: plugin, test: { rules: { crashing: eslintRule(crashing) } } },
        rules: { "test/crashing": "error", "locksmith/lock-without-expiry": "error" },
      },
    ],
    path.join(REPO, "examples/src/file.ts"),
  );
  assert.deepEqual(
    messages.map((m) => [m.line, m.column, m.ruleId]),
    [
      [1, 1, "test/crashing"],
      [5, 10, "locksmith/lock-without-expiry"],
    ],
  );
  assert.equal(messages[0]!.message, "Locksmith's crashing-rule rule crashed on this file (boom); the file's other rules still ran.");
});

test("a bad locksmith.json is one problem on line 1 naming the file and key, not a crash", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-eslint-config-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "locksmith.json"), `{ "runtime": "sometimes" }`);
  const messages = new Linter({ cwd: dir }).verify(
    NO_EXPIRY,
    [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tsParser },
        plugins: { locksmith: plugin },
        rules: { "locksmith/lock-without-expiry": "error" },
      },
    ],
    path.join(dir, "job.ts"),
  );
  assert.deepEqual(
    messages.map((m) => [m.line, m.column, m.ruleId, m.message]),
    [
      [
        1,
        1,
        "locksmith/lock-without-expiry",
        `Locksmith cannot analyse this file: ${path.join(dir, "locksmith.json")}: "runtime" must be "auto", "package" or "vendor", got "sometimes"`,
      ],
    ],
  );
});

test("the rules run on typescript-eslint's Program when its TypeScript is Locksmith's version, else on Locksmith's own", () => {
  const file = path.join(EXAMPLES, "src/jobs/job-lock.ts");
  const text = fs.readFileSync(file, "utf8");
  const { services } = tsParser.parseForESLint(text, {
    filePath: file,
    project: path.join(EXAMPLES, "tsconfig.json"),
    tsconfigRootDir: EXAMPLES,
  });
  const typed = programFor(file, text, services);
  assert.equal(typed.mode, "typed");
  assert.equal(typed.program, services.program);

  // Another TypeScript version: a Program of the same tsconfig, built once, that sees the imported files too.
  const own = programFor(file, text, services, () => false);
  assert.equal(own.mode, "own-program");
  assert.notEqual(own.program, services.program);
  assert.equal(own.sourceFile.text, text);
  assert.ok(own.program.getSourceFile(path.join(EXAMPLES, "src/jobs/invoice-sync.ts")));
  const second = path.join(EXAMPLES, "src/jobs/invoice-sync.ts");
  assert.equal(programFor(second, fs.readFileSync(second, "utf8"), services, () => false).program, own.program, "built once per tsconfig");
  // An unsaved buffer: its text, not the disk's.
  const edited = `${text}\n// edited\n`;
  assert.equal(programFor(file, edited, services, () => false).sourceFile.text, edited);

  // No type information: the file alone, imports unresolved.
  const syntax = programFor(file, text, {});
  assert.equal(syntax.mode, "syntax");
  assert.deepEqual(
    syntax.program
      .getSourceFiles()
      .filter((sf) => !syntax.program.isSourceFileDefaultLibrary(sf))
      .map((sf) => sf.fileName),
    [file],
  );
});

test("madeBySameTypeScript finds the TypeScript module that parsed a file and compares its version", () => {
  assert.equal(madeBySameTypeScript(ts.createSourceFile("a.ts", "let a = 1;", ts.ScriptTarget.ES2022)), true, "ts-morph's own TypeScript");
  /** A SourceFile of a class that only the given module allocates. */
  const parsedBy = (version: string | undefined) => {
    const SourceFileClass = class {};
    const sourceFile = Object.create(SourceFileClass.prototype) as ts.SourceFile;
    const module = { exports: { version, objectAllocator: { getSourceFileConstructor: () => SourceFileClass } } };
    return {
      sourceFile,
      loaded: { "/project/node_modules/typescript/lib/typescript.js": module } as unknown as NodeJS.Dict<NodeJS.Module>,
    };
  };
  const same = parsedBy(ts.version);
  assert.equal(madeBySameTypeScript(same.sourceFile, same.loaded), true);
  const older = parsedBy("5.9.3");
  assert.equal(madeBySameTypeScript(older.sourceFile, older.loaded), false);
  const unknown = parsedBy(ts.version);
  assert.equal(madeBySameTypeScript(unknown.sourceFile, {}), false, "no loaded module made it: not trusted");
});

test("the plugin has one rule per file rule, with Locksmith's metadata; recommended turns them on at the default severity, not in tests", () => {
  assert.deepEqual(Object.keys(plugin.rules), [...FILE_RULE_IDS]);
  for (const rule of RULES.filter((r) => FILE_RULE_IDS.has(r.meta.id))) {
    const meta = plugin.rules[rule.meta.id]!.meta!;
    assert.equal(meta.docs?.url, `https://github.com/locksmith-lint/locksmith/blob/main/rules/docs/${rule.meta.id}.md`);
    assert.equal(meta.fixable, rule.meta.fixable ? "code" : undefined, rule.meta.id);
    assert.equal(meta.hasSuggestions, rule.meta.hasSuggestions ? true : undefined, rule.meta.id);
    assert.equal(plugin.configs.recommended!.rules![`locksmith/${rule.meta.id}`], rule.meta.defaultSeverity);
  }
  const linter = new Linter({ cwd: REPO });
  const config: Linter.Config[] = [{ files: ["**/*.ts"], languageOptions: { parser: tsParser } }, plugin.configs.recommended!];
  const code = NO_EXPIRY.replace("// DIRECTIVE", "");
  assert.deepEqual(
    linter.verify(code, config, path.join(REPO, "examples/src/jobs/claim.ts")).map((m) => [m.ruleId, m.severity]),
    [["locksmith/lock-without-expiry", 2]],
  );
  assert.deepEqual(linter.verify(code, config, path.join(REPO, "examples/src/jobs/claim.test.ts")), []);
  assert.deepEqual(linter.verify(code, config, path.join(REPO, "examples/scripts/claim.ts")), []);
});
