// The server's state for each open document, in one object per document: opening creates it, closing deletes it
// (with its pending analysis), and everything that asks "is this file open, and is its analysis pending?" asks it.
import type { TextDocuments } from "vscode-languageserver/node";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { fileOf } from "./convert";

export class OpenDocument {
  /** The version of the document's last change, and when it came (performance.now()); undefined before the first. */
  version: number | undefined;
  lastChangeAt = 0;
  /** The analysis scheduled for it (a timer, or "soon"; see scheduler.ts). */
  timer: { cancel(): void } | undefined;
  /** The version whose file-rule findings were last published. */
  analysedVersion: number | undefined;
  /** Analyses started but not past their file rules yet (waiting for the settings). */
  pendingSettings = 0;
  /** Settled once the document's first diagnostics are out, or it gets none: the workspace analysis waits for it. */
  readonly shown: Promise<void>;
  /** Settles `shown`. */
  readonly markShown: () => void;

  constructor(
    /** The URI the client used (published diagnostics must use the same spelling). */
    readonly uri: string,
    readonly file: string,
  ) {
    let markShown = () => {};
    this.shown = new Promise((resolve) => (markShown = resolve));
    this.markShown = markShown;
  }

  /**
   * Whether an analysis of the document is scheduled, or started and waiting for its settings: it will publish the
   * findings of the latest text, so what other analyses store for the file meanwhile is not published.
   */
  isPending(): boolean {
    return this.timer !== undefined || this.pendingSettings > 0;
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

/** The open documents, by file (the engine's key); their texts are in `TextDocuments`, by URI. */
export class OpenDocuments {
  private readonly byFile = new Map<string, OpenDocument>();

  constructor(private readonly texts: TextDocuments<TextDocument>) {}

  /** A document opened; undefined for URIs that are not files (untitled buffers, remote files). */
  open(uri: string): OpenDocument | undefined {
    const file = fileOf(uri);
    if (file === undefined) return undefined;
    const document = new OpenDocument(uri, file);
    this.byFile.set(file, document);
    return document;
  }

  /** A document closed: its state is dropped and its pending analysis cancelled. */
  close(uri: string): void {
    const document = this.ofUri(uri);
    if (document?.uri !== uri) return;
    document.cancel();
    document.markShown();
    this.byFile.delete(document.file);
  }

  get(file: string): OpenDocument | undefined {
    return this.byFile.get(file);
  }

  ofUri(uri: string): OpenDocument | undefined {
    const file = fileOf(uri);
    return file === undefined ? undefined : this.byFile.get(file);
  }

  has(file: string): boolean {
    return this.byFile.has(file);
  }

  /** The open file's current text and version. */
  textOf(file: string): TextDocument | undefined {
    const document = this.byFile.get(file);
    return document ? this.texts.get(document.uri) : undefined;
  }

  files(): IterableIterator<string> {
    return this.byFile.keys();
  }

  values(): IterableIterator<OpenDocument> {
    return this.byFile.values();
  }

  /** Shutdown: no analysis runs after it. */
  cancelAll(): void {
    for (const document of this.byFile.values()) document.cancel();
  }
}
