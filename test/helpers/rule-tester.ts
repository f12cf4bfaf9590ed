// RuleTester in typescript-eslint's style: tables of `valid` code (must produce nothing) and `invalid` code with the
// exact findings (rule id, start and end line/column, message) and the exact text after applying safe fixes and
// each suggestion. Code is analysed in memory, in a virtual project folder, with the real engine.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { resolveConfig } from "../../server/src/engine/config";
import { Engine } from "../../server/src/engine/linter";
import { applyEdits, chooseFixes, editsFor } from "../../server/src/engine/fixes";
import { DEFAULT_COMPILER_OPTIONS, ProjectHost } from "../../server/src/engine/project";
import type { Diagnostic, EngineSettings, Fix, Rule } from "../../server/src/engine/types";

/** Folder the virtual files live in. Nothing is written there. */
export const VIRTUAL_ROOT = "/virtual-project";

export interface ValidCase {
  name?: string;
  code: string;
  /** File name relative to the virtual root (default: src/file.ts). */
  filename?: string;
  /** Further files of the project (relative path → text), e.g. a second module or a node_modules/*.d.ts stub. */
  files?: Record<string, string>;
  options?: Record<string, unknown>;
  settings?: EngineSettings;
  /** Folder the virtual files live in (default VIRTUAL_ROOT): a real one for files read from disk (a Prisma schema). */
  root?: string;
}

export interface ExpectedFinding {
  ruleId?: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  /** Which of the rule's `meta.messages` (typescript-eslint's `messageId`). */
  messageId?: string;
  /** The values of the message template's holes: all of them, exactly. */
  data?: Record<string, string | number>;
  /** Exact full message, or a pattern it must match (golden messages; prefer `messageId` + `data`). */
  message?: string | RegExp;
  /** Exact help line, or a pattern; `null` asserts there is none. */
  help?: string | RegExp | null;
  /** File the finding is in (relative), when not the main file. */
  filename?: string;
  /** Related locations, in order: line and (part of) the message. */
  related?: Array<{ line: number; message?: string | RegExp; filename?: string }>;
  /** Each suggestion: its title (pattern) and the complete text after applying it. */
  suggestions?: Array<{ title?: string | RegExp; output: string }>;
}

export interface InvalidCase extends ValidCase {
  errors: ExpectedFinding[];
  /** Text after applying all safe fixes once; null (the default) means "no safe fix is offered". */
  output?: string | null;
}

export interface LintedCode {
  diagnostics: Diagnostic[];
  text: string;
  fileName: string;
  lineOf(pos: number, fileName?: string): { line: number; column: number };
  host: ProjectHost;
}

/** Lints `code` (plus `files`) with only `rule` enabled, as error. */
export function lintCode(rule: Rule, testCase: ValidCase): LintedCode {
  const root = testCase.root ?? VIRTUAL_ROOT;
  const fileName = path.posix.join(root, testCase.filename ?? "src/file.ts");
  const host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, []);
  host.setFileText(fileName, testCase.code);
  const others = Object.entries(testCase.files ?? {}).map(([rel, text]) => {
    const abs = path.posix.join(root, rel);
    host.setFileText(abs, text);
    return abs;
  });
  const ruleSetting = testCase.options ? (["error", testCase.options] as ["error", Record<string, unknown>]) : ("error" as const);
  const config = resolveConfig({ rules: { [rule.meta.id]: ruleSetting } }, undefined, root, [rule], {});
  const settings: EngineSettings = testCase.settings ?? { runtimeImport: { mode: "package", specifier: "@locksmith/runtime" } };
  const engine = new Engine([rule], config, () => settings);
  const program = host.getProgram();
  const run = engine.lint(program, [
    fileName,
    ...others.filter((f) => /\.(ts|tsx|mts|cts)$/.test(f) && !f.endsWith(".d.ts") && !f.includes("/node_modules/")),
  ]);
  if (run.crashes.length > 0) throw new Error(`rule crashed: ${run.crashes.map((c) => c.stack).join("\n")}`);
  const diagnostics = run.results.flatMap((r) => r.diagnostics);
  return {
    diagnostics,
    text: testCase.code,
    fileName,
    host,
    lineOf(pos, file = fileName) {
      const sf = program.getSourceFile(file)!;
      const lc = sf.getLineAndCharacterOfPosition(pos);
      return { line: lc.line + 1, column: lc.character + 1 };
    },
  };
}

/** Applies one fix's edits to the main file's text. */
export function applyFix(linted: LintedCode, fix: Fix): string {
  return applyEdits(linted.text, editsFor(fix, linted.fileName));
}

function describeDiagnostics(linted: LintedCode): string {
  return linted.diagnostics
    .map((d) => {
      const s = linted.lineOf(d.span.start, d.span.file);
      const e = linted.lineOf(d.span.end, d.span.file);
      return `  ${d.ruleId} ${s.line}:${s.column}-${e.line}:${e.column} ${d.message}`;
    })
    .join("\n");
}

function matches(actual: string, expected: string | RegExp): boolean {
  return typeof expected === "string" ? actual === expected : expected.test(actual);
}

export function runRuleTests(rule: Rule, cases: { valid: Array<ValidCase | string>; invalid: InvalidCase[] }): void {
  describe(rule.meta.id, () => {
    for (const [index, raw] of cases.valid.entries()) {
      const testCase = typeof raw === "string" ? { code: raw } : raw;
      test(`valid ${index + 1}: ${testCase.name ?? firstLine(testCase.code)} — should not generate diagnostics`, () => {
        const linted = lintCode(rule, testCase);
        assert.equal(linted.diagnostics.length, 0, `expected no findings, got:\n${describeDiagnostics(linted)}`);
      });
    }
    for (const [index, testCase] of cases.invalid.entries()) {
      test(`invalid ${index + 1}: ${testCase.name ?? firstLine(testCase.code)}`, () => {
        const linted = lintCode(rule, testCase);
        assert.equal(
          linted.diagnostics.length,
          testCase.errors.length,
          `expected ${testCase.errors.length} finding(s), got:\n${describeDiagnostics(linted)}`,
        );
        testCase.errors.forEach((expected, i) => {
          const d = linted.diagnostics[i]!;
          const where = `finding ${i + 1} (${describeDiagnostics({ ...linted, diagnostics: [d] }).trim()})`;
          assert.equal(d.ruleId, expected.ruleId ?? rule.meta.id, `${where}: rule id`);
          const expectedFile = expected.filename ? path.posix.join(testCase.root ?? VIRTUAL_ROOT, expected.filename) : linted.fileName;
          assert.equal(d.span.file, expectedFile, `${where}: file`);
          const start = linted.lineOf(d.span.start, d.span.file);
          const end = linted.lineOf(d.span.end, d.span.file);
          assert.deepEqual({ line: start.line, column: start.column }, { line: expected.line, column: expected.column }, `${where}: start`);
          if (expected.endLine !== undefined) assert.equal(end.line, expected.endLine, `${where}: end line`);
          if (expected.endColumn !== undefined) assert.equal(end.column, expected.endColumn, `${where}: end column`);
          if (expected.messageId !== undefined) assert.equal(d.messageId, expected.messageId, `${where}: messageId`);
          if (expected.data !== undefined) assert.deepEqual(d.data ?? {}, expected.data, `${where}: data`);
          if (expected.help === null) assert.equal(d.help, undefined, `${where}: help`);
          else if (expected.help !== undefined)
            assert.ok(
              d.help !== undefined && matches(d.help, expected.help),
              `${where}: help\n  actual:   ${d.help}\n  expected: ${expected.help}`,
            );
          if (expected.message !== undefined)
            assert.ok(matches(d.message, expected.message), `${where}: message\n  actual:   ${d.message}\n  expected: ${expected.message}`);
          if (expected.related) {
            assert.equal(
              d.related.length,
              expected.related.length,
              `${where}: number of related locations (${d.related.map((r) => r.message).join(" | ")})`,
            );
            expected.related.forEach((rel, j) => {
              const actual = d.related[j]!;
              assert.equal(linted.lineOf(actual.span.start, actual.span.file).line, rel.line, `${where}: related ${j + 1} line`);
              if (rel.filename)
                assert.equal(
                  actual.span.file,
                  path.posix.join(testCase.root ?? VIRTUAL_ROOT, rel.filename),
                  `${where}: related ${j + 1} file`,
                );
              if (rel.message !== undefined)
                assert.ok(matches(actual.message, rel.message), `${where}: related ${j + 1} message: ${actual.message}`);
            });
          }
          if (expected.suggestions) {
            assert.equal(d.suggestions.length, expected.suggestions.length, `${where}: number of suggestions`);
            expected.suggestions.forEach((s, j) => {
              const suggestion = d.suggestions[j]!;
              if (s.title !== undefined)
                assert.ok(matches(suggestion.title, s.title), `${where}: suggestion ${j + 1} title: ${suggestion.title}`);
              assert.equal(applyFix(linted, suggestion), s.output, `${where}: suggestion ${j + 1} output`);
            });
          }
        });
        const fixes = chooseFixes(linted.diagnostics);
        if (testCase.output === undefined || testCase.output === null) {
          assert.equal(fixes.length, 0, "expected no safe fix");
        } else {
          assert.ok(fixes.length > 0, "expected a safe fix");
          const fixed = applyEdits(
            linted.text,
            fixes.flatMap((f) => editsFor(f, linted.fileName)),
          );
          assert.equal(fixed, testCase.output, "fixed output");
          // A fix must remove the finding it fixes: re-lint the output.
          const again = lintCode(rule, { ...testCase, code: fixed });
          assert.ok(
            again.diagnostics.length < linted.diagnostics.length,
            `the fixed code still has all findings:\n${describeDiagnostics(again)}`,
          );
        }
      });
    }
  });
}

function firstLine(code: string): string {
  const line =
    code
      .trim()
      .split("\n")
      .find((l) => l.trim() && !l.trim().startsWith("import")) ?? "";
  return line.trim().slice(0, 60);
}
