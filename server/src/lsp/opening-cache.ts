// The findings of the last analysis, kept on disk so that a file opened as the server starts shows its complete
// findings at once, before any Program is built: the rules' questions about the whole project (which functions are
// lock helpers or transaction wrappers, which reach the database, what a call resolves to) need the Program, and on
// a large project or one with heavy typings that takes seconds.
//
// One file per project in the storage folder. Per file of the last Program, keyed by the hash of its text: what it
// imports (resolved) and whether it declares globals; per analysed file: its findings, as the engine and as the editor
// got them. A file's file-rule findings are used while its text, every file it imports (transitively), every file
// declaring globals and the files its findings point into have the texts they were analysed with — what the CLI's
// --cache relies on (cli/cache.ts); its project-rule findings (lock order across files) only while no file of the
// project changed. A file whose text in the Program was not the one its importers were analysed with (a buffer edited
// since) is recorded with no hash, so nothing depending on it is used. The whole store is dropped when Locksmith, the
// rules, locksmith.json, the compiler options or the editor settings differ. Not seen: a new file that changes what an
// existing import resolves to (`./x` to a new `x.ts` instead of `x/index.ts`); the full analysis then refines.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Diagnostic as LspDiagnostic } from "vscode-languageserver/node";
import { engineFingerprint, textHash } from "../cli/cache";
import { declaresGlobals, importedFiles } from "../engine/dependencies";
import { sha256, writeFileAtomic } from "../engine/fixes";
import { normalizePath } from "../engine/paths";
import { diskStamp, parseOptions } from "../engine/project";
import { ts } from "../engine/ts";
import type { Diagnostic, Rule } from "../engine/types";
import type { FileState } from "./diagnostics-store";
import type { Project } from "./projects";
import type { EditorSettings } from "./settings";

// Raised when what the store holds changes shape.
const FORMAT = 1;

interface FileFacts {
  /** Hash of the text the Program held; "" when the file's importers were not analysed with it. */
  hash: string;
  /** The files its imports resolved to; null when unknown (everything may matter). */
  imports: string[] | null;
  globals: boolean;
  /** Its size and times on disk when the text was read from there (see diskStamp): the same stamp, the same text. */
  stamp?: string;
}

interface FindingsEntry {
  file: Array<{ diagnostic: Diagnostic; published: LspDiagnostic }>;
  project: Array<{ diagnostic: Diagnostic; published: LspDiagnostic }>;
}

interface StoreData {
  format: typeof FORMAT;
  key: string;
  facts: Record<string, FileFacts>;
  findings: Record<string, FindingsEntry>;
}

/** Findings of an opened file from the store: the engine's (to merge with later runs) and what was published. */
export interface CachedFindings {
  fileDiagnostics: Diagnostic[];
  projectDiagnostics: Diagnostic[];
  published: LspDiagnostic[];
}

/** Hashes by parse: a file unchanged since the last record is the same SourceFile in the next Program (ProjectHost). */
const HASHES = new WeakMap<ts.SourceFile, string>();

function hashOf(sourceFile: ts.SourceFile): string {
  let hash = HASHES.get(sourceFile);
  if (hash === undefined) HASHES.set(sourceFile, (hash = textHash(sourceFile.text)));
  return hash;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The default storage folder when the editor names none: $XDG_CACHE_HOME/locksmith/server (~/.cache/…). */
export function defaultStoragePath(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "locksmith", "server");
}

/** A loaded store with the current hashes of the files it was asked about. */
class LoadedStore {
  private readonly current = new Map<string, string>();
  private globalsUnchanged: boolean | undefined;
  private allUnchanged: boolean | undefined;

  constructor(
    readonly data: StoreData,
    private readonly textOf: (file: string) => string | undefined,
  ) {}

  /** Hash of the file's text now (open buffer, else disk); "missing" when it cannot be read. */
  hashOf(file: string): string {
    let hash = this.current.get(file);
    if (hash === undefined) {
      const text = this.textOf(file) ?? readText(file);
      this.current.set(file, (hash = text === undefined ? "missing" : textHash(text)));
    }
    return hash;
  }

  unchanged(file: string): boolean {
    const facts = this.data.facts[file];
    if (facts === undefined || facts.hash === "") return false;
    // A file not written since it was read needs no reading (stat'ing is a fifth of reading and hashing).
    if (facts.stamp !== undefined && this.textOf(file) === undefined && diskStamp(file) === facts.stamp) return true;
    return this.hashOf(file) === facts.hash;
  }

  /** `file` and every file it imports, transitively, are unchanged (and their imports known). */
  closureUnchanged(file: string): boolean {
    const seen = new Set([file]);
    const stack = [file];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const imports = this.unchanged(next) ? this.data.facts[next]!.imports : null;
      if (imports === null) return false;
      for (const imported of imports) if (!seen.has(imported) && seen.add(imported)) stack.push(imported);
    }
    return true;
  }

  /** No file that declared globals changed, and no file of the project that changed or is new declares globals now. */
  globalsUnchangedIn(project: Project): boolean {
    if (this.globalsUnchanged === undefined) {
      const declaredBefore = Object.entries(this.data.facts).filter(([, facts]) => facts.globals);
      this.globalsUnchanged =
        declaredBefore.every(([file]) => this.unchanged(file)) &&
        [...project.files].every((file) => this.unchanged(file) || !this.declaresGlobalsNow(file));
    }
    return this.globalsUnchanged;
  }

  /** Every file of the last Program is unchanged and the project has no file it did not have. */
  allUnchangedIn(project: Project): boolean {
    this.allUnchanged ??=
      Object.keys(this.data.facts).every((file) => this.unchanged(file)) && [...project.files].every((file) => file in this.data.facts);
    return this.allUnchanged;
  }

  private declaresGlobalsNow(file: string): boolean {
    const text = this.textOf(file) ?? readText(file);
    if (text === undefined) return false; // gone: declares nothing
    return declaresGlobals(ts.createSourceFile(file, text, parseOptions(text, ts.ScriptTarget.Latest), false));
  }
}

export class OpeningCache {
  /** Stores read this session, by project: read once, dropped once the project is analysed (`forget`). */
  private readonly loaded = new Map<Project, LoadedStore | null>();
  /** Files whose buffer changed (with the change's number) since an analysis re-linted the files importing them. */
  private readonly dirty = new Map<string, number>();
  private changes = 0;

  constructor(
    /** The storage folder; undefined: nothing is kept. */
    private readonly folder: string | undefined,
    private readonly rules: readonly Rule[],
  ) {
    // Hashing Locksmith's own code takes tens of milliseconds: done now, not when the first file opens.
    if (folder !== undefined) engineFingerprint();
  }

  /**
   * The findings of `file` (open with `text`) from the last analysis, if the texts they depend on are unchanged (see
   * above); the project rules' only if no file of the project changed. Undefined when nothing can be used.
   */
  findingsFor(
    project: Project,
    file: string,
    settings: EditorSettings,
    textOf: (file: string) => string | undefined,
  ): CachedFindings | undefined {
    const store = this.load(project, textOf);
    if (!store || store.data.key !== this.keyOf(project, settings)) return undefined;
    const entry = store.data.findings[file];
    if (!entry || !store.closureUnchanged(file) || !store.globalsUnchangedIn(project)) return undefined;
    // Positions published in other files (related locations) were computed from their texts.
    const pointsInto = (list: FindingsEntry["file"]) =>
      list.flatMap(({ diagnostic }) => [diagnostic.span.file, ...diagnostic.related.map((r) => r.span.file)]);
    if (!pointsInto(entry.file).every((f) => f === file || store.unchanged(f))) return undefined;
    // No project-rule finding to show: none to check (one the analysis adds is no finding dropped).
    const project_ = entry.project.length > 0 && store.allUnchangedIn(project) ? entry.project : [];
    return {
      fileDiagnostics: entry.file.map((e) => e.diagnostic),
      projectDiagnostics: project_.map((e) => e.diagnostic),
      published: [...entry.file, ...project_].map((e) => e.published),
    };
  }

  /** An open document's text changed: the files importing it are analysed with it only after a save or a workspace analysis. */
  changed(file: string, text: string): void {
    // Opening a file is a change too: one whose text is the disk's changes nothing for its importers.
    if (this.dirty.has(file) || text !== readText(file)) this.dirty.set(file, ++this.changes);
  }

  /** An analysis that re-lints the importers of `files` (all files if undefined) starts: call the result when it ended. */
  analysisStarting(files?: Iterable<string>): () => void {
    const before = this.changes;
    const covered = files === undefined ? undefined : new Set(files);
    return () => {
      for (const [file, change] of this.dirty) if (change <= before && (!covered || covered.has(file))) this.dirty.delete(file);
    };
  }

  /** The project was analysed: its store is no longer needed in memory. */
  forget(project: Project): void {
    this.loaded.set(project, null);
  }

  /**
   * Records what `project`'s whole Program holds and the findings published for its files (`stateOf`), except that
   * files whose buffer changed since their importers were analysed are recorded with no hash. Returns an error
   * message, if any.
   */
  record(
    project: Project,
    program: ts.Program,
    settings: EditorSettings,
    stateOf: (file: string) => FileState | undefined,
  ): string | undefined {
    if (this.folder === undefined) return undefined;
    const data: StoreData = { format: FORMAT, key: this.keyOf(project, settings), facts: {}, findings: {} };
    for (const sourceFile of program.getSourceFiles()) {
      if (program.isSourceFileDefaultLibrary(sourceFile)) continue;
      const file = normalizePath(sourceFile.fileName);
      const hash = this.dirty.has(file) ? "" : hashOf(sourceFile);
      const stamp = project.host.diskStampOf(file, sourceFile.text);
      data.facts[file] = {
        hash,
        imports: importedFiles(program, sourceFile) ?? null,
        globals: declaresGlobals(sourceFile),
        ...(stamp !== undefined ? { stamp } : {}),
      };
    }
    for (const file of project.files) {
      const state = stateOf(file);
      const facts = data.facts[file];
      // Findings for another text than the Program's, or project findings moved along with an edit: not recorded.
      if (!state || !facts || facts.hash === "" || hashOf(state.sourceFile) !== facts.hash) continue;
      if (state.textOnly || state.projectSourceFile.text !== state.sourceFile.text) continue;
      const fileCount = state.fileDiagnostics.length;
      if (state.published.length !== fileCount + state.projectDiagnostics.length) continue;
      const pair = (diagnostic: Diagnostic, index: number) => ({ diagnostic, published: state.published[index]! });
      data.findings[file] = {
        file: state.fileDiagnostics.map((d, i) => pair(d, i)),
        project: state.projectDiagnostics.map((d, i) => pair(d, fileCount + i)),
      };
    }
    try {
      fs.mkdirSync(this.folder, { recursive: true });
      writeFileAtomic(this.locationOf(project), JSON.stringify(data));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  private load(project: Project, textOf: (file: string) => string | undefined): LoadedStore | undefined {
    if (this.folder === undefined) return undefined;
    if (!this.loaded.has(project)) {
      let store: LoadedStore | null = null;
      try {
        const data = JSON.parse(fs.readFileSync(this.locationOf(project), "utf8")) as StoreData;
        if (data?.format === FORMAT && typeof data.facts === "object" && typeof data.findings === "object")
          store = new LoadedStore(data, textOf);
      } catch {
        // None yet, or not one we can read: nothing early.
      }
      this.loaded.set(project, store);
    }
    return this.loaded.get(project) ?? undefined;
  }

  private locationOf(project: Project): string {
    return path.join(this.folder!, `${sha256(`${FORMAT}\n${project.tsconfig ?? "inferred"}\n${project.root}`).slice(0, 32)}.json`);
  }

  /** What every stored finding depends on besides the files. */
  private keyOf(project: Project, settings: EditorSettings): string {
    const { raw, file } = project.config;
    return sha256(
      JSON.stringify({
        engine: engineFingerprint(),
        rules: this.rules.map((rule) => rule.meta.id),
        config: { file, raw },
        compilerOptions: project.compilerOptions,
        settings,
      }),
    );
  }
}
