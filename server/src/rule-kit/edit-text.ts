// Text helpers for building fixes: one meaning each, shared by every rule (a second re-indenter is how fixes start
// to disagree about template literals).
import { ts } from "../engine/ts";
import type { TextEdit } from "../engine/types";
import { normalizePath } from "../engine/paths";
import { indentUnit, indentationAt, isFunctionLike, walk } from "../analysis/ast";

/** `base`, or `base2`, `base3`…: the first that does not occur as a word in `scope`'s text (a function, or the file). */
export function freshName(scope: ts.Node, base: string): string {
  const text = scope.getText();
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}${i}`;
    if (!new RegExp(String.raw`\b${name}\b`).test(text)) return name;
  }
}

/** The statement of a block (or file, or case clause) that contains `node`; undefined across a function boundary. */
export function statementOf(node: ts.Node): ts.Statement | undefined {
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    if (isFunctionLike(current)) return undefined;
    const parent = current.parent;
    if (
      ts.isStatement(current) &&
      parent &&
      (ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent))
    )
      return current;
  }
  return undefined;
}

/** How the lines after the first move: lines starting with indentation `from` start with `to` instead. */
export interface IndentShift {
  from: string;
  to: string;
}

/**
 * The file's text of [start, end) with `edits` (in file offsets, inside the range) applied, and every line after
 * the first shifted by `shift`. Blank lines, lines whose indentation is not `from`, and lines that begin inside a
 * template literal (their whitespace is the string's content) are left as they are.
 */
export function reindentedText(
  sourceFile: ts.SourceFile,
  start: number,
  end: number,
  shift: IndentShift,
  edits: readonly TextEdit[] = [],
): string {
  const templates: Array<[number, number]> = [];
  walk(sourceFile, (node) => {
    if (node.end < start || node.getStart(sourceFile) > end) return false;
    if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) templates.push([node.getStart(sourceFile), node.end]);
    return true;
  });
  const text = sourceFile.text;
  const all: Array<{ start: number; end: number; newText: string }> = [...edits];
  for (let newline = text.indexOf("\n", start); newline !== -1 && newline < end; newline = text.indexOf("\n", newline + 1)) {
    const lineStart = newline + 1;
    if (templates.some(([s, e]) => lineStart > s && lineStart < e)) continue;
    const lineEnd = text.indexOf("\n", lineStart);
    const line = text.slice(lineStart, lineEnd === -1 || lineEnd > end ? end : lineEnd);
    if (line.trim() === "" || !line.startsWith(shift.from)) continue;
    if (edits.some((e) => e.start < lineStart + shift.from.length && lineStart < e.end)) continue;
    all.push({ start: lineStart, end: lineStart + shift.from.length, newText: shift.to });
  }
  let out = text.slice(start, end);
  for (const e of all.sort((a, b) => b.start - a.start || b.end - a.end))
    out = out.slice(0, e.start - start) + e.newText + out.slice(e.end - start);
  return out;
}

/** Replaces `statements` by `<open>`, the statements (with `inner` edits) one level deeper, and `<close>`. */
export function wrapStatements(
  sourceFile: ts.SourceFile,
  statements: readonly ts.Statement[],
  open: string,
  close: string,
  inner: readonly TextEdit[] = [],
): TextEdit {
  const start = statements[0]!.getStart(sourceFile);
  const end = statements[statements.length - 1]!.getEnd();
  const indent = indentationAt(sourceFile, start);
  const unit = indentUnit(sourceFile);
  const body = reindentedText(sourceFile, start, end, { from: "", to: unit }, inner);
  return { file: normalizePath(sourceFile.fileName), start, end, newText: `${open}\n${indent}${unit}${body}\n${indent}${close}` };
}
