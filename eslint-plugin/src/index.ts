// eslint-plugin-locksmith: Locksmith's file rules as ESLint rules (flat config), on the same engine and recognisers
// as the CLI and the language server. Whole-program rules (lock order across files and calls) need every file at
// once, which an ESLint rule never sees: they stay in `locksmith lint` and the editor.
import type { ESLint, Linter } from "eslint";
import { DEFAULT_NON_PRODUCTION_FILES } from "../../server/src/engine/config";
import { VERSION } from "../../server/src/version";
import { RULES } from "../../rules";
import { eslintRule } from "./rule";

/** The rules ESLint can run: those whose findings in a file depend only on that file (and what it imports). */
const FILE_RULES = RULES.filter((rule) => rule.meta.scope === "file");

const plugin = {
  // Versioned with the engine it runs: the package depends on @locksmith/cli at exactly its own version (checked when
  // scripts/pack-packages.js stages it), so ESLint's cache key changes whenever the rules can.
  meta: { name: "eslint-plugin-locksmith", version: VERSION },
  rules: Object.fromEntries(FILE_RULES.map((rule) => [rule.meta.id, eslintRule(rule)])),
  configs: {} as Record<string, Linter.Config>,
} satisfies ESLint.Plugin;

/**
 * Every file rule at Locksmith's default severity, on TypeScript files. As in the CLI, test, e2e, fixture, seed and
 * script files are left out (a race there is not a production race): this object does not apply to them.
 */
plugin.configs.recommended = {
  name: "locksmith/recommended",
  files: ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts"],
  ignores: [...DEFAULT_NON_PRODUCTION_FILES, "**/*.d.ts"],
  plugins: { locksmith: plugin },
  rules: Object.fromEntries(FILE_RULES.map((rule) => [`locksmith/${rule.meta.id}`, rule.meta.defaultSeverity])),
};

export = plugin;
