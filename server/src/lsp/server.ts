// The Locksmith language server: diagnostics for open files as you type (debounced; the edited file's own findings
// first, then the project rules'; stale results never published)
// and for the whole workspace (project rules such as lock order need every file), code actions, fix-all, commands,
// a status notification and the lock-order graph. Editor-agnostic: speaks plain LSP, never imports `vscode`.
// Every handler is guarded: an error is logged and answered with an empty result, never a crash.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  FileChangeType,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CodeAction,
  type CancellationToken,
  type CodeActionParams,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type DidChangeWatchedFilesParams,
  type InitializeParams,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { RULES, docsUrl } from "../../../rules/index";
import { VERSION } from "../version";
import { fixUntilStable } from "../engine/fixes";
import type { LintRun } from "../engine/linter";
import { SOURCE_EXTENSIONS } from "../engine/project";
import { vendorRuntime } from "../engine/runtime-import";
import type { Diagnostic, NewFile, Rule, Span, TextEdit } from "../engine/types";
import type { ts } from "../engine/ts";
import { codeActions, FIX_ALL_KIND, type ActionData } from "./code-actions";
import { fileOf, minimalEdit, toLspDiagnostic, uriOf, type PositionOf } from "./convert";
import { collectGarbage } from "./idle-gc";
import { lockOrderGraph } from "./lock-order-graph";
import { COMMANDS, LockOrderGraphRequest, StatusNotification, type StatusParams } from "./protocol";
import type { DiskChange, Project } from "./projects";
import { Workspace } from "./projects";
import { SettingsStore, type EditorSettings } from "./settings";

export interface ServerOptions {
  /** The rules to run (tests pass their own); default: the registry. */
  rules?: readonly Rule[];
  /**
   * Delay between a keystroke and the analysis of a document while typing goes on (a later keystroke restarts it).
   * A change that finds the server idle (the previous text analysed, or no change for this long) is analysed at once.
   */
  debounceMs?: number;
}

/** What was last published for a file, with the text the offsets refer to (code actions need both). */
interface FileState {
  sourceFile: ts.SourceFile;
  fileDiagnostics: Diagnostic[];
  projectDiagnostics: Diagnostic[];
  /**
   * The text the project rules last saw. While it is not `sourceFile` (the file was edited and the project rules have
   * not run again yet), `projectDiagnostics` are the earlier ones moved along with the edit, and their fixes are stale.
   */
  projectSourceFile: ts.SourceFile;
  published: LspDiagnostic[];
}

interface ClientSupport {
  configuration: boolean;
  watchedFilesRegistration: boolean;
  configurationRegistration: boolean;
  lazyEdits: boolean;
  showDocument: boolean;
  workspaceFolders: boolean;
}

const FILES_PER_CHUNK = 25;
/** Re-analysing this many files on disk changes is followed by a full garbage collection (see idle-gc.ts). */
const LARGE_BATCH_FILES = 200;
/**
 * After an edit's file-rule findings are published, the project rules (a pass over every file) wait until the file
 * has been quiet this long: while typing goes on, each pause costs only the edited file's rules.
 */
const PROJECT_RULES_QUIET_MS = 250;

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  new LocksmithServer(connection, options.rules ?? RULES, options.debounceMs ?? 50).listen();
}

class LocksmithServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly workspace: Workspace;
  private settings!: SettingsStore;
  private support: ClientSupport = { configuration: false, watchedFilesRegistration: false, configurationRegistration: false, lazyEdits: false, showDocument: false, workspaceFolders: false };
  private readonly states = new Map<string, FileState>();
  /** The URI the client used for each open file (published diagnostics must use the same spelling). */
  private readonly openUris = new Map<string, string>();
  /** The pending analysis of each open document. */
  private readonly timers = new Map<string, { cancel(): void }>();
  /** When each open document last changed (performance.now()) and its version then. */
  private readonly lastChange = new Map<string, { at: number; version: number }>();
  /** The version of each open document whose file-rule findings were last published. */
  private readonly analysedVersions = new Map<string, number>();
  /** Open documents' analyses started but not yet past their file rules (waiting for the settings), counted per URI. */
  private readonly analysing = new Map<string, number>();
  private workspaceTimer: NodeJS.Timeout | undefined;
  /** Files changed on disk (file watcher) and not analysed yet. */
  private readonly diskChanges = new Map<string, DiskChange>();
  private diskTimer: NodeJS.Timeout | undefined;
  /** Bumped by every workspace analysis and by shutdown: an older analysis stops at its next chunk. */
  private workspaceGeneration = 0;
  private readonly reportedProblems = new Set<string>();
  private shuttingDown = false;

  constructor(
    private readonly connection: Connection,
    private readonly rules: readonly Rule[],
    private readonly debounceMs: number,
  ) {
    this.workspace = new Workspace(rules, (message) => this.logError(message));
  }

  listen(): void {
    const { connection, documents } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => this.guard("initialized", () => this.initialized(), undefined));
    connection.onShutdown(() => {
      this.shuttingDown = true;
      this.workspaceGeneration++;
      for (const timer of this.timers.values()) timer.cancel();
      clearTimeout(this.workspaceTimer);
      clearTimeout(this.diskTimer);
    });
    documents.onDidOpen(({ document }) => this.guardSync("didOpen", () => this.opened(document)));
    documents.onDidChangeContent(({ document }) => this.guardSync("didChange", () => this.changed(document)));
    documents.onDidClose(({ document }) => this.guardSync("didClose", () => this.closed(document)));
    documents.onDidSave(({ document }) => this.guardSync("didSave", () => this.saved(document)));
    connection.onDidChangeConfiguration((params) =>
      this.guardSync("didChangeConfiguration", () => {
        const pushed = (params.settings as { locksmith?: unknown } | null | undefined)?.locksmith;
        this.settings.clear(pushed);
        this.scheduleWorkspace();
      }),
    );
    connection.onDidChangeWatchedFiles((params) => this.guardSync("didChangeWatchedFiles", () => this.watchedFilesChanged(params)));
    connection.onCodeAction((params, token) => this.request("codeAction", () => this.codeActions(params, token), []));
    connection.onCodeActionResolve((action, token) => this.request("codeAction/resolve", () => this.resolveCodeAction(action, token), action));
    connection.onExecuteCommand((params) => this.request(`command ${params.command}`, () => this.executeCommand(params.command, params.arguments ?? []), null));
    connection.onRequest(LockOrderGraphRequest, (params) =>
      this.request("locksmith/lockOrderGraph", () => lockOrderGraph(this.workspace, params?.uri ? fileOf(params.uri) : undefined), { projects: [] }),
    );
    documents.listen(connection);
    connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    const capabilities = params.capabilities;
    this.support = {
      configuration: !!capabilities.workspace?.configuration,
      watchedFilesRegistration: !!capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration,
      configurationRegistration: !!capabilities.workspace?.didChangeConfiguration?.dynamicRegistration,
      lazyEdits: !!capabilities.textDocument?.codeAction?.resolveSupport?.properties.includes("edit"),
      showDocument: !!capabilities.window?.showDocument?.support,
      workspaceFolders: !!capabilities.workspace?.workspaceFolders,
    };
    this.settings = new SettingsStore(this.connection, this.support.configuration, (message) => this.logError(`Locksmith: ${message}`));
    const options = params.initializationOptions as { settings?: unknown } | undefined;
    if (options?.settings !== undefined) this.settings.clear(options.settings);
    const folders = params.workspaceFolders?.map((f) => fileOf(f.uri)) ?? [params.rootUri ? fileOf(params.rootUri) : (params.rootPath ?? undefined)];
    this.workspace.setFolders(folders.filter((f): f is string => f !== undefined));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: true },
        executeCommandProvider: { commands: Object.values(COMMANDS) },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: "locksmith", version: VERSION },
    };
  }

  private async initialized(): Promise<void> {
    if (this.support.configurationRegistration) {
      await this.connection.client.register(DidChangeConfigurationNotification.type, { section: "locksmith" });
    }
    if (this.support.watchedFilesRegistration) {
      const sources = `**/*.{${SOURCE_EXTENSIONS.map((e) => e.slice(1)).join(",")}}`;
      await this.connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: "**/locksmith.json" }, { globPattern: "**/package.json" }, { globPattern: "**/tsconfig*.json" }, { globPattern: sources }],
      });
    }
    if (this.support.workspaceFolders) {
      this.connection.workspace.onDidChangeWorkspaceFolders((event) =>
        this.guardSync("didChangeWorkspaceFolders", () => {
          const removed = new Set(event.removed.map((f) => fileOf(f.uri)));
          const kept = this.workspace.folders.filter((f) => !removed.has(f));
          const added = event.added.map((f) => fileOf(f.uri)).filter((f): f is string => f !== undefined);
          this.workspace.setFolders([...kept, ...added]);
          this.scheduleWorkspace();
        }),
      );
    }
    this.scheduleWorkspace(0);
  }

  // ----- documents -----

  private opened(document: TextDocument): void {
    const file = fileOf(document.uri);
    if (file) this.openUris.set(file, document.uri);
  }

  private changed(document: TextDocument): void {
    const file = fileOf(document.uri);
    if (!file || !isSourceFile(file)) return;
    const project = this.workspace.projectFor(file);
    project.addFiles([file]);
    project.host.setFileText(file, document.getText());
    // Debounce only while changes come faster than they are analysed: a change that finds the server idle (the
    // previous text analysed, or no change for a while) gets its findings without waiting.
    const now = performance.now();
    const previous = this.lastChange.get(document.uri);
    this.lastChange.set(document.uri, { at: now, version: document.version });
    const idle = !this.timers.has(document.uri) && (previous === undefined || now - previous.at >= this.debounceMs || this.analysedVersions.get(document.uri) === previous.version);
    this.scheduleDocument(document.uri, idle ? "soon" : this.debounceMs);
  }

  /**
   * A saved file is taken as changed on disk: the files importing it are analysed again with what it now declares
   * (while it is typed in, only the file itself is, as its importers would cost a pass at every pause).
   */
  private saved(document: TextDocument): void {
    const file = fileOf(document.uri);
    if (!file || !isSourceFile(file)) return;
    this.diskChanges.set(file, "changed");
    this.scheduleDiskChanges();
  }

  private closed(document: TextDocument): void {
    const file = fileOf(document.uri);
    this.timers.get(document.uri)?.cancel();
    this.timers.delete(document.uri);
    this.lastChange.delete(document.uri);
    this.analysedVersions.delete(document.uri);
    if (!file || !isSourceFile(file)) return;
    this.openUris.delete(file);
    const project = this.workspace.projectFor(file);
    project.host.clearFileText(file);
    if (!fs.existsSync(file)) {
      // A buffer that was never saved (or whose file was deleted) is gone with its findings.
      project.removeFile(file);
      this.forget(file);
    }
    // The file is analysed again as it is on disk (its workspace findings stay visible, as in the Problems panel).
    this.scheduleWorkspace();
  }

  /** Whether an analysis of the open document is scheduled, or started and waiting for its settings. */
  private analysisPending(uri: string): boolean {
    return this.timers.has(uri) || this.analysing.has(uri);
  }

  /** Analyses a document after `delay` ms, or "soon": once the messages the editor has already sent are handled. */
  private scheduleDocument(uri: string, delay: number | "soon"): void {
    this.timers.get(uri)?.cancel();
    const run = () => {
      this.timers.delete(uri);
      void this.guard("lint", () => this.lintDocument(uri, PROJECT_RULES_QUIET_MS), undefined);
    };
    if (delay === "soon") {
      // Two turns of the event loop: the connection handles one incoming message per turn (and reads the input
      // between turns), so the rest of a burst of changes sent together arrives, and restarts the debounce, first.
      let handle = setImmediate(() => (handle = setImmediate(run)));
      this.timers.set(uri, { cancel: () => clearImmediate(handle) });
    } else {
      const handle = setTimeout(run, delay);
      this.timers.set(uri, { cancel: () => clearTimeout(handle) });
    }
  }

  /**
   * Lints one open document with its own settings in two steps: its file rules, published at once (with its earlier
   * project findings moved along with the edit), then the project rules, published only if they change something.
   * The project rules start after `projectDelayMs` (immediately if 0, after other pending messages), and not at all
   * when the document changed meanwhile (the newer change has its own lint scheduled): a burst of keystrokes costs
   * one file-rule pass per pause, not a project pass. Returns the state for the current text once both steps ran.
   */
  private async lintDocument(uri: string, projectDelayMs = 0): Promise<FileState | undefined> {
    const document = this.documents.get(uri);
    const file = fileOf(uri);
    if (!document || !file || !isSourceFile(file) || this.shuttingDown) return undefined;
    const version = document.version;
    // From its scheduled time until its file rules ran, the document's analysis is pending (see `store`).
    this.analysing.set(uri, (this.analysing.get(uri) ?? 0) + 1);
    let settings: EditorSettings;
    try {
      settings = await this.settings.get(uri);
    } finally {
      const left = this.analysing.get(uri)! - 1;
      if (left === 0) this.analysing.delete(uri);
      else this.analysing.set(uri, left);
    }
    if (this.documents.get(uri)?.version !== version || this.shuttingDown) return undefined;
    if (!settings.enable) {
      this.forget(file);
      return undefined;
    }
    const project = this.workspace.projectFor(file);
    project.addFiles([file]);
    project.host.setFileText(file, document.getText());
    const log = (m: string) => this.logError(m);
    this.store(project, project.lintFocused(file, settings, {}, log), undefined);
    this.analysedVersions.set(uri, version);
    await (projectDelayMs > 0 ? new Promise((resolve) => setTimeout(resolve, projectDelayMs)) : yieldToEventLoop());
    if (this.documents.get(uri)?.version !== version || this.shuttingDown) return undefined;
    if (projectDelayMs > 0) this.sweepDisk();
    this.store(project, undefined, project.lintProject(settings, {}, log));
    this.publishStatus();
    return this.states.get(file);
  }

  /** Records results and publishes every file whose diagnostics changed. */
  private store(project: Project, fileRun: LintRun | undefined, projectRun: LintRun | undefined): void {
    const touched = new Set<string>();
    for (const result of fileRun?.results ?? []) {
      const state = this.stateOf(result.fileName, result.sourceFile);
      if (state.sourceFile !== result.sourceFile) {
        state.projectDiagnostics = movedByEdit(state.projectDiagnostics, result.fileName, state.sourceFile.text, result.sourceFile.text);
        if (state.projectDiagnostics.length === 0) state.projectSourceFile = result.sourceFile;
      }
      state.sourceFile = result.sourceFile;
      state.fileDiagnostics = result.diagnostics;
      touched.add(result.fileName);
    }
    for (const result of projectRun?.results ?? []) {
      const state = this.stateOf(result.fileName, result.sourceFile);
      state.projectSourceFile = result.sourceFile;
      if (state.projectDiagnostics.length === 0 && result.diagnostics.length === 0) continue;
      // The project rules may have seen a newer text than the file rules (an open document whose analysis is
      // pending): every span in the state refers to the file rules' text, which the next file run moves along.
      const sameText = state.sourceFile === result.sourceFile || state.sourceFile.text === result.sourceFile.text;
      state.projectDiagnostics = sameText ? result.diagnostics : movedByEdit(result.diagnostics, result.fileName, result.sourceFile.text, state.sourceFile.text);
      touched.add(result.fileName);
    }
    for (const crash of [...(fileRun?.crashes ?? []), ...(projectRun?.crashes ?? [])]) {
      this.reportProblem(`Locksmith: rule ${crash.ruleId} failed${crash.fileName ? ` on ${crash.fileName}` : ""}: ${crash.message}\n${crash.stack ?? ""}`);
    }
    for (const skip of fileRun?.skipped ?? []) this.connection.console.warn(`Locksmith: skipped ${skip.fileName}: ${skip.reason}`);
    const positionOf = this.positionResolver(project);
    for (const file of touched) {
      // An open document with an analysis pending gets its findings published by that analysis, for its latest text:
      // what is stored now is for an older text, which the positions below (from the latest parse) would misplace.
      const openUri = this.openUris.get(file);
      if (openUri !== undefined && this.analysisPending(openUri)) continue;
      const state = this.states.get(file)!;
      const diagnostics = [...state.fileDiagnostics, ...state.projectDiagnostics].map((d) => toLspDiagnostic(d, positionOf));
      if (JSON.stringify(diagnostics) === JSON.stringify(state.published)) continue;
      state.published = diagnostics;
      // Open documents' texts reach the Program as soon as they change, so results are for the current version.
      const version = openUri !== undefined ? this.documents.get(openUri)?.version : undefined;
      void this.connection.sendDiagnostics({ uri: openUri ?? uriOf(file), diagnostics, ...(version !== undefined ? { version } : {}) });
    }
  }

  private stateOf(file: string, sourceFile: ts.SourceFile): FileState {
    let state = this.states.get(file);
    if (!state) this.states.set(file, (state = { sourceFile, fileDiagnostics: [], projectDiagnostics: [], projectSourceFile: sourceFile, published: [] }));
    return state;
  }

  private forget(file: string): void {
    if (!this.states.delete(file)) return;
    void this.connection.sendDiagnostics({ uri: this.openUris.get(file) ?? uriOf(file), diagnostics: [] });
  }

  /** Positions in open documents come from their buffers, other files from the project's Program. */
  private positionResolver(project: Project): PositionOf {
    return (file, offset) => {
      const uri = this.openUris.get(file);
      const document = uri ? this.documents.get(uri) : undefined;
      if (document) return document.positionAt(offset);
      // Not getSourceFile: that would rebuild the whole project's Program after each keystroke.
      const sourceFile = project.host.latestSourceFile(file) ?? this.states.get(file)?.sourceFile;
      return sourceFile ? sourceFile.getLineAndCharacterOfPosition(Math.min(offset, sourceFile.text.length)) : { line: 0, character: 0 };
    };
  }

  // ----- the whole workspace -----

  private scheduleWorkspace(delay = 300): void {
    clearTimeout(this.workspaceTimer);
    this.workspaceTimer = setTimeout(() => void this.guard("workspace analysis", () => this.analyseWorkspace(), undefined), delay);
  }

  /**
   * Lints every file of every project (file rules in chunks, yielding between them so edits and cancellation get
   * through), then the project rules, then every open document with its own settings.
   */
  private async analyseWorkspace(): Promise<{ files: number; problems: number }> {
    const generation = ++this.workspaceGeneration;
    const progress = await this.connection.window.createWorkDoneProgress();
    const cancelled = () => generation !== this.workspaceGeneration || progress.token.isCancellationRequested || this.shuttingDown;
    progress.begin("Locksmith", 0, "Finding files", true);
    this.sendStatus({ level: "ok", busy: true, text: "Locksmith: analysing" });
    let files = 0;
    try {
      this.workspace.scan();
      // Every file is analysed again below; this only makes the projects read again what changed on disk.
      const missed = this.workspace.changedOnDisk();
      for (const [file, change] of missed) if (change === "deleted") this.forget(file);
      if (missed.size > 0) this.workspace.applyDiskChanges(missed);
      const openFiles = new Set(this.openUris.keys());
      const projects = this.workspace.allProjects();
      const total = projects.reduce((sum, p) => sum + p.files.size, 0);
      for (const project of projects) {
        for (const file of openFiles) {
          const document = this.documents.get(this.openUris.get(file)!);
          if (document && this.workspace.projectFor(file) === project) project.host.setFileText(file, document.getText());
        }
        const settings = await this.settings.get(uriOf(project.workspaceFolder));
        const closedFiles = [...project.files].filter((f) => !openFiles.has(f));
        if (!settings.enable) {
          for (const file of closedFiles) this.forget(file);
          files += project.files.size;
          continue;
        }
        for (let i = 0; i < closedFiles.length; i += FILES_PER_CHUNK) {
          await yieldToEventLoop();
          if (cancelled()) return { files, problems: this.problemCount() };
          const chunk = closedFiles.slice(i, i + FILES_PER_CHUNK);
          this.store(project, project.lintFiles(chunk, settings, { isCancelled: cancelled }, (m) => this.logError(m)), undefined);
          files += chunk.length;
          progress.report(Math.round((100 * files) / Math.max(total, 1)), `${files}/${total} files`);
        }
        await yieldToEventLoop();
        if (cancelled()) return { files, problems: this.problemCount() };
        this.store(project, undefined, project.lintProject(settings, { isCancelled: cancelled }, (m) => this.logError(m)));
        files += project.files.size - closedFiles.length;
      }
      for (const uri of this.openUris.values()) {
        if (cancelled()) break;
        // A document being typed in gets its pending analysis, of its latest text; analysing it now would publish an
        // intermediate text of the burst.
        if (this.analysisPending(uri)) continue;
        await this.lintDocument(uri);
      }
      // The analysis left its garbage behind: collect it now rather than during the next keystrokes.
      if (!cancelled()) collectGarbage();
    } finally {
      progress.done();
      if (generation === this.workspaceGeneration) this.publishStatus();
    }
    return { files, problems: this.problemCount() };
  }

  private watchedFilesChanged(params: DidChangeWatchedFilesParams): void {
    let reload = false;
    for (const change of params.changes) {
      const file = fileOf(change.uri);
      if (!file) continue;
      const base = path.basename(file);
      if (base === "locksmith.json" || base === "package.json") {
        for (const project of this.workspace.allProjects()) project.reloadConfig();
        this.reportedProblems.clear();
        reload = true;
      } else if (/^tsconfig.*\.json$/.test(base)) {
        this.workspace.reset();
        this.reportedProblems.clear();
        reload = true;
      } else if (SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !this.openUris.has(file)) {
        // An open file's text comes from its buffer; the disk does not matter until it is closed.
        this.diskChanges.set(file, change.type === FileChangeType.Created ? "created" : change.type === FileChangeType.Deleted ? "deleted" : "changed");
      }
    }
    if (reload) this.scheduleWorkspace();
    this.scheduleDiskChanges();
  }

  private scheduleDiskChanges(): void {
    if (this.diskChanges.size === 0) return;
    clearTimeout(this.diskTimer);
    this.diskTimer = setTimeout(() => void this.guard("analysis of files changed on disk", () => this.analyseDiskChanges(), undefined), this.debounceMs);
  }

  /**
   * Files changed on disk that no watcher reported (the projects' hosts do not stat files on every rebuild): found
   * by a sweep when typing pauses, then analysed like reported changes. Open files are read from their buffers.
   */
  private sweepDisk(): void {
    for (const [file, change] of this.workspace.changedOnDisk()) if (!this.openUris.has(file)) this.diskChanges.set(file, change);
    this.scheduleDiskChanges();
  }

  /**
   * Re-analyses after files changed on disk: only the changed files and the files depending on them get the file rules
   * again (open ones with their buffers and settings), then the project rules run over the project (they cache their
   * per-file work by content, so only changed files cost anything).
   */
  private async analyseDiskChanges(): Promise<void> {
    const changes = new Map(this.diskChanges);
    this.diskChanges.clear();
    if (this.shuttingDown) return;
    const started = performance.now();
    const toLint = this.workspace.applyDiskChanges(changes);
    for (const [file, change] of changes) if (change === "deleted") this.forget(file);
    let linted = 0;
    for (const [project, files] of toLint) {
      const settings = await this.settings.get(uriOf(project.workspaceFolder));
      if (this.shuttingDown) return;
      if (!settings.enable) continue;
      const log = (m: string) => this.logError(m);
      const closed = [...files].filter((file) => !this.openUris.has(file));
      // In chunks, so that typing is answered meanwhile (a saved file may have a thousand importers).
      for (let i = 0; i < closed.length; i += FILES_PER_CHUNK) {
        if (i > 0) await yieldToEventLoop();
        if (this.shuttingDown) return;
        this.store(project, project.lintFiles(closed.slice(i, i + FILES_PER_CHUNK), settings, {}, log), undefined);
      }
      this.store(project, undefined, project.lintProject(settings, {}, log));
      linted += closed.length;
      for (const file of files) {
        const uri = this.openUris.get(file);
        if (uri && (await this.lintDocument(uri))) linted++;
      }
    }
    // A large batch (a branch switch) leaves the garbage of hundreds of parses: collect it now, as after the workspace analysis.
    if (linted >= LARGE_BATCH_FILES) collectGarbage();
    this.publishStatus();
    const milliseconds = Math.round(performance.now() - started);
    this.connection.console.info(`Locksmith: ${changes.size} file${changes.size === 1 ? "" : "s"} changed on disk; re-linted ${linted} file${linted === 1 ? "" : "s"} in ${milliseconds} ms`);
  }

  // ----- code actions -----

  private async codeActions(params: CodeActionParams, token: CancellationToken): Promise<CodeAction[]> {
    const built = await this.buildActions(params.textDocument.uri, params.range, params.context.only, token);
    if (!built) return [];
    return built.actions.map(({ id, action }) => {
      if (!this.support.lazyEdits || !action.edit) return action;
      const { edit: _edit, ...rest } = action;
      const data: ActionData = { uri: params.textDocument.uri, version: built.version, range: params.range, id };
      return { ...rest, data };
    });
  }

  private async resolveCodeAction(action: CodeAction, token: CancellationToken): Promise<CodeAction> {
    const data = action.data as ActionData | undefined;
    if (!data || typeof data !== "object" || typeof data.uri !== "string" || typeof data.id !== "string") return action;
    const built = await this.buildActions(data.uri, data.range, action.kind ? [action.kind] : undefined, token);
    if (!built || built.version !== data.version) return action;
    const found = built.actions.find((a) => a.id === data.id);
    return found?.action.edit ? { ...action, edit: found.action.edit } : action;
  }

  /** Actions for the document's current text (analysed first if needed); a cancelled request is answered as such. */
  private async buildActions(uri: string, range: CodeActionParams["range"], only: readonly string[] | undefined, token: CancellationToken) {
    const document = this.documents.get(uri);
    const file = fileOf(uri);
    if (!document || !file || !isSourceFile(file)) return undefined;
    const settings = await this.settings.get(uri);
    throwIfCancelled(token);
    if (!settings.enable) return undefined;
    let state = this.states.get(file);
    if (!state || state.sourceFile.text !== document.getText() || state.projectSourceFile !== state.sourceFile) state = await this.lintDocument(uri);
    throwIfCancelled(token);
    if (!state || state.sourceFile.text !== document.getText()) return undefined;
    const project = this.workspace.projectFor(file);
    const positionOf = this.positionResolver(project);
    const text = document.getText();
    const actions = codeActions({
      sourceFile: state.sourceFile,
      diagnostics: [...state.fileDiagnostics, ...state.projectDiagnostics],
      range,
      only,
      positionOf,
      versionOf: (f) => {
        const openUri = this.openUris.get(f);
        return (openUri ? this.documents.get(openUri)?.version : undefined) ?? null;
      },
      fixAll: () => this.fixAll(project, file, text, settings),
    });
    return { version: document.version, actions };
  }

  /** Applies safe fixes in memory until none is left (as `locksmith lint --fix` does), then restores the buffer. */
  private fixAll(project: Project, file: string, text: string, settings: EditorSettings): { edits: TextEdit[]; newFiles: NewFile[] } | undefined {
    const host = project.host;
    const log = (m: string) => this.logError(m);
    let current = text;
    const created = new Set<string>();
    let newFiles: NewFile[];
    try {
      host.setFileText(file, text);
      ({ newFiles } = fixUntilStable(
        () => {
          const fileRun = project.lintFiles([file], settings, {}, log);
          const projectRun = project.lintProject(settings, {}, log);
          const diagnostics = [...fileRun.results, ...(projectRun?.results ?? [])].filter((r) => r.fileName === file).flatMap((r) => r.diagnostics);
          return { run: undefined, files: [{ fileName: file, text: current, diagnostics }] };
        },
        (fileName, newText) => {
          if (fileName === file) current = newText;
          else created.add(fileName);
          host.setFileText(fileName, newText);
        },
      ));
    } finally {
      host.setFileText(file, text);
      for (const path of created) host.clearFileText(path);
    }
    if (current === text) return undefined;
    return { edits: [minimalEdit(file, text, current)], newFiles };
  }



  // ----- commands and status -----

  private async executeCommand(command: string, args: unknown[]): Promise<unknown> {
    switch (command) {
      case COMMANDS.showDocumentation: {
        const ruleId = args[0];
        if (typeof ruleId !== "string" || !this.rules.some((r) => r.meta.id === ruleId)) throw new Error(`unknown rule ${JSON.stringify(ruleId)}`);
        const uri = docsUrl(ruleId);
        if (this.support.showDocument) await this.connection.window.showDocument({ uri, takeFocus: true });
        else this.connection.console.info(`Documentation for ${ruleId}: ${uri}`);
        return { uri };
      }
      case COMMANDS.lintWorkspace:
        return this.analyseWorkspace();
      case COMMANDS.vendorRuntime: {
        const options = (args[0] ?? {}) as { uri?: unknown };
        const target = typeof options.uri === "string" ? fileOf(options.uri) : this.workspace.folders[0];
        if (!target) throw new Error("no workspace folder to vendor the runtime into");
        const project = this.workspace.projectFor(target);
        const settings = await this.settings.get(uriOf(target));
        const vendoredPath = project.vendorTarget(settings);
        const result = vendorRuntime(vendoredPath, true);
        this.connection.console.info(`Locksmith: vendored runtime ${result}: ${vendoredPath}`);
        for (const p of this.workspace.allProjects()) p.host.invalidate(vendoredPath);
        this.scheduleWorkspace();
        return { path: vendoredPath, result };
      }
      default:
        throw new Error(`unknown command ${command}`);
    }
  }

  private problemCount(): number {
    let count = 0;
    for (const state of this.states.values()) count += state.published.length;
    return count;
  }

  /** Status after an analysis: configuration and project problems first, else the number of problems. */
  private publishStatus(): void {
    const problems: string[] = [];
    for (const project of this.workspace.allProjects()) {
      if (project.loadError) problems.push(project.loadError);
      const configError = project.config.error;
      if (configError) problems.push(configError);
    }
    const unique = [...new Set(problems)];
    for (const problem of unique) this.reportProblem(`Locksmith: ${problem}`);
    if (unique.length > 0) {
      this.sendStatus({ level: "warning", busy: false, text: "Locksmith: configuration problem", detail: unique.join("\n") });
    } else {
      const count = this.problemCount();
      this.sendStatus({ level: "ok", busy: false, text: `Locksmith: ${count} problem${count === 1 ? "" : "s"}` });
    }
  }

  private lastStatus = "";

  private sendStatus(status: StatusParams): void {
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    void this.connection.sendNotification(StatusNotification, status);
  }

  /** Logs a problem once (until configuration reloads), so a bad locksmith.json does not flood the log. */
  private reportProblem(message: string): void {
    if (this.reportedProblems.has(message)) return;
    this.reportedProblems.add(message);
    this.logError(message);
  }

  private logError(message: string): void {
    this.connection.console.error(message);
  }

  private async guard<T>(what: string, run: () => T | Promise<T>, fallback: T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      const err = error instanceof Error ? error : new Error(String(error));
      this.logError(`Locksmith: ${what} failed: ${err.message}\n${err.stack ?? ""}`);
      return fallback;
    }
  }

  /** A request handler: after `shutdown`, LSP allows only `exit`, so anything else is an InvalidRequest. */
  private async request<T>(what: string, run: () => T | Promise<T>, fallback: T): Promise<T> {
    if (this.shuttingDown) throw new ResponseError(ErrorCodes.InvalidRequest, `${what}: the server is shutting down`);
    return this.guard(what, run, fallback);
  }

  /** A notification handler: ignored after `shutdown`. */
  private guardSync(what: string, run: () => void): void {
    if (!this.shuttingDown) void this.guard(what, run, undefined);
  }
}

function throwIfCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, "cancelled");
}

function isSourceFile(file: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !file.endsWith(".d.ts");
}

/**
 * `file`'s diagnostics moved from `before` to `after` its text changed: spans in it after the changed range shift
 * with the edit, those overlapping the change are dropped (a diagnostic whose own span does) until the rules run again.
 */
function movedByEdit(diagnostics: readonly Diagnostic[], file: string, before: string, after: string): Diagnostic[] {
  if (diagnostics.length === 0) return [];
  const shortest = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < shortest && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < shortest - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
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

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

