// A minimal LSP client for protocol tests: starts the server in-process (two pairs of streams) or as the real
// `--stdio` binary, answers the server's requests (configuration, progress, registrations, showDocument), records
// what it publishes, and polls for expected states (never a fixed sleep).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import {
  createConnection,
  type ClientCapabilities,
  type Diagnostic,
  type InitializeResult,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import { startServer, type ServerOptions } from "../../server/src/lsp/server";
import type { StatusParams } from "../../server/src/lsp/protocol";

export const REPO_ROOT = path.join(__dirname, "..", "..", "..");

export function uri(file: string): string {
  return pathToFileURL(file).href;
}

/** A temporary project folder with the given files (relative path → text). */
export function makeWorkspace(files: Record<string, string>): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-lsp-")));
  for (const [rel, text] of Object.entries(files)) writeFile(root, rel, text);
  return root;
}

export function writeFile(root: string, rel: string, text: string): string {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

export const FULL_CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true, resourceOperations: ["create"] },
  },
  textDocument: {
    publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true },
    codeAction: {
      codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix", "source", "source.fixAll"] } },
      isPreferredSupport: true,
    },
  },
  window: { workDoneProgress: true, showDocument: { support: true } },
};

export interface Notification {
  method: string;
  params: unknown;
}

export class Client {
  /** Last diagnostics published per URI. */
  readonly diagnostics = new Map<string, Diagnostic[]>();
  /** Every publication, in order (URI and diagnostics). */
  readonly publications: Array<{ uri: string; diagnostics: Diagnostic[] }> = [];
  readonly statuses: StatusParams[] = [];
  readonly logs: string[] = [];
  readonly shownDocuments: string[] = [];
  readonly progress: unknown[] = [];
  /** Answer to `workspace/configuration` (the `locksmith` section), for every resource. */
  settings: Record<string, unknown> = {};
  private versions = new Map<string, number>();

  /** `input` is the stream the connection writes to the server, for `sendTogether`. */
  constructor(
    readonly connection: MessageConnection,
    private readonly input: NodeJS.WritableStream,
    readonly child?: ChildProcess,
  ) {
    connection.onNotification("textDocument/publishDiagnostics", (params: { uri: string; diagnostics: Diagnostic[] }) => {
      this.diagnostics.set(params.uri, params.diagnostics);
      this.publications.push(params);
    });
    connection.onNotification("locksmith/status", (params: StatusParams) => void this.statuses.push(params));
    connection.onNotification("window/logMessage", (params: { message: string }) => void this.logs.push(params.message));
    connection.onNotification("$/progress", (params: unknown) => void this.progress.push(params));
    connection.onRequest("workspace/configuration", (params: { items: unknown[] }) => params.items.map(() => this.settings));
    connection.onRequest("window/workDoneProgress/create", () => null);
    connection.onRequest("client/registerCapability", () => null);
    connection.onRequest("window/showDocument", (params: { uri: string }) => {
      this.shownDocuments.push(params.uri);
      return { success: true };
    });
    connection.listen();
  }

  async initialize(folder: string, capabilities: ClientCapabilities = FULL_CAPABILITIES): Promise<InitializeResult> {
    const result = await this.connection.sendRequest<InitializeResult>("initialize", {
      // With a process id the server polls whether its parent lives, which would keep an in-process test alive.
      processId: this.child ? process.pid : null,
      rootUri: uri(folder),
      workspaceFolders: [{ uri: uri(folder), name: path.basename(folder) }],
      capabilities,
    });
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  open(file: string, text = fs.readFileSync(file, "utf8")): Promise<void> {
    return this.send(this.openMessage(file, text));
  }

  change(file: string, text: string): Promise<void> {
    return this.send(this.changeMessage(file, text));
  }

  openMessage(file: string, text: string): Notification {
    this.versions.set(file, 1);
    return { method: "textDocument/didOpen", params: { textDocument: { uri: uri(file), languageId: "typescript", version: 1, text } } };
  }

  changeMessage(file: string, text: string): Notification {
    const version = (this.versions.get(file) ?? 1) + 1;
    this.versions.set(file, version);
    return { method: "textDocument/didChange", params: { textDocument: { uri: uri(file), version }, contentChanges: [{ text }] } };
  }

  /**
   * Sends notifications in one write, as a burst an editor has already sent is in the pipe when the server reads it.
   * (Separate sends are not "together": the connection writes each message in a later turn of the event loop, so the
   * server may finish handling the first before the next arrives.) Await the earlier sends first.
   */
  sendTogether(messages: Notification[]): Promise<void> {
    const frames = messages.map((m) => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...m }), "utf8");
      return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]);
    });
    return new Promise((resolve, reject) => void this.input.write(Buffer.concat(frames), (error) => (error ? reject(error) : resolve())));
  }

  private send(message: Notification): Promise<void> {
    return this.connection.sendNotification(message.method, message.params);
  }

  close(file: string): Promise<void> {
    return this.connection.sendNotification("textDocument/didClose", { textDocument: { uri: uri(file) } });
  }

  /** Polls `probe` until it returns something other than undefined/false. */
  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) {
        const published = this.publications.map((p) => `${p.uri}: ${p.diagnostics.map((d) => d.message).join(" | ")}`);
        throw new Error(`timed out waiting for ${what}; logs:\n${this.logs.join("\n")}\npublished:\n${published.join("\n")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits until the diagnostics of `file` satisfy `predicate`. */
  waitForDiagnostics(
    file: string,
    predicate: (diagnostics: Diagnostic[]) => boolean,
    what = `diagnostics of ${path.basename(file)}`,
  ): Promise<Diagnostic[]> {
    return this.waitFor(what, () => {
      const diagnostics = this.diagnostics.get(uri(file));
      return diagnostics && predicate(diagnostics) ? diagnostics : undefined;
    });
  }

  dispose(): void {
    this.connection.dispose();
    this.child?.kill();
  }
}

/** The server in this process, over two pairs of streams. */
export function startInProcess(options: ServerOptions = {}): Client {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  // Reader/writer objects, not raw streams: with streams, vscode-languageserver exits the process when they end.
  // Nothing kept between sessions unless a test names a storage folder.
  startServer(createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient)), {
    debounceMs: 20,
    storagePath: null,
    ...options,
  });
  return new Client(createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer)), toServer);
}

/** The real binary (or another build of the server, such as the packaged bundle), as an editor starts it. */
export function startBinary(serverScript = path.join(REPO_ROOT, "server", "bin", "locksmith-language-server.js")): Client {
  // The findings it keeps for the next start go to a folder of its own, not the user's cache.
  const env = { ...process.env, XDG_CACHE_HOME: fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-cache-")) };
  const child = spawn(process.execPath, [serverScript, "--stdio"], { stdio: ["pipe", "pipe", "inherit"], env });
  return new Client(
    createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!)),
    child.stdin!,
    child,
  );
}

/** Applies a WorkspaceEdit to the given texts (by URI) and returns the new texts; created files start empty. */
export function applyWorkspaceEdit(edit: WorkspaceEdit, texts: Map<string, string>): Map<string, string> {
  const out = new Map(texts);
  for (const change of edit.documentChanges ?? []) {
    if ("kind" in change) {
      if (change.kind === "create" && !out.has(change.uri)) out.set(change.uri, "");
      continue;
    }
    const text = out.get(change.textDocument.uri);
    if (text === undefined) throw new Error(`edit of unknown document ${change.textDocument.uri}`);
    const offsets = lineOffsets(text);
    const at = (p: { line: number; character: number }) => (offsets[p.line] ?? text.length) + p.character;
    const edits = [...change.edits].sort((a, b) => at(b.range.start) - at(a.range.start));
    let next = text;
    for (const e of edits)
      next = next.slice(0, at(e.range.start)) + ("newText" in e ? e.newText : e.snippet.value) + next.slice(at(e.range.end));
    out.set(change.textDocument.uri, next);
  }
  return out;
}

function lineOffsets(text: string): number[] {
  const offsets = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") offsets.push(i + 1);
  return offsets;
}
