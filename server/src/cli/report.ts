// The CLI's view of a lint run: ESLint's result shape (1-based lines and columns), which every formatter reads.
import * as path from "node:path";
import type { LintRun } from "../engine/linter";
import type { Diagnostic, Fix } from "../engine/types";
import { type ts } from "../engine/ts";
import { normalizePath } from "../engine/paths";
import { syntaxErrorOf } from "../engine/project";
import { UNUSED_DIRECTIVE_ID } from "../engine/suppressions";
import { applyEdits, editsFor } from "../engine/fixes";

export interface ReportMessage {
  /** null for a file that does not parse (ESLint's shape, with `fatal`). */
  ruleId: string | null;
  /** ESLint's flag for a message that stopped the file from being linted (a parsing error). */
  fatal?: true;
  /** ESLint's numbers: 1 = warning, 2 = error. */
  severity: 1 | 2;
  /** The headline. */
  message: string;
  /** Which of the rule's messages (ESLint's field); absent when the rule reported plain text. */
  messageId?: string;
  /** Locksmith extension: advice, kept apart from the headline. */
  help?: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fix?: { range: [number, number]; text: string };
  suggestions?: Array<{ desc: string; fix: { range: [number, number]; text: string } }>;
  /** Locksmith extension (not in ESLint's shape, ignored by ESLint tooling): related locations. */
  related: Array<{ filePath: string; line: number; column: number; endLine: number; endColumn: number; message: string }>;
}

export interface ReportResult {
  filePath: string;
  messages: ReportMessage[];
  errorCount: number;
  /** Parsing errors (ESLint's count of `fatal` messages); always set by buildReport. */
  fatalErrorCount?: number;
  warningCount: number;
  fixableErrorCount: number;
  fixableWarningCount: number;
  /** The fixed source, when --fix changed the file (as ESLint's `output`). */
  output?: string;
}

export interface Report {
  cwd: string;
  results: ReportResult[];
  errorCount: number;
  warningCount: number;
}

/**
 * A finding's rule type in ESLint's terms (what `--fix-type` selects and custom formatters read in `rulesMeta`): every
 * Locksmith rule reports code that misbehaves ("problem"); reports of unused disable comments are "directive".
 */
export function eslintRuleType(ruleId: string): "problem" | "directive" {
  return ruleId === UNUSED_DIRECTIVE_ID ? "directive" : "problem";
}

export function buildReport(run: LintRun, cwd: string, fixedTexts: ReadonlyMap<string, string> = new Map()): Report {
  const results = run.results.map((result) => {
    const sf = result.sourceFile;
    // A file that does not parse has one message, as in ESLint: its parsing error (what rules found in the parser's
    // recovered tree would not be worth reading).
    const syntaxError = syntaxErrorOf(sf);
    const messages = syntaxError ? [parsingError(syntaxError, sf)] : result.diagnostics.map((d) => toMessage(d, sf, run));
    const count = (sev: 1 | 2, fixable = false) => messages.filter((m) => m.severity === sev && (!fixable || m.fix)).length;
    const out: ReportResult = {
      filePath: path.resolve(result.fileName),
      messages,
      errorCount: count(2),
      fatalErrorCount: messages.filter((m) => m.fatal).length,
      warningCount: count(1),
      fixableErrorCount: count(2, true),
      fixableWarningCount: count(1, true),
    };
    const output = fixedTexts.get(result.fileName);
    if (output !== undefined) out.output = output;
    return out;
  });
  return {
    cwd,
    results,
    errorCount: results.reduce((n, r) => n + r.errorCount, 0),
    warningCount: results.reduce((n, r) => n + r.warningCount, 0),
  };
}

function parsingError(error: NonNullable<ReturnType<typeof syntaxErrorOf>>, sf: ts.SourceFile): ReportMessage {
  const start = sf.getLineAndCharacterOfPosition(error.start);
  const end = sf.getLineAndCharacterOfPosition(error.start + error.length);
  return {
    ruleId: null,
    fatal: true,
    severity: 2,
    message: `Parsing error: ${error.message}`,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    related: [],
  };
}

function toMessage(d: Diagnostic, sf: ts.SourceFile, run: LintRun): ReportMessage {
  const start = sf.getLineAndCharacterOfPosition(d.span.start);
  const end = sf.getLineAndCharacterOfPosition(d.span.end);
  const message: ReportMessage = {
    ruleId: d.ruleId,
    severity: d.severity === "error" ? 2 : 1,
    message: d.message,
    ...(d.messageId ? { messageId: d.messageId } : {}),
    ...(d.help !== undefined ? { help: d.help } : {}),
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    related: d.related.map((r) => {
      const relSf =
        run.results.find((x) => x.fileName === normalizePath(r.span.file))?.sourceFile ??
        (normalizePath(r.span.file) === normalizePath(sf.fileName) ? sf : run.program?.getSourceFile(r.span.file));
      const s = relSf?.getLineAndCharacterOfPosition(r.span.start) ?? { line: 0, character: 0 };
      const e = relSf?.getLineAndCharacterOfPosition(r.span.end) ?? s;
      return {
        filePath: path.resolve(r.span.file),
        line: s.line + 1,
        column: s.character + 1,
        endLine: e.line + 1,
        endColumn: e.character + 1,
        message: r.message,
      };
    }),
  };
  const fix = d.fixes[0] && singleEdit(d.fixes[0], sf);
  if (fix) message.fix = fix;
  const suggestions = d.suggestions
    .map((s) => ({ desc: s.title, fix: singleEdit(s, sf) }))
    .filter((s): s is { desc: string; fix: { range: [number, number]; text: string } } => s.fix !== undefined);
  if (suggestions.length > 0) message.suggestions = suggestions;
  return message;
}

/** ESLint's fix shape is one range: merge a fix's edits of this file into one replacement of the span they cover. */
function singleEdit(fix: Fix, sf: ts.SourceFile): { range: [number, number]; text: string } | undefined {
  const edits = editsFor(fix, sf.fileName);
  if (edits.length === 0) return undefined;
  const start = Math.min(...edits.map((e) => e.start));
  const end = Math.max(...edits.map((e) => e.end));
  const shifted = edits.map((e) => ({ ...e, start: e.start - start, end: e.end - start }));
  return { range: [start, end], text: applyEdits(sf.text.slice(start, end), shifted) };
}
