// Code actions for one document: each finding's fixes (the first one preferred) and suggestions, "Disable <rule>
// for this line / for this file" (merged into an existing directive), "Show documentation for <rule>", and
// `source.fixAll.locksmith` for fix-on-save. Built from the engine's diagnostics of the document's current text.
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range } from "vscode-languageserver/node";
import { fixUntilStable } from "../engine/fixes";
import { parseDirectives } from "../engine/suppressions";
import type { ts } from "../engine/ts";
import type { Diagnostic, Fix, NewFile, TextEdit } from "../engine/types";
import { COMMANDS } from "./protocol";
import { documentChanges, minimalEdit, toLspDiagnostic, workspaceEditOf, type PositionOf } from "./convert";
import type { Project } from "./projects";
import type { EditorSettings } from "./settings";

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.locksmith`;

/** What a lazily resolved action carries back to `codeAction/resolve`. */
export interface ActionData {
  uri: string;
  version: number;
  range: Range;
  id: string;
}

export interface ActionInput {
  sourceFile: ts.SourceFile;
  /** Every engine diagnostic of the document (file and project rules). */
  diagnostics: readonly Diagnostic[];
  range: Range;
  only: readonly string[] | undefined;
  positionOf: PositionOf;
  versionOf: (fileName: string) => number | null;
  /** All safe fixes of the document applied until none is left (what fix-on-save does). */
  fixAll: () => { edits: TextEdit[]; newFiles: Fix["newFiles"] } | undefined;
}

/** A code action with a stable id, so that `codeAction/resolve` can find it again. */
interface IdentifiedAction {
  id: string;
  action: CodeAction;
}

export function codeActions(input: ActionInput): IdentifiedAction[] {
  const out: IdentifiedAction[] = [];
  const wants = (kind: string) => !input.only || input.only.some((only) => kind === only || kind.startsWith(`${only}.`));
  const { sourceFile } = input;
  const touched = input.diagnostics.filter((d) => overlaps(d, input.range, sourceFile));

  if (wants(CodeActionKind.QuickFix)) {
    const perRule = new Map<string, Diagnostic>();
    for (const diagnostic of touched) {
      const lsp = toLspDiagnostic(diagnostic, input.positionOf);
      const key = `${diagnostic.ruleId}:${diagnostic.span.start}:${diagnostic.span.end}`;
      diagnostic.fixes.forEach((fix, index) => out.push(fixAction(`fix:${key}:${index}`, fix, lsp, index === 0, input)));
      diagnostic.suggestions.forEach((fix, index) => out.push(fixAction(`suggest:${key}:${index}`, fix, lsp, false, input)));
      if (!perRule.has(diagnostic.ruleId)) perRule.set(diagnostic.ruleId, diagnostic);
    }
    const directives = parseDirectives(sourceFile);
    for (const [ruleId, diagnostic] of perRule) {
      const lsp = toLspDiagnostic(diagnostic, input.positionOf);
      const line = sourceFile.getLineAndCharacterOfPosition(diagnostic.span.start).line;
      const lineEdit = disableForLineEdit(sourceFile, directives, ruleId, line);
      out.push(editAction(`disable-line:${ruleId}:${line}`, `Disable ${ruleId} for this line`, [lineEdit], lsp, input));
      out.push(
        editAction(
          `disable-file:${ruleId}`,
          `Disable ${ruleId} for the entire file`,
          [disableForFileEdit(sourceFile, directives, ruleId)],
          lsp,
          input,
        ),
      );
      out.push({
        id: `docs:${ruleId}`,
        action: {
          title: `Show documentation for ${ruleId}`,
          kind: CodeActionKind.QuickFix,
          command: { title: `Show documentation for ${ruleId}`, command: COMMANDS.showDocumentation, arguments: [ruleId] },
        },
      });
    }
  }

  const anyFix = input.diagnostics.some((d) => d.fixes.length > 0);
  if (anyFix && input.only && wants(FIX_ALL_KIND)) {
    const result = input.fixAll();
    if (result && result.edits.length > 0) {
      out.push({
        id: "fix-all",
        action: {
          title: "Fix all auto-fixable Locksmith problems",
          kind: FIX_ALL_KIND,
          edit: documentChanges(result.edits, result.newFiles ?? [], input.positionOf, input.versionOf),
        },
      });
    }
  }
  return out;
}

/**
 * Applies the safe fixes of `file` (whose buffer is `text`) in memory until none is left, as `locksmith lint --fix`
 * does, then restores the buffer: one edit of the document, plus the files the fixes create.
 */
export function fixAll(
  project: Project,
  file: string,
  text: string,
  settings: EditorSettings,
  log: (message: string) => void,
): { edits: TextEdit[]; newFiles: NewFile[] } | undefined {
  const host = project.host;
  let current = text;
  const created = new Set<string>();
  let newFiles: NewFile[];
  try {
    host.setFileText(file, text);
    ({ newFiles } = fixUntilStable(
      () => {
        const fileRun = project.lintFiles([file], settings, {}, log);
        const projectRun = project.lintProject(settings, {}, log);
        const diagnostics = [...fileRun.results, ...(projectRun?.results ?? [])]
          .filter((r) => r.fileName === file)
          .flatMap((r) => r.diagnostics);
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

function fixAction(id: string, fix: Fix, diagnostic: LspDiagnostic, preferred: boolean, input: ActionInput): IdentifiedAction {
  return {
    id,
    action: {
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      ...(preferred ? { isPreferred: true } : {}),
      edit: workspaceEditOf(fix, input.positionOf, input.versionOf),
    },
  };
}

function editAction(id: string, title: string, edits: TextEdit[], diagnostic: LspDiagnostic, input: ActionInput): IdentifiedAction {
  return {
    id,
    action: {
      title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: documentChanges(edits, [], input.positionOf, input.versionOf),
    },
  };
}

/** A finding is offered for every line it touches (the light bulb shows on the line, wherever the cursor is). */
function overlaps(diagnostic: Diagnostic, range: Range, sourceFile: ts.SourceFile): boolean {
  const startLine = sourceFile.getLineAndCharacterOfPosition(diagnostic.span.start).line;
  const endLine = sourceFile.getLineAndCharacterOfPosition(diagnostic.span.end).line;
  return startLine <= range.end.line && range.start.line <= endLine;
}

type Directives = ReturnType<typeof parseDirectives>;

/** Adds the rule to a line directive that already applies to `line`, else inserts one above the line. */
function disableForLineEdit(sourceFile: ts.SourceFile, directives: Directives, ruleId: string, line: number): TextEdit {
  const file = sourceFile.fileName;
  const existing = directives.find((d) => d.kind !== "disable" && d.line === line && d.ruleIds.length > 0);
  if (existing) return { file, start: existing.ruleListEnd, end: existing.ruleListEnd, newText: `, ${ruleId}` };
  const lineStart = sourceFile.getPositionOfLineAndCharacter(line, 0);
  const indentation = /^[ \t]*/.exec(sourceFile.text.slice(lineStart))![0];
  return { file, start: lineStart, end: lineStart, newText: `${indentation}// locksmith-disable-next-line ${ruleId}\n` };
}

/** Adds the rule to a file-wide directive, else inserts one at the top (after a shebang). */
function disableForFileEdit(sourceFile: ts.SourceFile, directives: Directives, ruleId: string): TextEdit {
  const file = sourceFile.fileName;
  const existing = directives.find((d) => d.kind === "disable" && d.ruleIds.length > 0);
  if (existing) return { file, start: existing.ruleListEnd, end: existing.ruleListEnd, newText: `, ${ruleId}` };
  const shebang = /^#![^\n]*\n/.exec(sourceFile.text);
  const at = shebang ? shebang[0].length : 0;
  return { file, start: at, end: at, newText: `/* locksmith-disable ${ruleId} */\n` };
}
