// The language server's view of the workspace: one Project (one ProjectHost, one Program) per tsconfig, plus one
// inferred project per workspace folder for files no tsconfig covers. Every lint goes through the engine the CLI
// uses; the editor only adds its settings (severity overrides, runtime mode, slow calls) on top of locksmith.json.
// Each project keeps its engines (resolved configuration included) until the settings or locksmith.json change.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ConfigError,
  declaredLocksOf,
  declaredLocksResolver,
  loadConfig,
  resolveConfig,
  type ConfigFile,
  type ResolvedConfig,
} from "../engine/config";
import { Engine, type LintOptions, type LintRun } from "../engine/linter";
import {
  DEFAULT_COMPILER_OPTIONS,
  ProjectHost,
  packageOptionsResolver,
  SOURCE_EXTENSIONS,
  collectSourceFiles,
  findNearestTsconfig,
  readTsconfigs,
} from "../engine/project";
import { lintFileText, type SyntaxLintResult } from "../engine/syntax-lint";
import { findWorkspace, type WorkspaceLayout } from "../engine/workspace";
import { resolveRuntimeImport, RUNTIME_PACKAGE } from "../engine/runtime-import";
import { isInside, isInsideReal, normalizePath } from "../engine/paths";
import { declaresGlobals, importedFiles } from "../engine/dependencies";
import type { DeclaredLocks, EngineSettings, Rule, RuntimeImportSetting } from "../engine/types";
import { type ts } from "../engine/ts";
import type { EditorSettings } from "./settings";

/** Engines kept per project (one per distinct editor settings); more means the settings keep changing. */
const MAX_ENGINES = 8;

/** How a file changed on disk (as the file watcher reports it). */
export type DiskChange = "created" | "changed" | "deleted";

/** A project's engines for one set of editor settings, with what they were built from. */
interface ProjectEngines {
  file: Engine;
  project: Engine;
  config: ResolvedConfig;
  settingsFor: (fileName: string) => EngineSettings;
}

/** locksmith.json as loaded for one project; `error` when it is broken (analysis then runs with defaults). */
interface LoadedConfig {
  raw: ConfigFile;
  file: string | undefined;
  root: string;
  error: string | undefined;
}

export class Project {
  private hostInstance: ProjectHost | undefined;
  private loadedConfig: LoadedConfig | undefined;
  private declaredFor: ((fileName: string) => DeclaredLocks | undefined) | undefined;
  /** Engines by editor settings (see `engine`); dropped with the configuration they were built from. */
  private readonly engines = new Map<string, ProjectEngines>();
  /** Files analysed when the whole workspace is linted. */
  readonly files = new Set<string>();
  /** The tsconfig's declaration files: in the Program (they may declare globals), never linted. */
  private readonly declarationFiles: string[];

  constructor(
    /** The tsconfig, or undefined for an inferred project. */
    readonly tsconfig: string | undefined,
    /** Folder of the tsconfig, or the workspace folder of an inferred project. */
    readonly root: string,
    /** The workspace folder the project belongs to (the vendored runtime must stay inside it). */
    readonly workspaceFolder: string,
    readonly compilerOptions: ts.CompilerOptions,
    tsconfigFiles: readonly string[],
    /** Why the tsconfig could not be read (the project then uses default compiler options). */
    readonly loadError: string | undefined,
    private readonly rules: readonly Rule[],
    /** A monorepo's packages by name → folder: imports of them resolve to their sources. */
    private readonly packages: ReadonlyMap<string, string> = new Map(),
    /** How many tsconfigs the Program is made of (0 inferred, several for a monorepo): see packageOptionsResolver. */
    private readonly tsconfigCount = tsconfig === undefined ? 0 : 1,
  ) {
    for (const file of tsconfigFiles) if (!file.endsWith(".d.ts")) this.files.add(file);
    this.declarationFiles = tsconfigFiles.filter((file) => file.endsWith(".d.ts"));
  }

  get host(): ProjectHost {
    if (!this.hostInstance) {
      this.hostInstance = new ProjectHost(
        this.compilerOptions,
        [...this.declarationFiles, ...this.files],
        this.packages,
        // As the CLI: each file's imports resolve by its own package's tsconfig, so both report the same findings.
        packageOptionsResolver(this.tsconfigCount),
      );
      // Disk changes come from the file watcher and from `Workspace.changedOnDisk` sweeps, not from a stat of every
      // file on every keystroke.
      this.hostInstance.verifyDiskOnRebuild = false;
      // Each keystroke's text is parsed from the previous one's parse (nothing here looks at an older parse again).
      this.hostInstance.incrementalParsing = true;
    }
    return this.hostInstance;
  }

  addFiles(files: readonly string[]): void {
    const added = files.filter((f) => !this.files.has(f));
    for (const file of added) this.files.add(file);
    if (added.length > 0) this.hostInstance?.addRootNames(added);
  }

  /** Files this project read from disk that changed since (none before the Program is first built). */
  changedOnDisk(): Map<string, "changed" | "deleted"> {
    return this.hostInstance?.changedOnDisk() ?? new Map();
  }

  /** A file deleted on disk: no longer analysed with the project. */
  removeFile(file: string): void {
    this.files.delete(file);
  }

  /** Whether the project's Program reads `file` (one of its files, or a file they import, such as a declaration file). */
  reads(file: string): boolean {
    return this.files.has(file) || this.hostInstance?.getSourceFile(file) !== undefined;
  }

  /**
   * Files of the project whose file-rule findings may change when `changed` change: the changed files and every file
   * importing one of them, directly or through other files; every file when a changed file declares globals (a script,
   * `declare global`, `declare module "x"`), which any file may use without an import.
   */
  dependentsOf(changed: ReadonlySet<string>): Set<string> {
    const program = this.host.getProgram();
    const importers = new Map<string, string[]>();
    for (const sourceFile of program.getSourceFiles()) {
      const file = normalizePath(sourceFile.fileName);
      if (changed.has(file) && declaresGlobals(sourceFile)) return new Set(this.files);
      const dependencies = importedFiles(program, sourceFile);
      if (dependencies === undefined) return new Set(this.files); // this TypeScript does not say: re-lint all
      for (const dependency of dependencies) importers.set(dependency, [...(importers.get(dependency) ?? []), file]);
    }
    const reached = new Set(changed);
    const stack = [...changed];
    for (let file = stack.pop(); file !== undefined; file = stack.pop()) {
      for (const importer of importers.get(file) ?? []) {
        if (reached.has(importer)) continue;
        reached.add(importer);
        stack.push(importer);
      }
    }
    return new Set([...reached].filter((file) => this.files.has(file)));
  }

  /** The project's locksmith.json (loaded once; `reloadConfig()` after it changed). */
  get config(): LoadedConfig {
    if (!this.loadedConfig) {
      try {
        const config = loadConfig(this.rules, { cwd: this.root });
        this.loadedConfig = { raw: config.raw, file: config.file, root: config.root, error: undefined };
      } catch (error) {
        const message = error instanceof ConfigError ? error.message : `cannot load the configuration: ${(error as Error).message}`;
        this.loadedConfig = { raw: {}, file: undefined, root: this.root, error: `${message} (using the default configuration)` };
      }
    }
    return this.loadedConfig;
  }

  /** locksmith.json or package.json changed (package.json also decides how modules resolve). */
  /**
   * The `locks` each file is analysed with: its nearest configuration's (a monorepo package's own locksmith.json), else
   * the project's. A nested configuration that does not load is left out (the project's `locks` apply).
   */
  get declaredLocksFor(): (fileName: string) => DeclaredLocks | undefined {
    if (!this.declaredFor) {
      const { raw, file, root } = this.config;
      const own = declaredLocksOf({ raw, file, root });
      const nearest = declaredLocksResolver(resolveConfig(raw, file, root, this.rules, {}), this.rules);
      this.declaredFor = (fileName) => {
        try {
          return nearest(fileName);
        } catch {
          return own;
        }
      };
    }
    return this.declaredFor;
  }

  reloadConfig(): void {
    this.loadedConfig = undefined;
    this.declaredFor = undefined;
    this.engines.clear();
    this.hostInstance?.clearResolutions();
  }

  /** Lints `fileNames` with the file rules. `isCancelled` is checked between files. */
  lintFiles(fileNames: readonly string[], settings: EditorSettings, options: LintOptions, log: (message: string) => void): LintRun {
    return this.engine("file", settings, log).lint(this.host.getProgram(), fileNames, options);
  }

  /**
   * Lints one file with the file rules on a Program focused on it (the file, its imports, the files declaring
   * globals): the same findings as `lintFiles`, without rebuilding the whole project's Program after each keystroke.
   */
  lintFocused(fileName: string, settings: EditorSettings, options: LintOptions, log: (message: string) => void): LintRun {
    return this.engine("file", settings, log).lint(this.host.getFocusedProgram(fileName), [fileName], options);
  }

  /**
   * The findings of `fileName` that its text alone decides (`text`: its buffer), from the file rules that need neither
   * types nor other files: shown the moment a file opens, before any Program is built (syntax-lint.ts).
   */
  lintText(fileName: string, text: string, settings: EditorSettings, log: (message: string) => void): SyntaxLintResult {
    const { config, settingsFor } = this.enginesFor(settings, log);
    return lintFileText(this.rules, config, settingsFor, fileName, text, this.compilerOptions);
  }

  /** Lints every file of the project with the project rules (their findings depend on other files); undefined if none is enabled. */
  lintProject(settings: EditorSettings, options: LintOptions, log: (message: string) => void): LintRun | undefined {
    if (!this.rules.some((rule) => rule.meta.scope === "project")) return undefined;
    return this.engine("project", settings, log).lint(this.host.getProgram(), [...this.files], options);
  }

  /** The engine for `scope` with these settings: built once per settings (by value) and locksmith.json, not per lint. */
  private engine(scope: "file" | "project", settings: EditorSettings, log: (message: string) => void): Engine {
    return this.enginesFor(settings, log)[scope];
  }

  private enginesFor(settings: EditorSettings, log: (message: string) => void): ProjectEngines {
    const key = JSON.stringify(settings);
    let engines = this.engines.get(key);
    if (!engines) {
      // Settings change rarely and every resource usually has the same: a few entries at most.
      if (this.engines.size >= MAX_ENGINES) this.engines.clear();
      const { raw, file, root } = this.config;
      const config = resolveConfig(raw, file, root, this.rules, settings.rules);
      const settingsFor = this.engineSettingsResolver(config, settings, log);
      const build = (s: "file" | "project") =>
        new Engine(
          this.rules.filter((rule) => rule.meta.scope === s),
          config,
          settingsFor,
        );
      engines = { file: build("file"), project: build("project"), config, settingsFor };
      this.engines.set(key, engines);
    }
    return engines;
  }

  /**
   * What the rules read besides their options, per folder: where fixes import the runtime from (locksmith.json
   * first, then the editor's settings), and the editor's extra slow calls.
   */
  private engineSettingsResolver(
    config: ResolvedConfig,
    settings: EditorSettings,
    log: (message: string) => void,
  ): (fileName: string) => EngineSettings {
    const mode = config.raw.runtime ?? settings.runtime;
    const target = this.vendoredRuntimePath(config, settings);
    const declaredFor = this.declaredLocksFor;
    const cache = new Map<string, EngineSettings>();
    return (fileName) => {
      const dir = path.dirname(fileName);
      let resolved = cache.get(dir);
      if (!resolved) {
        resolved = { runtimeImport: this.runtimeImportFor(fileName, mode, target, log), extraSlowCalls: settings.slowCalls };
        const declaredLocks = declaredFor(fileName);
        if (declaredLocks) resolved.declaredLocks = declaredLocks;
        cache.set(dir, resolved);
      }
      return resolved;
    };
  }

  private runtimeImportFor(
    fileName: string,
    mode: EditorSettings["runtime"],
    target: string | undefined,
    log: (message: string) => void,
  ): RuntimeImportSetting {
    try {
      if (target !== undefined && !isInsideReal(this.workspaceFolder, target)) {
        throw new Error(`the vendored runtime path must stay inside the workspace folder ${this.workspaceFolder}, got ${target}`);
      }
      return resolveRuntimeImport(fileName, mode, this.root, target, this.compilerOptions);
    } catch (error) {
      log(`Locksmith: ${(error as Error).message}; fixes will import ${RUNTIME_PACKAGE}`);
      return { mode: "package", specifier: RUNTIME_PACKAGE };
    }
  }

  /** Absolute vendored path if configured (locksmith.json's is relative to it, the editor's to the workspace folder). */
  vendoredRuntimePath(config: { raw: ConfigFile; root: string }, settings: EditorSettings): string | undefined {
    if (config.raw.runtimePath !== undefined) return path.resolve(config.root, config.raw.runtimePath);
    if (settings.runtimePath !== null) return path.resolve(this.workspaceFolder, settings.runtimePath);
    return undefined;
  }

  /** The vendored runtime this project's fixes would import (used by the "Vendor runtime" command). */
  vendorTarget(settings: EditorSettings): string {
    const explicit = this.vendoredRuntimePath(this.config, settings);
    const resolved = resolveRuntimeImport(path.join(this.root, "index.ts"), "vendor", this.root, explicit, this.compilerOptions);
    if (resolved.mode !== "vendor" || !isInsideReal(this.workspaceFolder, resolved.path)) {
      throw new Error(`the vendored runtime path must stay inside the workspace folder ${this.workspaceFolder}`);
    }
    return resolved.path;
  }
}

/** All projects of the open workspace folders. */
export class Workspace {
  private readonly projects = new Map<string, Project>();
  folders: string[] = [];

  constructor(
    private readonly rules: readonly Rule[],
    private readonly log: (message: string) => void,
  ) {}

  setFolders(folders: readonly string[]): void {
    this.folders = folders.map((f) => normalizePath(path.resolve(f)));
    this.projects.clear();
  }

  /** tsconfig changed (or appeared): rebuild every project from scratch on next use. */
  reset(): void {
    this.projects.clear();
    this.layouts.clear();
  }

  /** Monorepos by the folder of a tsconfig (undefined: that tsconfig is not part of one). */
  private readonly layouts = new Map<string, WorkspaceLayout | undefined>();

  /**
   * The monorepo a tsconfig is one package of, as the CLI finds it (package.json workspaces, pnpm-workspace.yaml, a
   * solution tsconfig): its packages are one project, so that a lock-order cycle across packages shows in each.
   */
  private monorepoOf(tsconfig: string): WorkspaceLayout | undefined {
    const dir = normalizePath(path.dirname(tsconfig));
    if (!this.layouts.has(dir)) {
      let layout: WorkspaceLayout | undefined;
      try {
        layout = findWorkspace(dir);
      } catch (error) {
        this.log(`Locksmith: ${(error as Error).message} (analysing each tsconfig on its own)`);
      }
      const isPackage = layout !== undefined && layout.tsconfigs.length > 1 && layout.tsconfigs.includes(normalizePath(tsconfig));
      this.layouts.set(dir, isPackage ? layout : undefined);
    }
    return this.layouts.get(dir);
  }

  allProjects(): Project[] {
    return [...this.projects.values()];
  }

  /** The project a file belongs to: its nearest tsconfig's, else its workspace folder's inferred project. */
  projectFor(fileName: string): Project {
    const file = normalizePath(fileName);
    const folder = this.folderOf(file);
    const tsconfig = findNearestTsconfig(file);
    const useTsconfig = tsconfig !== undefined && (folder === undefined || isInside(folder, tsconfig));
    const monorepo = useTsconfig ? this.monorepoOf(tsconfig) : undefined;
    const key = monorepo ? `monorepo:${monorepo.root}` : useTsconfig ? normalizePath(tsconfig) : `inferred:${folder ?? path.dirname(file)}`;
    let project = this.projects.get(key);
    if (!project) {
      project = monorepo
        ? this.loadTsconfigProject(monorepo.tsconfigs, monorepo.root, folder, monorepo.packages)
        : useTsconfig
          ? this.loadTsconfigProject([tsconfig], normalizePath(path.dirname(tsconfig)), folder)
          : this.inferredProject(folder ?? normalizePath(path.dirname(file)));
      this.projects.set(key, project);
    }
    return project;
  }

  folderOf(fileName: string): string | undefined {
    let best: string | undefined;
    for (const folder of this.folders) if (isInside(folder, fileName) && (!best || folder.length > best.length)) best = folder;
    return best;
  }

  /**
   * Takes files changed on disk into the projects that read them (a new file joins its project, a deleted one leaves
   * it; each is invalidated in its ProjectHost) and returns, per project, the files whose file-rule findings may
   * change: those depending on a changed file before or after the change (an import may have started or stopped
   * resolving). Projects not reading any changed file are left alone.
   */
  applyDiskChanges(changes: ReadonlyMap<string, DiskChange>): Map<Project, Set<string>> {
    const changedByProject = new Map<Project, Set<string>>();
    for (const file of changes.keys()) {
      const projects = this.allProjects().filter((project) => project.reads(file));
      if (this.isWorkspaceSource(file)) projects.push(this.projectFor(file));
      for (const project of projects) changedByProject.set(project, (changedByProject.get(project) ?? new Set()).add(file));
    }
    const toLint = new Map<Project, Set<string>>();
    for (const [project, changed] of changedByProject) {
      const before = project.dependentsOf(changed);
      for (const file of changed) {
        if (changes.get(file) === "deleted") project.removeFile(file);
        else if (this.isWorkspaceSource(file) && this.projectFor(file) === project) project.addFiles([file]);
        project.host.invalidate(file, changes.get(file) === "changed");
      }
      const after = project.dependentsOf(changed);
      toLint.set(project, new Set([...before, ...after].filter((file) => project.files.has(file))));
    }
    return toLint;
  }

  /**
   * Files the projects read that changed on disk without the file watcher saying so (a client without one, a
   * `git checkout` it missed): what `applyDiskChanges` needs, from a stat of every file read.
   */
  changedOnDisk(): Map<string, DiskChange> {
    const changes = new Map<string, DiskChange>();
    for (const project of this.allProjects()) for (const [file, change] of project.changedOnDisk()) changes.set(file, change);
    return changes;
  }

  /** A file the workspace scan analyses: a TypeScript source file in a workspace folder, outside node_modules, dist and dot folders. */
  private isWorkspaceSource(file: string): boolean {
    const folder = this.folderOf(file);
    if (folder === undefined || file.endsWith(".d.ts") || !SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext))) return false;
    const folders = path
      .relative(folder, path.dirname(file))
      .split(path.sep)
      .filter((part) => part !== "");
    return !folders.some((part) => part === "node_modules" || part === "dist" || part.startsWith("."));
  }

  /** Finds every source file of the workspace folders and assigns it to its project. */
  scan(): void {
    for (const folder of this.folders) {
      if (!fs.existsSync(folder)) continue;
      const byProject = new Map<Project, string[]>();
      for (const file of collectSourceFiles([folder], folder)) {
        const project = this.projectFor(file);
        byProject.set(project, [...(byProject.get(project) ?? []), file]);
      }
      for (const [project, files] of byProject) project.addFiles(files);
    }
  }

  /** A project of one tsconfig, or of a monorepo's (one Program, as the CLI builds it). */
  private loadTsconfigProject(
    tsconfigs: readonly string[],
    root: string,
    folder: string | undefined,
    packages?: ReadonlyMap<string, string>,
  ): Project {
    const tsconfig = normalizePath(tsconfigs[0]!);
    try {
      const { options, fileNames } = readTsconfigs(tsconfigs);
      return new Project(tsconfig, root, folder ?? root, options, fileNames, undefined, this.rules, packages, tsconfigs.length);
    } catch (error) {
      const message = `${(error as Error).message} (analysing with default compiler options)`;
      this.log(`Locksmith: ${message}`);
      return new Project(tsconfig, root, folder ?? root, DEFAULT_COMPILER_OPTIONS, [], message, this.rules, packages, tsconfigs.length);
    }
  }

  private inferredProject(folder: string): Project {
    return new Project(undefined, folder, folder, DEFAULT_COMPILER_OPTIONS, [], undefined, this.rules);
  }
}
