// `locksmith lint [paths..]`: analyse, optionally fix, report in the chosen format, and exit with ESLint's codes.
// Read top to bottom: runLint checks the arguments (lintCommand), builds the session, gets the report (from the
// cache or by linting now), and presents it.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { RULES } from "../../../rules/index";
import { lockDeclarationProblems } from "../analysis/lock-wrappers";
import { declaredLocksOf } from "../engine/config";
import { removeStaleTempFiles, sha256, writeFileAtomic } from "../engine/fixes";
import type { LintOptions, LintRun } from "../engine/linter";
import type { Severity } from "../engine/types";
import { isInside, isInsideReal } from "../engine/paths";
import { ts } from "../engine/ts";
import { DEFAULT_CACHE_FILE, LintCache, cacheKey } from "./cache";
import { FORMATTERS, type Formatter } from "./formatters";
import { HELP } from "./help";
import { UsageError, type CliIo } from "./io";
import { createProgress } from "./progress";
import { buildReport, type Report } from "./report";
import { LintSession, settingsResolver } from "./session";
import { PROGRAM_TIMING, formatTimings } from "./timing";

export async function runLint(argv: string[], io: CliIo): Promise<number> {
  const args = parseLintArgs(argv);
  if (args.values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const command = lintCommand(args, io);
  const session = new LintSession({
    cwd: io.cwd,
    paths: command.paths,
    ...(command.project ? { tsconfig: command.project } : {}),
    ...(command.configFile ? { configFile: command.configFile } : {}),
    ruleOverrides: command.ruleOverrides,
    rules: RULES,
  });
  if (session.spec.lintFiles.length === 0) throw new UsageError(`no TypeScript files found in ${command.paths.join(", ") || "."}`);
  checkIgnored(command.paths, session, io);
  const { report, crashed } = analyse(command, session, io);
  if (command.quiet) dropWarnings(report);
  const color = io.isTTY && !command.outputFile && process.env.NO_COLOR === undefined;
  writeReport(command.formatter(report, { color }), command.outputFile, io);
  return exitCode(report, crashed, command.maxWarnings, io);
}

const IGNORED_BECAUSE = {
  ignores: 'it matches "ignores" in the configuration (node_modules, dist and .d.ts files always do)',
  nonProductionFiles:
    'test, e2e, fixture, seed and script files are not linted by default (set "nonProductionFiles": [] in locksmith.json to lint them)',
} as const;

/**
 * ESLint's convention for ignored files the user asked for: a file named on the command line is not linted, and a
 * notice says why and how to lint it (on stderr, not as a warning in the report, so that a hook passing staged files
 * with --max-warnings 0 does not fail: ESLint needed --no-warn-ignored for that); a folder or project whose files are
 * all ignored is a usage error (ESLint's "All files matched by … are ignored"), never a silent clean run.
 */
function checkIgnored(paths: readonly string[], session: LintSession, io: CliIo): void {
  const { config, spec } = session;
  const named = paths.map((p) => path.resolve(io.cwd, p)).filter((p) => fs.statSync(p).isFile());
  for (const file of named) {
    const reason = config.ignoredBy(file);
    if (reason) io.stderr(`locksmith: ignored ${path.relative(io.cwd, file)}: ${IGNORED_BECAUSE[reason]}\n`);
  }
  if (paths.length > 0 && named.length === paths.length) return;
  const reasons = new Set(spec.lintFiles.map((f) => config.ignoredBy(f)));
  if (reasons.has(undefined)) return;
  const where = paths.length > 0 ? paths.join(", ") : spec.tsconfig ? path.relative(io.cwd, spec.tsconfig) : ".";
  const why = [...reasons].map((r) => IGNORED_BECAUSE[r!]).join("; ");
  throw new UsageError(`every TypeScript file in ${where} is ignored: ${why}`);
}

/** `locksmith lint`, checked: everything a run needs, nothing left to validate. */
interface LintCommand {
  paths: string[];
  project?: string | undefined;
  configFile?: string | undefined;
  format: string;
  formatter: Formatter;
  ruleOverrides: Record<string, Severity>;
  /** -1: no limit. */
  maxWarnings: number;
  outputFile?: string | undefined;
  /** Set with --cache only. */
  cacheFile?: string | undefined;
  fix: boolean;
  quiet: boolean;
  timing: boolean;
  reportUnusedDirectives: boolean;
}

function parseLintArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        project: { type: "string", short: "p" },
        format: { type: "string", short: "f", default: "stylish" },
        "output-file": { type: "string", short: "o" },
        fix: { type: "boolean", default: false },
        "max-warnings": { type: "string" },
        rule: { type: "string", multiple: true, default: [] },
        config: { type: "string", short: "c" },
        quiet: { type: "boolean", default: false },
        "report-unused-disable-directives": { type: "boolean", default: false },
        cache: { type: "boolean", default: false },
        "cache-location": { type: "string" },
        timing: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (run \`locksmith --help\`)`);
  }
}

function lintCommand({ values, positionals }: ReturnType<typeof parseLintArgs>, io: CliIo): LintCommand {
  const format = values.format!;
  if (!Object.hasOwn(FORMATTERS, format)) {
    throw new UsageError(`unknown format "${format}" (expected one of: ${Object.keys(FORMATTERS).join(", ")})`);
  }
  let maxWarnings = -1;
  if (values["max-warnings"] !== undefined) {
    maxWarnings = Number(values["max-warnings"]);
    if (!Number.isInteger(maxWarnings) || maxWarnings < -1)
      throw new UsageError(`--max-warnings expects a whole number, got "${values["max-warnings"]}"`);
  }
  const ruleOverrides = parseRuleOverrides(values.rule ?? []);
  const outputFile = values["output-file"] ? insideCwd(io, values["output-file"], "--output-file") : undefined;
  if (values["cache-location"] !== undefined && !values.cache) throw new UsageError("--cache-location needs --cache");
  return {
    paths: positionals,
    project: values.project,
    configFile: values.config,
    format,
    formatter: FORMATTERS[format]!,
    ruleOverrides,
    maxWarnings,
    outputFile,
    cacheFile: values.cache ? cacheFile(io, values["cache-location"]) : undefined,
    fix: values.fix!,
    quiet: values.quiet!,
    timing: values.timing!,
    reportUnusedDirectives: values["report-unused-disable-directives"]!,
  };
}

/** `--rule <id>:<severity>`, repeatable. */
function parseRuleOverrides(specs: readonly string[]): Record<string, Severity> {
  const ruleOverrides: Record<string, Severity> = {};
  for (const spec of specs) {
    const match = /^([a-z0-9-]+):(off|warn|error)$/.exec(spec);
    if (!match) throw new UsageError(`--rule expects <rule-id>:<off|warn|error>, got "${spec}"`);
    if (!RULES.some((r) => r.meta.id === match[1]))
      throw new UsageError(`--rule: "${match[1]}" is not a Locksmith rule (run \`locksmith rules\`)`);
    ruleOverrides[match[1]!] = match[2] as Severity;
  }
  return ruleOverrides;
}

/** The cache file: the default name, or --cache-location (a file, or a folder to put the default name in). */
function cacheFile(io: CliIo, location: string | undefined): string {
  const file = insideCwd(io, location ?? DEFAULT_CACHE_FILE, "--cache-location");
  const isFolder = /[\\/]$/.test(location ?? "") || (fs.existsSync(file) && fs.statSync(file).isDirectory());
  return isFolder ? path.join(file, DEFAULT_CACHE_FILE) : file;
}

/** The run's report: from the cache when it answers for the whole run, else by linting (and fixing) now. */
function analyse(command: LintCommand, session: LintSession, io: CliIo): { report: Report; crashed: boolean } {
  const progress = createProgress(io, command.format);
  const lintOptions: LintOptions = {
    reportUnusedDirectives: command.reportUnusedDirectives,
    ...(progress ? { onFileDone: progress.fileDone } : {}),
  };
  const cache = command.cacheFile === undefined ? undefined : openCache(command.cacheFile, command, session, lintOptions);

  // A warm cache answers without building the Program, unless --fix has something to fix.
  const cached = cache?.lastRun(session.spec);
  if (cached && !(command.fix && cached.results.some((r) => r.fixableErrorCount + r.fixableWarningCount > 0))) {
    if (command.timing) io.stderr("locksmith: --timing: every result came from the cache, nothing was analysed\n");
    return { report: { ...cached, cwd: io.cwd }, crashed: false };
  }

  progress?.loading(session.spec.lintFiles.length);
  if (command.timing) lintOptions.timings = timeProgram(session);
  const run = command.fix ? fixAndWrite(session, lintOptions, io) : session.lint(lintOptions);
  progress?.finish();
  printRunProblems(run, io);
  printLockDeclarationProblems(session, io);
  const crashed = run.crashes.length > 0;
  const report = buildReport(run, io.cwd);
  if (lintOptions.timings) io.stderr(formatTimings(lintOptions.timings));
  if (cache) saveCache(cache, session, report, crashed, io);
  return { report, crashed };
}

/** The cache for this configuration; it also serves each file's findings to the run through `lintOptions`. */
function openCache(file: string, command: LintCommand, session: LintSession, lintOptions: LintOptions): LintCache {
  const key = cacheKey({ config: session.config, spec: session.spec, ruleOverrides: command.ruleOverrides, lintOptions });
  const cache = LintCache.open(file, key, settingsResolver(session.config, session.spec));
  lintOptions.fileCache = cache.fileFindings;
  return cache;
}

function saveCache(cache: LintCache, session: LintSession, report: Report, crashed: boolean, io: CliIo): void {
  cache.recordRun(session.host.getProgram(), session.spec, report, crashed);
  const problem = cache.save();
  if (problem) io.stderr(`locksmith: could not write the cache ${path.relative(io.cwd, cache.location)}: ${problem}\n`);
}

/** Files that could not be analysed and rules that crashed, on stderr (a crash makes the exit code 2). */
function printRunProblems(run: LintRun, io: CliIo): void {
  for (const skipped of run.skipped) io.stderr(`locksmith: skipped ${path.relative(io.cwd, skipped.fileName)}: ${skipped.reason}\n`);
  for (const crash of run.crashes) {
    const where = crash.fileName ? ` on ${path.relative(io.cwd, crash.fileName)}` : "";
    io.stderr(`locksmith: rule ${crash.ruleId} failed${where}: ${crash.message}\n`);
  }
}

/** Lock declarations (locksmith.json `locks`, `@locksmith` tags) that do not parse or that their bodies contradict, on stderr. */
function printLockDeclarationProblems(session: LintSession, io: CliIo): void {
  const program = session.host.getProgram();
  const sourceFiles = session.spec.lintFiles.flatMap((f) => program.getSourceFile(f) ?? []);
  for (const problem of lockDeclarationProblems(sourceFiles, program, () => program.getTypeChecker(), declaredLocksOf(session.config))) {
    const node = problem.node;
    const where = node
      ? `${path.relative(io.cwd, node.getSourceFile().fileName)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`
      : path.relative(io.cwd, session.config.file ?? "locksmith.json");
    io.stderr(`locksmith: ${where}: ${problem.message}\n`);
  }
}

/** --timing: building the Program is timed on its own, before any rule runs (rules add theirs to the same map). */
function timeProgram(session: LintSession): Map<string, number> {
  const started = performance.now();
  session.host.getProgram();
  return new Map([[PROGRAM_TIMING, performance.now() - started]]);
}

/** --fix: safe fixes until none is left, written to disk; the run is the one on the fixed texts. */
function fixAndWrite(session: LintSession, lintOptions: LintOptions, io: CliIo): LintRun {
  const originals = new Map(session.spec.lintFiles.map((f) => [f, session.host.getSourceFile(f)?.text]));
  const { run, fixed, newFiles } = session.fix(lintOptions);
  writeFixes(fixed, newFiles, originals, io);
  return run;
}

/** --quiet: errors only. */
function dropWarnings(report: Report): void {
  for (const result of report.results) {
    result.messages = result.messages.filter((m) => m.severity === 2);
    result.warningCount = 0;
    result.fixableWarningCount = 0;
  }
  report.warningCount = 0;
}

function writeReport(text: string, outputFile: string | undefined, io: CliIo): void {
  if (outputFile) {
    fs.mkdirSync(path.dirname(outputFile), { recursive: true });
    writeFileAtomic(outputFile, text);
  } else if (text) {
    io.stdout(text.endsWith("\n") ? text : `${text}\n`);
  }
}

function exitCode(report: Report, crashed: boolean, maxWarnings: number, io: CliIo): number {
  if (crashed) return 2;
  if (report.errorCount > 0) return 1;
  if (maxWarnings >= 0 && report.warningCount > maxWarnings) {
    io.stderr(`locksmith: too many warnings (${report.warningCount}); maximum allowed is ${maxWarnings}.\n`);
    return 1;
  }
  return 0;
}

/** Writes fixed files atomically; skips (with a warning) files changed since they were read or that no longer parse. */
function writeFixes(
  fixed: Map<string, string>,
  newFiles: { path: string; text: string }[],
  originals: Map<string, string | undefined>,
  io: CliIo,
): void {
  // A run killed in the middle of writing (Ctrl-C, out of memory) may have left temp files; the files themselves are
  // whole (each is replaced by a rename), so the temp files are only litter.
  for (const dir of new Set([...originals.keys()].map((f) => path.dirname(f)))) removeStaleTempFiles(dir);
  for (const [fileName, text] of fixed) {
    const original = originals.get(fileName);
    if (original === undefined) continue;
    const parsed = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
    const parseErrors = (parsed as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics;
    if (parseErrors.length > 0) {
      io.stderr(`locksmith: not writing ${path.relative(io.cwd, fileName)}: the fixed text would not parse (please report this)\n`);
      continue;
    }
    if (!writeFileAtomic(fileName, text, sha256(original))) {
      io.stderr(`locksmith: skipped ${path.relative(io.cwd, fileName)}: it changed while Locksmith was running\n`);
    }
  }
  for (const file of newFiles) {
    if (fs.existsSync(file.path)) continue;
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileAtomic(file.path, file.text);
  }
}

/** Resolves a path option that must stay inside the current folder (also after following symlinks). */
function insideCwd(io: CliIo, value: string, option: string): string {
  const resolved = path.resolve(io.cwd, value);
  if (!isInside(io.cwd, resolved) || !isInsideReal(io.cwd, path.dirname(resolved))) {
    throw new UsageError(`${option} must be inside the current folder (${io.cwd}), got "${value}"`);
  }
  return resolved;
}
