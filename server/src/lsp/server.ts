// The Locksmith language server: LSP wiring and handlers. Diagnostics for open files as you type (scheduler.ts
// debounces; the edited file's own findings first, then the project rules'; stale results never published,
// diagnostics-store.ts) and for the whole workspace and disk changes (workspace-analysis.ts; project rules such as
// lock order need every file), code actions, fix-all, commands, a status notification and the lock-order graph.
// Editor-agnostic: speaks plain LSP, never imports `vscode`. Every handler is guarded: an error is logged and
// answered with an empty result, never a crash.
import * as path from "node:path";
import * as fs from "node:fs";
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
  type DidChangeWatchedFilesParams,
  type InitializeParams,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { RULES, docsUrl } from "../../../rules/index";
import { VERSION } from "../version";
import { parseOptions, SOURCE_EXTENSIONS } from "../engine/project";
import { ts } from "../engine/ts";
import { vendorRuntime } from "../engine/runtime-import";
import type { Rule } from "../engine/types";
import { codeActions, fixAll, FIX_ALL_KIND, type ActionData } from "./code-actions";
import { fileOf, uriOf } from "./convert";
import { DiagnosticsStore, type FileState } from "./diagnostics-store";
import { lockHelperHover } from "./hover";
import { lockOrderGraph } from "./lock-order-graph";
import { OpenDocuments, type OpenDocument } from "./open-documents";
import { defaultStoragePath, OpeningCache } from "./opening-cache";
import { COMMANDS, LockOrderGraphRequest, type VendorRuntimeResult } from "./protocol";
import { Workspace } from "./projects";
import { Scheduler } from "./scheduler";
import { SettingsStore, type EditorSettings } from "./settings";
import { Status } from "./status";
import { WorkspaceAnalysis, yieldToEventLoop } from "./workspace-analysis";

export interface ServerOptions {
  /** The rules to run (tests pass their own); default: the registry. */
  rules?: readonly Rule[];
  /**
   * Delay between a keystroke and the analysis of a document while typing goes on (a later keystroke restarts it).
   * A change that finds the server idle (the previous text analysed, or no change for this long) is analysed at once.
   */
  debounceMs?: number;
  /**
   * Where the findings of the last analysis are kept for the next start (opening-cache.ts), unless the client names a
   * folder (initializationOptions.storagePath); null: nowhere. Default: defaultStoragePath().
   */
  storagePath?: string | null;
}

interface ClientSupport {
  configuration: boolean;
  watchedFilesRegistration: boolean;
  configurationRegistration: boolean;
  lazyEdits: boolean;
  showDocument: boolean;
  workspaceFolders: boolean;
}

/**
 * After an edit's file-rule findings are published, the project rules (a pass over every file) wait until the file
 * has been quiet this long: while typing goes on, each pause costs only the edited file's rules.
 */
const PROJECT_RULES_QUIET_MS = 250;

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const storagePath = options.storagePath === undefined ? defaultStoragePath() : (options.storagePath ?? undefined);
  new LocksmithServer(connection, options.rules ?? RULES, options.debounceMs ?? 50, storagePath).listen();
}

class LocksmithServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly open = new OpenDocuments(this.documents);
  private readonly workspace: Workspace;
  private readonly settings: SettingsStore;
  private readonly status: Status;
  private readonly store: DiagnosticsStore;
  private readonly scheduler: Scheduler;
  private readonly analysis: WorkspaceAnalysis;
  /** Set by `initialize` (the client may name the storage folder). */
  private openingCache: OpeningCache | undefined;
  private support: ClientSupport = {
    configuration: false,
    watchedFilesRegistration: false,
    configurationRegistration: false,
    lazyEdits: false,
    showDocument: false,
    workspaceFolders: false,
  };
  private shuttingDown = false;
  private readonly log = (message: string) => this.status.logError(message);

  constructor(
    private readonly connection: Connection,
    private readonly rules: readonly Rule[],
    debounceMs: number,
    private readonly storagePath: string | undefined,
  ) {
    this.status = new Status(connection);
    this.workspace = new Workspace(rules, this.log);
    this.settings = new SettingsStore(connection, (message) => this.log(`Locksmith: ${message}`));
    this.store = new DiagnosticsStore(connection, this.open, this.status);
    this.scheduler = new Scheduler(
      debounceMs,
      (document) => void this.guard("lint", () => this.lintDocument(document.uri, PROJECT_RULES_QUIET_MS), undefined),
    );
    this.analysis = new WorkspaceAnalysis(
      {
        connection,
        workspace: this.workspace,
        settings: this.settings,
        open: this.open,
        store: this.store,
        status: this.status,
        lintDocument: (uri) => this.lintDocument(uri),
        openingCache: () => this.openingCache,
        guard: (what, run) => void this.guard(what, run, undefined),
        publishStatus: () => this.publishStatus(),
      },
      debounceMs,
    );
  }

  listen(): void {
    const { connection, documents } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => this.guard("initialized", () => this.initialized(), undefined));
    connection.onShutdown(() => {
      this.shuttingDown = true;
      this.analysis.stop();
      this.open.cancelAll();
    });
    documents.onDidOpen(({ document }) => this.guardSync("didOpen", () => this.opened(document)));
    documents.onDidChangeContent(({ document }) => this.guardSync("didChange", () => this.changed(document)));
    documents.onDidClose(({ document }) => this.guardSync("didClose", () => this.closed(document)));
    documents.onDidSave(({ document }) => this.guardSync("didSave", () => this.saved(document)));
    connection.onDidChangeConfiguration((params) =>
      this.guardSync("didChangeConfiguration", () => {
        const pushed = (params.settings as { locksmith?: unknown } | null | undefined)?.locksmith;
        this.settings.clear(pushed);
        this.analysis.scheduleWorkspace();
      }),
    );
    connection.onDidChangeWatchedFiles((params) => this.guardSync("didChangeWatchedFiles", () => this.watchedFilesChanged(params)));
    connection.onCodeAction((params, token) => this.request("codeAction", () => this.codeActions(params, token), []));
    connection.onCodeActionResolve((action, token) =>
      this.request("codeAction/resolve", () => this.resolveCodeAction(action, token), action),
    );
    connection.onExecuteCommand((params) =>
      this.request(`command ${params.command}`, () => this.executeCommand(params.command, params.arguments ?? []), null),
    );
    connection.onHover((params) =>
      this.request(
        "hover",
        () => {
          const file = fileOf(params.textDocument.uri);
          return file === undefined ? null : lockHelperHover(this.workspace, file, params.position);
        },
        null,
      ),
    );
    connection.onRequest(LockOrderGraphRequest, (params) =>
      this.request("locksmith/lockOrderGraph", () => lockOrderGraph(this.workspace, params?.uri ? fileOf(params.uri) : undefined), {
        projects: [],
      }),
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
    this.settings.clientAsks = this.support.configuration;
    const options = params.initializationOptions as { settings?: unknown; storagePath?: unknown } | undefined;
    if (options?.settings !== undefined) this.settings.clear(options.settings);
    const storagePath = typeof options?.storagePath === "string" ? options.storagePath : this.storagePath;
    this.openingCache = new OpeningCache(storagePath, this.rules);
    const folders = params.workspaceFolders?.map((f) => fileOf(f.uri)) ?? [
      params.rootUri ? fileOf(params.rootUri) : (params.rootPath ?? undefined),
    ];
    this.workspace.setFolders(folders.filter((f): f is string => f !== undefined));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
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
        watchers: [
          { globPattern: "**/locksmith.json" },
          { globPattern: "**/package.json" },
          { globPattern: "**/tsconfig*.json" },
          { globPattern: sources },
        ],
      });
    }
    if (this.support.workspaceFolders) {
      this.connection.workspace.onDidChangeWorkspaceFolders((event) =>
        this.guardSync("didChangeWorkspaceFolders", () => {
          const removed = new Set(event.removed.map((f) => fileOf(f.uri)));
          const kept = this.workspace.folders.filter((f) => !removed.has(f));
          const added = event.added.map((f) => fileOf(f.uri)).filter((f): f is string => f !== undefined);
          this.workspace.setFolders([...kept, ...added]);
          this.analysis.scheduleWorkspace();
        }),
      );
    }
    this.analysis.scheduleWorkspace(0);
  }

  // ----- documents -----

  private opened(document: TextDocument): void {
    const open = this.open.open(document.uri);
    if (open && !isSourceFile(open.file)) open.markShown();
  }

  private changed(document: TextDocument): void {
    const open = this.open.ofUri(document.uri);
    if (!open || !isSourceFile(open.file)) return;
    const project = this.workspace.projectFor(open.file);
    project.addFiles([open.file]);
    project.host.setFileText(open.file, document.getText());
    this.openingCache?.changed(open.file, document.getText());
    this.scheduler.changed(open, document.version);
  }

  /**
   * A saved file is taken as changed on disk: the files importing it are analysed again with what it now declares
   * (while it is typed in, only the file itself is, as its importers would cost a pass at every pause).
   */
  private saved(document: TextDocument): void {
    const file = fileOf(document.uri);
    if (!file || !isSourceFile(file)) return;
    this.analysis.diskChanged(file, "changed");
    this.analysis.scheduleDiskChanges();
  }

  private closed(document: TextDocument): void {
    this.open.close(document.uri);
    const file = fileOf(document.uri);
    if (!file || !isSourceFile(file)) return;
    const project = this.workspace.projectFor(file);
    project.host.clearFileText(file);
    if (!fs.existsSync(file)) {
      // A buffer that was never saved (or whose file was deleted) is gone with its findings.
      project.removeFile(file);
      this.store.forget(file);
    }
    // The file is analysed again as it is on disk (its workspace findings stay visible, as in the Problems panel).
    this.analysis.scheduleWorkspace();
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
    const open = this.open.ofUri(uri);
    if (!document || !open || !isSourceFile(open.file) || this.shuttingDown) return undefined;
    const { file } = open;
    const version = document.version;
    // From its scheduled time until its file rules ran, the document's analysis is pending (see DiagnosticsStore.store).
    open.pendingSettings++;
    let settings: EditorSettings;
    try {
      settings = await this.settings.get(uri);
    } finally {
      open.pendingSettings--;
    }
    if (!this.isCurrent(open, version)) return undefined;
    if (!settings.enable) {
      this.store.forget(file);
      open.markShown();
      return undefined;
    }
    const project = this.workspace.projectFor(file);
    if (!this.store.get(file)) {
      // Nothing shown for the file yet (it was just opened): before any Program is built (on a large project or one
      // with heavy typings that takes seconds), the last analysis's findings if what they depend on is unchanged,
      // else what the file's text alone decides.
      const text = document.getText();
      const cached = this.openingCache?.findingsFor(project, file, settings, (f) => this.open.textOf(f)?.getText());
      if (cached) this.store.storeCached(file, () => project.host.parsedWith(file, text) ?? parseText(file, text), cached);
      else {
        const early = project.lintText(file, text, settings, this.log);
        if (early.result) this.store.storeTextOnly(project, early.result);
      }
      open.markShown();
      await yieldToEventLoop();
      if (!this.isCurrent(open, version)) return undefined;
    }
    project.addFiles([file]);
    project.host.setFileText(file, document.getText());
    this.store.store(project, project.lintFocused(file, settings, {}, this.log), undefined);
    open.markShown();
    open.analysedVersion = version;
    await (projectDelayMs > 0 ? new Promise((resolve) => setTimeout(resolve, projectDelayMs)) : yieldToEventLoop());
    if (!this.isCurrent(open, version)) return undefined;
    if (projectDelayMs > 0) this.analysis.sweepDisk();
    this.store.store(project, undefined, project.lintProject(settings, {}, this.log));
    this.publishStatus();
    return this.store.get(file);
  }

  /** Whether `open` is still open at `version` (else a newer analysis, or none, is due). */
  private isCurrent(open: OpenDocument, version: number): boolean {
    return !this.shuttingDown && this.open.get(open.file) === open && this.documents.get(open.uri)?.version === version;
  }

  private watchedFilesChanged(params: DidChangeWatchedFilesParams): void {
    let reload = false;
    for (const change of params.changes) {
      const file = fileOf(change.uri);
      if (!file) continue;
      const base = path.basename(file);
      if (base === "locksmith.json" || base === "package.json") {
        for (const project of this.workspace.allProjects()) project.reloadConfig();
        this.status.clearProblems();
        reload = true;
      } else if (/^tsconfig.*\.json$/.test(base)) {
        this.workspace.reset();
        this.status.clearProblems();
        reload = true;
      } else if (SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !this.open.has(file)) {
        // An open file's text comes from its buffer; the disk does not matter until it is closed.
        this.analysis.diskChanged(
          file,
          change.type === FileChangeType.Created ? "created" : change.type === FileChangeType.Deleted ? "deleted" : "changed",
        );
      }
    }
    if (reload) this.analysis.scheduleWorkspace();
    this.analysis.scheduleDiskChanges();
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
    let state = this.store.get(file);
    if (!state || state.textOnly || state.sourceFile.text !== document.getText() || state.projectSourceFile !== state.sourceFile)
      state = await this.lintDocument(uri);
    throwIfCancelled(token);
    if (!state || state.sourceFile.text !== document.getText()) return undefined;
    const project = this.workspace.projectFor(file);
    const positionOf = this.store.positionResolver(project);
    const text = document.getText();
    const actions = codeActions({
      sourceFile: state.sourceFile,
      diagnostics: [...state.fileDiagnostics, ...state.projectDiagnostics],
      range,
      only,
      positionOf,
      versionOf: (f) => this.open.textOf(f)?.version ?? null,
      fixAll: () => fixAll(project, file, text, settings, this.log),
    });
    return { version: document.version, actions };
  }

  // ----- commands and status -----

  private async executeCommand(command: string, args: unknown[]): Promise<unknown> {
    switch (command) {
      case COMMANDS.showDocumentation: {
        const ruleId = args[0];
        if (typeof ruleId !== "string" || !this.rules.some((r) => r.meta.id === ruleId))
          throw new Error(`unknown rule ${JSON.stringify(ruleId)}`);
        const uri = docsUrl(ruleId);
        if (this.support.showDocument) await this.connection.window.showDocument({ uri, external: true });
        else this.connection.console.info(`Documentation for ${ruleId}: ${uri}`);
        return { uri };
      }
      case COMMANDS.lintWorkspace:
        return this.analysis.analyseWorkspace();
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
        this.analysis.scheduleWorkspace();
        const answer: VendorRuntimeResult = { path: vendoredPath, result };
        return answer;
      }
      default:
        throw new Error(`unknown command ${command}`);
    }
  }

  private publishStatus(): void {
    this.status.publish(this.workspace.allProjects(), () => this.store.problemCount());
  }

  private async guard<T>(what: string, run: () => T | Promise<T>, fallback: T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      const err = error instanceof Error ? error : new Error(String(error));
      this.log(`Locksmith: ${what} failed: ${err.message}\n${err.stack ?? ""}`);
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

function parseText(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, parseOptions(text, ts.ScriptTarget.Latest), true);
}

function isSourceFile(file: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !file.endsWith(".d.ts");
}
