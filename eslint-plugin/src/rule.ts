// One Locksmith file rule as an ESLint rule: the same check, run by the same engine on the file ESLint lints, with
// its findings reported in ESLint's shapes (loc, messageId + data, fix, suggest). ESLint decides severity, options,
// which files are linted and `eslint-disable` comments; `locksmith-disable` comments still apply (the engine's).
import type { Rule as ESLintRule, SourceCode } from "eslint";
import { resolveConfig, type ResolvedConfig } from "../../server/src/engine/config";
import { Engine } from "../../server/src/engine/linter";
import { normalizePath } from "../../server/src/engine/paths";
import { SOURCE_EXTENSIONS } from "../../server/src/engine/project";
import type { Diagnostic, EngineSettings, Fix, Rule, TextEdit } from "../../server/src/engine/types";
import { docsUrl, RULES } from "../../rules";
import { programFor, tsconfigOf, type FileProgram, type ParserServices } from "./program";
import { engineSettingsFor } from "./settings";

/** Messages of the plugin itself, next to each rule's own. */
const PLUGIN_MESSAGES = {
  locksmithCrashed: "Locksmith's {{ruleId}} rule crashed on this file ({{error}}); the file's other rules still ran.",
  locksmithConfiguration: "Locksmith cannot analyse this file: {{error}}",
};

/** What every rule needs of one file, computed once for the file (ESLint gives all rules the same SourceCode). */
type FileSetup = { file: FileProgram; settings: EngineSettings } | { error: string };
const setups = new WeakMap<SourceCode, FileSetup>();

export function eslintRule(rule: Rule): ESLintRule.RuleModule {
  const { meta } = rule;
  return {
    meta: {
      type: "problem",
      docs: { description: meta.description, recommended: true, url: docsUrl(meta.id) },
      messages: { ...meta.messages, ...PLUGIN_MESSAGES },
      ...(meta.fixable ? { fixable: "code" as const } : {}),
      ...(meta.hasSuggestions ? { hasSuggestions: true } : {}),
      schema: meta.optionsSchema ? [meta.optionsSchema as object] : [],
      ...(meta.optionsSchema ? { defaultOptions: [meta.defaultOptions] } : {}),
    },
    create(context) {
      return {
        Program() {
          const fileName = normalizePath(context.filename);
          // The file types the CLI lints; declaration files have no code to race.
          if (!SOURCE_EXTENSIONS.some((ext) => fileName.endsWith(ext)) || fileName.endsWith(".d.ts")) return;
          const setup = fileSetup(context.sourceCode, fileName);
          if ("error" in setup) {
            context.report({ loc: { line: 1, column: 0 }, messageId: "locksmithConfiguration", data: { error: setup.error } });
            return;
          }
          const options = (context.options[0] ?? {}) as Record<string, unknown>;
          const engine = new Engine([rule], configFor(rule, options), () => setup.settings);
          const run = engine.lint(setup.file.program, [fileName]);
          for (const crash of run.crashes) {
            context.report({
              loc: { line: 1, column: 0 },
              messageId: "locksmithCrashed",
              data: { ruleId: rule.meta.id, error: crash.message },
            });
          }
          for (const diagnostic of run.results[0]?.diagnostics ?? []) report(context, fileName, diagnostic);
        },
      };
    },
  };
}

function fileSetup(sourceCode: SourceCode, fileName: string): FileSetup {
  let setup = setups.get(sourceCode);
  if (!setup) {
    try {
      const file = programFor(fileName, sourceCode.text, sourceCode.parserServices as ParserServices | undefined);
      const settings = engineSettingsFor(RULES, fileName, tsconfigOf(file.program, fileName), file.program.getCompilerOptions());
      setup = { file, settings };
    } catch (error) {
      // A bad locksmith.json or tsconfig: one line on the file, as the CLI's exit-2 message, never a stack trace.
      setup = { error: error instanceof Error ? error.message : String(error) };
    }
    setups.set(sourceCode, setup);
  }
  return setup;
}

/** The engine's configuration for one rule with ESLint's options (ESLint already applied `defaultOptions`). */
const configs = new Map<string, ResolvedConfig>();

function configFor(rule: Rule, options: Record<string, unknown>): ResolvedConfig {
  const key = `${rule.meta.id}:${JSON.stringify(options)}`;
  let config = configs.get(key);
  if (!config) {
    const resolved = resolveConfig({ rules: { [rule.meta.id]: ["error", options] }, nonProductionFiles: [] }, undefined, "/", [rule], {});
    // ESLint chose the file: none of Locksmith's own ignores applies.
    config = { ...resolved, isIgnored: () => false, ignoredBy: () => undefined };
    configs.set(key, config);
  }
  return config;
}

function report(context: ESLintRule.RuleContext, fileName: string, diagnostic: Diagnostic): void {
  const { sourceCode } = context;
  const fix = editsInFile(diagnostic.fixes[0], fileName);
  const suggest = diagnostic.suggestions.flatMap((suggestion) => {
    const edits = editsInFile(suggestion, fileName);
    return edits ? [{ desc: suggestion.title, fix: replacements(edits) }] : [];
  });
  context.report({
    loc: { start: sourceCode.getLocFromIndex(diagnostic.span.start), end: sourceCode.getLocFromIndex(diagnostic.span.end) },
    messageId: diagnostic.messageId,
    ...(diagnostic.data ? { data: diagnostic.data } : {}),
    ...(fix ? { fix: replacements(fix) } : {}),
    ...(suggest.length > 0 ? { suggest } : {}),
  });
}

/**
 * A fix's edits when ESLint can apply it: edits of this file only. A fix that creates a file (the vendored runtime,
 * when `@locksmith/runtime` is not installed and not vendored yet) is left out: ESLint writes only the linted file.
 */
function editsInFile(fix: Fix | undefined, fileName: string): TextEdit[] | undefined {
  if (!fix || fix.edits.length === 0 || (fix.newFiles?.length ?? 0) > 0) return undefined;
  return fix.edits.every((edit) => normalizePath(edit.file) === fileName) ? fix.edits : undefined;
}

function replacements(edits: readonly TextEdit[]): ESLintRule.ReportFixer {
  return (fixer) => edits.map((edit) => fixer.replaceTextRange([edit.start, edit.end], edit.newText));
}
