// Custom formatters written for ESLint, by file path or package name (`<name>`, `eslint-formatter-<name>`,
// `locksmith-formatter-<name>`, resolved from the current folder), called as ESLint calls them: `(results, context)`.
// The one place Locksmith runs code it did not ship, and only when the command line names it (`-f`), as ESLint's
// `--format` does: the language server never loads a formatter, and nothing in a workspace selects one.
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { RULES, docsUrl } from "../../../../rules/index";
import { UsageError } from "../io";
import { eslintRuleType } from "../report";
import type { LoadedFormatter } from "./formatter";
import { eslintResults } from "./json";

/** The formatter `name` names, or undefined when it is neither a file nor a package that resolves from `cwd`. */
export async function loadCustomFormatter(name: string, cwd: string): Promise<LoadedFormatter | undefined> {
  const file = resolveFormatter(name, cwd);
  if (file === undefined) return undefined;
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    throw new UsageError(`cannot load the formatter ${name}: ${(error as Error).message.split("\n")[0]}`);
  }
  // CommonJS `module.exports = fn` arrives as `default`; an ES module may export it as `default` too.
  let format = loaded as { default?: unknown };
  while (typeof format !== "function" && format && typeof format === "object" && "default" in format) format = format.default as never;
  if (typeof format !== "function") throw new UsageError(`the formatter ${name} does not export a function`);
  return eslintFormatter(format as EslintFormatter);
}

function resolveFormatter(name: string, cwd: string): string | undefined {
  if (/[\\/]/.test(name) || /\.[cm]?js$/.test(name)) {
    const file = path.resolve(cwd, name);
    return fs.existsSync(file) ? file : undefined;
  }
  const require = createRequire(path.join(cwd, "package.json"));
  const scoped = /^(@[^/]+)\/(.+)$/.exec(name);
  const candidates = scoped
    ? [name, `${scoped[1]}/eslint-formatter-${scoped[2]}`, `${scoped[1]}/locksmith-formatter-${scoped[2]}`]
    : [name, `eslint-formatter-${name}`, `locksmith-formatter-${name}`];
  for (const candidate of candidates) {
    try {
      return require.resolve(candidate);
    } catch {
      // try the next name
    }
  }
  return undefined;
}

type EslintFormatter = (results: unknown[], context: object) => string | Promise<string>;

/** ESLint's formatter signature: `(results, context)`, context holding `cwd`, `rulesMeta` and `maxWarningsExceeded`. */
function eslintFormatter(format: EslintFormatter): LoadedFormatter {
  return async (report, { maxWarnings = -1 }) => {
    const context = {
      cwd: report.cwd,
      rulesMeta: Object.fromEntries(
        RULES.map((rule) => [
          rule.meta.id,
          {
            type: eslintRuleType(rule.meta.id),
            docs: { description: rule.meta.description, url: docsUrl(rule.meta.id), recommended: rule.meta.defaultSeverity === "error" },
            ...(rule.meta.fixable ? { fixable: "code" } : {}),
            hasSuggestions: rule.meta.hasSuggestions,
            messages: rule.meta.messages,
          },
        ]),
      ),
      ...(maxWarnings >= 0 && report.warningCount > maxWarnings
        ? { maxWarningsExceeded: { maxWarnings, foundWarnings: report.warningCount } }
        : {}),
    };
    const text = await format(eslintResults(report), context);
    return typeof text === "string" ? text : String(text ?? "");
  };
}
