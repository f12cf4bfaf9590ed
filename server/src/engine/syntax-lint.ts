// The findings of one file that its text alone decides: what the language server shows the moment a file opens,
// before any Program is built. The file rules run on a parse of the text in a Program that holds only that file; the
// first time a rule asks that Program anything else (another file, the file list, the type checker) it is stopped and
// all its findings for the file are held back. A rule kept here ran the same code on the same text as in the full
// analysis and consulted nothing that could differ, so it reports exactly what the full analysis reports: a finding
// shown early never disappears when the full analysis arrives.
// The shared analyses cache by SourceFile, node and Program, so one rule's caches reach the next. That is sound while
// every stop ended its rule (the engine caught it: nothing ran after it, so the caches hold only what the text
// decided); a rule that caught the stop itself may have cached a fallback answer, and the next rule gets a new parse.
import { Engine, type FileLintResult } from "./linter";
import type { ResolvedConfig } from "./config";
import { deeperThan, MAX_SYNTAX_DEPTH, parseOptions } from "./project";
import { normalizePath } from "./paths";
import { ts } from "./ts";
import type { Diagnostic, EngineSettings, Rule } from "./types";

export interface SyntaxLintResult {
  /** The file's findings from the rules that needed nothing but its text; undefined when the file is ignored. */
  result: FileLintResult | undefined;
  /** Rules held back: they asked about types or other files (their findings come with the full analysis). */
  heldBack: string[];
}

/** Thrown to stop a rule that asks the one-file Program for more than the file. */
class BeyondTheFile extends Error {}

/**
 * Lints `text` as `fileName` with the file rules (scope "file") of `rules` that need only the text (see above).
 * `compilerOptions` are the project's: the file is parsed as the project's Program parses it.
 */
export function lintFileText(
  rules: readonly Rule[],
  config: ResolvedConfig,
  settingsFor: (fileName: string) => EngineSettings,
  fileName: string,
  text: string,
  compilerOptions: ts.CompilerOptions,
): SyntaxLintResult {
  const file = normalizePath(fileName);
  const results: FileLintResult[] = [];
  const heldBack: string[] = [];
  let program: FileOnlyProgram | undefined;
  for (const rule of rules) {
    if (rule.meta.scope !== "file" || !rule.checkFile) continue;
    if (!program) {
      program = fileOnlyProgram(file, text, compilerOptions);
      // Nested too deeply: the full analysis sees an empty placeholder instead (project.ts); leave it to that.
      if (deeperThan(program.sourceFile, MAX_SYNTAX_DEPTH)) return { result: undefined, heldBack: rules.map((r) => r.meta.id) };
    }
    const stopsBefore = program.stops.length;
    const run = new Engine([rule], config, settingsFor).lint(program.proxy, [file]);
    const stops = program.stops.slice(stopsBefore);
    if (stops.length === 0) {
      if (run.results[0]) results.push(run.results[0]);
      continue;
    }
    heldBack.push(rule.meta.id);
    const endedTheRule = stops.length === 1 && run.crashes.length === 1 && run.crashes[0]!.message === stops[0]!.message;
    if (!endedTheRule) program = undefined;
  }
  if (results.length === 0) {
    // Nothing kept: an ignored file has no result; otherwise an empty one on a parse of its own.
    if (config.isIgnored(file)) return { result: undefined, heldBack };
    const { sourceFile } = program ?? fileOnlyProgram(file, text, compilerOptions);
    return { result: { fileName: file, sourceFile, diagnostics: [], directives: [] }, heldBack };
  }
  const diagnostics: Diagnostic[] = results.flatMap((r) => r.diagnostics);
  // The engine's order (linter.ts), so that the full analysis publishes the same list when it finds nothing more.
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.ruleId.localeCompare(b.ruleId));
  return { result: { ...results[0]!, diagnostics }, heldBack };
}

interface FileOnlyProgram {
  proxy: ts.Program;
  sourceFile: ts.SourceFile;
  /** Every stop (a question beyond the file), in order: a rule that asked nothing has none. */
  stops: BeyondTheFile[];
}

/**
 * A Program of `file` alone (no libs, no imports followed), parsed with the options the project's Program parses it
 * with, behind a proxy that answers only `getSourceFile(file)`: anything else is recorded as a stop and thrown.
 */
function fileOnlyProgram(file: string, text: string, compilerOptions: ts.CompilerOptions): FileOnlyProgram {
  const options: ts.CompilerOptions = { ...compilerOptions, noLib: true, noResolve: true, types: [], noEmit: true };
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, languageVersion) =>
    normalizePath(name) === file ? ts.createSourceFile(name, text, parseOptions(text, languageVersion), true) : undefined;
  host.readFile = (name) => (normalizePath(name) === file ? text : readFile(name));
  host.fileExists = (name) => normalizePath(name) === file || fileExists(name);
  const program = ts.createProgram({ rootNames: [file], options, host });
  const sourceFile = program.getSourceFile(file)!;
  const stops: BeyondTheFile[] = [];
  const stop = (what: string | symbol): never => {
    const error = new BeyondTheFile(`stopped: the rule asked the Program for ${String(what)} (stop ${stops.length + 1})`);
    stops.push(error);
    throw error;
  };
  const proxy = new Proxy(program, {
    get(_target, property) {
      if (property === "getSourceFile") return (name: string) => (normalizePath(name) === file ? sourceFile : stop(name));
      return stop(property);
    },
  });
  return { proxy, sourceFile, stops };
}
