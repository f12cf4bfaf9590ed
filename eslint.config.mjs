// Lints Locksmith's own code (`npm run lint`, part of `npm test`): typescript-eslint's recommended rules, without type
// information so it stays fast, plus the import boundaries of the architecture. Formatting is Prettier's job.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "examples/**", "runtime/**", "bench/**", "**/fixtures/**", "**/*.js", "**/*.cjs", "**/*.mjs"] },
  {
    files: ["server/**/*.ts", "rules/**/*.ts", "client/**/*.ts", "test/**/*.ts", "eslint-plugin/**/*.ts"],
    extends: [tseslint.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    // Tests read JSON output (SARIF, ESLint JSON) and load built CommonJS files by path.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The engine and the analyses are handed rules; only the applications (cli/, lsp/) know the registry.
    files: ["server/src/engine/**/*.ts", "server/src/analysis/**/*.ts", "server/src/rule-kit/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/rules/**"], message: "engine/, analysis/ and rule-kit/ never import rules." }] }] },
  },
  {
    // A rule imports its toolkit from the rule kit only (and never another rule's module).
    files: ["rules/**/*.ts"],
    ignores: ["rules/index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/server/src/**", "!**/server/src/rule-kit"], message: "Rules import from server/src/rule-kit (add a re-export there)." }] },
      ],
    },
  },
);
