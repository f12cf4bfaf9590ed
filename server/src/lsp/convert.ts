// Engine values (UTF-16 offsets, absolute paths) to LSP values (line/character, URIs) and back.
import * as fs from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
import {
  CreateFile,
  DiagnosticSeverity,
  OptionalVersionedTextDocumentIdentifier,
  TextDocumentEdit,
  type Diagnostic as LspDiagnostic,
  type Position,
  type Range,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import { docsPath, docsUrl } from "../../../rules/index";
import { normalizePath } from "../engine/paths";
import type { Diagnostic, Fix, NewFile, TextEdit } from "../engine/types";

export const SOURCE = "locksmith";

/** Offsets of a file to positions; the file's current text (open buffer or disk) must be the one the offsets refer to. */
export type PositionOf = (fileName: string, offset: number) => Position;

export function uriOf(fileName: string): string {
  return pathToFileURL(fileName).href;
}

/** The absolute, normalised path of a file: URI, or undefined for other schemes (untitled buffers, remote files). */
export function fileOf(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return normalizePath(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

const hasDocs = new Map<string, boolean>();

function docsHref(ruleId: string): string | undefined {
  let exists = hasDocs.get(ruleId);
  if (exists === undefined) hasDocs.set(ruleId, (exists = fs.existsSync(docsPath(ruleId))));
  return exists ? docsUrl(ruleId) : undefined;
}

export function rangeOf(fileName: string, start: number, end: number, positionOf: PositionOf): Range {
  return { start: positionOf(fileName, start), end: positionOf(fileName, end) };
}

/** A finding as an LSP diagnostic; its help (advice apart from the headline) is a last related entry at its own location. */
export function toLspDiagnostic(diagnostic: Diagnostic, positionOf: PositionOf): LspDiagnostic {
  const { span } = diagnostic;
  const href = docsHref(diagnostic.ruleId);
  const related = diagnostic.help === undefined ? diagnostic.related : [...diagnostic.related, { span, message: diagnostic.help }];
  return {
    range: rangeOf(span.file, span.start, span.end, positionOf),
    severity: diagnostic.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    code: diagnostic.ruleId,
    ...(href ? { codeDescription: { href } } : {}),
    message: diagnostic.message,
    relatedInformation: related.map((r) => ({
      location: { uri: uriOf(r.span.file), range: rangeOf(r.span.file, r.span.start, r.span.end, positionOf) },
      message: r.message,
    })),
  };
}

/** A fix as a workspace edit: new files first (created only if absent), then the text edits of each file. */
export function workspaceEditOf(fix: Fix, positionOf: PositionOf, versionOf: (fileName: string) => number | null): WorkspaceEdit {
  return documentChanges(fix.edits, fix.newFiles ?? [], positionOf, versionOf);
}

export function documentChanges(
  edits: readonly TextEdit[],
  newFiles: readonly NewFile[],
  positionOf: PositionOf,
  versionOf: (fileName: string) => number | null,
): WorkspaceEdit {
  const changes: WorkspaceEdit["documentChanges"] = [];
  for (const file of newFiles) {
    if (fs.existsSync(file.path)) continue;
    const uri = uriOf(normalizePath(file.path));
    changes.push(CreateFile.create(uri, { ignoreIfExists: true }));
    changes.push(
      TextDocumentEdit.create(OptionalVersionedTextDocumentIdentifier.create(uri, null), [
        { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: file.text },
      ]),
    );
  }
  const byFile = new Map<string, LspTextEdit[]>();
  for (const edit of edits) {
    const file = normalizePath(edit.file);
    const list = byFile.get(file) ?? [];
    list.push({ range: rangeOf(file, edit.start, edit.end, positionOf), newText: edit.newText });
    byFile.set(file, list);
  }
  for (const [file, list] of byFile)
    changes.push(TextDocumentEdit.create(OptionalVersionedTextDocumentIdentifier.create(uriOf(file), versionOf(file)), list));
  return { documentChanges: changes };
}

/** The smallest single edit turning `before` into `after` (keeps the cursor where it was on fix-on-save). */
export function minimalEdit(fileName: string, before: string, after: string): TextEdit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  return { file: fileName, start, end: endBefore, newText: after.slice(start, endAfter) };
}
