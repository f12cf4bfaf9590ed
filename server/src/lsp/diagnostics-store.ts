// What was last published for each file, and publishing: every analysis (of a document, of the workspace, of disk
// changes) stores its results here, and only files whose diagnostics changed are published again. An open document
// with an analysis pending is left to that analysis (see OpenDocument.isPending), so no intermediate text of a burst
// of keystrokes is published.
import type { Connection, Diagnostic as LspDiagnostic } from "vscode-languageserver/node";
import type { FileLintResult, LintRun } from "../engine/linter";
import type { ts } from "../engine/ts";
import type { Diagnostic, Span } from "../engine/types";
import { toLspDiagnostic, uriOf, type PositionOf } from "./convert";
import type { CachedFindings } from "./opening-cache";
import type { OpenDocuments } from "./open-documents";
import type { Project } from "./projects";
import type { Status } from "./status";

/** What was last published for a file, with the text the offsets refer to (code actions need both). */
export interface FileState {
  sourceFile: ts.SourceFile;
  fileDiagnostics: Diagnostic[];
  projectDiagnostics: Diagnostic[];
  /**
   * The text the project rules last saw. While it is not `sourceFile` (the file was edited and the project rules have
   * not run again yet), `projectDiagnostics` are the earlier ones moved along with the edit, and their fixes are stale.
   */
  projectSourceFile: ts.SourceFile;
  published: LspDiagnostic[];
  /**
   * Only what the file's text alone decides was found so far (`storeTextOnly`), or what the last session's analysis
   * found (`storeCached`): what the file rules will find replaces it. Fixes and code actions wait for them.
   */
  textOnly?: boolean;
}

export class DiagnosticsStore {
  private readonly states = new Map<string, FileState>();

  constructor(
    private readonly connection: Connection,
    private readonly open: OpenDocuments,
    private readonly status: Status,
  ) {}

  get(file: string): FileState | undefined {
    return this.states.get(file);
  }

  problemCount(): number {
    let count = 0;
    for (const state of this.states.values()) count += state.published.length;
    return count;
  }

  /** Records results and publishes every file whose diagnostics changed. */
  store(project: Project, fileRun: LintRun | undefined, projectRun: LintRun | undefined): void {
    const touched = new Set<string>();
    for (const result of fileRun?.results ?? []) {
      const state = this.stateOf(result.fileName, result.sourceFile);
      if (state.sourceFile !== result.sourceFile) {
        state.projectDiagnostics = movedByEdit(state.projectDiagnostics, result.fileName, state.sourceFile.text, result.sourceFile.text);
        if (state.projectDiagnostics.length === 0) state.projectSourceFile = result.sourceFile;
      }
      state.sourceFile = result.sourceFile;
      state.fileDiagnostics = result.diagnostics;
      state.textOnly = false;
      touched.add(result.fileName);
    }
    for (const result of projectRun?.results ?? []) {
      const state = this.stateOf(result.fileName, result.sourceFile);
      state.projectSourceFile = result.sourceFile;
      if (state.projectDiagnostics.length === 0 && result.diagnostics.length === 0) continue;
      // The project rules may have seen a newer text than the file rules (an open document whose analysis is
      // pending): every span in the state refers to the file rules' text, which the next file run moves along.
      const sameText = state.sourceFile === result.sourceFile || state.sourceFile.text === result.sourceFile.text;
      state.projectDiagnostics = sameText
        ? result.diagnostics
        : movedByEdit(result.diagnostics, result.fileName, result.sourceFile.text, state.sourceFile.text);
      touched.add(result.fileName);
    }
    for (const crash of [...(fileRun?.crashes ?? []), ...(projectRun?.crashes ?? [])]) {
      this.status.reportProblem(
        `Locksmith: rule ${crash.ruleId} failed${crash.fileName ? ` on ${crash.fileName}` : ""}: ${crash.message}\n${crash.stack ?? ""}`,
      );
    }
    for (const skip of fileRun?.skipped ?? []) this.connection.console.warn(`Locksmith: skipped ${skip.fileName}: ${skip.reason}`);
    const positionOf = this.positionResolver(project);
    for (const file of touched) {
      // An open document with an analysis pending gets its findings published by that analysis, for its latest text:
      // what is stored now is for an older text, which the positions below (from the latest parse) would misplace.
      const open = this.open.get(file);
      if (open?.isPending()) continue;
      this.publish(file, this.states.get(file)!, positionOf, false);
    }
  }

  /**
   * The findings of an open document's text alone (syntax-lint.ts), published at once — even none, so the editor
   * hears about the file — if nothing is shown for the file yet. The file rules' findings replace them later: a
   * superset, so none of these disappears then.
   */
  storeTextOnly(project: Project, result: FileLintResult): void {
    if (this.states.has(result.fileName)) return;
    const state = this.stateOf(result.fileName, result.sourceFile);
    state.fileDiagnostics = result.diagnostics;
    state.textOnly = true;
    this.publish(result.fileName, state, this.positionResolver(project), true);
  }

  /**
   * The findings of an open document kept from the last analysis (opening-cache.ts), published as they were then if
   * nothing is shown for the file yet: the same the analysis will find while the texts they depend on are unchanged.
   * Like text-only findings, the file rules' findings replace them; code actions wait for those.
   */
  storeCached(file: string, parse: () => ts.SourceFile, cached: CachedFindings): void {
    if (this.states.has(file)) return;
    // Published without a parse (the first parse in a process costs as much as the rest of the start together): the
    // state's parse is made when something asks for it, in practice never (the file rules' run replaces it).
    let sourceFile: ts.SourceFile | undefined;
    let projectSourceFile: ts.SourceFile | undefined;
    const state = { fileDiagnostics: cached.fileDiagnostics, projectDiagnostics: cached.projectDiagnostics, published: [], textOnly: true };
    Object.defineProperties(state, {
      sourceFile: { get: () => (sourceFile ??= parse()), set: (value: ts.SourceFile) => (sourceFile = value), enumerable: true },
      projectSourceFile: {
        get: () => projectSourceFile ?? (sourceFile ??= parse()),
        set: (value: ts.SourceFile) => (projectSourceFile = value),
        enumerable: true,
      },
    });
    this.states.set(file, state as unknown as FileState);
    this.send(file, state as unknown as FileState, cached.published);
  }

  private publish(file: string, state: FileState, positionOf: PositionOf, always: boolean): void {
    const diagnostics = [...state.fileDiagnostics, ...state.projectDiagnostics].map((d) => toLspDiagnostic(d, positionOf));
    if (!always && JSON.stringify(diagnostics) === JSON.stringify(state.published)) return;
    this.send(file, state, diagnostics);
  }

  private send(file: string, state: FileState, diagnostics: LspDiagnostic[]): void {
    const open = this.open.get(file);
    state.published = diagnostics;
    // Open documents' texts reach the Program as soon as they change, so results are for the current version.
    const version = open ? this.open.textOf(file)?.version : undefined;
    void this.connection.sendDiagnostics({ uri: open?.uri ?? uriOf(file), diagnostics, ...(version !== undefined ? { version } : {}) });
  }

  /** A file gone (deleted, or analysis turned off): its diagnostics are cleared. */
  forget(file: string): void {
    if (!this.states.delete(file)) return;
    void this.connection.sendDiagnostics({ uri: this.open.get(file)?.uri ?? uriOf(file), diagnostics: [] });
  }

  /** Positions in open documents come from their buffers, other files from the project's Program. */
  positionResolver(project: Project): PositionOf {
    return (file, offset) => {
      const document = this.open.textOf(file);
      if (document) return document.positionAt(offset);
      // Not getSourceFile: that would rebuild the whole project's Program after each keystroke.
      const sourceFile = project.host.latestSourceFile(file) ?? this.states.get(file)?.sourceFile;
      return sourceFile ? sourceFile.getLineAndCharacterOfPosition(Math.min(offset, sourceFile.text.length)) : { line: 0, character: 0 };
    };
  }

  private stateOf(file: string, sourceFile: ts.SourceFile): FileState {
    let state = this.states.get(file);
    if (!state)
      this.states.set(
        file,
        (state = { sourceFile, fileDiagnostics: [], projectDiagnostics: [], projectSourceFile: sourceFile, published: [] }),
      );
    return state;
  }
}

/**
 * `file`'s diagnostics moved from `before` to `after` its text changed: spans in it after the changed range shift
 * with the edit, those overlapping the change are dropped (a diagnostic whose own span does) until the rules run again.
 */
export function movedByEdit(diagnostics: readonly Diagnostic[], file: string, before: string, after: string): Diagnostic[] {
  if (diagnostics.length === 0) return [];
  const shortest = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < shortest && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < shortest - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix))
    suffix++;
  const changedEnd = before.length - suffix;
  const delta = after.length - before.length;
  const move = (span: Span): Span | undefined => {
    if (span.file !== file || span.end <= prefix) return span;
    return span.start >= changedEnd ? { ...span, start: span.start + delta, end: span.end + delta } : undefined;
  };
  return diagnostics.flatMap((diagnostic) => {
    const span = move(diagnostic.span);
    if (!span) return [];
    const related = diagnostic.related.flatMap((r) => {
      const moved = move(r.span);
      return moved ? [{ ...r, span: moved }] : [];
    });
    return [{ ...diagnostic, span, related }];
  });
}
