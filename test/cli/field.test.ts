// bench/field.js (`npm run field`): a default lint of each application folder, written for triage against the
// verdicts kept in bench/field/<app>.json.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { LEAKY, tempProject } from "./helpers";

const repoRoot = path.join(__dirname, "..", "..", "..");
const script = path.join(repoRoot, "bench", "field.js");
const { stratifiedSample } = require(script) as {
  stratifiedSample: (findings: Array<{ rule: string }>, n: number, seed: number) => Set<number>;
};

const MESSAGE =
  "`mutex` is released at line 7 only if nothing goes wrong: if `await charge()` at line 6 throws, the release is skipped and the lock is never released, and every later acquisition waits forever.";

function verdict(rule: string, file: string, line: number, v: string, reason: string) {
  return { rule, path: file, line, verdict: v, reason };
}

function field(args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { encoding: "utf8", cwd: repoRoot });
}

describe("npm run field", () => {
  test("writes the findings of each app, marked judged, new or gone against its verdict file, and a summary line", () => {
    const app = tempProject({ "src/pay.ts": LEAKY, "src/util.ts": "export const x = 1;\n" });
    // A file that does not parse is listed apart, not counted as a finding.
    const broken = tempProject({ "src/pay.ts": LEAKY, "src/broken.ts": "export const x = (;\n" });
    const work = tempProject({
      "verdicts/shop.json": JSON.stringify({
        app: "example/shop",
        appCommit: "abc123",
        findings: [
          verdict("lock-release-not-guaranteed", "src/pay.ts", 5, "TRUE", "charge throws"),
          verdict("select-then-update", "src/old.ts", 3, "FALSE", "gone"),
        ],
      }),
      // The other app's verdict names another line: the finding is new and that verdict is gone.
      "verdicts/shop2.json": JSON.stringify({
        findings: [{ ruleId: "lock-release-not-guaranteed", file: "src/pay.ts", line: 6, verdict: "DEBATABLE", reason: "moved" }],
      }),
    });
    const out = path.join(work, "out");
    const run = field(["--out", out, "--verdicts", path.join(work, "verdicts"), `${app}=shop`, `${app}=shop2`, `${broken}=shop3`]);
    assert.equal(run.stderr, "");
    assert.equal(run.status, 0);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^shop: 2 files, 1 findings \(lock-release-not-guaranteed 1\); judged 1, new 0, gone 1; \d+\.\d s$/);
    assert.match(lines[1], /^shop2: 2 files, 1 findings \(lock-release-not-guaranteed 1\); judged 0, new 1, gone 1; \d+\.\d s$/);
    assert.match(lines[2], /^shop3: 2 files, 1 file not parsed, 1 findings \(lock-release-not-guaranteed 1\); no verdicts; \d+\.\d s$/);

    const finding = {
      rule: "lock-release-not-guaranteed",
      messageId: "releaseSkippable",
      path: "src/pay.ts",
      line: 5,
      column: 25,
      message: MESSAGE,
      severity: "error",
    };
    const shop = JSON.parse(fs.readFileSync(path.join(out, "shop.findings.json"), "utf8")) as Record<string, unknown>;
    assert.equal(shop.app, "shop");
    assert.equal(shop.files, 2);
    assert.equal(shop.lines, 9);
    assert.equal(shop.verdictsAppCommit, "abc123");
    assert.deepEqual(shop.counts, { findings: 1, byRule: { "lock-release-not-guaranteed": 1 }, judged: 1, new: 0, gone: 1 });
    assert.deepEqual(shop.findings, [{ ...finding, status: "judged", verdict: "TRUE", reason: "charge throws" }]);
    assert.deepEqual(shop.gone, [verdict("select-then-update", "src/old.ts", 3, "FALSE", "gone")]);

    const shop2 = JSON.parse(fs.readFileSync(path.join(out, "shop2.findings.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(shop2.findings, [{ ...finding, status: "new" }]);
    assert.deepEqual(shop2.gone, [verdict("lock-release-not-guaranteed", "src/pay.ts", 6, "DEBATABLE", "moved")]);

    const shop3 = JSON.parse(fs.readFileSync(path.join(out, "shop3.findings.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(shop3.findings, [finding]);
    assert.equal("gone" in shop3, false);
    assert.deepEqual(shop3.parseErrors, [{ path: "src/broken.ts", line: 1, column: 19, message: "Parsing error: Expression expected." }]);
    assert.equal("parseErrors" in shop, false);
  });

  test("a missing folder is a usage error naming it, before anything is linted", () => {
    const work = tempProject({ "a.ts": "export const x = 1;\n" });
    const missing = path.join(work, "not-checked-out");
    const run = field(["--out", path.join(work, "out"), missing, work]);
    assert.equal(run.status, 2);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr, `field: ${missing}: no such folder (check out the application there first)\n`);
    assert.equal(fs.existsSync(path.join(work, "out")), false);
  });

  test("--sample draws a sample stratified by rule, the same for the same seed", () => {
    const findings = [
      ...Array.from({ length: 30 }, () => ({ rule: "select-then-update" })),
      ...Array.from({ length: 8 }, () => ({ rule: "inconsistent-lock-order" })),
      ...Array.from({ length: 2 }, () => ({ rule: "write-skew" })),
      { rule: "unchecked-optimistic-update" },
    ];
    const sample = stratifiedSample(findings, 15, 7);
    assert.equal(sample.size, 15);
    const perRule = (s: Set<number>) => {
      const counts: Record<string, number> = {};
      for (const i of s) counts[findings[i].rule] = (counts[findings[i].rule] ?? 0) + 1;
      return counts;
    };
    // Shares 30·15/41 = 10.98, 2.93, 0.73, 0.37: floors (at least one) 10, 2, 1, 1 and one more by largest remainder.
    assert.deepEqual(perRule(sample), {
      "select-then-update": 11,
      "inconsistent-lock-order": 2,
      "write-skew": 1,
      "unchecked-optimistic-update": 1,
    });
    assert.deepEqual([...stratifiedSample(findings, 15, 7)].sort(), [...sample].sort());
    assert.notDeepEqual([...stratifiedSample(findings, 15, 8)].sort(), [...sample].sort());
    assert.equal(stratifiedSample(findings.slice(0, 12), 15, 7).size, 12);
  });
});
