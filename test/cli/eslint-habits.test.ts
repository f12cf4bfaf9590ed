// The command-line habits users bring from ESLint: parsing errors, standard input, --print-config, --fix-dry-run,
// --fix-type, colour switches, --max-warnings -1, custom formatters, -o anywhere, "did you mean", doc links.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { FORMATTERS } from "../../server/src/cli/formatters";
import { useColor } from "../../server/src/cli/lint-command";
import { main, type CliIo } from "../../server/src/cli/main";
import { buildReport } from "../../server/src/cli/report";
import { LintSession } from "../../server/src/cli/session";
import { LEAKY, runCli, tempProject } from "./helpers";

const LEAKY_FIXED = `import { Mutex } from "async-mutex";
const mutex = new Mutex();
declare function charge(): Promise<void>;
export async function pay() {
  const release = await mutex.acquire();
  try {
    await charge();
  } finally {
    release();
  }
}
`;
const BROKEN = "export const x = ;\n";
const DOCS = "https://github.com/locksmith-lint/locksmith/blob/main/rules/docs/";

/** main() with standard input and the environment given. */
async function runWith(args: string[], cwd: string, options: { stdin?: string; env?: Record<string, string>; isTTY?: boolean }) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    cwd,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY: options.isTTY ?? false,
    readStdin: async () => options.stdin ?? "",
    env: options.env ?? {},
  };
  return { code: await main(args, io), stdout, stderr };
}

describe("ESLint's CLI habits", () => {
  test("a file that does not parse is a fatal `Parsing error` in every format, exit 1", async () => {
    const dir = tempProject({ "src/bad.ts": BROKEN, "src/ok.ts": "export const y = 1;\n" });
    const stylish = await runCli(["lint", "src"], dir);
    assert.equal(stylish.code, 1);
    assert.equal(
      stylish.stdout,
      "\nsrc/bad.ts\n  1:18  error  Parsing error: Expression expected.\n\n\u2716 1 problem (1 error, 0 warnings)\n",
    );
    // The other formats, from the same report.
    const report = buildReport(new LintSession({ cwd: dir, paths: ["src"], rules: RULES }).lint(), dir);
    const json = JSON.parse(FORMATTERS.json!(report, { color: false }));
    assert.deepEqual(json[0], {
      filePath: path.join(dir, "src/bad.ts"),
      messages: [
        {
          ruleId: null,
          fatal: true,
          severity: 2,
          message: "Parsing error: Expression expected.",
          line: 1,
          column: 18,
          endLine: 1,
          endColumn: 19,
          related: [],
        },
      ],
      errorCount: 1,
      fatalErrorCount: 1,
      warningCount: 0,
      fixableErrorCount: 0,
      fixableWarningCount: 0,
    });
    assert.equal(
      FORMATTERS.github!(report, { color: false }),
      "::error file=src/bad.ts,line=1,col=18,endLine=1,endColumn=19,title=Locksmith (parsing error)::Parsing error: Expression expected.\n",
    );
    const run = JSON.parse(FORMATTERS.sarif!(report, { color: false })).runs[0];
    assert.deepEqual(run.results, []);
    assert.deepEqual(run.invocations[0].toolExecutionNotifications[0].message, { text: "Parsing error: Expression expected." });
    assert.equal(run.invocations[0].toolExecutionNotifications[0].locations[0].physicalLocation.artifactLocation.uri, "src/bad.ts");
  });

  test("--stdin lints standard input as --stdin-filename (or `<text>`); --fix needs --fix-dry-run there", async () => {
    const dir = tempProject({ "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true } }), "src/other.ts": "export {};\n" });
    const named = await runWith(["lint", "--stdin", "--stdin-filename", "src/pay.ts", "-f", "json"], dir, { stdin: LEAKY });
    assert.equal(named.code, 1);
    const [result] = JSON.parse(named.stdout);
    assert.equal(result.filePath, path.join(dir, "src/pay.ts"));
    assert.deepEqual(
      result.messages.map((m: { ruleId: string; line: number; column: number }) => `${m.ruleId} ${m.line}:${m.column}`),
      ["lock-release-not-guaranteed 5:25"],
    );
    assert.equal(fs.existsSync(path.join(dir, "src/pay.ts")), false);
    const dryRun = await runWith(["lint", "--stdin", "--fix-dry-run", "-f", "json"], dir, { stdin: LEAKY });
    assert.equal(dryRun.code, 0);
    const [fixed] = JSON.parse(dryRun.stdout);
    assert.deepEqual([fixed.filePath, fixed.output, fixed.messages], ["<text>", LEAKY_FIXED, []]);
    const broken = await runWith(["lint", "--stdin", "--stdin-filename", "x.ts"], dir, { stdin: BROKEN });
    assert.deepEqual([broken.code, broken.stdout.split("\n")[2]], [1, "  1:18  error  Parsing error: Expression expected."]);
    const fix = await runWith(["lint", "--stdin", "--fix"], dir, { stdin: LEAKY });
    assert.deepEqual(
      [fix.code, fix.stderr],
      [2, "locksmith: --fix cannot be used with --stdin: use --fix-dry-run to see the fixed text\n"],
    );
    // As a file named on the command line: not linted, and a notice says why.
    const ignored = await runWith(["lint", "--stdin", "--stdin-filename", "src/pay.test.ts"], dir, { stdin: LEAKY });
    assert.deepEqual([ignored.code, ignored.stdout], [0, ""]);
    assert.match(ignored.stderr, /^locksmith: ignored src\/pay\.test\.ts: test, e2e/);
  });

  test("--fix-dry-run reports the fixed text as `output` and writes nothing; --fix-type selects ESLint rule types", async () => {
    const dir = tempProject({ "src/a.ts": LEAKY });
    const dry = await runCli(["lint", "src", "--fix-dry-run", "-f", "json"], dir);
    assert.equal(dry.code, 0);
    assert.equal(JSON.parse(dry.stdout)[0].output, LEAKY_FIXED);
    assert.equal(fs.readFileSync(path.join(dir, "src/a.ts"), "utf8"), LEAKY);
    const layoutOnly = await runCli(["lint", "src", "--fix-dry-run", "--fix-type", "layout,directive", "-f", "json"], dir);
    const [unfixed] = JSON.parse(layoutOnly.stdout);
    assert.deepEqual([layoutOnly.code, unfixed.output, unfixed.errorCount], [1, undefined, 1]);
    const problems = await runCli(["lint", "src", "--fix", "--fix-type", "problem"], dir);
    assert.deepEqual([problems.code, fs.readFileSync(path.join(dir, "src/a.ts"), "utf8")], [0, LEAKY_FIXED]);
    const unknown = await runCli(["lint", "src", "--fix", "--fix-type", "problme"], dir);
    assert.equal(
      unknown.stderr,
      'locksmith: --fix-type: unknown type "problme" (did you mean "problem"?) (expected: problem, suggestion, layout, directive)\n',
    );
    const alone = await runCli(["lint", "src", "--fix-type", "problem"], dir);
    assert.deepEqual([alone.code, alone.stderr], [2, "locksmith: --fix-type needs --fix or --fix-dry-run\n"]);
  });

  test("--fix-type directive removes unused disable directives (whole, or the unused ids of a list)", async () => {
    const suppressed = LEAKY.replace(
      "  const release",
      "  // locksmith-disable-next-line lock-release-not-guaranteed, reentrant-lock -- the caller times out\n  const release",
    );
    const unused =
      "// locksmith-disable-next-line select-then-update\nexport const x = 1;\nexport const y = 2; // locksmith-disable-line lock-across-await\n";
    const dir = tempProject({ "src/a.ts": suppressed + unused });
    const args = ["lint", "src", "--report-unused-disable-directives", "-f", "json"];
    const before = JSON.parse((await runCli(args, dir)).stdout)[0];
    assert.deepEqual(
      before.messages.map((m: { ruleId: string; line: number; fix?: unknown }) => `${m.ruleId}@${m.line} ${m.fix ? "fix" : "-"}`),
      ["unused-disable-directive@5 fix", "unused-disable-directive@10 fix", "unused-disable-directive@12 fix"],
    );
    const { code, stdout } = await runCli([...args, "--fix-dry-run", "--fix-type", "directive"], dir);
    const [result] = JSON.parse(stdout);
    assert.deepEqual([code, result.messages], [0, []]);
    assert.equal(
      result.output,
      LEAKY.replace(
        "  const release",
        "  // locksmith-disable-next-line lock-release-not-guaranteed -- the caller times out\n  const release",
      ) + "export const x = 1;\nexport const y = 2;\n",
    );
  });

  test("--print-config shows the settings a file is linted with", async () => {
    const dir = tempProject({
      "locksmith.json": JSON.stringify({
        rules: { "lock-across-await": "off" },
        overrides: [{ files: ["src/legacy/**"], rules: { "select-then-update": ["warn", {}] } }],
      }),
      "tsconfig.json": "{}",
      "src/legacy/old.ts": "export {};\n",
    });
    const { code, stdout } = await runCli(["lint", "--print-config", "src/legacy/old.ts", "--rule", "reentrant-lock:warn"], dir);
    assert.equal(code, 0);
    const printed = JSON.parse(stdout);
    assert.deepEqual(
      [printed.configFile, printed.ignored, printed.tsconfigs, printed.runtime],
      ["locksmith.json", false, ["tsconfig.json"], "auto"],
    );
    assert.equal(printed.rules["lock-across-await"][0], "off");
    assert.equal(printed.rules["select-then-update"][0], "warn");
    assert.equal(printed.rules["reentrant-lock"][0], "warn");
    assert.deepEqual(printed.rules["lock-without-expiry"], ["error", { defaultTtlMs: 30000 }]);
    const test = JSON.parse((await runCli(["lint", "--print-config", "src/a.test.ts"], dir)).stdout);
    assert.equal(test.ignored, "nonProductionFiles");
  });

  test("colour: --color/--no-color, then FORCE_COLOR, then NO_COLOR, then the terminal (never into a file)", async () => {
    const cases: Array<[Parameters<typeof useColor>, boolean]> = [
      [[undefined, {}, false, undefined], false],
      [[undefined, {}, true, undefined], true],
      [[undefined, {}, true, "out.txt"], false],
      [[true, {}, false, "out.txt"], true],
      [[undefined, { FORCE_COLOR: "1" }, false, undefined], true],
      [[undefined, { FORCE_COLOR: "0" }, true, undefined], false],
      [[undefined, { FORCE_COLOR: "false" }, true, undefined], false],
      [[undefined, { NO_COLOR: "1" }, true, undefined], false],
      [[undefined, { NO_COLOR: "" }, true, undefined], true],
      [[undefined, { NO_COLOR: "1", FORCE_COLOR: "1" }, false, undefined], true],
      [[false, { FORCE_COLOR: "1" }, true, undefined], false],
    ];
    for (const [args, expected] of cases) assert.equal(useColor(...args), expected, JSON.stringify(args));
    const dir = tempProject({ "src/a.ts": LEAKY });
    const forced = await runWith(["lint", "src", "--color"], dir, {});
    assert.match(forced.stdout, /\n\u001b\[4msrc\/a\.ts\u001b\[0m\n/);
    const both = await runWith(["lint", "src", "--color", "--no-color"], dir, {});
    assert.deepEqual([both.code, both.stderr], [2, "locksmith: --color and --no-color cannot be used together\n"]);
  });

  test("--max-warnings -1 means no limit; a negative below -1 is a usage error", async () => {
    const dir = tempProject({ "locksmith.json": JSON.stringify({ rules: { "lock-release-not-guaranteed": "warn" } }), "src/a.ts": LEAKY });
    const limited = await runCli(["lint", "src", "--max-warnings", "0"], dir);
    assert.deepEqual([limited.code, limited.stderr], [1, "locksmith: too many warnings (1); maximum allowed is 0.\n"]);
    assert.equal((await runCli(["lint", "src", "--max-warnings", "-1"], dir)).code, 0);
    assert.equal((await runCli(["lint", "src", "--max-warnings=-1"], dir)).code, 0);
    const bad = await runCli(["lint", "src", "--max-warnings", "-2"], dir);
    assert.deepEqual([bad.code, bad.stderr], [2, 'locksmith: --max-warnings expects a whole number (-1: no limit), got "-2"\n']);
  });

  test("a custom formatter by path or package name gets ESLint's (results, context)", async () => {
    const formatter = `module.exports = async (results, context) =>
  JSON.stringify({ files: results.map((r) => r.filePath.slice(context.cwd.length + 1)), errors: results[0].errorCount,
    url: context.rulesMeta["lock-release-not-guaranteed"].docs.url, type: context.rulesMeta["lock-release-not-guaranteed"].type,
    exceeded: context.maxWarningsExceeded ?? null });
`;
    const dir = tempProject({
      "src/a.ts": LEAKY,
      "formatters/mine.cjs": formatter,
      "node_modules/eslint-formatter-terse/package.json": JSON.stringify({ name: "eslint-formatter-terse", main: "index.js" }),
      "node_modules/eslint-formatter-terse/index.js":
        "module.exports = (results) => results.map((r) => `${r.messages.length} in ${r.filePath}`).join('\\n');\n",
    });
    const byPath = await runCli(["lint", "src", "-f", "./formatters/mine.cjs"], dir);
    assert.equal(byPath.code, 1);
    assert.deepEqual(JSON.parse(byPath.stdout), {
      files: ["src/a.ts"],
      errors: 1,
      url: `${DOCS}lock-release-not-guaranteed.md`,
      type: "problem",
      exceeded: null,
    });
    const byName = await runCli(["lint", "src", "-f", "terse"], dir);
    assert.deepEqual([byName.code, byName.stdout], [1, `1 in ${path.join(dir, "src/a.ts")}\n`]);
    const unknown = await runCli(["lint", "src", "-f", "jsn"], dir);
    assert.deepEqual([unknown.code, unknown.stderr], [2, 'locksmith: unknown format "jsn" (did you mean "json"?)\n']);
  });

  test("-o writes anywhere the user names, creating its folder, atomically", async () => {
    const dir = tempProject({ "src/a.ts": LEAKY });
    const artifacts = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-artifacts-")));
    const target = path.join(artifacts, "reports", "nested", "locksmith.json");
    const { code, stdout } = await runCli(["lint", "src", "-f", "json", "-o", target], dir);
    assert.deepEqual([code, stdout], [1, ""]);
    assert.equal(JSON.parse(fs.readFileSync(target, "utf8"))[0].errorCount, 1);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ["locksmith.json"]);
    const folder = await runCli(["lint", "src", "-o", artifacts], dir);
    assert.deepEqual([folder.code, folder.stderr], [2, `locksmith: --output-file: ${artifacts} is a folder\n`]);
    fs.writeFileSync(path.join(artifacts, "file"), "");
    const underFile = await runCli(["lint", "src", "-o", path.join(artifacts, "file", "report.json")], dir);
    assert.deepEqual(
      [underFile.code, underFile.stdout, underFile.stderr],
      [2, "", `locksmith: cannot write ${path.join(artifacts, "file", "report.json")}: ENOTDIR\n`],
    );
  });

  test('"did you mean" for unknown options, commands and rule ids', async () => {
    const dir = tempProject({ "src/a.ts": "export {};\n" });
    const cases: Array<[string[], string]> = [
      [["lint", "--max-warning", "3"], 'unknown option "--max-warning" (did you mean "--max-warnings"?) (run `locksmith lint --help`)'],
      [["lint", "--stdn"], 'unknown option "--stdn" (did you mean "--stdin"?) (run `locksmith lint --help`)'],
      [["lint", "--frobnicate"], 'unknown option "--frobnicate" (run `locksmith lint --help`)'],
      [["graph", "--formt", "dot"], 'unknown option "--formt" (did you mean "--format"?) (run `locksmith graph --help`)'],
      [["lnt"], 'unknown command "lnt" (did you mean "lint"?) (run `locksmith --help`)'],
      [
        ["lint", "--rule", "lock-acros-await:off"],
        '--rule: "lock-acros-await" is not a Locksmith rule (did you mean "lock-across-await"?)',
      ],
    ];
    for (const [args, message] of cases)
      assert.deepEqual(await runCli(args, dir), { code: 2, stdout: "", stderr: `locksmith: ${message}\n` });
    fs.writeFileSync(path.join(dir, "locksmith.json"), JSON.stringify({ rules: { "reentrant-locks": "off" } }));
    const config = await runCli(["lint"], dir);
    assert.equal(
      config.stderr,
      `locksmith: ${path.join(dir, "locksmith.json")}: "rules.reentrant-locks" is not a Locksmith rule (did you mean "reentrant-lock"?)\n`,
    );
  });

  test("rule docs are https links derived from the rule id (`locksmith rules`, SARIF)", async () => {
    const dir = tempProject({});
    const rules = await runCli(["rules"], dir);
    assert.match(rules.stdout, new RegExp(`\\n {2,}docs: ${DOCS.replace(/[./]/g, "\\$&")}select-then-update\\.md\\n`));
    assert.doesNotMatch(rules.stdout, /file:|\.\.\//);
    const driver = JSON.parse(FORMATTERS.sarif!({ cwd: dir, results: [], errorCount: 0, warningCount: 0 }, { color: false })).runs[0].tool
      .driver;
    assert.equal(driver.informationUri, "https://github.com/locksmith-lint/locksmith");
    for (const rule of driver.rules) assert.equal(rule.helpUri, `${DOCS}${rule.id}.md`);
  });
});
