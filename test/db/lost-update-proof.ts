// Shared machinery of the database proofs: lint an example file with a rule, apply the rule's safe fixes, and load
// both the original and the fixed text as modules, so a proof runs exactly the code a user has before and after
// `locksmith lint --fix`.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ts } from "../../server/src/engine/ts";
import { applyEdits, chooseFixes, editsFor } from "../../server/src/engine/fixes";
import { normalizePath } from "../../server/src/engine/paths";
import { RULES } from "../../rules/index";
import { LintSession } from "../../server/src/cli/session";
import type { Rule } from "../../server/src/engine/types";
import { lintCode } from "../helpers/rule-tester";
import type { Pool } from "pg";
import { connectPg, suffix } from "../runtime/services";

/** An example file of the repository's examples/ folder. */
export function exampleText(relative: string): string {
  return fs.readFileSync(path.join(__dirname, "..", "..", "..", "examples", "src", relative), "utf8");
}

export interface LintedExample {
  original: Record<string, any>;
  fixed: Record<string, any>;
  fixedText: string;
  /** For each name asked for: the example after applying, to every finding, its suggestion whose title matches. */
  suggested: Record<string, { module: Record<string, any>; text: string }>;
  /** Start lines of the findings in the original. */
  findingLines: number[];
}

/**
 * Lints `code` with `rule` (`files`: further files of the virtual project, such as driver type stubs), applies its
 * safe fixes and, separately, each suggestion named in `suggestions` (by title), and loads every version as a
 * CommonJS module.
 */
export function lintAndFix(
  rule: Rule,
  code: string,
  suggestions: Record<string, RegExp> = {},
  files: Record<string, string> = {},
): LintedExample {
  const linted = lintCode(rule, { code, files });
  const fixes = chooseFixes(linted.diagnostics);
  assert.ok(fixes.length > 0, "the rule offers no safe fix for the example");
  const fixedText = applyEdits(
    code,
    fixes.flatMap((f) => editsFor(f, linted.fileName)),
  );
  assert.equal(lintCode(rule, { code: fixedText, files }).diagnostics.length, 0, "the fixed example still has findings");
  const example: LintedExample = {
    original: loadModule(code),
    fixed: loadModule(fixedText),
    fixedText,
    suggested: {},
    findingLines: linted.diagnostics.map((d) => linted.lineOf(d.span.start).line),
  };
  for (const [name, title] of Object.entries(suggestions)) {
    const chosen = linted.diagnostics.map((d) => d.suggestions.find((s) => title.test(s.title)));
    assert.ok(
      chosen.every((s) => s !== undefined),
      `a finding has no suggestion matching ${title}`,
    );
    const text = applyEdits(
      code,
      chosen.flatMap((s) => editsFor(s!, linted.fileName)),
    );
    assert.equal(
      lintCode(rule, { code: text, files }).diagnostics.length,
      0,
      `the example with the suggestion ${title} applied still has findings`,
    );
    example.suggested[name] = { module: loadModule(text), text };
  }
  return example;
}

/** TypeScript's errors for `text` standing in for the example `relative` in the examples project (real driver types). */
export function typeErrorsAsExample(relative: string, text: string): string[] {
  const examples = path.join(__dirname, "..", "..", "..", "examples");
  const session = new LintSession({ cwd: examples, paths: [], tsconfig: "tsconfig.json", rules: RULES });
  const fileName = normalizePath(path.join(examples, "src", relative));
  session.host.setFileText(fileName, text);
  const program = session.host.getProgram();
  const sourceFile = program.getSourceFile(fileName)!;
  return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map(
    (d) => `${sourceFile.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
  );
}

/** Loads TypeScript source as a CommonJS module; `modules` stand for the imports they name (an example's own files). */
export function loadModule(code: string, modules: Record<string, unknown> = {}): Record<string, any> {
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const module = { exports: {} as Record<string, any> };
  const load = (name: string) => (name in modules ? modules[name] : require(name));
  new Function("require", "module", "exports", js)(load, module, module.exports);
  return module.exports;
}

/** Whether a connection whose application_name is `application` waits for a lock another transaction holds. */
export async function waitsForLock(admin: Pool, application: string): Promise<boolean> {
  const { rows } = await admin.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
    [application],
  );
  return rows[0].n > 0;
}

/** Runs `calls` concurrent calls of `fn`; resolves with how many succeeded and the distinct error messages. */
export async function concurrently(calls: number, fn: (i: number) => Promise<unknown>): Promise<{ succeeded: number; errors: string[] }> {
  const results = await Promise.allSettled(Array.from({ length: calls }, (_, i) => fn(i)));
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => (r.reason as Error).message);
  return { succeeded: results.length - errors.length, errors: [...new Set(errors)] };
}

/**
 * A private PostgreSQL schema for one proof file: created with `ddl` (statements naming `${schema}`) before its tests
 * and dropped after them. `ready` receives a pool whose connections resolve the examples' unqualified table names
 * there, sized for `poolSize` concurrent callers.
 */
export function usePgProofSchema(ddl: (schema: string) => string[], poolSize: number, ready: (pool: Pool) => void): void {
  const schema = `locksmith_proof_${suffix()}`;
  let admin: Pool | undefined;
  let pool: Pool | undefined;
  before(async () => {
    admin = await connectPg();
    await admin.query(`CREATE SCHEMA ${schema}`);
    for (const statement of ddl(schema)) await admin.query(statement);
    pool = await connectPg({ options: `-c search_path=${schema}`, max: poolSize });
    ready(pool);
  });
  after(async () => {
    await pool?.end();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });
}
