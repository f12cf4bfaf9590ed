// Inline suppressions, in ESLint's style:
//   // locksmith-disable-next-line select-then-update, lock-across-await -- reason
//   someCall(); // locksmith-disable-line lock-across-await
//   /* locksmith-disable inconsistent-lock-order */   (whole file)
// A directive without rule ids applies to every rule. Only real comments count (the scanner tells them from strings).
import { ts } from "./ts";
import type { Diagnostic, Span } from "./types";

export type DirectiveKind = "disable-next-line" | "disable-line" | "disable";

export interface Directive {
  kind: DirectiveKind;
  /** Rule ids named, empty for "all rules". */
  ruleIds: string[];
  /** The comment itself. */
  span: Span;
  /** Where the rule-id list starts and ends inside the comment (for code actions that add an id, fixes that drop one). */
  ruleListStart: number;
  ruleListEnd: number;
  /** 0-based line the directive applies to (for line kinds). */
  line: number;
  /** Rule ids (or "*") that suppressed at least one finding. */
  used: Set<string>;
}

const DIRECTIVE = /^(\/\/|\/\*)\s*locksmith-(disable-next-line|disable-line|disable)(?=\s|\*\/|$)([^]*?)(\*\/)?$/;

export function parseDirectives(sourceFile: ts.SourceFile): Directive[] {
  const text = sourceFile.text;
  if (!text.includes("locksmith-disable")) return [];
  const directives: Directive[] = [];
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, sourceFile.languageVariant, text);
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token !== ts.SyntaxKind.SingleLineCommentTrivia && token !== ts.SyntaxKind.MultiLineCommentTrivia) continue;
    const start = scanner.getTokenStart();
    const comment = scanner.getTokenText();
    const match = DIRECTIVE.exec(comment);
    if (!match) continue;
    const kind = match[2] as DirectiveKind;
    const rest = match[3] ?? "";
    const listText = rest.split(/\s--\s|\s--$/)[0] ?? "";
    const ruleIds = listText
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const listStart = comment.indexOf(rest) + (listText.length - listText.trimStart().length);
    const listOffset = comment.indexOf(rest) + listText.trimEnd().length;
    const line = sourceFile.getLineAndCharacterOfPosition(start).line;
    directives.push({
      kind,
      ruleIds,
      span: { file: sourceFile.fileName, start, end: start + comment.length },
      ruleListStart: start + listStart,
      ruleListEnd: start + listOffset,
      line: kind === "disable-next-line" ? line + 1 : line,
      used: new Set(),
    });
  }
  return directives;
}

/** Drops suppressed diagnostics and records which directives were used. */
export function applyDirectives(diagnostics: Diagnostic[], directives: Directive[], sourceFile: ts.SourceFile): Diagnostic[] {
  if (directives.length === 0) return diagnostics;
  return diagnostics.filter((diagnostic) => {
    const line = sourceFile.getLineAndCharacterOfPosition(diagnostic.span.start).line;
    for (const directive of directives) {
      const applies = directive.kind === "disable" || directive.line === line;
      if (!applies) continue;
      if (directive.ruleIds.length === 0) {
        directive.used.add("*");
        return false;
      }
      if (directive.ruleIds.includes(diagnostic.ruleId)) {
        directive.used.add(diagnostic.ruleId);
        return false;
      }
    }
    return true;
  });
}

export const UNUSED_DIRECTIVE_ID = "unused-disable-directive";

/** Findings for directives (or rule ids within them) that suppressed nothing, each with a fix that removes them. */
// A rule id that is misspelt or off suppresses nothing, so it is reported as unused too (as ESLint does).
export function unusedDirectiveDiagnostics(directives: Directive[], sourceFile: ts.SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const directive of directives) {
    const unused =
      directive.ruleIds.length === 0 ? (directive.used.size === 0 ? ["*"] : []) : directive.ruleIds.filter((id) => !directive.used.has(id));
    if (unused.length === 0) continue;
    const what = unused[0] === "*" ? "" : ` (no problems were reported from ${unused.map((id) => `'${id}'`).join(", ")})`;
    out.push({
      ruleId: UNUSED_DIRECTIVE_ID,
      messageId: "unusedDirective",
      severity: "error",
      message: `Unused locksmith-${directive.kind} directive${what}.`,
      span: directive.span,
      related: [],
      fixes: [{ title: "Remove the unused directive", edits: [removeUnused(directive, unused, sourceFile)] }],
      suggestions: [],
    });
  }
  return out;
}

/**
 * The edit that removes what a directive suppresses in vain (`--fix-type directive`, as ESLint's fix of unused
 * directives): the unused ids from its list, or the whole comment when nothing in it is used (with its line when the
 * comment is alone on it).
 */
function removeUnused(directive: Directive, unused: readonly string[], sourceFile: ts.SourceFile) {
  const { file, start, end } = directive.span;
  const kept = directive.ruleIds.filter((id) => !unused.includes(id));
  if (kept.length > 0) {
    return { file, start: directive.ruleListStart, end: directive.ruleListEnd, newText: kept.join(", ") };
  }
  const text = sourceFile.text;
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const newline = text.indexOf("\n", end);
  const lineEnd = newline === -1 ? text.length : newline;
  if (text.slice(lineStart, start).trim() === "" && text.slice(end, lineEnd).trim() === "") {
    return { file, start: lineStart, end: newline === -1 ? lineEnd : newline + 1, newText: "" };
  }
  let from = start;
  while (from > lineStart && /[ \t]/.test(text[from - 1]!)) from--;
  return { file, start: from, end, newText: "" };
}
