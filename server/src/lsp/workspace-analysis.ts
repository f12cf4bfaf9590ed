// The analyses beyond the edited document: the whole workspace (at start, on configuration changes, on request) and
// the files changed on disk (reported by the file watcher, or found by a sweep when typing pauses). Both lint closed
// files in chunks, yielding between them so that typing is answered meanwhile, then run the project rules; open
// documents are analysed by the server, with their buffers and settings.
import type { Connection } from "vscode-languageserver/node";
import { uriOf } from "./convert";
import type { DiagnosticsStore } from "./diagnostics-store";
import { collectGarbage } from "./idle-gc";
import type { OpenDocument, OpenDocuments } from "./open-documents";
import type { OpeningCache } from "./opening-cache";
import type { DiskChange, Project, Workspace } from "./projects";
import type { LintWorkspaceResult } from "./protocol";
import type { EditorSettings, SettingsStore } from "./settings";
import type { Status } from "./status";

const FILES_PER_CHUNK = 25;
/** How long after the last analysis of disk changes the findings are kept for the next start. */
const RECORD_DELAY_MS = 2000;
/** Re-analysing this many files on disk changes is followed by a full garbage collection (see idle-gc.ts). */
const LARGE_BATCH_FILES = 200;

/** What the analyses use of the server. */
export interface AnalysisHost {
  connection: Connection;
  workspace: Workspace;
  settings: SettingsStore;
  open: OpenDocuments;
  store: DiagnosticsStore;
  status: Status;
  /** Analyses an open document (file rules, then project rules) and publishes its findings. */
  lintDocument(uri: string): Promise<unknown>;
  /** Where the findings are kept for the next start (once initialized). */
  openingCache(): OpeningCache | undefined;
  /** Runs `run`, logging (not throwing) what it throws. */
  guard(what: string, run: () => Promise<unknown>): void;
  publishStatus(): void;
}

export class WorkspaceAnalysis {
  private workspaceTimer: NodeJS.Timeout | undefined;
  /** Files changed on disk and not analysed yet. */
  private readonly diskChanges = new Map<string, DiskChange>();
  private diskTimer: NodeJS.Timeout | undefined;
  /** Bumped by every workspace analysis and by `stop`: an older analysis stops at its next chunk. */
  private generation = 0;
  private stopped = false;
  /** Projects whose findings are kept for the next start once disk changes pause (or at shutdown). */
  private readonly pendingRecords = new Map<Project, { timer: NodeJS.Timeout; settings: EditorSettings }>();

  constructor(
    private readonly host: AnalysisHost,
    /** How long disk changes are collected before they are analysed. */
    private readonly debounceMs: number,
  ) {}

  /** Shutdown: nothing more is analysed. */
  stop(): void {
    for (const [project, { timer, settings }] of this.pendingRecords) {
      clearTimeout(timer);
      this.record(project, settings);
    }
    this.stopped = true;
    this.generation++;
    clearTimeout(this.workspaceTimer);
    clearTimeout(this.diskTimer);
  }

  scheduleWorkspace(delay = 300): void {
    clearTimeout(this.workspaceTimer);
    this.workspaceTimer = setTimeout(() => this.host.guard("workspace analysis", () => this.analyseWorkspace()), delay);
  }

  /** A closed file changed on disk (an open file's text comes from its buffer): analysed with the next batch. */
  diskChanged(file: string, change: DiskChange): void {
    this.diskChanges.set(file, change);
  }

  scheduleDiskChanges(): void {
    if (this.diskChanges.size === 0) return;
    clearTimeout(this.diskTimer);
    this.diskTimer = setTimeout(
      () => this.host.guard("analysis of files changed on disk", () => this.analyseDiskChanges()),
      this.debounceMs,
    );
  }

  /**
   * Files changed on disk that no watcher reported (the projects' hosts do not stat files on every rebuild): found
   * by a sweep when typing pauses, then analysed like reported changes. Open files are read from their buffers.
   */
  sweepDisk(): void {
    for (const [file, change] of this.host.workspace.changedOnDisk()) if (!this.host.open.has(file)) this.diskChanges.set(file, change);
    this.scheduleDiskChanges();
  }

  /** Lints every file of every project (closed files in chunks, then the project rules), then every open document. */
  async analyseWorkspace(): Promise<LintWorkspaceResult> {
    const { connection, workspace, open, store, status } = this.host;
    const generation = ++this.generation;
    const progress = await connection.window.createWorkDoneProgress();
    const cancelled = () => generation !== this.generation || progress.token.isCancellationRequested || this.stopped;
    progress.begin("Locksmith", 0, "Finding files", true);
    status.send({ level: "ok", busy: true, text: "Locksmith: analysing" });
    let files = 0;
    const ended = this.host.openingCache()?.analysisStarting();
    const analysed: Array<[Project, EditorSettings]> = [];
    try {
      // Documents opened as the server starts show their text-only findings first (milliseconds); building the
      // whole Program below blocks for seconds on a large project.
      await firstShown(open.values());
      if (cancelled()) return { files, problems: store.problemCount() };
      workspace.scan();
      // Every file is analysed again below; this only makes the projects read again what changed on disk.
      const missed = workspace.changedOnDisk();
      for (const [file, change] of missed) if (change === "deleted") store.forget(file);
      if (missed.size > 0) workspace.applyDiskChanges(missed);
      const openFiles = new Set(open.files());
      const projects = workspace.allProjects();
      const total = projects.reduce((sum, p) => sum + p.files.size, 0);
      for (const project of projects) {
        for (const file of openFiles) {
          const document = open.textOf(file);
          if (document && workspace.projectFor(file) === project) project.host.setFileText(file, document.getText());
        }
        const settings = await this.host.settings.get(uriOf(project.workspaceFolder));
        const closedFiles = [...project.files].filter((f) => !openFiles.has(f));
        if (!settings.enable) {
          for (const file of closedFiles) store.forget(file);
          files += project.files.size;
          continue;
        }
        const done = await this.lintInChunks(project, closedFiles, settings, cancelled, (chunk) => {
          files += chunk;
          progress.report(Math.round((100 * files) / Math.max(total, 1)), `${files}/${total} files`);
        });
        if (!done) return { files, problems: store.problemCount() };
        files += project.files.size - closedFiles.length;
        analysed.push([project, settings]);
      }
      for (const document of open.values()) {
        if (cancelled()) break;
        // A document being typed in gets its pending analysis, of its latest text; analysing it now would publish an
        // intermediate text of the burst.
        if (document.isPending()) continue;
        await this.host.lintDocument(document.uri);
      }
      if (!cancelled()) {
        // The analysis left its garbage behind: collect it now rather than during the next keystrokes (and before
        // the findings are kept, which would otherwise add to the heap's peak).
        collectGarbage();
        ended?.();
        for (const [project, settings] of analysed) this.record(project, settings);
      }
    } finally {
      progress.done();
      if (generation === this.generation) this.host.publishStatus();
    }
    return { files, problems: store.problemCount() };
  }

  /**
   * Re-analyses after files changed on disk: only the changed files and the files depending on them get the file rules
   * again (open ones with their buffers and settings), then the project rules run over the project (they cache their
   * per-file work by content, so only changed files cost anything).
   */
  private async analyseDiskChanges(): Promise<void> {
    const { connection, workspace, open, store } = this.host;
    const changes = new Map(this.diskChanges);
    this.diskChanges.clear();
    if (this.stopped) return;
    const started = performance.now();
    const ended = this.host.openingCache()?.analysisStarting(changes.keys());
    const toLint = workspace.applyDiskChanges(changes);
    for (const [file, change] of changes) if (change === "deleted") store.forget(file);
    let linted = 0;
    for (const [project, files] of toLint) {
      const settings = await this.host.settings.get(uriOf(project.workspaceFolder));
      if (this.stopped) return;
      if (!settings.enable) continue;
      const closed = [...files].filter((file) => !open.has(file));
      // A saved file may have a thousand importers.
      if (!(await this.lintInChunks(project, closed, settings, () => this.stopped))) return;
      linted += closed.length;
      for (const file of files) {
        const document = open.get(file);
        if (document && (await this.host.lintDocument(document.uri))) linted++;
      }
    }
    ended?.();
    // Keeping the findings costs a hash of every changed file and a write of the project's store: once changes pause.
    for (const [project] of toLint) this.recordSoon(project, await this.host.settings.get(uriOf(project.workspaceFolder)));
    // A large batch (a branch switch) leaves the garbage of hundreds of parses: collect it now, as after the workspace analysis.
    if (linted >= LARGE_BATCH_FILES) collectGarbage();
    this.host.publishStatus();
    const milliseconds = Math.round(performance.now() - started);
    connection.console.info(
      `Locksmith: ${changes.size} file${changes.size === 1 ? "" : "s"} changed on disk; re-linted ${linted} file${linted === 1 ? "" : "s"} in ${milliseconds} ms`,
    );
  }

  private recordSoon(project: Project, settings: EditorSettings): void {
    clearTimeout(this.pendingRecords.get(project)?.timer);
    const timer = setTimeout(() => {
      this.pendingRecords.delete(project);
      this.record(project, settings);
    }, RECORD_DELAY_MS);
    this.pendingRecords.set(project, { timer, settings });
  }

  /** Keeps the project's findings for the next start (opening-cache.ts); the whole Program is current after its analysis. */
  private record(project: Project, settings: EditorSettings): void {
    const cache = this.host.openingCache();
    if (!cache || !settings.enable || this.stopped) return;
    const error = cache.record(project, project.host.getProgram(), settings, (file) => this.host.store.get(file));
    if (error) this.host.connection.console.warn(`Locksmith: cannot keep the findings for the next start: ${error}`);
    cache.forget(project);
  }

  /**
   * The file rules over `files` in chunks, yielding to the event loop before each so that edits and cancellation get
   * through, then the project rules over the whole project. False if cancelled on the way.
   */
  private async lintInChunks(
    project: Project,
    files: readonly string[],
    settings: EditorSettings,
    isCancelled: () => boolean,
    onChunk?: (files: number) => void,
  ): Promise<boolean> {
    const { store } = this.host;
    const log = (message: string) => this.host.status.logError(message);
    for (let i = 0; i < files.length; i += FILES_PER_CHUNK) {
      await yieldToEventLoop();
      if (isCancelled()) return false;
      const chunk = files.slice(i, i + FILES_PER_CHUNK);
      store.store(project, project.lintFiles(chunk, settings, { isCancelled }, log), undefined);
      onChunk?.(chunk.length);
    }
    await yieldToEventLoop();
    if (isCancelled()) return false;
    store.store(project, undefined, project.lintProject(settings, { isCancelled }, log));
    return true;
  }
}

/** How long the workspace analysis waits for the first diagnostics of documents opened as it starts, at most. */
const FIRST_SHOWN_WAIT_MS = 2000;

function firstShown(documents: Iterable<OpenDocument>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise((resolve) => (timer = setTimeout(resolve, FIRST_SHOWN_WAIT_MS)));
  return Promise.race([Promise.all([...documents].map((d) => d.shown)), waited]).finally(() => clearTimeout(timer));
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
