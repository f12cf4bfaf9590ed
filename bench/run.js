// `npm run bench`: Locksmith against tsc, a parse-only floor and ESLint (typescript-eslint type-checked) on a real
// code base (effect's sources) and on generated service code bases of 10k/50k/200k lines, plus editor latency of the
// language server against tsserver; and on real database-heavy applications fetched at a pinned commit
// (bench/real-corpora.js): Locksmith against TypeScript 6's tsc, TypeScript 7's native tsc and the parse-only floor,
// single-threaded and with worker threads. Writes bench/results/<time>.{md,json} and the table in docs/benchmarks.md.
//
// Every timed run is a fresh process. Repetitions are interleaved (one of each tool, then again) so that load from
// other work on the machine falls on all tools alike; each run reports wall time and its own CPU time (user + system,
// from bench/usage-probe.js). The targets are judged on CPU time: on a shared machine wall time also measures
// whatever else is running. Not part of `npm test`: nothing here asserts timings.
//
//   node bench/run.js [--reps N] [--corpora effect,gen-10000,outline,documenso,...] [--no-eslint] [--no-editor]
//                     [--edits N] [--no-docs] [--eslint-plugin] [--git-dir owner/name=PATH ...] [--no-real] [--editor-only]
//                     [--opening-only]
//
// --editor-only measures the language server alone (edits, and the first diagnostics of an opened file on the
// 200k-line corpus and on a small project with heavy typings, bench/opening.js); docs/benchmarks.md is not updated.
// --opening-only measures only the first diagnostics of an opened file: on those two and on each real corpus that
// names a file to open (bench/real-corpora.js), or on the ones --corpora lists (typed-heavy, gen-200000, outline, …).
//
// --eslint-plugin adds, on every corpus run, the cost of eslint-plugin-locksmith inside a typed ESLint run:
// typescript-eslint's recommendedTypeChecked alone, then with locksmith's recommended config (bench/eslint-plugin.config.mjs).
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");
const { generateCorpus, EDITED_FILE } = require("./generate-corpus");
const { REAL_CORPORA, prepareRealCorpus } = require("./real-corpora");
const { measureLocksmithServer, measureTsserver } = require("./editor-latency");
const { benchOpening, openingMarkdown, openingTargets } = require("./opening");
const { generateTypedCorpus } = require("./typed-corpus");

const REPO = path.resolve(__dirname, "..");
const CORPUS_DIR = path.join(__dirname, "corpus");
const RESULTS_DIR = path.join(__dirname, "results");
const DOCS = path.join(REPO, "docs", "benchmarks.md");
const PROBE = path.join(__dirname, "usage-probe.js");
/** A private copy of the build, so that one benchmark measures one version of Locksmith (see snapshotBuild). */
const SNAPSHOT = path.join(CORPUS_DIR, "locksmith-build");
const LOCKSMITH = path.join(SNAPSHOT, "server/bin/locksmith.js");
const TSC = path.join(REPO, "node_modules/typescript/lib/tsc.js");
const ESLINT = path.join(REPO, "node_modules/eslint/bin/eslint.js");
/** TypeScript 7's native compiler (a dev dependency), if its platform package installed. */
const TSGO = (() => {
  try {
    const pkg = require.resolve(`@typescript/native-preview-${process.platform}-${process.arch}/package.json`, { paths: [REPO] });
    return path.join(path.dirname(pkg), "lib", process.platform === "win32" ? "tsgo.exe" : "tsgo");
  } catch {
    return undefined;
  }
})();
const TIME = "/usr/bin/time";
const GENERATED_SIZES = [10_000, 50_000, 200_000];

const USAGE = `usage: node bench/run.js [--reps N] [--corpora effect,gen-10000,outline,documenso,...] [--no-eslint] [--no-editor]
                        [--edits N] [--no-docs] [--eslint-plugin] [--git-dir owner/name=PATH ...] [--no-real] [--editor-only]
                        [--opening-only]`;
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const { values: args } = parseBenchArgs({
  options: {
    reps: { type: "string", default: "5" },
    corpora: { type: "string" },
    "no-eslint": { type: "boolean", default: false },
    "no-editor": { type: "boolean", default: false },
    "editor-only": { type: "boolean", default: false },
    "opening-only": { type: "boolean", default: false },
    edits: { type: "string", default: "50" },
    "no-docs": { type: "boolean", default: false },
    "eslint-plugin": { type: "boolean", default: false },
    "git-dir": { type: "string", multiple: true, default: [] },
    "no-real": { type: "boolean", default: false },
  },
});
/** parseArgs, with a one-line error and the usage instead of a stack trace for an unknown or malformed option. */
function parseBenchArgs(config) {
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`bench: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
}
const REPS = Number(args.reps);
const EDITS = Number(args.edits);

// ----- corpora -----

function effectCorpus() {
  const source = path.join(REPO, "node_modules/effect/src");
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/effect/package.json"), "utf8"));
  if (!fs.existsSync(source)) throw new Error("node_modules/effect/src is missing: run `npm install` (effect is a pinned dev dependency)");
  const dir = path.join(CORPUS_DIR, "effect");
  const stamp = path.join(dir, ".version");
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== pkg.version) {
    // A copy, so that tools which skip node_modules (ESLint, the language server's file scan) see the same files.
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(source, path.join(dir, "src"), { recursive: true });
    const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2022", "DOM", "DOM.Iterable"], strict: true, exactOptionalPropertyTypes: true, skipLibCheck: true, noEmit: true, types: ["node"] };
    fs.writeFileSync(path.join(dir, "tsconfig.json"), `${JSON.stringify({ compilerOptions, include: ["src/**/*.ts"] }, null, 2)}\n`);
    fs.writeFileSync(stamp, pkg.version);
  }
  return { id: "effect", label: `(a) effect ${pkg.version} src/`, dir, ...countSources(path.join(dir, "src")) };
}

function generatedCorpus(lines) {
  const dir = path.join(CORPUS_DIR, `gen-${lines}`);
  const stamp = path.join(dir, ".generator");
  const generator = fs.readFileSync(path.join(__dirname, "generate-corpus.js"), "utf8");
  const hash = require("node:crypto").createHash("sha256").update(generator).digest("hex");
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== hash) {
    generateCorpus(dir, lines);
    fs.writeFileSync(stamp, hash);
  }
  return { id: `gen-${lines}`, label: `(b) generated, ${lines / 1000}k lines`, dir, ...countSources(path.join(dir, "src")) };
}

/** The heavy-typings project of the first-diagnostics measurement (bench/typed-corpus.js). */
function typedCorpus() {
  const dir = path.join(CORPUS_DIR, "typed-heavy");
  const stamp = path.join(dir, ".generator");
  const generators = ["generate-corpus.js", "typed-corpus.js"].map((f) => fs.readFileSync(path.join(__dirname, f), "utf8")).join("\n");
  const hash = require("node:crypto").createHash("sha256").update(generators).digest("hex");
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== hash) {
    fs.rmSync(dir, { recursive: true, force: true });
    generateTypedCorpus(dir);
    fs.writeFileSync(stamp, hash);
  }
  return { id: "typed-heavy", label: "(c) 31-file service importing effect's typings", dir, ...countSources(path.join(dir, "src")) };
}

function countSources(dir) {
  return countLines(fs.readdirSync(dir, { recursive: true }).filter((entry) => /\.ts$/.test(entry)).map((entry) => path.join(dir, entry)));
}

function countLines(fileNames) {
  let lines = 0;
  for (const fileName of fileNames) {
    const text = fs.readFileSync(fileName, "utf8");
    lines += text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  }
  return { files: fileNames.length, lines };
}

/**
 * A real application (bench/real-corpora.js), or undefined with a note when it could not be fetched. The files of its
 * Program are listed once here (`tsc --listFilesOnly`), for the parse-only floor; files and lines count the
 * application's own sources in it (not TypeScript's lib files).
 */
async function realCorpus(spec, notes) {
  const gitDirs = Object.fromEntries(args["git-dir"].map((entry) => entry.split("=")));
  const prepared = await prepareRealCorpus(spec, gitDirs);
  if (prepared.skipped) {
    notes.push(`Corpus ${spec.id} skipped: ${prepared.skipped}`);
    log(`${spec.id}: skipped — ${prepared.skipped}`);
    return undefined;
  }
  const listed = spawnSync(process.execPath, [TSC, "--listFilesOnly", "-p", prepared.tsconfig], { encoding: "utf8", maxBuffer: 1 << 28 });
  const programFiles = listed.stdout.split("\n").map((l) => l.trim()).filter((l) => l && fs.existsSync(l));
  const fileList = path.join(prepared.dir, ".program-files");
  fs.writeFileSync(fileList, `${programFiles.join("\n")}\n`);
  const own = programFiles.filter((f) => !f.includes("/node_modules/") && !f.endsWith(".json"));
  const label = `(c) ${spec.repo} (${spec.orm}) @ ${spec.sha.slice(0, 7)}, \`${spec.tsconfig}\``;
  return { id: spec.id, label, dir: prepared.dir, tsconfig: prepared.tsconfig, fileList, real: true, ...countLines(own) };
}

// ----- tools -----

/**
 * Copies the built CLI and language server (with the files they read beside them) to bench/corpus/locksmith-build:
 * other work rebuilding dist/ during a run would otherwise mix versions, and invalidate the `--cache` runs (the cache
 * is keyed by a hash of the compiled engine). Modules still resolve from the repository's node_modules.
 */
function snapshotBuild() {
  fs.rmSync(SNAPSHOT, { recursive: true, force: true });
  for (const part of ["package.json", "server/bin", "server/schema", "dist/server", "dist/rules", "dist/eslint-plugin", "eslint-plugin", "rules/docs", "runtime/dist/vendor"]) {
    const from = path.join(REPO, part);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(SNAPSHOT, part), { recursive: true });
  }
}

function locksmithHelp() {
  const result = spawnSync(process.execPath, [LOCKSMITH, "lint", "--help"], { encoding: "utf8" });
  return result.stdout ?? "";
}

/** The tools timed on a corpus: [id, label, argv, allowed exit codes, runs]. */
function toolsFor(corpus, { cacheAvailable, isEffect }) {
  const tsconfig = corpus.tsconfig ?? path.join(corpus.dir, "tsconfig.json");
  // (Inside the folder a tool runs in: --cache-location must be.)
  const cacheFile = corpus.real ? path.join(corpus.dir, ".locksmith-bench-cache.json") : path.join(CORPUS_DIR, ".cache", `${corpus.id}.json`);
  // On real corpora: worker threads on every core (not `auto`, which leaves them off on a busy machine), and a
  // single-threaded run beside it, which also reports --timing (on stderr): the Program's share and each rule's.
  const threads = corpus.real ? ["--threads", String(os.availableParallelism())] : [];
  // Every tool of a real corpus runs in its folder, as a user runs it: Locksmith matches its default
  // nonProductionFiles globs against paths relative to the working folder (without a locksmith.json), so from this
  // repository it would lint the application's test files too (301 of outline's 2,145).
  const cwd = corpus.real ? corpus.dir : undefined;
  const tools = [
    { id: "locksmith", label: `locksmith lint (cold${corpus.real ? `, --threads ${os.availableParallelism()}` : ""})`, argv: [LOCKSMITH, "lint", "-p", tsconfig, "--format", "json", ...threads], codes: [0, 1], runs: REPS },
  ];
  if (corpus.real) {
    tools.push({ id: "locksmith-single", label: "locksmith lint (cold, --threads off, --timing)", argv: [LOCKSMITH, "lint", "-p", tsconfig, "--format", "json", "--threads", "off", "--timing"], codes: [0, 1], runs: REPS });
  }
  if (cacheAvailable) {
    tools.push({
      id: "locksmith-cache",
      label: "locksmith lint --cache (warm, no changes)",
      argv: [LOCKSMITH, "lint", "-p", tsconfig, "--format", "json", "--cache", "--cache-location", cacheFile],
      codes: [0, 1],
      runs: REPS,
      prime: true,
    });
  }
  tools.push(
    { id: "parse", label: `parse-only (ts.createSourceFile${corpus.real ? ", every file of the Program" : ""})`, argv: [path.join(__dirname, "parse-only.js"), tsconfig, ...(corpus.real ? ["--files", corpus.fileList] : [])], codes: [0], runs: REPS },
    { id: "tsc", label: "tsc --noEmit", argv: [TSC, "--noEmit", "-p", tsconfig], codes: [0, 1, 2], runs: REPS },
  );
  if (corpus.real && TSGO) {
    tools.push({ id: "tsgo", label: "TypeScript 7 native tsc (tsgo) --noEmit", native: TSGO, argv: ["--noEmit", "-p", tsconfig], codes: [0, 1, 2], runs: REPS });
  }
  if (isEffect && !args["no-eslint"]) {
    // Corpus (a) only: about a minute per run (it type-checks the whole program, then runs every rule).
    tools.push({ id: "eslint", label: "ESLint (typescript-eslint recommendedTypeChecked + require-atomic-updates)", argv: [ESLINT, "--config", path.join(__dirname, "eslint.config.mjs"), "--format", "json", path.join(corpus.dir, "src")], codes: [0, 1], runs: REPS, env: { LOCKSMITH_BENCH_TSCONFIG: tsconfig } });
  }
  if (args["eslint-plugin"]) {
    // The plugin's cost in a typed ESLint run: the same run with and without locksmith's recommended config.
    const eslintRun = (withPlugin) => ({
      argv: [ESLINT, "--config", path.join(__dirname, "eslint-plugin.config.mjs"), "--format", "json", path.join(corpus.dir, "src")],
      codes: [0, 1],
      runs: REPS,
      env: { LOCKSMITH_BENCH_TSCONFIG: tsconfig, LOCKSMITH_BENCH_PLUGIN: withPlugin ? path.join(SNAPSHOT, "eslint-plugin") : "" },
    });
    tools.push(
      { id: "eslint-typed", label: "ESLint, typescript-eslint recommendedTypeChecked", ...eslintRun(false) },
      { id: "eslint-typed-locksmith", label: "ESLint, typescript-eslint recommendedTypeChecked + eslint-plugin-locksmith recommended", ...eslintRun(true) },
    );
  }
  return cwd ? tools.map((tool) => ({ cwd, ...tool })) : tools;
}

/** Runs one timed process; stdout goes to a file (formatting the report is part of the cost). */
function timeRun(tool, outFile) {
  const usageFile = `${outFile}.usage.json`;
  fs.rmSync(usageFile, { force: true });
  const out = fs.openSync(outFile, "w");
  // A native binary cannot preload the probe: GNU time reports its CPU time (all threads) and peak RSS instead.
  const [command, argv] = tool.native
    ? [TIME, ["-f", "%U %S %M", "-o", usageFile, tool.native, ...tool.argv]]
    : [process.execPath, ["--max-old-space-size=8192", "-r", PROBE, ...tool.argv]];
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, argv, {
      cwd: tool.cwd ?? REPO,
      stdio: ["ignore", out, "pipe"],
      env: { ...process.env, ...tool.env, LOCKSMITH_BENCH_USAGE: usageFile, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => {
      const wallMs = performance.now() - started;
      fs.closeSync(out);
      const usage = readUsage(usageFile, tool.native);
      const ok = tool.codes.includes(code);
      resolve({ wallMs, cpuMs: usage.cpuMs, maxRssMiB: usage.maxRssMiB, code, stderr, ...(ok ? {} : { error: `exit code ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}` }) });
    });
  });
}

function readUsage(usageFile, native) {
  if (!fs.existsSync(usageFile)) return {};
  const text = fs.readFileSync(usageFile, "utf8");
  if (!native) return JSON.parse(text);
  // GNU time: "user system maxRSS(KiB)" on the last line (a line before it says when the command failed).
  const [user, system, rssKiB] = text.trim().split("\n").at(-1).split(" ").map(Number);
  return { cpuMs: (user + system) * 1000, maxRssMiB: Math.round(rssKiB / 1024) };
}

/** --timing's table on stderr: milliseconds (on the wall clock) by step. */
function timingsOf(stderr) {
  const steps = {};
  for (const match of stderr.matchAll(/^(.+?)\s+\|\s+([\d.]+)\s+\|\s+[\d.]+\s+\|\s+[\d.]+%$/gm)) steps[match[1].trim()] = Number(match[2]);
  return Object.keys(steps).length > 0 ? steps : undefined;
}

/** Findings by rule id in a JSON report (of the rules whose id starts with `prefix`: the plugin's in an ESLint run). */
function locksmithFindings(outFile, prefix = "") {
  try {
    const report = JSON.parse(fs.readFileSync(outFile, "utf8"));
    const counts = {};
    for (const result of report)
      for (const message of result.messages) if (message.ruleId?.startsWith(prefix)) counts[message.ruleId] = (counts[message.ruleId] ?? 0) + 1;
    return counts;
  } catch {
    return undefined;
  }
}

/** A hash of every finding (file, position, rule, message), sorted: equal digests mean identical findings. */
function findingsDigest(outFile) {
  try {
    const report = JSON.parse(fs.readFileSync(outFile, "utf8"));
    const rows = report.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line}:${m.column}:${m.ruleId}:${m.message}`)).sort();
    return require("node:crypto").createHash("sha256").update(rows.join("\n")).digest("hex").slice(0, 16);
  } catch {
    return undefined;
  }
}

function parseMsOf(outFile) {
  try {
    return JSON.parse(fs.readFileSync(outFile, "utf8")).parseMs;
  } catch {
    return undefined;
  }
}

function stats(runs, key) {
  const values = runs.map((r) => r[key]).filter((v) => typeof v === "number").sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const mid = Math.floor(values.length / 2);
  const median = values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  return { median, min: values[0], max: values[values.length - 1] };
}

async function benchCorpus(corpus, options) {
  const tools = toolsFor(corpus, options);
  const outDir = path.join(CORPUS_DIR, ".out");
  fs.mkdirSync(outDir, { recursive: true });
  fs.rmSync(path.join(CORPUS_DIR, ".cache", `${corpus.id}.json`), { force: true });
  const results = new Map(tools.map((t) => [t.id, { tool: t.id, label: t.label, runs: [] }]));
  for (const tool of tools.filter((t) => t.prime)) {
    log(`  ${corpus.id}: priming ${tool.label}`);
    const primed = await timeRun(tool, path.join(outDir, `${corpus.id}-${tool.id}-prime.json`));
    results.get(tool.id).prime = primed;
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const tool of tools) {
      if (rep >= tool.runs) continue;
      const outFile = path.join(outDir, `${corpus.id}-${tool.id}.json`);
      const run = await timeRun(tool, outFile);
      if (tool.id.startsWith("locksmith")) {
        run.findings = locksmithFindings(outFile);
        run.findingsDigest = findingsDigest(outFile);
        run.timings = timingsOf(run.stderr);
      }
      if (tool.id === "parse") run.parseMs = parseMsOf(outFile);
      delete run.stderr;
      if (tool.id === "eslint-typed-locksmith") run.findings = locksmithFindings(outFile, "locksmith/");
      results.get(tool.id).runs.push(run);
      log(`  ${corpus.id} #${rep + 1} ${tool.label}: ${(run.wallMs / 1000).toFixed(2)} s wall, ${((run.cpuMs ?? NaN) / 1000).toFixed(2)} s CPU${run.error ? ` — FAILED ${run.error}` : ""}`);
    }
  }
  const summary = {};
  for (const [id, result] of results) {
    summary[id] = { ...result, wall: stats(result.runs, "wallMs"), cpu: stats(result.runs, "cpuMs"), maxRssMiB: stats(result.runs, "maxRssMiB")?.max, failed: result.runs.some((r) => r.error) };
    if (id === "parse") summary[id].parseMs = stats(result.runs, "parseMs");
    if (result.runs.some((r) => r.timings)) {
      // Medians per step of --timing, and of each step's share of its run.
      const steps = new Set(result.runs.flatMap((r) => Object.keys(r.timings ?? {})));
      summary[id].timings = Object.fromEntries([...steps].map((step) => [step, stats(result.runs.map((r) => ({ ms: r.timings?.[step] })), "ms")]));
      const share = (r, step) => (r.timings?.[step] ?? 0) / Object.values(r.timings ?? {}).reduce((a, b) => a + b, 0);
      summary[id].shares = Object.fromEntries([...steps].map((step) => [step, stats(result.runs.map((r) => ({ s: r.timings ? share(r, step) : undefined })), "s")?.median]));
    }
  }
  return { corpus: { id: corpus.id, label: corpus.label, files: corpus.files, lines: corpus.lines, real: corpus.real ?? false }, tools: summary };
}

// ----- editor latency -----

async function benchEditor(corpus) {
  const file = path.join(corpus.dir, EDITED_FILE);
  const lines = fs.readFileSync(file, "utf8").split("\n").length - 1;
  const options = { locksmithRoot: SNAPSHOT, projectDir: corpus.dir, file, edits: EDITS, warmup: 5 };
  const result = { corpus: corpus.id, file: EDITED_FILE, fileLines: lines, edits: EDITS, warmup: 5 };
  log(`  editor: Locksmith language server on ${corpus.id} (${EDITS} edits of a ${lines}-line file)`);
  try {
    result.locksmith = await measureLocksmithServer(options);
  } catch (error) {
    result.locksmith = { available: true, error: error.message };
  }
  log(`  editor: tsserver on ${corpus.id}`);
  try {
    result.tsserver = await measureTsserver(options);
  } catch (error) {
    result.tsserver = { available: true, error: error.message };
  }
  return result;
}

// ----- report -----

const seconds = (ms) => (ms === undefined ? "–" : `${(ms / 1000).toFixed(2)} s`);
const millis = (ms) => (ms === undefined ? "–" : `${Math.round(ms)} ms`);

function targets(report) {
  const effect = report.batch.find((b) => b.corpus.id === "effect");
  const at = (lines) => report.batch.find((b) => b.corpus.id === `gen-${lines}`);
  const median = (batch, tool, metric) => batch?.tools[tool]?.cpu && !batch.tools[tool].failed ? batch.tools[tool][metric].median : undefined;
  const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);
  const out = [];
  const add = (name, limit, cpu, wall, good) => out.push({ name, limit, cpu, wall, met: cpu === undefined ? undefined : good(cpu) });
  const pair = (f) => ({ cpu: f("cpu"), wall: f("wall") });
  let r = pair((m) => ratio(median(effect, "locksmith", m), median(effect, "tsc", m)));
  add("Full lint ÷ `tsc --noEmit`, corpus (a)", "≤ 0.5×", r.cpu, r.wall, (v) => v <= 0.5);
  r = pair((m) => ratio(median(effect, "locksmith", m), median(effect, "parse", m)));
  add("Full lint ÷ parse-only, corpus (a)", "≤ 3×", r.cpu, r.wall, (v) => v <= 3);
  r = pair((m) => ratio(median(effect, "eslint", m), median(effect, "locksmith", m)));
  add("ESLint ÷ full lint (speed-up), corpus (a)", "≥ 3×", r.cpu, r.wall, (v) => v >= 3);
  const perK = (lines, m) => {
    const batch = at(lines);
    const t = median(batch, "locksmith", m);
    return t === undefined ? undefined : t / (batch.corpus.lines / 1000);
  };
  r = pair((m) => ratio(perK(200_000, m), perK(50_000, m)));
  add("Cost per 1,000 lines at 200k ÷ at 50k", "≤ 1.2×", r.cpu, r.wall, (v) => v <= 1.2);
  r = pair((m) => ratio(median(effect, "locksmith-cache", m), median(effect, "locksmith", m)));
  add("Warm `--cache` run, no changes ÷ cold run, corpus (a)", "≤ 0.1×", r.cpu, r.wall, (v) => v <= 0.1);
  for (const batch of report.batch.filter((b) => b.corpus.real)) out.push(...realTargets(batch, median, ratio, pair));
  const editor = report.editor;
  const p95 = ratio(editor?.locksmith?.p95, editor?.tsserver?.p95);
  out.push({ name: "Re-diagnosis p95 after an edit ÷ tsserver's", limit: "≤ 0.25×", wall: p95, met: p95 === undefined ? undefined : p95 <= 0.25 });
  const rss = ratio(editor?.locksmith?.peakRssMiB, editor?.tsserver?.peakRssMiB);
  out.push({ name: "Language server peak RSS ÷ tsserver's", limit: "≤ 1×", wall: rss, met: rss === undefined ? undefined : rss <= 1, memory: true });
  out.push(...openingTargets(report.opening).map((t) => ({ ...t, memory: true })));
  return out;
}

/** The targets of issue #19 on a real application. */
function realTargets(batch, median, ratio, pair) {
  const id = batch.corpus.id;
  const out = [];
  const add = (name, limit, values, good, extra = {}) => out.push({ name: `${name}, ${id}`, limit, ...values, met: values.cpu === undefined && values.wall === undefined ? undefined : good(values.cpu ?? values.wall), ...extra });
  // Against the compilers: the single-threaded run (threads add CPU time; their wall-time gain is its own row).
  const lint = batch.tools["locksmith-single"] ? "locksmith-single" : "locksmith";
  const label = lint === "locksmith-single" ? " (one thread)" : "";
  add(`Full lint${label} ÷ \`tsc --noEmit\` (TypeScript 6)`, "≤ 0.35×", pair((m) => ratio(median(batch, lint, m), median(batch, "tsc", m))), (v) => v <= 0.35);
  add(`Full lint${label} ÷ TypeScript 7 native \`tsc\``, "≤ 1×", pair((m) => ratio(median(batch, lint, m), median(batch, "tsgo", m))), (v) => v <= 1);
  // In-process times: the Program step of --timing against the parse-only pass's own reading and parsing.
  const timed = batch.tools["locksmith-single"];
  const program = timed?.timings?.["(program: read, parse, resolve imports)"]?.median;
  const parse = batch.tools.parse?.parseMs?.median;
  add("Building the Program ÷ parse-only (in-process times)", "≤ 1.5×", { wall: ratio(program, parse) }, (v) => v <= 1.5);
  const lockOrder = timed?.shares?.["inconsistent-lock-order"];
  add("`inconsistent-lock-order` share of a run (--timing)", "≤ 5 %", { wall: lockOrder }, (v) => v <= 0.05, { percent: true });
  const single = batch.tools["locksmith-single"];
  if (single) {
    add("Single-thread lint ÷ threaded lint (speed-up, wall)", "> 1×", { wall: ratio(median(batch, "locksmith-single", "wall"), median(batch, "locksmith", "wall")) }, (v) => v > 1);
    const digests = new Set([...single.runs, ...batch.tools.locksmith.runs].map((r) => r.findingsDigest));
    out.push({ name: `Findings threaded = single-thread (every run), ${id}`, limit: "identical", text: digests.size === 1 ? "identical" : `${digests.size} different sets`, met: digests.size === 1 });
  }
  for (const [tool, what] of [["locksmith-single", "single-threaded"], ["locksmith", "threaded"]]) {
    const rss = ratio(batch.tools[tool]?.maxRssMiB, batch.tools.tsc?.maxRssMiB);
    if (batch.tools[tool]) out.push({ name: `Full lint (${what}) peak RSS ÷ \`tsc --noEmit\`'s, ${id}`, limit: "≤ 1×", wall: rss, met: rss === undefined ? undefined : rss <= 1, memory: true });
  }
  return out;
}

function markdown(report) {
  const lines = [];
  const m = report.machine;
  lines.push(`Run ${report.date} on ${m.cpu} (${m.cores} cores), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, TypeScript ${m.typescript}. Load average ${m.loadBefore.join(" / ")} before the run, ${m.loadAfter.join(" / ")} after (other work was running on the machine). Benchmark time ${Math.round(report.durationS)} s.`);
  lines.push("");
  lines.push("### Batch runs");
  lines.push("");
  lines.push("| corpus | files | lines | tool | runs | CPU median (min–max) | wall median (min–max) | peak RSS | findings |");
  lines.push("| --- | ---: | ---: | --- | ---: | --- | --- | ---: | --- |");
  for (const batch of report.batch) {
    for (const t of Object.values(batch.tools)) {
      const c = batch.corpus;
      const range = (s) => (s ? `${seconds(s.median)} (${seconds(s.min)}–${seconds(s.max)})` : "–");
      const findings = t.runs.at(-1)?.findings;
      const findingText = findings ? `${Object.values(findings).reduce((a, b) => a + b, 0)}` : "";
      lines.push(`| ${c.label} | ${c.files} | ${c.lines.toLocaleString("en")} | ${t.label}${t.failed ? ` — **failed**: ${t.runs.find((r) => r.error).error.replace(/\|/g, "\\|")}` : ""} | ${t.runs.length} | ${range(t.cpu)} | ${range(t.wall)} | ${t.maxRssMiB ?? "–"} MiB | ${findingText} |`);
    }
  }
  for (const note of report.notes) lines.push("", note);
  for (const batch of report.batch.filter((b) => b.corpus.real)) {
    const steps = Object.entries(batch.tools["locksmith-single"]?.timings ?? {}).sort((a, b) => b[1].median - a[1].median);
    if (steps.length === 0) continue;
    const parse = batch.tools.parse?.parseMs?.median;
    const shares = batch.tools["locksmith-single"].shares;
    const text = steps.slice(0, 8).map(([step, s]) => `${step} ${seconds(s.median)} (${(100 * shares[step]).toFixed(1)} %)`).join(", ");
    lines.push("", `Where the single-threaded lint's time went on ${batch.corpus.id} (\`--timing\`, medians): ${text}; the parse-only pass read and parsed the same files in ${seconds(parse)}.`);
  }
  lines.push("");
  lines.push("### Editor latency");
  lines.push("");
  const e = report.editor;
  if (!e) {
    lines.push("Not measured in this run.");
  } else {
    lines.push(`Corpus ${e.corpus}, file \`${e.file}\` (${e.fileLines} lines): ${e.warmup} warm-up edits, then ${e.edits} timed edits (each types one new statement line); time from the change notification to the file's diagnostics.`);
    lines.push("");
    lines.push("| server | p50 | p95 | min | max | start-up to the file's first diagnostics | start-up to the whole workspace analysed | peak RSS |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const [name, s] of [["Locksmith language server (didChange → publishDiagnostics)", e.locksmith], ["tsserver (change + geterr → semanticDiag)", e.tsserver]]) {
      if (!s?.available) lines.push(`| ${name} | not available yet | | | | | | |`);
      else if (s.error) lines.push(`| ${name} | **failed**: ${s.error.split("\n")[0]} | | | | | | |`);
      else {
        // tsserver analyses only the open file.
        const workspace = s === e.tsserver ? "not done" : seconds(s.startupMs);
        lines.push(`| ${name} | ${millis(s.p50)} | ${millis(s.p95)} | ${millis(s.min)} | ${millis(s.max)} | ${seconds(s.firstDiagnosticsMs)} | ${workspace} | ${s.peakRssMiB} MiB |`);
      }
    }
  }
  lines.push("", ...openingMarkdown(report.opening));
  lines.push("");
  lines.push("### Targets");
  lines.push("");
  lines.push("| target | limit | value (CPU time) | value (wall time) | met |");
  lines.push("| --- | --- | ---: | ---: | --- |");
  for (const t of report.targets) {
    const fmt = (v) => (v === undefined ? "–" : t.percent ? `${(100 * v).toFixed(1)} %` : `${v.toFixed(2)}×`);
    lines.push(`| ${t.name} | ${t.limit} | ${t.memory || t.percent || t.text ? "" : fmt(t.cpu)} | ${t.text ?? fmt(t.wall)} | ${t.met === undefined ? "not measured" : t.met ? "met" : "**not met**"} |`);
  }
  return `${lines.join("\n")}\n`;
}

function machine() {
  const tsVersion = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/typescript/package.json"), "utf8")).version;
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    typescript: tsVersion,
    loadBefore: os.loadavg().map((l) => l.toFixed(1)),
  };
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

async function main() {
  if (!fs.existsSync(path.join(REPO, "dist/server/src/cli/main.js"))) throw new Error("build first: npm run build");
  snapshotBuild();
  const started = performance.now();
  const date = new Date().toISOString();
  const report = { date, machine: machine(), batch: [], editor: undefined, notes: [] };
  const cacheAvailable = locksmithHelp().includes("--cache");
  if (!cacheAvailable) report.notes.push("`locksmith lint --cache`: not available yet (the CLI has no `--cache` option in this build).");
  report.notes.push(`Runs: ${REPS} of each tool on each corpus (ESLint on corpus (a) only), interleaved. The targets use CPU time (user + system of the process), as other work shared the machine's cores.`);

  log("preparing corpora");
  const wanted = args.corpora?.split(",");
  const factories = [
    ["effect", effectCorpus],
    ...GENERATED_SIZES.map((lines) => [`gen-${lines}`, () => generatedCorpus(lines)]),
    ...(args["no-real"] ? [] : REAL_CORPORA.map((spec) => [spec.id, () => realCorpus(spec, report.notes)])),
  ];
  const corpora = [];
  const openingOnly = args["opening-only"];
  // --editor-only: the language server's measurements alone (no batch runs, no corpus fetched).
  for (const [id, make] of args["editor-only"] ? [] : factories) {
    if (wanted ? !wanted.includes(id) : openingOnly && !REAL_CORPORA.some((spec) => spec.id === id && spec.open)) continue;
    const corpus = await make();
    if (corpus) corpora.push(corpus);
  }
  if (!TSGO) report.notes.push("TypeScript 7's native tsc: not measured (`@typescript/native-preview` has no package for this platform installed).");
  for (const corpus of openingOnly ? [] : corpora) {
    log(`${corpus.label}: ${corpus.files} files, ${corpus.lines} lines`);
    report.batch.push(await benchCorpus(corpus, { cacheAvailable, isEffect: corpus.id === "effect" }));
  }
  const editorCorpus = corpora.find((c) => c.id === "gen-200000") ?? (args["editor-only"] ? generatedCorpus(200_000) : undefined);
  if (editorCorpus && !args["no-editor"] && !openingOnly) report.editor = await benchEditor(editorCorpus);
  if (report.editor && !report.editor.locksmith.available) report.notes.push("Language server: not available yet.");
  if (!args["no-editor"]) {
    const opens = (id) => !wanted || wanted.includes(id);
    const opened = [
      ...(opens("typed-heavy") ? [{ ...typedCorpus(), file: EDITED_FILE }] : []),
      ...(opens("gen-200000") ? [{ ...(editorCorpus ?? generatedCorpus(200_000)), file: EDITED_FILE }] : []),
      // A real application: a file with a finding, in a project of thousands of files without dependencies installed.
      ...corpora.flatMap((c) => {
        const open = c.real && REAL_CORPORA.find((spec) => spec.id === c.id)?.open;
        return open ? [{ ...c, file: open }] : [];
      }),
    ];
    report.opening = await benchOpening(opened, { locksmithRoot: SNAPSHOT, reps: REPS, log });
  }

  report.machine.loadAfter = os.loadavg().map((l) => l.toFixed(1));
  report.durationS = (performance.now() - started) / 1000;
  report.targets = targets(report);
  const table = markdown(report);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = date.replace(/[:]/g, "-").replace(/\..*/, "");
  fs.writeFileSync(path.join(RESULTS_DIR, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(RESULTS_DIR, `${stamp}.md`), table);
  const wholeRun = !wanted && !args["editor-only"] && !openingOnly;
  if (!args["no-docs"] && wholeRun) updateDocs(table);
  process.stdout.write(table);
  log(`\nwritten: bench/results/${stamp}.md and .json${!args["no-docs"] && wholeRun ? ", docs/benchmarks.md" : ""}`);
}

/** Replaces the generated section of docs/benchmarks.md (between the markers) with the latest table. */
function updateDocs(table) {
  const start = "<!-- bench:results:start -->";
  const end = "<!-- bench:results:end -->";
  const docs = fs.existsSync(DOCS) ? fs.readFileSync(DOCS, "utf8") : "";
  const from = docs.indexOf(start);
  const to = docs.indexOf(end);
  if (from < 0 || to < from) {
    log("docs/benchmarks.md has no results markers; not updated");
    return;
  }
  fs.writeFileSync(DOCS, `${docs.slice(0, from + start.length)}\n${table}${docs.slice(to)}`);
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
