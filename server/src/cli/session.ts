// A lint session for the CLI (and tests): configuration + project + engine, built once from command-line inputs and
// the rules it is handed (the engine knows no registry). Also runs `--fix` (safe fixes until stable, in memory).
// The language server wires the same parts itself (lsp/).
import * as path from "node:path";
import {
  CONFIG_FILE_NAME,
  ConfigError,
  declaredLocksOf,
  declaredLocksResolver,
  loadConfig,
  type DeclaredLocksFor,
  type ResolvedConfig,
} from "../engine/config";
import { fixUntilStable } from "../engine/fixes";
import { Engine, type LintOptions, type LintRun } from "../engine/linter";
import { ProjectHost, packageOptionsResolver, resolveProjectSpec, type ProjectSpec } from "../engine/project";
import { resolveRuntimeImport } from "../engine/runtime-import";
import type { Diagnostic, EngineSettings, NewFile, Rule, RuntimeImportSetting, Severity } from "../engine/types";
import { isInsideReal } from "../engine/paths";
import { UsageError } from "./io";

export interface SessionOptions {
  cwd: string;
  paths: readonly string[];
  /** `-p` values (tsconfigs or globs of them), analysed as one Program. */
  tsconfigs?: readonly string[];
  /** One tsconfig: the same as `tsconfigs: [tsconfig]`. */
  tsconfig?: string;
  configFile?: string;
  /** `--stdin`: lint this text as the file `fileName` (which need not exist), instead of `paths`. */
  stdin?: { fileName: string; text: string };
  ruleOverrides?: Record<string, Severity>;
  /** The rules to run: the CLI passes the registry, tests their own. */
  rules: readonly Rule[];
}

export class LintSession {
  readonly config: ResolvedConfig;
  readonly spec: ProjectSpec;
  readonly host: ProjectHost;
  readonly engine: Engine;
  /** The `locks` each file is analysed with: its nearest configuration's (a monorepo package's own), or `config`'s. */
  readonly declaredLocksFor: DeclaredLocksFor;

  constructor(options: SessionOptions) {
    const { rules } = options;
    this.config = loadConfig(rules, {
      cwd: options.cwd,
      ...(options.configFile ? { configFile: options.configFile } : {}),
      ruleOverrides: options.ruleOverrides ?? {},
    });
    const { stdin } = options;
    this.spec = resolveProjectSpec({
      cwd: options.cwd,
      paths: stdin ? [stdin.fileName] : options.paths,
      tsconfigs: [...(options.tsconfig !== undefined ? [options.tsconfig] : []), ...(options.tsconfigs ?? [])],
      ...(stdin ? { virtualFile: stdin.fileName } : {}),
    });
    this.host = new ProjectHost(
      this.spec.options,
      this.spec.rootNames,
      this.spec.packages,
      packageOptionsResolver(this.spec.tsconfigs.length),
    );
    if (stdin) this.host.setFileText(stdin.fileName, stdin.text);
    this.declaredLocksFor = declaredLocksResolver(this.config, rules, options.configFile !== undefined);
    this.engine = new Engine(rules, this.config, settingsResolver(this.config, this.spec, this.declaredLocksFor));
  }

  lint(options: LintOptions = {}): LintRun {
    // Whole-program rules read every file of the Program, even when only some are linted.
    return this.engine.lint(this.host.getProgram(), this.spec.lintFiles, { contextFiles: this.spec.rootNames, ...options });
  }

  /**
   * Applies safe fixes in memory until none is left (at most 10 passes, as ESLint does) and returns the final run
   * plus the fixed texts. Nothing is written here: the caller decides (and writes atomically).
   */
  fix(
    options: LintOptions = {},
    applies: (diagnostic: Diagnostic) => boolean = () => true,
  ): { run: LintRun; fixed: Map<string, string>; newFiles: NewFile[] } {
    return fixUntilStable(
      () => {
        const run = this.lint(options);
        const files = run.results.map((r) => ({
          fileName: r.fileName,
          text: r.sourceFile.text,
          diagnostics: r.diagnostics.filter(applies),
        }));
        return { run, files };
      },
      (fileName, text) => this.host.setFileText(fileName, text),
    );
  }
}

/** Settings every rule reads, per file (where fixes import the runtime from). */
export function settingsResolver(
  config: ResolvedConfig,
  spec: ProjectSpec,
  declaredLocksFor: DeclaredLocksFor = () => declaredLocksOf(config),
): (fileName: string) => EngineSettings {
  const projectRoot = spec.root ?? config.root;
  // runtimePath is relative to the configuration file (as the editor and `locksmith runtime vendor` read it), and
  // the vendored file must stay inside the project: checked now, as a configuration error, not mid-run.
  const runtimePath = config.raw.runtimePath !== undefined ? path.resolve(config.root, config.raw.runtimePath) : undefined;
  if (runtimePath !== undefined && !isInsideReal(projectRoot, runtimePath)) {
    throw new ConfigError(
      config.file ?? CONFIG_FILE_NAME,
      "runtimePath",
      `must stay inside the project (${projectRoot}), got ${JSON.stringify(config.raw.runtimePath)}`,
    );
  }
  const cache = new Map<string, EngineSettings>();
  return (fileName) => {
    const dir = path.dirname(fileName);
    let settings = cache.get(dir);
    if (!settings) {
      const declaredLocks = declaredLocksFor(fileName);
      let runtimeImport: RuntimeImportSetting | undefined;
      settings = {
        // Resolved when a fix first needs it: resolving the runtime package from every folder (most of which have no
        // fix) was 3 % of the CPU time of linting a 2,000-file application.
        get runtimeImport() {
          return (runtimeImport ??= resolveRuntimeImport(fileName, config.raw.runtime ?? "auto", projectRoot, runtimePath, spec.options));
        },
        ...(declaredLocks ? { declaredLocks } : {}),
      };
      cache.set(dir, settings);
    }
    return settings;
  };
}

/**
 * The project a report command (`graph`, `locks`) reads: a session over `paths` (or `-p tsconfig`), its Program, and
 * the files it would lint (ignored ones left out). No files is a usage error.
 */
export function reportProject(rules: readonly Rule[], args: { paths: string[]; projects: string[] }, cwd: string) {
  const session = new LintSession({ rules, cwd, paths: args.paths, tsconfigs: args.projects });
  if (session.spec.lintFiles.length === 0) throw new UsageError(`no TypeScript files found in ${args.paths.join(", ") || "."}`);
  const program = session.host.getProgram();
  const sourceFiles = session.spec.lintFiles.flatMap((f) => {
    const sourceFile = program.getSourceFile(f);
    return sourceFile && !session.config.isIgnored(sourceFile.fileName) ? [sourceFile] : [];
  });
  return { session, program, sourceFiles };
}
