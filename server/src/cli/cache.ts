// `locksmith lint --cache`: skips work whose inputs did not change since the last run.
//
// Two levels, both keyed by the engine (hash of Locksmith's compiled engine and rules, TypeScript's version) and
// the configuration (locksmith.json, --rule, compiler options, lint options); a different key drops the whole cache:
// 1. The last run: when every file of its Program has the same content hash and the same files are linted with the
//    same runtime settings, its report is reused as is, without building a Program at all.
// 2. Per file: the file rules' findings for a file stay valid while the file, every file it imports (transitively)
//    and every global declaration file are unchanged. Project rules (lock order across files) always run again.
// The cache file is written atomically; a missing, corrupt or foreign cache file is ignored, never an error.
import * as fs from "node:fs";
import * as path from "node:path";
import { libFolderInMemoryPath } from "@ts-morph/common";
import type { ResolvedConfig } from "../engine/config";
import { sha256, writeFileAtomic } from "../engine/fixes";
import type { FileFindingsCache, LintOptions } from "../engine/linter";
import { declaresGlobals, importedFiles } from "../engine/dependencies";
import { normalizePath } from "../engine/paths";
import type { ProjectSpec } from "../engine/project";
import type { EngineSettings, Finding, Severity } from "../engine/types";
import { ts } from "../engine/ts";
import type { Report } from "./report";
import { RULES_DIST, SERVER_DIST, VENDORED_RUNTIME_SOURCE } from "../install-paths";
import { VERSION } from "../version";

export const DEFAULT_CACHE_FILE = ".locksmithcache";
// Raised when what the cache holds changes shape (2: messages carry `messageId` and `help`).
const CACHE_FORMAT = 2;

interface FileEntry {
  /** Hash of the file's text, of what it depends on, and of its runtime settings. */
  inputs: string;
  findings: Finding[];
}

interface CacheData {
  format: typeof CACHE_FORMAT;
  key: string;
  files: Record<string, FileEntry>;
  lastRun?: {
    /** Every file of the last run's Program (except TypeScript's lib files) → hash of its text. */
    inputs: Record<string, string>;
    rootNames: string[];
    lintFiles: string[];
    settings: string;
    report: Report;
  };
}

export interface CacheKeyInputs {
  config: ResolvedConfig;
  spec: ProjectSpec;
  ruleOverrides: Record<string, Severity>;
  lintOptions: Pick<LintOptions, "reportUnusedDirectives">;
}

/** What every cached result depends on besides the files: the engine and the configuration. */
export function cacheKey({ config, spec, ruleOverrides, lintOptions }: CacheKeyInputs): string {
  return sha256(
    JSON.stringify({
      format: CACHE_FORMAT,
      engine: engineFingerprint(),
      config: { file: config.file, raw: config.raw },
      ruleOverrides,
      tsconfig: spec.tsconfig,
      compilerOptions: spec.options,
      reportUnusedDirectives: !!lintOptions.reportUnusedDirectives,
    }),
  );
}

let engineHash: string | undefined;

/**
 * Hash of the code that decides findings: the compiled engine, analyses and rules, the vendored runtime that fixes
 * may add, and TypeScript's version. Any change to Locksmith invalidates every cache.
 */
export function engineFingerprint(): string {
  if (engineHash) return engineHash;
  const parts: string[] = [VERSION, ts.version];
  const hashTree = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) hashTree(full);
      else if (entry.name.endsWith(".js")) parts.push(entry.name, sha256(fs.readFileSync(full, "utf8")));
    }
  };
  for (const dir of ["engine", "analysis", "rule-kit"]) hashTree(path.join(SERVER_DIST, dir));
  hashTree(RULES_DIST);
  if (fs.existsSync(VENDORED_RUNTIME_SOURCE)) parts.push(sha256(fs.readFileSync(VENDORED_RUNTIME_SOURCE, "utf8")));
  return (engineHash = sha256(parts.join("\n")));
}

/** The same text TypeScript reads (it drops a byte order mark). */
export function textHash(text: string): string {
  return sha256(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

export class LintCache {
  private constructor(
    readonly location: string,
    private readonly data: CacheData,
    private readonly settingsFor: (fileName: string) => EngineSettings,
  ) {}

  /** Opens the cache at `location` for runs with `key`; starts empty when the file is missing, corrupt or for another key. */
  static open(location: string, key: string, settingsFor: (fileName: string) => EngineSettings): LintCache {
    let data: CacheData = { format: CACHE_FORMAT, key, files: {} };
    try {
      const parsed = JSON.parse(fs.readFileSync(location, "utf8")) as CacheData;
      if (parsed && parsed.format === CACHE_FORMAT && parsed.key === key && typeof parsed.files === "object" && parsed.files !== null)
        data = parsed;
    } catch {
      // No cache yet, or not one we can read: start afresh.
    }
    return new LintCache(location, data, settingsFor);
  }

  /** The last run's results, if it linted the same files of the same project and nothing it read has changed. */
  lastRun(spec: ProjectSpec): Report | undefined {
    const last = this.data.lastRun;
    if (!last || !sameList(last.rootNames, spec.rootNames) || !sameList(last.lintFiles, spec.lintFiles)) return undefined;
    if (last.settings !== this.runtimeSettingsOf(spec.lintFiles)) return undefined;
    for (const [file, hash] of Object.entries(last.inputs)) {
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
      if (textHash(text) !== hash) return undefined;
    }
    return last.report;
  }

  /** Remembers a complete run (not one where a rule crashed: the crash must show again). */
  recordRun(program: ts.Program, spec: ProjectSpec, report: Report, crashed: boolean): void {
    if (crashed) {
      delete this.data.lastRun;
      return;
    }
    const facts = factsOf(program);
    const inputs: Record<string, string> = {};
    for (const sf of program.getSourceFiles()) if (!isLibFile(sf.fileName)) inputs[normalizePath(sf.fileName)] = facts.hash(sf);
    this.data.lastRun = {
      inputs,
      rootNames: spec.rootNames,
      lintFiles: spec.lintFiles,
      settings: this.runtimeSettingsOf(spec.lintFiles),
      report,
    };
  }

  /** The per-file level, for `Engine.lint`. */
  readonly fileFindings: FileFindingsCache = {
    get: (sourceFile, program) => {
      const entry = this.data.files[normalizePath(sourceFile.fileName)];
      return entry && entry.inputs === this.fileInputs(sourceFile, program) ? entry.findings : undefined;
    },
    set: (sourceFile, program, findings) => {
      this.data.files[normalizePath(sourceFile.fileName)] = { inputs: this.fileInputs(sourceFile, program), findings: [...findings] };
    },
  };

  /** Writes the cache atomically. Returns the error message when it cannot be written. */
  save(): string | undefined {
    try {
      fs.mkdirSync(path.dirname(this.location), { recursive: true });
      writeFileAtomic(this.location, JSON.stringify(this.data));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  private fileInputs(sourceFile: ts.SourceFile, program: ts.Program): string {
    const facts = factsOf(program);
    return sha256([facts.hash(sourceFile), facts.dependencyHash(sourceFile), this.runtimeSettingOf(sourceFile.fileName)].join("\n"));
  }

  /** Where fixes import the runtime from (and whether the vendored copy exists yet): part of every fix. */
  private runtimeSettingOf(fileName: string): string {
    const settings = this.settingsFor(normalizePath(fileName));
    return JSON.stringify([settings, settings.runtimeImport.mode === "vendor" && fs.existsSync(settings.runtimeImport.path)]);
  }

  private runtimeSettingsOf(lintFiles: readonly string[]): string {
    return sha256(lintFiles.map((f) => this.runtimeSettingOf(f)).join("\n"));
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isLibFile(fileName: string): boolean {
  return fileName.startsWith(libFolderInMemoryPath);
}

/** Content hashes and dependency closures of one Program's files, computed once per Program. */
class ProgramFacts {
  private readonly hashes = new Map<ts.SourceFile, string>();
  private readonly directDeps = new Map<ts.SourceFile, ts.SourceFile[]>();
  private globalsHash: string | undefined;

  constructor(private readonly program: ts.Program) {}

  hash(sourceFile: ts.SourceFile): string {
    let hash = this.hashes.get(sourceFile);
    if (!hash) this.hashes.set(sourceFile, (hash = textHash(sourceFile.text)));
    return hash;
  }

  /** Hash over every file whose types can reach `sourceFile`: its import closure plus every global declaration file. */
  dependencyHash(sourceFile: ts.SourceFile): string {
    const seen = new Set<ts.SourceFile>([sourceFile]);
    const stack = [sourceFile];
    while (stack.length > 0) {
      for (const dep of this.dependenciesOf(stack.pop()!)) {
        if (!seen.has(dep)) {
          seen.add(dep);
          stack.push(dep);
        }
      }
    }
    seen.delete(sourceFile);
    const closure = [...seen].map((sf) => `${normalizePath(sf.fileName)}:${this.hash(sf)}`).sort();
    return sha256(`${closure.join("\n")}\n${this.globals()}`);
  }

  private dependenciesOf(sourceFile: ts.SourceFile): ts.SourceFile[] {
    let deps = this.directDeps.get(sourceFile);
    if (deps) return deps;
    const names = importedFiles(this.program, sourceFile);
    deps = names
      ? [...new Set(names)].map((name) => this.program.getSourceFile(name)).filter((sf): sf is ts.SourceFile => sf !== undefined)
      : this.program.getSourceFiles().filter((sf) => !isLibFile(sf.fileName)); // unknown: every file counts
    this.directDeps.set(sourceFile, deps);
    return deps;
  }

  /** Files that declare global types or augment modules: any file's types may depend on them without an import. */
  private globals(): string {
    if (this.globalsHash) return this.globalsHash;
    const globals = this.program
      .getSourceFiles()
      .filter((sf) => !isLibFile(sf.fileName) && declaresGlobals(sf))
      .map((sf) => `${normalizePath(sf.fileName)}:${this.hash(sf)}`)
      .sort();
    return (this.globalsHash = sha256(globals.join("\n")));
  }
}

const FACTS = new WeakMap<ts.Program, ProgramFacts>();

function factsOf(program: ts.Program): ProgramFacts {
  let facts = FACTS.get(program);
  if (!facts) FACTS.set(program, (facts = new ProgramFacts(program)));
  return facts;
}
