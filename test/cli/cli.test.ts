// The CLI end to end, in-process (main() with captured output) and once as a real process.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { LEAKY, runCli, tempProject } from "./helpers";

const repoRoot = path.join(__dirname, "..", "..", "..");

const UNCHECKED = `import Redis from "ioredis";
const redis = new Redis();
export async function run() {
  await redis.set("lock:a", "t", "NX", "PX", 1000);
  await redis.incr("runs");
}
`;

describe("locksmith lint", () => {
  test("lints examples/, prints findings and exits 1", async () => {
    const { code, stdout } = await runCli(["lint", "examples"], repoRoot);
    assert.equal(code, 1);
    assert.match(
      stdout,
      /examples\/src\/payments\/checkout\.ts\n {2}16:25 {2}error {2}`paymentsMutex` is released at line 20 only if nothing goes wrong/,
    );
    assert.match(stdout, /✖ \d+ problems \(\d+ errors, \d+ warnings?\)/);
  });

  test("--format json has ESLint's JSON formatter shape", async () => {
    const dir = tempProject({ "src/a.ts": LEAKY, "src/b.ts": "export const x = 1;\n" });
    const { code, stdout } = await runCli(["lint", "src", "--format", "json"], dir);
    assert.equal(code, 1);
    const results = JSON.parse(stdout) as unknown[];
    assert.ok(Array.isArray(results));
    assert.equal(results.length, 2);
    for (const result of results as Array<Record<string, unknown>>) {
      assert.deepEqual(Object.keys(result).sort(), [
        "errorCount",
        "fatalErrorCount",
        "filePath",
        "fixableErrorCount",
        "fixableWarningCount",
        "messages",
        "warningCount",
      ]);
      assert.ok(path.isAbsolute(result.filePath as string));
      for (const key of ["errorCount", "warningCount", "fixableErrorCount", "fixableWarningCount"])
        assert.equal(typeof result[key], "number");
      for (const message of result.messages as Array<Record<string, unknown>>) {
        assert.equal(typeof message.ruleId, "string");
        assert.ok(message.severity === 1 || message.severity === 2);
        for (const key of ["line", "column", "endLine", "endColumn"]) assert.equal(typeof message[key], "number");
        assert.equal(typeof message.message, "string");
        if (message.fix) {
          const fix = message.fix as { range: [number, number]; text: string };
          assert.ok(Array.isArray(fix.range) && fix.range.length === 2 && typeof fix.text === "string");
        }
      }
    }
    const a = (
      results as Array<{ filePath: string; messages: Array<Record<string, unknown>>; errorCount: number; fixableErrorCount: number }>
    ).find((r) => r.filePath.endsWith("a.ts"))!;
    assert.equal(a.errorCount, 1);
    assert.equal(a.fixableErrorCount, 1);
    assert.deepEqual(
      {
        ruleId: a.messages[0]!.ruleId,
        severity: a.messages[0]!.severity,
        line: a.messages[0]!.line,
        column: a.messages[0]!.column,
        endLine: a.messages[0]!.endLine,
        endColumn: a.messages[0]!.endColumn,
      },
      { ruleId: "lock-release-not-guaranteed", severity: 2, line: 5, column: 25, endLine: 5, endColumn: 40 },
    );
    // The fix is one range replacement of the original text, as ESLint's.
    const fix = a.messages[0]!.fix as { range: [number, number]; text: string };
    const fixed = LEAKY.slice(0, fix.range[0]) + fix.text + LEAKY.slice(fix.range[1]);
    assert.match(fixed, /try \{\n {4}await charge\(\);\n {2}\} finally \{\n {4}release\(\);\n {2}\}/);
  });

  test("--fix writes the fixed file and exits 0 when nothing is left", async () => {
    const dir = tempProject({ "src/a.ts": LEAKY });
    const { code, stderr } = await runCli(["lint", "src", "--fix"], dir);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(
      fs.readFileSync(path.join(dir, "src/a.ts"), "utf8"),
      LEAKY.replace("  await charge();\n  release();\n", "  try {\n    await charge();\n  } finally {\n    release();\n  }\n"),
    );
    assert.deepEqual(fs.readdirSync(path.join(dir, "src")), ["a.ts"], "no temp files left behind");
  });

  test("--rule overrides severity; --max-warnings decides the exit code; --quiet hides warnings", async () => {
    const dir = tempProject({ "src/a.ts": LEAKY });
    const warn = await runCli(["lint", "src", "--rule", "lock-release-not-guaranteed:warn"], dir);
    assert.equal(warn.code, 0);
    assert.match(warn.stdout, /5:25 {2}warning {2}/);
    assert.match(warn.stdout, /✖ 1 problem \(0 errors, 1 warning\)/);
    const capped = await runCli(["lint", "src", "--rule", "lock-release-not-guaranteed:warn", "--max-warnings", "0"], dir);
    assert.equal(capped.code, 1);
    assert.match(capped.stderr, /too many warnings \(1\); maximum allowed is 0/);
    const quiet = await runCli(["lint", "src", "--rule", "lock-release-not-guaranteed:warn", "--quiet"], dir);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stdout, "");
    const off = await runCli(["lint", "src", "--rule", "lock-release-not-guaranteed:off"], dir);
    assert.equal(off.code, 0);
  });

  test("locksmith.json: severity, ignores and overrides", async () => {
    const dir = tempProject({
      "locksmith.json": JSON.stringify({
        rules: { "unchecked-lock-acquisition": "warn" },
        ignores: ["src/generated/**"],
        overrides: [{ files: ["src/legacy/**"], rules: { "lock-release-not-guaranteed": "off" } }],
      }),
      "src/a.ts": UNCHECKED,
      "src/generated/b.ts": LEAKY,
      "src/legacy/c.ts": LEAKY,
      "src/d.ts": LEAKY,
    });
    const { code, stdout } = await runCli(["lint", "src", "-f", "json"], dir);
    assert.equal(code, 1);
    const results = JSON.parse(stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string; severity: number }> }>;
    const byFile = Object.fromEntries(
      results.map((r) => [path.relative(dir, r.filePath), r.messages.map((m) => `${m.ruleId}:${m.severity}`)]),
    );
    assert.deepEqual(byFile, {
      [path.join("src", "a.ts")]: ["unchecked-lock-acquisition:1"],
      [path.join("src", "d.ts")]: ["lock-release-not-guaranteed:2"],
      [path.join("src", "legacy", "c.ts")]: [],
    });
  });

  test('configuration in package.json\'s "locksmith" key', async () => {
    const dir = tempProject({
      "package.json": JSON.stringify({ name: "x", locksmith: { rules: { "lock-release-not-guaranteed": "off" } } }),
      "src/a.ts": LEAKY,
    });
    const { code } = await runCli(["lint", "src"], dir);
    assert.equal(code, 0);
  });

  test("bad configuration: one clear line naming the file and key, exit 2, no stack trace", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { rules: { "lock-release-not-guaranteed": "loud" } },
        /locksmith\.json: "rules\.lock-release-not-guaranteed" must be "off", "warn" or "error" \(or \[severity, options\]\), got "loud"/,
      ],
      [{ rules: { "no-such-rule": "error" } }, /locksmith\.json: "rules\.no-such-rule" is not a Locksmith rule/],
      [{ ignore: ["x"] }, /locksmith\.json: "ignore" is not a known setting/],
      [{ overrides: [{ files: "src/**", rules: {} }] }, /locksmith\.json: "overrides\[0\]\.files" must be an array of glob strings/],
      [{ runtime: "npm" }, /locksmith\.json: "runtime" must be "auto", "package" or "vendor", got "npm"/],
      [
        { rules: { "lock-release-not-guaranteed": ["warn", { depth: 2 }] } },
        /"rules\.lock-release-not-guaranteed\[1\]" rule "lock-release-not-guaranteed" takes no options/,
      ],
      [
        { runtimePath: "../outside/locksmith-runtime.ts" },
        /locksmith\.json: "runtimePath" must stay inside the project \(.*\), got "\.\.\/outside\/locksmith-runtime\.ts"/,
      ],
    ];
    for (const [config, expected] of cases) {
      const dir = tempProject({ "locksmith.json": JSON.stringify(config), "src/a.ts": LEAKY });
      const { code, stderr, stdout } = await runCli(["lint", "src"], dir);
      assert.equal(code, 2, stderr);
      assert.match(stderr, expected);
      assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
      assert.equal(stdout, "");
    }
    const broken = tempProject({ "locksmith.json": "{ rules: ", "src/a.ts": LEAKY });
    const result = await runCli(["lint", "src"], broken);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /locksmith\.json: /);
  });

  test("usage errors exit 2 with a clear message", async () => {
    const dir = tempProject({ "src/a.ts": LEAKY });
    const cases: Array<[string[], RegExp]> = [
      [["lint", "nope"], /No such file or directory: nope/],
      [["lint", "src", "--format", "xml"], /unknown format "xml"/],
      [["lint", "src", "--rule", "lock-release-not-guaranteed"], /--rule expects <rule-id>:<off\|warn\|error>/],
      [["lint", "src", "--max-warnings", "many"], /--max-warnings expects a whole number/],
      [["lint", "src", "--bogus"], /unknown option "--bogus"/],
      [["frobnicate"], /unknown command "frobnicate"/],
    ];
    for (const [args, expected] of cases) {
      const { code, stderr } = await runCli(args, dir);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, expected);
    }
  });

  test("a symlink back up the tree is followed once: each file is linted once and the run ends", async () => {
    const dir = tempProject({ "web/src/a.ts": LEAKY, "web/src/b.ts": "export const x = 1;\n" });
    fs.symlinkSync(".", path.join(dir, "web", "web"), "dir");
    fs.symlinkSync("..", path.join(dir, "web", "src", "up"), "dir");
    const { code, stdout } = await runCli(["lint", ".", "--format", "json"], dir);
    assert.equal(code, 1);
    const results = JSON.parse(stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string }> }>;
    assert.deepEqual(
      results.map((r) => path.relative(dir, r.filePath)),
      [path.join("web", "src", "a.ts"), path.join("web", "src", "b.ts")],
    );
    assert.deepEqual(
      results.flatMap((r) => r.messages.map((m) => m.ruleId)),
      ["lock-release-not-guaranteed"],
    );
  });

  test("-o writes the report to a file inside the folder", async () => {
    const dir = tempProject({ "src/a.ts": LEAKY });
    const { code, stdout } = await runCli(["lint", "src", "-f", "json", "-o", "reports/locksmith.json"], dir);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    const report = JSON.parse(fs.readFileSync(path.join(dir, "reports/locksmith.json"), "utf8")) as unknown[];
    assert.equal(report.length, 1);
  });

  test("inline suppressions, and --report-unused-disable-directives", async () => {
    const dir = tempProject({
      "src/next-line.ts": LEAKY.replace(
        "  const release",
        "  // locksmith-disable-next-line lock-release-not-guaranteed -- released by the caller's timeout\n  const release",
      ),
      "src/same-line.ts": LEAKY.replace(
        "await mutex.acquire();",
        "await mutex.acquire(); // locksmith-disable-line lock-release-not-guaranteed",
      ),
      "src/file.ts": `/* locksmith-disable lock-release-not-guaranteed */\n${LEAKY}`,
      "src/other-rule.ts": LEAKY.replace("  const release", "  // locksmith-disable-next-line unchecked-lock-acquisition\n  const release"),
      "src/in-string.ts": LEAKY.replace(
        "  const release",
        '  const note = "// locksmith-disable-next-line lock-release-not-guaranteed";\n  const release',
      ),
      "src/unused.ts": "// locksmith-disable-next-line lock-release-not-guaranteed\nexport const x = 1;\n",
    });
    const { stdout } = await runCli(["lint", "src", "-f", "json", "--report-unused-disable-directives"], dir);
    const results = JSON.parse(stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string; line: number; message: string }> }>;
    const byFile = Object.fromEntries(results.map((r) => [path.basename(r.filePath), r.messages.map((m) => `${m.ruleId}@${m.line}`)]));
    assert.deepEqual(byFile, {
      "file.ts": [],
      "in-string.ts": ["lock-release-not-guaranteed@6"],
      "next-line.ts": [],
      "other-rule.ts": ["unused-disable-directive@5", "lock-release-not-guaranteed@6"],
      "same-line.ts": [],
      "unused.ts": ["unused-disable-directive@1"],
    });
    const unused = results.find((r) => r.filePath.endsWith("unused.ts"))!.messages[0]!;
    assert.equal(
      unused.message,
      "Unused locksmith-disable-next-line directive (no problems were reported from 'lock-release-not-guaranteed').",
    );
  });

  test("locksmith rules lists every rule with its docs path; --version prints the version", async () => {
    const rules = await runCli(["rules"], repoRoot);
    assert.equal(rules.code, 0);
    assert.match(
      rules.stdout,
      /^unchecked-lock-acquisition +error .*\n +docs: https:\/\/github\.com\/locksmith-lint\/locksmith\/blob\/main\/rules\/docs\/unchecked-lock-acquisition\.md$/m,
    );
    assert.match(rules.stdout, /^lock-release-not-guaranteed +error +fix /m);
    const version = await runCli(["--version"], repoRoot);
    assert.equal(
      version.stdout,
      `${(JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version}\n`,
    );
  });

  test("the installed bin runs as a process (npx locksmith)", () => {
    const result = spawnSync(process.execPath, [path.join(repoRoot, "server/bin/locksmith.js"), "lint", "examples", "--format", "json"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    assert.equal(result.status, 1, result.stderr);
    const results = JSON.parse(result.stdout) as Array<{ messages: unknown[] }>;
    assert.ok(results.some((r) => r.messages.length > 0));
  });
});
