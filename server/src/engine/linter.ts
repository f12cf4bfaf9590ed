// The engine: runs the enabled rules over files of a Program and turns their findings into diagnostics
// (severity from configuration, inline suppressions applied). The CLI, the language server and the tests all call
// this one class; nothing else decides what is reported.
import { type ts } from "./ts";
import { setDeclaredLocksOfProgram, type ResolvedConfig, type ResolvedRuleConfig } from "./config";
import { applyDirectives, parseDirectives, unusedDirectiveDiagnostics, type Directive } from "./suppressions";
import type { Diagnostic, EngineSettings, FileRuleContext, Finding, Fixer, ProjectRuleContext, Rule } from "./types";
import { createFixer } from "./fixer";
import { formatMessage } from "./messages";
import { normalizePath } from "./paths";
import { unanalysableReason } from "./project";

export interface FileLintResult {
  fileName: string;
  sourceFile: ts.SourceFile;
  diagnostics: Diagnostic[];
  directives: Directive[];
}

/** A rule that threw. Isolated: the other rules still report, and the crash is logged with the file and rule id. */
export interface RuleCrash {
  ruleId: string;
  fileName: string | undefined;
  message: string;
  stack: string | undefined;
}

/** A file the rules did not see (nested too deeply to analyse safely); it has no findings. */
export interface SkippedFile {
  fileName: string;
  reason: string;
}

export interface LintRun {
  results: FileLintResult[];
  /** The Program linted: related locations may lie in files that were not linted (a whole-program rule's context). */
  program?: ts.Program;
  crashes: RuleCrash[];
  skipped: SkippedFile[];
}

export interface LintOptions {
  reportUnusedDirectives?: boolean;
  /** Checked between files; a cancelled run returns what it has (the language server drops it). */
  isCancelled?: () => boolean;
  /** Called after each file's file rules ran (progress on a terminal). */
  onFileDone?: (done: number, total: number) => void;
  /** File-rule findings of earlier runs (`--cache`): a file it has valid findings for is not analysed again. */
  fileCache?: FileFindingsCache;
  /**
   * Where to add up times (`--timing`): per rule id, and under TYPE_CHECKER_TIMING the checker's creation (done for
   * whichever rule asks first, and not counted in that rule's time).
   */
  timings?: Map<string, StepTime>;
  /**
   * Files of the Program the whole-program rules (scope "project") read besides the linted ones, so that linting one
   * package of a monorepo, or one file, still sees a lock-order cycle closed elsewhere. Findings are reported in the
   * linted files only.
   */
  contextFiles?: readonly string[];
  /**
   * Worker threads (cli/threads.ts): whether this thread runs the file rules of a file. Threads share the files, each
   * taking the next one no other took; a file taken elsewhere gets its file-rule findings through `finish`. With a
   * claim, the project rules run first, so that this thread takes fewer files while it runs them.
   */
  claim?: (fileName: string) => boolean;
  /** Only the file rules (a worker thread: the main thread runs the project rules). */
  fileRulesOnly?: boolean;
}

/** A run whose analysis is done; `finish` adds file-rule findings made elsewhere (worker threads) and reports. */
export interface PendingLint {
  /** The file-rule findings of the files this run analysed itself (what a worker thread sends back), by file. */
  readonly fileFindings: ReadonlyMap<string, readonly Finding[]>;
  readonly crashes: RuleCrash[];
  finish(external?: ReadonlyMap<string, readonly Finding[]>, externalCrashes?: readonly RuleCrash[]): LintRun;
}

export const TYPE_CHECKER_TIMING = "(type checker: creation and binding)";

/** A step's time (`--timing`): on the wall clock, and of CPU (user + system) — on a loaded machine only the CPU says what the step cost. */
export interface StepTime {
  wallMs: number;
  cpuMs: number;
}

const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.bind(process);
/** Whether a step's CPU time is its thread's own (else the process's: see cpuMicros). */
export const PER_THREAD_CPU = threadCpuUsage !== undefined;

/**
 * The CPU this thread has used, in microseconds. Node before 23.9 has no per-thread figure: there it is the process's,
 * which while worker threads run includes theirs.
 */
function cpuMicros(): number {
  const usage = threadCpuUsage ? threadCpuUsage() : process.cpuUsage();
  return usage.user + usage.system;
}

/** Starts timing a step; the function returned gives its time so far. */
export function stopwatch(): () => StepTime {
  const wall = performance.now();
  const cpu = cpuMicros();
  return () => ({ wallMs: performance.now() - wall, cpuMs: (cpuMicros() - cpu) / 1000 });
}

const NO_TIME: StepTime = { wallMs: 0, cpuMs: 0 };

/** Adds `time` to what `timings` holds for `step`. */
export function addStepTime(timings: Map<string, StepTime>, step: string, time: StepTime): void {
  const sum = timings.get(step);
  timings.set(step, sum ? { wallMs: sum.wallMs + time.wallMs, cpuMs: sum.cpuMs + time.cpuMs } : time);
}

/**
 * Remembers what the file rules (scope "file") found in a file. Project rules always run: their findings depend on
 * every file. `get` must answer only when the file, what it depends on and the configuration are unchanged.
 */
export interface FileFindingsCache {
  get(sourceFile: ts.SourceFile, program: ts.Program): Finding[] | undefined;
  set(sourceFile: ts.SourceFile, program: ts.Program, findings: readonly Finding[]): void;
}

type ReportInput = Parameters<FileRuleContext["report"]>[0];

export class Engine {
  constructor(
    readonly rules: readonly Rule[],
    readonly config: ResolvedConfig,
    private readonly settingsFor: (fileName: string) => EngineSettings,
  ) {}

  /** Lints `fileNames` (absolute) from `program`. Files the configuration ignores are skipped. */
  lint(program: ts.Program, fileNames: readonly string[], options: LintOptions = {}): LintRun {
    return this.start(program, fileNames, options).finish();
  }

  /** `lint` in two steps: the analysis, then (`finish`) the report, with findings made elsewhere added in between. */
  start(program: ts.Program, fileNames: readonly string[], options: LintOptions = {}): PendingLint {
    const crashes: RuleCrash[] = [];
    const sourceFiles = fileNames
      .map((f) => program.getSourceFile(f))
      .filter((sf): sf is ts.SourceFile => sf !== undefined && !this.config.isIgnored(sf.fileName));
    const findingsByFile = new Map<string, Finding[]>(sourceFiles.map((sf) => [normalizePath(sf.fileName), []]));
    const ruleConfigs = new Map(sourceFiles.map((sf) => [normalizePath(sf.fileName), this.config.rulesFor(sf.fileName)]));
    // Each file is analysed with the `locks` of its own configuration (a monorepo package may declare its own).
    setDeclaredLocksOfProgram(program, (fileName) => this.settingsFor(normalizePath(fileName)).declaredLocks);
    let checker: ts.TypeChecker | undefined;
    const timings = options.timings;
    /** Time spent creating the checker inside the rule being timed (not that rule's own work). */
    let checkerTime: StepTime = NO_TIME;
    const getChecker = () => {
      if (checker || !timings) return (checker ??= program.getTypeChecker());
      const elapsed = stopwatch();
      checker = program.getTypeChecker();
      checkerTime = elapsed();
      addStepTime(timings, TYPE_CHECKER_TIMING, checkerTime);
      return checker;
    };
    /** Runs a rule, adding its time (less the checker's creation) to `timings`. */
    const timed = (ruleId: string, run: () => void) => {
      if (!timings) return run();
      checkerTime = NO_TIME;
      const elapsed = stopwatch();
      try {
        run();
      } finally {
        const { wallMs, cpuMs } = elapsed();
        addStepTime(timings, ruleId, { wallMs: wallMs - checkerTime.wallMs, cpuMs: cpuMs - checkerTime.cpuMs });
      }
    };

    const analysed = new Map<string, Finding[]>();
    const runFileRules = () => {
      for (const [index, sourceFile] of sourceFiles.entries()) {
        if (options.isCancelled?.()) break;
        const fileName = normalizePath(sourceFile.fileName);
        if (options.claim && !options.claim(fileName)) continue;
        const ruleSettings = ruleConfigs.get(fileName)!;
        const sink = findingsByFile.get(fileName)!;
        const cached = options.fileCache?.get(sourceFile, program);
        if (cached) {
          sink.push(...cached);
          options.onFileDone?.(index + 1, sourceFiles.length);
          continue;
        }
        const crashesBefore = crashes.length;
        const settings = this.settingsFor(fileName);
        let fixer: Fixer | undefined;
        for (const rule of this.rules) {
          const ruleConfig = ruleSettings.get(rule.meta.id);
          if (!rule.checkFile || !ruleConfig || ruleConfig.severity === "off") continue;
          const context: FileRuleContext = {
            sourceFile,
            fileName,
            program,
            get checker() {
              return getChecker();
            },
            options: ruleConfig.options,
            settings,
            get fixer() {
              return (fixer ??= createFixer(sourceFile, settings));
            },
            report: (descriptor) => sink.push(completeFinding(rule, descriptor)),
          };
          timed(rule.meta.id, () => runIsolated(rule.meta.id, fileName, crashes, () => rule.checkFile!(context)));
        }
        // A crash is reported again on the next run rather than cached away.
        if (crashes.length === crashesBefore) options.fileCache?.set(sourceFile, program, [...sink]);
        analysed.set(fileName, sink);
        options.onFileDone?.(index + 1, sourceFiles.length);
      }
    };

    const linted = new Set(ruleConfigs.keys());
    const contextFiles = (options.contextFiles ?? [])
      .filter((f) => !linted.has(normalizePath(f)))
      .map((f) => program.getSourceFile(f))
      .filter((sf): sf is ts.SourceFile => sf !== undefined && !sf.isDeclarationFile && !this.config.isIgnored(sf.fileName));
    for (const sf of contextFiles) ruleConfigs.set(normalizePath(sf.fileName), this.config.rulesFor(sf.fileName));
    const runProjectRules = () => {
      for (const rule of this.rules) {
        if (!rule.checkProject || options.fileRulesOnly || options.isCancelled?.()) continue;
        const enabled = (sf: ts.SourceFile) => isOn(ruleConfigs.get(normalizePath(sf.fileName))!.get(rule.meta.id));
        if (!sourceFiles.some(enabled)) continue;
        const enabledFiles = [...sourceFiles, ...contextFiles].filter(enabled);
        const options0 = ruleConfigs.get(normalizePath(enabledFiles[0]!.fileName))!.get(rule.meta.id)!.options;
        const context: ProjectRuleContext = {
          program,
          get checker() {
            return getChecker();
          },
          sourceFiles: enabledFiles,
          options: options0,
          settings: this.settingsFor(normalizePath(enabledFiles[0]!.fileName)),
          declaredLocksFor: (fileName) => this.settingsFor(normalizePath(fileName)).declaredLocks,
          fixerFor: (sourceFile) => createFixer(sourceFile, this.settingsFor(normalizePath(sourceFile.fileName))),
          report: (descriptor) => findingsByFile.get(normalizePath(descriptor.span.file))?.push(completeFinding(rule, descriptor)),
        };
        timed(rule.meta.id, () => runIsolated(rule.meta.id, undefined, crashes, () => rule.checkProject!(context)));
      }
    };
    if (options.claim) {
      runProjectRules();
      runFileRules();
    } else {
      runFileRules();
      runProjectRules();
    }
    return {
      fileFindings: analysed,
      crashes,
      finish: (external, externalCrashes) => {
        for (const [fileName, findings] of external ?? []) findingsByFile.get(fileName)?.push(...findings);
        crashes.push(...(externalCrashes ?? []));
        return this.report(program, sourceFiles, findingsByFile, ruleConfigs, crashes, options);
      },
    };
  }

  private report(
    program: ts.Program,
    sourceFiles: readonly ts.SourceFile[],
    findingsByFile: ReadonlyMap<string, Finding[]>,
    ruleConfigs: ReadonlyMap<string, ReadonlyMap<string, ResolvedRuleConfig>>,
    crashes: RuleCrash[],
    options: LintOptions,
  ): LintRun {
    const results = sourceFiles.map((sourceFile) => {
      const fileName = normalizePath(sourceFile.fileName);
      const settings = ruleConfigs.get(fileName)!;
      const diagnostics: Diagnostic[] = [];
      for (const finding of findingsByFile.get(fileName)!) {
        const ruleConfig = settings.get(finding.ruleId);
        if (isOn(ruleConfig)) diagnostics.push({ ...finding, severity: ruleConfig.severity as Diagnostic["severity"] });
      }
      const directives = parseDirectives(sourceFile);
      const kept = applyDirectives(dedupe(diagnostics), directives, sourceFile);
      if (options.reportUnusedDirectives) kept.push(...unusedDirectiveDiagnostics(directives, sourceFile));
      kept.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.ruleId.localeCompare(b.ruleId));
      return { fileName, sourceFile, diagnostics: kept, directives };
    });
    const skipped = sourceFiles.flatMap((sf) => {
      const reason = unanalysableReason(sf);
      return reason ? [{ fileName: normalizePath(sf.fileName), reason }] : [];
    });
    return { results, crashes, skipped, program };
  }
}

function isOn(config: ResolvedRuleConfig | undefined): config is ResolvedRuleConfig {
  return config !== undefined && config.severity !== "off";
}

function completeFinding(rule: Rule, finding: ReportInput): Finding {
  return {
    ruleId: rule.meta.id,
    messageId: finding.messageId,
    message: formatMessage(rule, finding.messageId, finding.data),
    ...(finding.data !== undefined ? { data: finding.data } : {}),
    ...(finding.help !== undefined ? { help: finding.help } : {}),
    span: { ...finding.span, file: normalizePath(finding.span.file) },
    related: finding.related ?? [],
    fixes: finding.fixes ?? [],
    suggestions: finding.suggestions ?? [],
  };
}

/** The same rule reporting the same span twice (e.g. reached through two paths) is one finding. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.ruleId}:${d.span.start}:${d.span.end}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function runIsolated(ruleId: string, fileName: string | undefined, crashes: RuleCrash[], run: () => void): void {
  try {
    run();
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    crashes.push({ ruleId, fileName, message: err.message, stack: err.stack });
  }
}
