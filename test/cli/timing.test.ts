// `locksmith lint --timing`: where a run's time went (the Program, the type checker, each rule), on stderr.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RULES } from "../../rules/index";
import { main } from "../../server/src/cli/main";
import { PROGRAM_TIMING, formatTimings } from "../../server/src/cli/timing";
import { TYPE_CHECKER_TIMING } from "../../server/src/engine/linter";

const EXAMPLES = path.join(__dirname, "..", "..", "..", "examples");

async function lint(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["lint", ...args], { cwd, isTTY: false, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test("the table: slowest first, wall-clock and CPU times to 0.1 ms, shares of the total wall time", () => {
  const table = formatTimings(
    new Map([
      ["lock-across-await", { wallMs: 12.34, cpuMs: 10.04 }],
      ["(program)", { wallMs: 30, cpuMs: 1234.5 }],
      ["reentrant-lock", { wallMs: 0.06, cpuMs: 0 }],
      ["select-then-update", { wallMs: 7.6, cpuMs: 7.55 }],
    ]),
  );
  assert.equal(
    table,
    [
      "Step               | Wall (ms) | CPU (ms) | Relative",
      "------------------ | --------: | -------: | -------:",
      "(program)          |      30.0 |   1234.5 |    60.0%",
      "lock-across-await  |      12.3 |     10.0 |    24.7%",
      "select-then-update |       7.6 |      7.5 |    15.2%",
      "reentrant-lock     |       0.1 |      0.0 |     0.1%",
      "",
    ].join("\n"),
  );
  assert.match(formatTimings(new Map([["x", { wallMs: 1, cpuMs: 1 }]]), "(a note)"), /\| +100\.0%\n\(a note\)\n$/);
});

test("locksmith lint --timing times the Program, the checker and every rule, on stderr; stdout stays valid JSON", async () => {
  const { code, stdout, stderr } = await lint(["--timing", "--format", "json"], EXAMPLES);
  assert.equal(code, 1, stderr);
  assert.ok(Array.isArray(JSON.parse(stdout)));
  const [header, separator, ...rows] = stderr.trimEnd().split("\n");
  assert.match(header!, /^Step +\| Wall \(ms\) \| CPU \(ms\) \| Relative$/);
  assert.match(separator!, /^-+ \| -+: \| -+: \| -+:$/);
  const steps = rows.map((row) => {
    const match = /^(.+?) +\| +(\d+\.\d) \| +(\d+\.\d) \| +(\d+\.\d)%$/.exec(row);
    assert.ok(match, `not a table row: ${row}`);
    return { name: match[1]!, ms: Number(match[2]), cpu: Number(match[3]), share: Number(match[4]) };
  });
  assert.deepEqual(steps.map((s) => s.name).sort(), [PROGRAM_TIMING, TYPE_CHECKER_TIMING, ...RULES.map((r) => r.meta.id)].sort());
  assert.deepEqual(
    steps.map((s) => s.ms),
    [...steps.map((s) => s.ms)].sort((a, b) => b - a),
    "slowest first",
  );
  const total = steps.reduce((sum, s) => sum + s.share, 0);
  assert.ok(Math.abs(total - 100) < 0.1 * steps.length, `shares add up to ${total}%`);
});

test("without --timing nothing is printed on stderr; a fully cached run says that nothing was analysed", async () => {
  assert.equal((await lint(["--format", "json"], EXAMPLES)).stderr, "");
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-timing-")));
  try {
    fs.writeFileSync(path.join(dir, "counter.ts"), "export function add(a: number, b: number): number {\n  return a + b;\n}\n");
    const first = await lint(["--cache", "--timing", "counter.ts"], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^Step /);
    const second = await lint(["--cache", "--timing", "counter.ts"], dir);
    assert.deepEqual(second, {
      code: 0,
      stdout: "",
      stderr: "locksmith: --timing: every result came from the cache, nothing was analysed\n",
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a project whose function that locks is no lock helper is linted without the type checker", async () => {
  // `refresh` takes a lock, so its calls are candidates for a lock helper; no function of that name is one (it runs no
  // callback and returns nothing held), so no call of it needs the checker to find out what it calls.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-timing-")));
  try {
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true }, include: ["*.ts"] }));
    fs.writeFileSync(
      path.join(dir, "cache.ts"),
      [
        "export interface Cache {",
        "  lock(): void;",
        "  reload(): Promise<void>;",
        "}",
        "",
        "export async function refresh(cache: Cache): Promise<void> {",
        "  cache.lock();",
        "  await cache.reload();",
        "}",
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(dir, "main.ts"),
      'import { refresh, type Cache } from "./cache";\n\nexport async function start(cache: Cache): Promise<void> {\n  await refresh(cache);\n}\n',
    );
    const { code, stderr } = await lint(["--timing"], dir);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^unchecked-lock-acquisition +\|/m);
    assert.doesNotMatch(stderr, /type checker/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
