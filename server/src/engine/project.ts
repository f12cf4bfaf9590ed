// Loading a TypeScript project: from a tsconfig (`-p`), or from files and folders (nearest tsconfig's compiler
// options, else defaults). One Program per project, rebuilt incrementally (oldProgram + cached SourceFiles keyed by
// content) when the editor or `--fix` changes a file. Missing node_modules never stop analysis: unresolved imports
// become `any`/error types and the rules fall back to syntax.
import * as fs from "node:fs";
import * as path from "node:path";
import { getLibFiles, libFolderInMemoryPath } from "@ts-morph/common";
import { ts } from "./ts";
import { declaresGlobals } from "./dependencies";
import { isInside, normalizePath } from "./paths";
import { LOCKSMITH_JSDOC_TAG } from "./types";
import { expandGlob, findWorkspace, workspaceSourceOf } from "./workspace";

// TypeScript's lib files (lib.es2022.d.ts, ...) come from ts-morph's bundle, served from a virtual folder, so the
// engine does not depend on a separately installed `typescript` package. Parsed once per process.
const LIB_FILES = new Map(getLibFiles().map((f) => [`${libFolderInMemoryPath}/${f.fileName}`, f.text]));
const LIB_SOURCE_FILES = new Map<string, ts.SourceFile>();
const globalFilesCache = new WeakMap<ts.Program, string[]>();

export const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"];

export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  allowJs: false,
  esModuleInterop: true,
  // TypeScript 6 includes no @types packages unless told; "*" restores the classic behaviour (all of them), so that a
  // folder linted without a tsconfig still sees Node's and the drivers' types.
  types: ["*"],
};

/** A user mistake while loading the project (bad tsconfig, missing path): one clear line, exit code 2. */
export class ProjectLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProjectLoadError";
  }
}

export interface ProjectSpec {
  /** The tsconfig whose options are used, if any. */
  tsconfig: string | undefined;
  /** Every tsconfig the Program is made of (several for `-p a -p b` or a monorepo); `tsconfig` is the first. */
  tsconfigs: string[];
  /** The folder the project lives in: the monorepo's root, the tsconfig's folder, else undefined. */
  root: string | undefined;
  options: ts.CompilerOptions;
  /** Files the Program is built from. */
  rootNames: string[];
  /** Files that are linted (a subset of the Program's files). */
  lintFiles: string[];
  /** Workspace packages by name → folder: imports of them resolve to their sources (see ProjectHost). */
  packages: Map<string, string>;
  /** A linted file whose text is not on disk (`--stdin`), if any. */
  virtualFile?: string;
  /** What was read with less than the project says (a tsconfig base in a package not installed), for stderr. */
  warnings?: string[];
}

/** Reads a tsconfig into compiler options and file names, turning its diagnostics into a ProjectLoadError. */
export function readTsconfig(tsconfigPath: string): { options: ts.CompilerOptions; fileNames: string[]; warnings: string[] } {
  const file = path.resolve(tsconfigPath);
  if (!fs.existsSync(file)) throw new ProjectLoadError(`tsconfig not found: ${tsconfigPath}`);
  let read = parseTsconfig(file, ts.sys);
  // `extends` of a workspace package (`@acme/tsconfig/base.json`) before `npm install` linked it: read it from the
  // package's folder, as node_modules would after the install.
  if (read.missingFile) {
    const packages = nearestWorkspacePackages(path.dirname(file));
    if (packages) read = parseTsconfig(file, workspaceLinkedSystem(packages));
  }
  // A base in a package that is not installed at all (`expo/tsconfig.base` before the install): as tsc does, go on
  // with the tsconfig's own options, and say so.
  const warnings: string[] = [];
  const errors = read.errors.filter((message) => {
    const base = /^File '([^'.][^']*)' not found\.$/.exec(message)?.[1];
    if (!base || path.isAbsolute(base) || isInstalled(packageNameOf(base), path.dirname(file))) return true;
    warnings.push(`${tsconfigPath} extends '${base}', whose package is not installed: read without it`);
    return false;
  });
  if (!read.parsed || errors.length > 0) throw new ProjectLoadError(`${tsconfigPath}: ${errors[0] ?? "cannot be parsed"}`);
  return { options: { ...read.parsed.options, noEmit: true }, fileNames: read.parsed.fileNames.map(normalizePath), warnings };
}

/** `@scope/name/x.json` → `@scope/name`; `name/x` → `name`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

/** A `node_modules/<name>` folder at or above `dir`. */
function isInstalled(name: string, dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, "node_modules", name))) return true;
    if (path.dirname(current) === current) return false;
  }
}

function parseTsconfig(
  file: string,
  system: ts.System,
): { parsed: ts.ParsedCommandLine | undefined; errors: string[]; missingFile: boolean } {
  const problems: ts.Diagnostic[] = [];
  const host: ts.ParseConfigFileHost = { ...system, onUnRecoverableConfigFileDiagnostic: (d) => problems.push(d) };
  const parsed = ts.getParsedCommandLineOfConfigFile(file, { noEmit: true }, host);
  // "No inputs were found" (18003) is not fatal: the user may lint a folder the tsconfig does not include.
  const diagnostics = [...problems, ...(parsed?.errors ?? []).filter((d) => d.code !== 18003)];
  return {
    parsed,
    errors: diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    missingFile: diagnostics.some((d) => d.code === 6053), // "File '…' not found."
  };
}

/** The packages of the nearest workspace above `start` that declares any (a package's own solution tsconfig declares none). */
function nearestWorkspacePackages(start: string): ReadonlyMap<string, string> | undefined {
  for (let layout = findWorkspace(start); layout; layout = findWorkspace(path.dirname(layout.root))) {
    if (layout.packages.size > 0) return layout.packages;
    if (path.dirname(layout.root) === layout.root) return undefined;
  }
  return undefined;
}

/** `ts.sys` where `…/node_modules/<workspace package>/…` is that package's folder. */
function workspaceLinkedSystem(packages: ReadonlyMap<string, string>): ts.System {
  const redirect = (p: string): string => {
    const normal = normalizePath(p);
    for (const [name, folder] of packages) {
      const marker = `/node_modules/${name}/`;
      const at = normal.lastIndexOf(marker);
      if (at >= 0) return path.join(folder, normal.slice(at + marker.length));
      if (normal.endsWith(`/node_modules/${name}`)) return folder;
    }
    return p;
  };
  return {
    ...ts.sys,
    fileExists: (p) => ts.sys.fileExists(redirect(p)),
    readFile: (p, encoding) => ts.sys.readFile(redirect(p), encoding),
    // Resolution only looks into a node_modules folder (or scope folder) that exists: before the install, none does.
    directoryExists: (p) => {
      const normal = normalizePath(p);
      if (/\/node_modules$/.test(normal)) return true;
      const scope = /\/node_modules\/(@[^/]+)$/.exec(normal)?.[1];
      if (scope && [...packages.keys()].some((name) => name.startsWith(`${scope}/`))) return true;
      return ts.sys.directoryExists!(redirect(p));
    },
    realpath: (p) => redirect(p),
  };
}

export function findNearestTsconfig(start: string): string | undefined {
  let dir = fs.existsSync(start) && fs.statSync(start).isDirectory() ? path.resolve(start) : path.dirname(path.resolve(start));
  for (;;) {
    const candidate = path.join(dir, "tsconfig.json");
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Expands files and folders given on the command line into TypeScript source files (skipping node_modules, dist, .d.ts). */
export function collectSourceFiles(paths: readonly string[], cwd: string): string[] {
  const out = new Set<string>();
  const visit = (p: string, explicit: boolean) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      if (explicit) throw new ProjectLoadError(`No such file or directory: ${path.relative(cwd, p) || p}`);
      return;
    }
    if (stat.isDirectory()) {
      const base = path.basename(p);
      if (!explicit && (base === "node_modules" || base === "dist" || base.startsWith("."))) return;
      for (const entry of fs.readdirSync(p).sort()) visit(path.join(p, entry), false);
    } else if (stat.isFile() && SOURCE_EXTENSIONS.some((ext) => p.endsWith(ext)) && !p.endsWith(".d.ts")) {
      out.add(normalizePath(path.resolve(p)));
    } else if (explicit && stat.isFile()) {
      throw new ProjectLoadError(`Not a TypeScript file: ${path.relative(cwd, p) || p}`);
    }
  };
  for (const p of paths) visit(path.resolve(cwd, p), true);
  return [...out];
}

/**
 * Decides what to build and what to lint from CLI-style inputs. `tsconfigs` (`-p`, repeatable, globs allowed) make
 * one Program together; without them, paths inside a monorepo whose packages' tsconfigs include them are analysed
 * with the whole monorepo's Program, else with the nearest tsconfig's Program (or alone, with default options).
 */
export function resolveProjectSpec(input: {
  cwd: string;
  paths: readonly string[];
  tsconfigs?: readonly string[];
  /** One of `paths` whose text is not on disk (`--stdin`): linted, never looked for. */
  virtualFile?: string;
}): ProjectSpec {
  const { cwd } = input;
  const virtualFile = input.virtualFile === undefined ? undefined : normalizePath(path.resolve(cwd, input.virtualFile));
  const collect = (paths: readonly string[]) => (virtualFile === undefined ? collectSourceFiles(paths, cwd) : [virtualFile]);
  const virtual = virtualFile === undefined ? {} : { virtualFile };
  const explicit = (input.tsconfigs ?? []).flatMap((pattern) => {
    // As `tsc -p`: a folder stands for the tsconfig.json in it.
    const folder = path.resolve(cwd, pattern);
    const isFolder = fs.existsSync(folder) && fs.statSync(folder).isDirectory();
    const found = expandGlob(cwd, isFolder ? path.join(folder, "tsconfig.json") : pattern, "file");
    if (found.length === 0) throw new ProjectLoadError(`tsconfig not found: ${pattern}`);
    return found;
  });
  const workspace = explicit.length > 0 ? undefined : workspaceOf(input.paths.length > 0 ? input.paths : ["."], cwd);
  const tsconfigs = explicit.length > 0 ? [...new Set(explicit)] : (workspace?.tsconfigs ?? []);
  if (tsconfigs.length > 0) {
    const { options, fileNames, warnings } = readTsconfigs(tsconfigs);
    // `-p` alone lints its files; in a monorepo found from the paths (or "."), the paths are what is linted.
    const lintFiles =
      input.paths.length > 0 || workspace
        ? collect(input.paths.length > 0 ? input.paths : ["."])
        : fileNames.filter((f) => !f.endsWith(".d.ts"));
    const root = workspace?.root ?? commonFolder(tsconfigs.map((t) => path.dirname(t)));
    // `-p` tsconfigs of a monorepo's packages import each other by package name too.
    const packages = (workspace ?? findWorkspace(root))?.packages ?? new Map<string, string>();
    return {
      tsconfig: tsconfigs[0],
      tsconfigs,
      root,
      options,
      rootNames: [...new Set([...fileNames, ...lintFiles])],
      lintFiles,
      packages,
      ...virtual,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }
  const paths = input.paths.length > 0 ? input.paths : ["."];
  const lintFiles = collect(paths);
  const tsconfig = findNearestTsconfig(path.resolve(cwd, paths[0]!));
  const read = tsconfig ? readTsconfig(tsconfig) : undefined;
  return {
    tsconfig,
    tsconfigs: tsconfig ? [tsconfig] : [],
    root: tsconfig ? path.dirname(tsconfig) : undefined,
    options: read?.options ?? DEFAULT_COMPILER_OPTIONS,
    // The tsconfig's files are in the Program too: whole-program rules see a cycle closed in a file not linted.
    rootNames: [...new Set([...(read?.fileNames ?? []), ...lintFiles])],
    lintFiles,
    packages: new Map(),
    ...virtual,
    ...(read && read.warnings.length > 0 ? { warnings: read.warnings } : {}),
  };
}

/**
 * The monorepo whose Program the paths are analysed with: one above them all, with at least two tsconfigs, when the
 * nearest tsconfig of the first path is one of them or the root's own (a solution file), or when one lies inside
 * that path (linting the root, or a folder of packages).
 */
function workspaceOf(paths: readonly string[], cwd: string) {
  let first = path.resolve(cwd, paths[0]!);
  if (!fs.existsSync(first)) first = path.dirname(first); // standard input's file need not exist
  const workspace = findWorkspace(first);
  if (!workspace || workspace.tsconfigs.length < 2 || !paths.every((p) => isInside(workspace.root, path.resolve(cwd, p)))) return undefined;
  const nearest = findNearestTsconfig(first);
  const nearestIs = (t: string) => nearest !== undefined && normalizePath(nearest) === t;
  const covers =
    nearestIs(normalizePath(path.join(workspace.root, "tsconfig.json"))) ||
    workspace.tsconfigs.some((t) => nearestIs(t) || isInside(first, t));
  return covers ? workspace : undefined;
}

/**
 * Several tsconfigs as one Program: the union of their files, with the first one's compiler options (one Program
 * has one set; packages of a monorepo rarely differ in what matters to the analysis).
 */
export function readTsconfigs(tsconfigs: readonly string[]): { options: ts.CompilerOptions; fileNames: string[]; warnings: string[] } {
  const read = tsconfigs.map((t) => readTsconfig(t));
  return {
    options: read[0]!.options,
    fileNames: [...new Set(read.flatMap((r) => r.fileNames))],
    warnings: read.flatMap((r) => r.warnings),
  };
}

function commonFolder(folders: readonly string[]): string {
  return folders.reduce((common, folder) => {
    while (!isInside(common, folder)) common = path.dirname(common);
    return common;
  });
}

/**
 * Owns one Program and rebuilds it cheaply after edits: SourceFiles are cached by (file, text) so an unchanged file
 * is never parsed twice, and the previous Program is passed as oldProgram so TypeScript reuses its structure.
 */
export class ProjectHost {
  private program: ts.Program | undefined;
  private readonly overlay = new Map<string, string>();
  /** `stamp` is the file's size and times when its text came from disk (see diskStamp). */
  private readonly sourceFileCache = new Map<string, { text: string; sourceFile: ts.SourceFile; stamp?: string }>();
  private readonly host: ts.CompilerHost;
  private rootNames: string[];
  /**
   * Module resolutions and package.json lookups, kept across rebuilds (TypeScript would start a new cache for each
   * Program, and look up every file's package.json scope again: a third of a rebuild after an edit on a 4,000-file
   * project). Dropped whenever a file may have appeared or disappeared.
   */
  private resolutionCache: ts.ModuleResolutionCache;

  constructor(
    readonly options: ts.CompilerOptions,
    rootNames: readonly string[],
    /** Workspace packages by name → folder: an import of one resolves to its sources (see workspaceSourceOf). */
    packages: ReadonlyMap<string, string> = new Map(),
  ) {
    this.rootNames = [...rootNames];
    const base = ts.createCompilerHost(options, true);
    const newResolutionCache = () =>
      ts.createModuleResolutionCache(base.getCurrentDirectory(), (f) => base.getCanonicalFileName(f), options);
    this.resolutionCache = newResolutionCache();
    // What exists on disk, asked by module resolution again for every importing folder (on a 2,000-file application
    // without node_modules: 27,559 directory and 10,350 file checks of 619 folders and 3,268 files, a syscall each).
    // Kept as long as the resolutions, for the same reason they can go stale.
    let existing = new Map<string, boolean>();
    const exists = (key: string, check: () => boolean) => {
      let found = existing.get(key);
      if (found === undefined) existing.set(key, (found = check()));
      return found;
    };
    this.clearResolutions = () => {
      this.resolutionCache = newResolutionCache();
      existing = new Map();
      this.generation++;
    };
    this.host = {
      ...base,
      getModuleResolutionCache: () => this.resolutionCache,
      // What TypeScript does without this hook, with the cache above instead of a new one per Program.
      resolveModuleNameLiterals: (literals, containingFile, redirectedReference, compilerOptions, containingSourceFile) =>
        literals.map((literal) => {
          const resolved = ts.resolveModuleName(
            literal.text,
            containingFile,
            compilerOptions,
            this.host,
            this.resolutionCache,
            redirectedReference,
            ts.getModeForUsageLocation(containingSourceFile, literal, redirectedReference?.commandLine.options ?? compilerOptions),
          );
          // A workspace package resolves to its sources, not to a build output (a .d.ts has no bodies to follow).
          const resolvedFile = resolved.resolvedModule?.resolvedFileName;
          if (packages.size === 0 || (resolvedFile !== undefined && !/\.d\.[cm]?ts$|\.[cm]?js$/.test(resolvedFile))) return resolved;
          const source = workspaceSourceOf(literal.text, packages);
          return source
            ? {
                resolvedModule: {
                  resolvedFileName: source,
                  extension: source.endsWith(".tsx") ? ts.Extension.Tsx : ts.Extension.Ts,
                  isExternalLibraryImport: false,
                },
              }
            : resolved;
        }),
      getDefaultLibLocation: () => libFolderInMemoryPath,
      getDefaultLibFileName: (opts) => `${libFolderInMemoryPath}/${ts.getDefaultLibFileName(opts)}`,
      fileExists: (f) => this.overlay.has(normalizePath(f)) || LIB_FILES.has(f) || exists(`f:${f}`, () => base.fileExists(f)),
      // In-memory files (tests, unsaved buffers) may live in folders that do not exist on disk.
      directoryExists: (d) => {
        const prefix = `${normalizePath(d).replace(/\/$/, "")}/`;
        for (const key of this.overlay.keys()) if (key.startsWith(prefix)) return true;
        return exists(`d:${d}`, () => base.directoryExists?.(d) ?? true);
      },
      readFile: (f) => this.overlay.get(normalizePath(f)) ?? LIB_FILES.get(f) ?? safeRead(base, f),
      getSourceFile: (fileName, languageVersion, onError) => {
        const libText = LIB_FILES.get(fileName);
        if (libText !== undefined) {
          const libKey = `${fileName}@${JSON.stringify(languageVersion)}`;
          let lib = LIB_SOURCE_FILES.get(libKey);
          if (!lib)
            LIB_SOURCE_FILES.set(libKey, (lib = ts.createSourceFile(fileName, libText, parseOptions(libText, languageVersion), false)));
          return lib;
        }
        const key = normalizePath(fileName);
        const cached = this.sourceFileCache.get(key);
        const overlayText = this.overlay.get(key);
        // A host that is told about disk changes (the language server's file watcher, and its sweeps of
        // `changedOnDisk`) trusts what it read: stat'ing 4,000 files was a fifth of the work after each keystroke.
        if (cached?.stamp !== undefined && overlayText === undefined && !this.verifyDiskOnRebuild) return cached.sourceFile;
        // Otherwise every rebuild asks for every file: one whose size and times did not change since it was read is
        // not read again (re-reading 4,000 files was half of a rebuild after an edit in the language server's profile).
        const stamp = overlayText === undefined ? diskStamp(fileName) : undefined;
        if (cached && stamp !== undefined && cached.stamp === stamp) return cached.sourceFile;
        const text = overlayText ?? safeRead(base, fileName);
        if (text === undefined) {
          onError?.(`Cannot read ${fileName}`);
          return undefined;
        }
        if (cached && cached.text === text) {
          cached.stamp = stamp;
          return cached.sourceFile;
        }
        const sourceFile =
          cached && overlayText !== undefined && this.incrementalParsing
            ? reparseGuarded(cached.sourceFile, text, languageVersion)
            : parseGuarded(fileName, text, languageVersion);
        this.sourceFileCache.set(key, { text, sourceFile, ...(stamp !== undefined ? { stamp } : {}) });
        return sourceFile;
      },
    };
  }

  /**
   * Whether a rebuild checks every file read from disk for changes (size and times). The CLI's runs are short and
   * keep it on; the language server turns it off and reports changes itself (`invalidate`, after `changedOnDisk`).
   */
  verifyDiskOnRebuild = true;

  /**
   * Whether a new text of an in-memory file (an editor buffer) is parsed incrementally from its previous parse, which
   * TypeScript then reuses and changes: only for a host whose callers never look at an older parse again (the
   * language server; see NodeFacts for the caches that must not outlive a parse).
   */
  incrementalParsing = false;

  /** Files read from disk whose size or times changed since (or that are gone): what a rebuild would read again. */
  changedOnDisk(): Map<string, "changed" | "deleted"> {
    const changed = new Map<string, "changed" | "deleted">();
    for (const [file, entry] of this.sourceFileCache) {
      if (entry.stamp === undefined || this.overlay.has(file)) continue;
      const stamp = diskStamp(file);
      if (stamp !== entry.stamp) changed.set(file, stamp === undefined ? "deleted" : "changed");
    }
    return changed;
  }

  /** Forgets module resolutions (a file, package.json or node_modules may have appeared or disappeared). */
  readonly clearResolutions: () => void;

  /** Replaces a file's text in memory (an open editor buffer, or a fix not yet written). */
  setFileText(fileName: string, text: string): void {
    const key = normalizePath(fileName);
    const current = this.overlay.get(key);
    if (current === text) return;
    if (current === undefined) this.clearResolutions();
    this.overlay.set(key, text);
    if (!this.rootNames.includes(key)) this.rootNames.push(key);
    this.markStale();
  }

  /** Adds files on disk to the Program (the language server found them in the workspace). */
  addRootNames(fileNames: readonly string[]): void {
    for (const fileName of fileNames) {
      const key = normalizePath(fileName);
      if (this.rootNames.includes(key)) continue;
      this.rootNames.push(key);
      this.clearResolutions();
      this.markStale();
    }
  }

  /** Forgets an in-memory text (editor closed the file); the file on disk is read again. */
  clearFileText(fileName: string): void {
    if (!this.overlay.delete(normalizePath(fileName))) return;
    this.clearResolutions();
    this.markStale();
  }

  /**
   * The disk may have changed under us (file watcher): drop the cached parse. Module resolutions are dropped too
   * unless the file only changed (`existed`): one that appeared or disappeared changes what imports resolve to.
   */
  invalidate(fileName: string, existed = false): void {
    this.sourceFileCache.delete(normalizePath(fileName));
    if (!existed) this.clearResolutions();
    this.markStale();
  }

  /** Bumped by every change that makes a built Program stale (texts, root names, resolutions). */
  private generation = 0;

  private markStale(): void {
    this.program = undefined;
    this.generation++;
  }

  /** The last focused Program (see getFocusedProgram): reused while nothing changed, else the next one's oldProgram. */
  private focused: { file: string; generation: number; program: ts.Program } | undefined;

  /**
   * A Program of one file and of what can change the types in it: the files it imports (TypeScript follows them from
   * the root), the files of the project that declare globals, and the types and libs of the compiler options. The
   * file rules find in `fileName` what they find with the whole project's Program, at a fraction of the cost after
   * an edit: TypeScript re-checks the structure of every file of a Program and its checker starts from all of them
   * (on a 4,000-file project, 40 ms of the 100 ms an edit cost). SourceFiles come from the same cache.
   */
  getFocusedProgram(fileName: string): ts.Program {
    const file = normalizePath(fileName);
    if (this.focused?.file === file && this.focused.generation === this.generation) return this.focused.program;
    const rootNames = [file, ...this.globalDeclarationFiles().filter((f) => f !== file)];
    // Structure is reused only between Programs with the same root names: the previous focused Program of this file.
    const oldProgram = this.focused?.file === file ? this.focused.program : undefined;
    const program = ts.createProgram({ rootNames, options: this.options, host: this.host, oldProgram });
    this.focused = { file, generation: this.generation, program };
    return program;
  }

  /**
   * Files of the whole project's Program (the last one built: only an edited file can differ, and it is the focused
   * Program's root) that declare globals any file may use without importing them: scripts, `declare global`,
   * `declare module "x"`, in the project or in packages (`import "reflect-metadata"` in one file is seen by all).
   */
  private globalDeclarationFiles(): string[] {
    const program = this.program ?? this.previousProgram ?? this.getProgram();
    let files = globalFilesCache.get(program);
    if (!files) {
      files = program
        .getSourceFiles()
        .filter((sf) => !program.isSourceFileDefaultLibrary(sf) && declaresGlobals(sf))
        .map((sf) => normalizePath(sf.fileName));
      globalFilesCache.set(program, files);
    }
    return files;
  }

  getProgram(): ts.Program {
    if (!this.program) {
      // A copy: TypeScript keeps the array as the Program's root names, and reuses an old Program whole when its root
      // names still equal the new ones, which a later push into the same array would make them.
      this.program = ts.createProgram({
        rootNames: [...this.rootNames],
        options: this.options,
        host: this.host,
        oldProgram: this.previousProgram,
      });
      this.previousProgram = this.program;
    }
    return this.program;
  }
  /** Kept after invalidation so the next Program can reuse its structure. */
  private previousProgram: ts.Program | undefined;

  getSourceFile(fileName: string): ts.SourceFile | undefined {
    return this.getProgram().getSourceFile(fileName);
  }

  /** The file as last parsed (its current text for an in-memory file), without building a Program; else getSourceFile. */
  latestSourceFile(fileName: string): ts.SourceFile | undefined {
    const key = normalizePath(fileName);
    const cached = this.sourceFileCache.get(key);
    const overlayText = this.overlay.get(key);
    if (cached && (overlayText === undefined || cached.text === overlayText)) return cached.sourceFile;
    return this.getSourceFile(fileName);
  }
}

/** The first syntax error of a parsed file (what ESLint reports as its "Parsing error"), if it has one. */
export function syntaxErrorOf(sourceFile: ts.SourceFile): { start: number; length: number; message: string } | undefined {
  // TypeScript keeps a file's syntax errors on the SourceFile (what program.getSyntacticDiagnostics returns).
  const first = (sourceFile as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics?.[0];
  return first && { start: first.start, length: first.length, message: ts.flattenDiagnosticMessageText(first.messageText, " ") };
}

/**
 * Syntax nested deeper than this is not analysed. TypeScript's parser, binder and checker and the rules all recurse
 * over the tree, and a generated or hostile file (10,000 nested parentheses) overflows the stack; real code stays
 * far below this depth.
 */
export const MAX_SYNTAX_DEPTH = 1000;

const UNANALYSABLE = new WeakMap<ts.SourceFile, string>();

/** Why a file of the Program stands in for one that could not be analysed (its text is then empty), if it does. */
export function unanalysableReason(sourceFile: ts.SourceFile): string | undefined {
  return UNANALYSABLE.get(sourceFile);
}

const JSDOC_TAG_TEXT = `@${LOCKSMITH_JSDOC_TAG}`;

/**
 * How a file is parsed: the JSDoc comments of TypeScript files only when the text has Locksmith's tag (the only JSDoc
 * a rule reads), as `tsc` parses them otherwise (ParseForTypeErrors: JavaScript files whole, and comments with `@see`
 * or `@link`): the checker's answers for TypeScript files do not depend on their JSDoc. A tenth of the parse.
 */
export function parseOptions(text: string, languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.CreateSourceFileOptions {
  const options = typeof languageVersion === "object" ? languageVersion : { languageVersion };
  const jsDocParsingMode = text.includes(JSDOC_TAG_TEXT) ? ts.JSDocParsingMode.ParseAll : ts.JSDocParsingMode.ParseForTypeErrors;
  return { ...options, jsDocParsingMode };
}

/**
 * Parses a file; a file too deeply nested to analyse safely becomes an empty placeholder (so neither the checker nor
 * a rule ever sees it, and the rest of the project is still analysed) that `unanalysableReason` explains.
 */
function parseGuarded(fileName: string, text: string, languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.SourceFile {
  let reason: string;
  try {
    const sourceFile = ts.createSourceFile(fileName, text, parseOptions(text, languageVersion), true);
    if (!deeperThan(sourceFile, MAX_SYNTAX_DEPTH)) return sourceFile;
    reason = `its syntax is nested more than ${MAX_SYNTAX_DEPTH} levels deep`;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    reason = "its syntax is nested too deeply to parse";
  }
  const placeholder = ts.createSourceFile(fileName, "", languageVersion, true);
  UNANALYSABLE.set(placeholder, reason);
  return placeholder;
}

/**
 * Parses a buffer's new text reusing its previous parse (the nodes outside the edit), as TypeScript's language
 * service does; the previous SourceFile must not be used afterwards. Anything unusual is parsed from scratch.
 */
function reparseGuarded(
  previous: ts.SourceFile,
  text: string,
  languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions,
): ts.SourceFile {
  const fileName = previous.fileName;
  if (UNANALYSABLE.has(previous)) return parseGuarded(fileName, text, languageVersion);
  // An incremental parse keeps the previous parse's JSDoc mode: a buffer that now has the tag is parsed anew.
  // (TypeScript keeps the mode on the SourceFile, internally.)
  const previousMode = (previous as { jsDocParsingMode?: ts.JSDocParsingMode }).jsDocParsingMode;
  if (previousMode !== parseOptions(text, languageVersion).jsDocParsingMode) return parseGuarded(fileName, text, languageVersion);
  const old = previous.text;
  // The edit: what lies between the common prefix and the common suffix of the two texts.
  const shorter = Math.min(old.length, text.length);
  let start = 0;
  while (start < shorter && old.charCodeAt(start) === text.charCodeAt(start)) start++;
  let oldEnd = old.length;
  let newEnd = text.length;
  while (oldEnd > start && newEnd > start && old.charCodeAt(oldEnd - 1) === text.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  let sourceFile: ts.SourceFile;
  try {
    sourceFile = ts.updateSourceFile(previous, text, ts.createTextChangeRange(ts.createTextSpan(start, oldEnd - start), newEnd - start));
  } catch {
    return parseGuarded(fileName, text, languageVersion);
  }
  return deeperThan(sourceFile, MAX_SYNTAX_DEPTH) ? parseGuarded(fileName, text, languageVersion) : sourceFile;
}

/** Whether the tree has a node deeper than `limit` (without overflowing the stack itself). */
export function deeperThan(root: ts.Node, limit: number): boolean {
  // Recursion stops at `limit` levels (a few thousand stack frames, far below Node's stack), and allocates nothing:
  // this runs on every keystroke's parse.
  const deeper = (node: ts.Node, depth: number): true | undefined =>
    depth > limit ? true : ts.forEachChild(node, (child) => deeper(child, depth + 1));
  return deeper(root, 0) === true;
}

/** Size, modification and change times of a file on disk (a write changes ctime, which no tool can set back). */
function diskStamp(fileName: string): string | undefined {
  try {
    const stat = fs.statSync(fileName, { throwIfNoEntry: false });
    return stat ? `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

function safeRead(host: ts.CompilerHost, fileName: string): string | undefined {
  try {
    return host.readFile(fileName);
  } catch {
    return undefined;
  }
}
