// `locksmith lint [paths..]`: analyse, optionally fix, report in the chosen format, and exit with ESLint's codes.
// Read top to bottom: runLint checks the arguments (lintCommand), builds the session, gets the report (from the
// cache or by linting now), and presents it.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { RULES } from "../../../rules/index";
import { lockDeclarationProblemsByConfig } from "../analysis/lock-wrappers";
import { removeStaleTempFiles, sha256, writeFileAtomic } from "../engine/fixes";
import { PER_THREAD_CPU, stopwatch, type LintOptions, type LintRun, type StepTime } from "../engine/linter";
import type { Severity } from "../engine/types";
import { didYouMean } from "../engine/did-you-mean";
import { isInside, isInsideReal, normalizePath } from "../engine/paths";
import { ts } from "../engine/ts";
import { syntaxErrorOf } from "../engine/project";
import { DEFAULT_CACHE_FILE, LintCache, cacheKey } from "./cache";
import { loadFormatter, type LoadedFormatter } from "./formatters";
import { HELP } from "./help";
import { UsageError, parseCommandArgs, readProcessStdin, type CliIo } from "./io";
import { createProgress } from "./progress";
import { buildReport, eslintRuleType, type Report } from "./report";
import { LintSession, settingsResolver } from "./session";
import {
  heapSizeGiven,
  heapToRerunWith,
  lintWithThreads,
  memoryBudget,
  parseThreads,
  threadCount,
  type MemoryBudget,
  type ThreadsSetting,
  type WorkerSession,
} from "./threads";
import { PROGRAM_TIMING, formatTimings } from "./timing";

export async function runLint(argv: string[], io: CliIo): Promise<number> {
  const args = parseLintArgs(argv);
  if (args.values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const command = await lintCommand(args, io);
  const stdin =
    command.stdinFile !== undefined ? { fileName: command.stdinFile, text: await (io.readStdin ?? readProcessStdin)() } : undefined;
  const sessionOptions: WorkerSession = {
    cwd: io.cwd,
    paths: command.paths,
    tsconfigs: command.projects,
    ...(command.configFile ? { configFile: command.configFile } : {}),
    ruleOverrides: command.ruleOverrides,
  };
  const session = new LintSession({ ...sessionOptions, ...(stdin ? { stdin } : {}), rules: RULES });
  if (command.printConfig !== undefined) return printConfig(command.printConfig, session, io);
  if (session.spec.lintFiles.length === 0) throw new UsageError(`no TypeScript files found in ${command.paths.join(", ") || "."}`);
  // Decided before anything is printed: the re-run prints it all itself.
  const budget = once(() => memoryBudget(session.spec.rootNames));
  const heapMb = stdin ? undefined : heapToGrow(command, session, io, budget);
  if (heapMb !== undefined) return relaunch(io, heapMb);
  checkIgnored(stdin ? [stdin.fileName] : command.paths, session, io);
  const { report, crashed } = await analyse(command, session, io, stdin ? undefined : sessionOptions, budget);
  if (command.quiet) dropWarnings(report);
  const color = useColor(command.color, io.env ?? process.env, io.isTTY, command.outputFile);
  const text = await command.formatter(report, { color, maxWarnings: command.maxWarnings });
  writeReport(text, command.outputFile, io);
  return exitCode(report, crashed, command.maxWarnings, io);
}

function once<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

/** Set in a lint re-run with a larger heap, so that it does not decide again. */
const HEAP_SIZED_ENV = "LOCKSMITH_HEAP_SIZED";

/**
 * The heap to re-run this lint with (MiB), when its sources need more than Node's limit and the machine has the memory
 * (threads.ts `heapToRerunWith`); never when Node was given a heap size, or for a run that is already the re-run.
 */
function heapToGrow(command: LintCommand, session: LintSession, io: CliIo, budget: () => MemoryBudget): number | undefined {
  const env = io.env ?? process.env;
  if (!io.relaunch || env[HEAP_SIZED_ENV] || heapSizeGiven(process.execArgv, env.NODE_OPTIONS)) return undefined;
  const threads = command.threads === "auto" ? 1 : command.threads;
  return heapToRerunWith(budget(), v8.getHeapStatistics().heap_size_limit, threads);
}

/**
 * Runs this command again in a Node with a heap of `heapMb` MiB; its exit code is this run's. The re-run writes to
 * this process's own standard streams (`io.relaunch` exists only for them): its progress line and warnings appear as
 * they happen, on the terminal it decides colour and progress by, and this process writes nothing.
 */
export function relaunch(io: CliIo, heapMb: number): Promise<number> {
  const { script, argv } = io.relaunch!;
  const env = { ...process.env, ...io.env, [HEAP_SIZED_ENV]: "1" };
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMb}`, script, ...argv], {
    cwd: io.cwd,
    env,
    stdio: "inherit",
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 2 : 0)));
  });
}

/**
 * Colour as ESLint (through chalk) decides it: `--color`/`--no-color`, else FORCE_COLOR (`0` or `false` turn it off),
 * else NO_COLOR turns it off, else only on a terminal and never into a file.
 */
export function useColor(
  flag: boolean | undefined,
  env: Record<string, string | undefined>,
  isTTY: boolean,
  outputFile: string | undefined,
): boolean {
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return isTTY && !outputFile;
}

/**
 * `--print-config <file>`: the settings Locksmith would lint that file with (rules with severity and options after
 * locksmith.json, its overrides and --rule; whether it is ignored; the tsconfigs of its Program), as JSON.
 */
function printConfig(file: string, session: LintSession, io: CliIo): number {
  const fileName = path.resolve(io.cwd, file);
  const { config, spec } = session;
  const rules = Object.fromEntries(
    [...config.rulesFor(fileName)].sort(([a], [b]) => a.localeCompare(b)).map(([id, rule]) => [id, [rule.severity, rule.options]]),
  );
  const relative = (f: string) => path.relative(io.cwd, f).split(path.sep).join("/");
  const printed = {
    configFile: config.file ? relative(config.file) : null,
    ignored: config.ignoredBy(fileName) ?? false,
    tsconfigs: spec.tsconfigs.map(relative),
    rules,
    ...(config.raw.locks ? { locks: config.raw.locks } : {}),
    runtime: config.raw.runtime ?? "auto",
    ...(config.raw.runtimePath !== undefined ? { runtimePath: config.raw.runtimePath } : {}),
  };
  io.stdout(`${JSON.stringify(printed, null, 2)}\n`);
  return 0;
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
  const named = paths
    .map((p) => path.resolve(io.cwd, p))
    .filter((p) => session.spec.virtualFile === normalizePath(p) || fs.statSync(p).isFile());
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
  /** `-p` values: tsconfigs or globs of them, one Program together. */
  projects: string[];
  configFile?: string | undefined;
  format: string;
  formatter: LoadedFormatter;
  /** `--stdin`: the file the text read from standard input stands for (`--stdin-filename`, else `<text>.ts` here). */
  stdinFile?: string | undefined;
  printConfig?: string | undefined;
  /** `--fix-dry-run`: fix in memory, report the fixed texts as `output`, write nothing. */
  fixDryRun: boolean;
  /** `--fix-type`: the ESLint rule types whose fixes are applied. */
  fixTypes: ReadonlySet<string>;
  /** `--color` / `--no-color`; undefined: decided by the environment. */
  color: boolean | undefined;
  ruleOverrides: Record<string, Severity>;
  /** -1: no limit. */
  maxWarnings: number;
  outputFile?: string | undefined;
  /** Set with --cache only. */
  cacheFile?: string | undefined;
  fix: boolean;
  quiet: boolean;
  timing: boolean;
  threads: ThreadsSetting;
  reportUnusedDirectives: boolean;
}

/** ESLint's rule types, as `--fix-type` takes them. */
const FIX_TYPES = ["problem", "suggestion", "layout", "directive"];

function parseLintArgs(argv: string[]) {
  return parseCommandArgs("lint", argv, {
    project: { type: "string", short: "p", multiple: true, default: [] },
    format: { type: "string", short: "f", default: "stylish" },
    "output-file": { type: "string", short: "o" },
    fix: { type: "boolean", default: false },
    "fix-dry-run": { type: "boolean", default: false },
    "fix-type": { type: "string", multiple: true, default: [] },
    "max-warnings": { type: "string" },
    rule: { type: "string", multiple: true, default: [] },
    config: { type: "string", short: "c" },
    quiet: { type: "boolean", default: false },
    "report-unused-disable-directives": { type: "boolean", default: false },
    cache: { type: "boolean", default: false },
    "cache-location": { type: "string" },
    timing: { type: "boolean", default: false },
    threads: { type: "string" },
    stdin: { type: "boolean", default: false },
    "stdin-filename": { type: "string" },
    "print-config": { type: "string" },
    color: { type: "boolean" },
    "no-color": { type: "boolean" },
    help: { type: "boolean", short: "h", default: false },
  });
}

async function lintCommand({ values, positionals }: ReturnType<typeof parseLintArgs>, io: CliIo): Promise<LintCommand> {
  const format = values.format!;
  let maxWarnings = -1;
  if (values["max-warnings"] !== undefined) {
    maxWarnings = Number(values["max-warnings"]);
    if (!Number.isInteger(maxWarnings) || maxWarnings < -1)
      throw new UsageError(`--max-warnings expects a whole number (-1: no limit), got "${values["max-warnings"]}"`);
  }
  const ruleOverrides = parseRuleOverrides(values.rule ?? []);
  if (values["cache-location"] !== undefined && !values.cache) throw new UsageError("--cache-location needs --cache");
  if (values["stdin-filename"] !== undefined && !values.stdin) throw new UsageError("--stdin-filename needs --stdin");
  if (values.stdin && positionals.length > 0) throw new UsageError("--stdin lints standard input: name no files (use --stdin-filename)");
  // As ESLint: fixes of piped code are printed (--fix-dry-run), never written over a file the text may not match.
  if (values.stdin && values.fix) throw new UsageError("--fix cannot be used with --stdin: use --fix-dry-run to see the fixed text");
  if (values.fix && values["fix-dry-run"]) throw new UsageError("--fix and --fix-dry-run cannot be used together");
  const fixTypes = (values["fix-type"] ?? []).flatMap((v) => v.split(",")).map((t) => t.trim());
  for (const type of fixTypes) {
    if (!FIX_TYPES.includes(type))
      throw new UsageError(`--fix-type: unknown type "${type}"${didYouMean(type, FIX_TYPES)} (expected: ${FIX_TYPES.join(", ")})`);
  }
  if (fixTypes.length > 0 && !values.fix && !values["fix-dry-run"]) throw new UsageError("--fix-type needs --fix or --fix-dry-run");
  if (values.color && values["no-color"]) throw new UsageError("--color and --no-color cannot be used together");
  return {
    paths: positionals,
    projects: values.project ?? [],
    configFile: values.config,
    format,
    formatter: await loadFormatter(format, io.cwd),
    ruleOverrides,
    maxWarnings,
    outputFile: values["output-file"] !== undefined ? outputPath(io, values["output-file"]) : undefined,
    // Standard input is not a file the cache could check again next time.
    cacheFile: values.cache && !values.stdin ? cacheFile(io, values["cache-location"]) : undefined,
    fix: values.fix!,
    fixDryRun: values["fix-dry-run"]!,
    fixTypes: new Set(fixTypes.length > 0 ? fixTypes : FIX_TYPES),
    quiet: values.quiet!,
    timing: values.timing!,
    threads: parseThreads(values.threads),
    reportUnusedDirectives: values["report-unused-disable-directives"]!,
    stdinFile: values.stdin ? path.resolve(io.cwd, values["stdin-filename"] ?? STDIN_FILE) : undefined,
    printConfig: values["print-config"],
    color: values.color ? true : values["no-color"] ? false : undefined,
  };
}

/** What standard input is linted as without --stdin-filename (ESLint reports it as `<text>`). */
const STDIN_FILE = "<text>.ts";

/** `-o`: any path the user names (a CI artifacts folder, /tmp); its folder is created, the file written atomically. */
function outputPath(io: CliIo, value: string): string {
  const file = path.resolve(io.cwd, value);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`--output-file: ${value} is a folder`);
  return file;
}

/** `--rule <id>:<severity>`, repeatable. */
function parseRuleOverrides(specs: readonly string[]): Record<string, Severity> {
  const ruleOverrides: Record<string, Severity> = {};
  for (const spec of specs) {
    const match = /^([a-z0-9-]+):(off|warn|error)$/.exec(spec);
    if (!match) throw new UsageError(`--rule expects <rule-id>:<off|warn|error>, got "${spec}"`);
    if (!RULES.some((r) => r.meta.id === match[1])) {
      const hint =
        didYouMean(
          match[1]!,
          RULES.map((r) => r.meta.id),
        ) || " (run `locksmith rules`)";
      throw new UsageError(`--rule: "${match[1]}" is not a Locksmith rule${hint}`);
    }
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
async function analyse(
  command: LintCommand,
  session: LintSession,
  io: CliIo,
  sessionOptions: WorkerSession | undefined,
  budget: () => MemoryBudget,
): Promise<{ report: Report; crashed: boolean }> {
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
  // Worker threads only for a plain run from disk: --fix rebuilds the Program from texts held in memory, the cache
  // already skips unchanged files, and standard input exists only in this thread.
  const threads = sessionOptions && !cache ? threadCount(command.threads, session.spec.lintFiles.length, budget) : 1;
  const { run, fixed } =
    command.fix || command.fixDryRun
      ? fixRun(command, session, lintOptions, io)
      : {
          run: threads > 1 ? await lintWithThreads(session, sessionOptions!, threads, lintOptions) : session.lint(lintOptions),
          fixed: undefined,
        };
  progress?.finish();
  printRunProblems(run, io);
  for (const warning of session.spec.warnings ?? []) io.stderr(`locksmith: ${warning}\n`);
  printLockDeclarationProblems(session, io);
  const crashed = run.crashes.length > 0;
  const report = buildReport(run, io.cwd, fixed);
  // Standard input without --stdin-filename is `<text>`, as ESLint names it.
  for (const result of report.results) if (result.filePath === path.resolve(io.cwd, STDIN_FILE)) result.filePath = "<text>";
  if (lintOptions.timings) {
    const shared = threads > 1 && !command.fix && !command.fixDryRun && !PER_THREAD_CPU;
    io.stderr(
      formatTimings(lintOptions.timings, shared ? "(CPU: the whole process's while each step ran, every thread's together)" : undefined),
    );
  }
  if (cache) saveCache(cache, session, report, crashed, io);
  return { report, crashed };
}

/** The cache for this configuration; it also serves each file's findings to the run through `lintOptions`. */
function openCache(file: string, command: LintCommand, session: LintSession, lintOptions: LintOptions): LintCache {
  const key = cacheKey({ config: session.config, spec: session.spec, ruleOverrides: command.ruleOverrides, lintOptions });
  const cache = LintCache.open(file, key, settingsResolver(session.config, session.spec, session.declaredLocksFor));
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
  const checker = () => program.getTypeChecker();
  for (const problem of lockDeclarationProblemsByConfig(sourceFiles, program, checker, session.declaredLocksFor)) {
    const node = problem.node;
    const where = node
      ? `${path.relative(io.cwd, node.getSourceFile().fileName)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`
      : path.relative(io.cwd, problem.configFile ?? session.config.file ?? "locksmith.json");
    io.stderr(`locksmith: ${where}: ${problem.message}\n`);
  }
}

/** --timing: building the Program is timed on its own, before any rule runs (rules add theirs to the same map). */
function timeProgram(session: LintSession): Map<string, StepTime> {
  const elapsed = stopwatch();
  session.host.getProgram();
  return new Map([[PROGRAM_TIMING, elapsed()]]);
}

/**
 * --fix and --fix-dry-run: safe fixes (of the --fix-type types) until none is left; --fix writes them to disk. The
 * run is the one on the fixed texts, which the report carries as `output`.
 */
function fixRun(
  command: LintCommand,
  session: LintSession,
  lintOptions: LintOptions,
  io: CliIo,
): { run: LintRun; fixed: Map<string, string> } {
  const originals = new Map(session.spec.lintFiles.map((f) => [f, session.host.getSourceFile(f)?.text]));
  const { run, fixed, newFiles } = session.fix(lintOptions, (d) => command.fixTypes.has(eslintRuleType(d.ruleId)));
  if (command.fix) writeFixes(fixed, newFiles, originals, io);
  return { run, fixed };
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
    try {
      createFolders(path.dirname(outputFile));
      writeFileAtomic(outputFile, text);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const shown = isInside(io.cwd, outputFile) ? path.relative(io.cwd, outputFile) : outputFile;
      throw new UsageError(`cannot write ${shown}: ${reason}`);
    }
  } else if (text) {
    io.stdout(text.endsWith("\n") ? text : `${text}\n`);
  }
}

/**
 * Creates a folder and its missing parents one level at a time (`mkdirSync` with `recursive` never returns on some
 * special file systems, such as a path under /proc).
 */
function createFolders(dir: string): void {
  const missing: string[] = [];
  for (let current = dir; !fs.existsSync(current); current = path.dirname(current)) missing.unshift(current);
  for (const folder of missing) fs.mkdirSync(folder);
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
    if (syntaxErrorOf(ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false))) {
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
