// `npm run field -- <dirs…>`: lint checked-out applications with the default configuration, for triage (issue #15).
//
// Each folder is linted from its own root, as a new user would (`locksmith lint --format json`, no configuration
// file, no --rule), by this repository's build. Per application it writes a triage file listing every finding (rule,
// message id, path relative to the application, line, column, message, severity); when a verdict file bench/field/<app>.json exists, each
// finding is marked judged (with its verdict and reason) or new, and the judged findings no longer reported are listed
// as gone. A finding matches a verdict on rule, path and line. It prints one summary line per application.
//
//   node bench/field.js [--out DIR] [--verdicts DIR] [--sample N --seed S] <dir>[=<app>] …
//
// The application's name is the folder's name, or the name after `=` (`../trigger.dev=trigger-dev`).
// --out       where the triage files go, as <app>.findings.json (default bench/field/results, not committed)
// --verdicts  where <app>.json verdict files are read (default bench/field)
// --sample N  mark a random sample of N findings stratified by rule (`sampled: true`): each rule gets its share of N
//             in proportion to its findings, at least one, largest remainders first; --seed makes it reproducible
//             (default 20261204). With N or fewer findings, all are sampled.
// Exit code: 0 when every application was linted, 1 when one failed (Locksmith's exit 2, no report), 2 on bad usage.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const ROOT = path.join(__dirname, "..");
const LOCKSMITH = path.join(ROOT, "server", "bin", "locksmith.js");

/** A verdict entry's rule and path (older files say ruleId/file). */
const verdictKey = (v) => `${v.rule ?? v.ruleId}\0${v.path ?? v.file}\0${v.line}`;
const findingKey = (f) => `${f.rule}\0${f.path}\0${f.line}`;

/** Runs Locksmith in `dir`; returns its ESLint-style JSON results, or throws with its stderr. */
function lintApp(dir) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-field-")), "report.json");
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [LOCKSMITH, "lint", "--format", "json", "--output-file", report], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // ESLint's exit codes: 0 clean, 1 errors (or too many warnings), 2 a crash or bad usage with no report.
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`locksmith exited with ${run.status ?? run.signal}: ${(run.stderr || run.error?.message || "").trim()}`);
  }
  const results = JSON.parse(fs.readFileSync(report, "utf8"));
  fs.rmSync(path.dirname(report), { recursive: true, force: true });
  return { results, seconds, stderr: run.stderr.trim() };
}

/** The findings of a report, in path/line order, with paths relative to the application's root. */
function findingsOf(results, dir) {
  return messagesOf(results, dir)
    .filter((m) => !m.fatal)
    .map(({ fatal: _, ...f }) => f);
}

/** Files that did not parse (ESLint's fatal messages, which no rule reported): not findings, listed apart. */
function parseErrorsOf(results, dir) {
  return messagesOf(results, dir)
    .filter((m) => m.fatal)
    .map(({ path: p, line, column, message }) => ({ path: p, line, column, message }));
}

function messagesOf(results, dir) {
  const messages = [];
  for (const result of results) {
    const rel = path.relative(dir, result.filePath).split(path.sep).join("/");
    for (const m of result.messages) {
      messages.push({
        rule: m.ruleId ?? "",
        messageId: m.messageId,
        path: rel,
        line: m.line,
        column: m.column,
        message: m.message,
        severity: m.severity === 1 ? "warn" : "error",
        fatal: m.fatal === true || !m.ruleId,
      });
    }
  }
  return messages.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}

/** Lines in the linted files (the size column of the summary table). */
function linesOf(results) {
  let lines = 0;
  for (const r of results) {
    const text = fs.readFileSync(r.filePath, "utf8");
    lines += text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  }
  return lines;
}

/** mulberry32: a small seeded generator, so a sample can be drawn again from its seed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indexes of a sample of `n` findings stratified by rule (proportional shares, at least one per rule). */
function stratifiedSample(findings, n, seed) {
  if (findings.length <= n) return new Set(findings.map((_, i) => i));
  const byRule = new Map();
  findings.forEach((f, i) => byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), i]));
  const rules = [...byRule.keys()].sort();
  const exact = new Map(rules.map((r) => [r, (byRule.get(r).length * n) / findings.length]));
  const share = new Map(rules.map((r) => [r, Math.max(1, Math.floor(exact.get(r)))]));
  let left = n - [...share.values()].reduce((a, b) => a + b, 0);
  const byRemainder = [...rules].sort(
    (a, b) => exact.get(b) - Math.floor(exact.get(b)) - (exact.get(a) - Math.floor(exact.get(a))) || a.localeCompare(b),
  );
  for (const r of byRemainder) {
    if (left <= 0) break;
    if (share.get(r) < byRule.get(r).length) {
      share.set(r, share.get(r) + 1);
      left--;
    }
  }
  // More rules than N: the shares of one each overshoot; drop the rules with the fewest findings.
  while (left < 0) {
    const smallest = rules.filter((r) => share.get(r) > 0).sort((a, b) => exact.get(a) - exact.get(b) || b.localeCompare(a))[0];
    share.set(smallest, share.get(smallest) - 1);
    left++;
  }
  const next = random(seed);
  const picked = new Set();
  for (const r of rules) {
    const pool = [...byRule.get(r)];
    // Fisher–Yates, then the first `share` of the shuffled pool.
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    for (const i of pool.slice(0, share.get(r))) picked.add(i);
  }
  return picked;
}

/** The triage record of one application: findings marked judged or new, and the judged findings gone. */
function triage(app, dir, lint, verdictFile, sample) {
  const findings = findingsOf(lint.results, dir);
  const parseErrors = parseErrorsOf(lint.results, dir);
  const verdicts = verdictFile && fs.existsSync(verdictFile) ? JSON.parse(fs.readFileSync(verdictFile, "utf8")) : undefined;
  const judged = new Map((verdicts?.findings ?? []).map((v) => [verdictKey(v), v]));
  const seen = new Set();
  const sampled = sample ? stratifiedSample(findings, sample.n, sample.seed) : undefined;
  const marked = findings.map((f, i) => {
    const v = judged.get(findingKey(f));
    if (v) seen.add(findingKey(f));
    const status = verdicts ? (v ? { status: "judged", verdict: v.verdict, reason: v.reason } : { status: "new" }) : {};
    return { ...f, ...status, ...(sampled ? { sampled: sampled.has(i) } : {}) };
  });
  const gone = verdicts
    ? verdicts.findings
        .filter((v) => !seen.has(verdictKey(v)))
        .map((v) => ({ rule: v.rule ?? v.ruleId, path: v.path ?? v.file, line: v.line, verdict: v.verdict, reason: v.reason }))
    : [];
  const judgedCount = marked.filter((f) => f.status === "judged").length;
  const byRule = {};
  for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  return {
    app,
    dir: path.resolve(dir),
    locksmithCommit: locksmithCommit(),
    date: new Date().toISOString().slice(0, 10),
    seconds: Math.round(lint.seconds * 10) / 10,
    files: lint.results.length,
    lines: linesOf(lint.results),
    ...(verdicts ? { verdicts: repoPath(verdictFile), verdictsAppCommit: verdicts.appCommit } : {}),
    ...(sample ? { sample: { n: sample.n, seed: sample.seed, strata: "rule" } } : {}),
    counts: {
      findings: findings.length,
      byRule,
      ...(verdicts ? { judged: judgedCount, new: findings.length - judgedCount, gone: gone.length } : {}),
    },
    findings: marked,
    ...(verdicts ? { gone } : {}),
    ...(parseErrors.length > 0 ? { parseErrors } : {}),
  };
}

/** A path inside this repository relative to its root, else absolute. */
function repoPath(file) {
  const rel = path.relative(ROOT, file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel.split(path.sep).join("/");
}

let commit;
/** This build's commit, `+wip` when the work tree has changes. */
function locksmithCommit() {
  if (commit !== undefined) return commit;
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" });
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" });
  commit = head.status === 0 ? `${head.stdout.trim()}${dirty.stdout.trim() ? "+wip" : ""}` : "unknown";
  return commit;
}

function summaryLine(t) {
  const rules = Object.entries(t.counts.byRule)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([r, n]) => `${r} ${n}`)
    .join(", ");
  const judged = t.verdicts ? `; judged ${t.counts.judged}, new ${t.counts.new}, gone ${t.counts.gone}` : "; no verdicts";
  const unparsed = t.parseErrors ? `, ${t.parseErrors.length} ${t.parseErrors.length === 1 ? "file" : "files"} not parsed` : "";
  return `${t.app}: ${t.files} files${unparsed}, ${t.counts.findings} findings${rules ? ` (${rules})` : ""}${judged}; ${t.seconds.toFixed(1)} s`;
}

function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: "string" },
        verdicts: { type: "string" },
        sample: { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    process.stderr.write(`field: ${error.message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? process.stdout : process.stderr).write(
      "Usage: npm run field -- [--out DIR] [--verdicts DIR] [--sample N --seed S] <dir>[=<app>] …\n",
    );
    return values.help ? 0 : 2;
  }
  const sampleN = values.sample === undefined ? undefined : Number(values.sample);
  const seed = values.seed === undefined ? 20261204 : Number(values.seed);
  if ((sampleN !== undefined && !(Number.isInteger(sampleN) && sampleN > 0)) || !Number.isInteger(seed)) {
    process.stderr.write("field: --sample needs a positive whole number and --seed a whole number\n");
    return 2;
  }
  const apps = positionals.map((arg) => {
    const eq = arg.lastIndexOf("=");
    const dir = eq > 0 ? arg.slice(0, eq) : arg;
    return { dir: path.resolve(dir), app: eq > 0 ? arg.slice(eq + 1) : path.basename(path.resolve(dir)) };
  });
  const missing = apps.filter((a) => !fs.existsSync(a.dir) || !fs.statSync(a.dir).isDirectory());
  if (missing.length > 0) {
    for (const a of missing) process.stderr.write(`field: ${a.dir}: no such folder (check out the application there first)\n`);
    return 2;
  }
  const out = path.resolve(values.out ?? path.join(ROOT, "bench", "field", "results"));
  const verdictDir = path.resolve(values.verdicts ?? path.join(ROOT, "bench", "field"));
  fs.mkdirSync(out, { recursive: true });
  let failed = 0;
  for (const { dir, app } of apps) {
    let lint;
    try {
      lint = lintApp(dir);
    } catch (error) {
      process.stderr.write(`field: ${app}: ${error.message}\n`);
      failed++;
      continue;
    }
    const record = triage(app, dir, lint, path.join(verdictDir, `${app}.json`), sampleN ? { n: sampleN, seed } : undefined);
    fs.writeFileSync(path.join(out, `${app}.findings.json`), `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`${summaryLine(record)}\n`);
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { findingsOf, stratifiedSample, triage };
