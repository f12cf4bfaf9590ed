// The ESLint configuration the benchmark compares against: typescript-eslint's type-checked recommended rules plus
// ESLint's own `require-atomic-updates` (its closest rule to Locksmith's concern), on the corpus's tsconfig.
// The corpus is given by LOCKSMITH_BENCH_TSCONFIG (set by bench/run.js).
import * as path from "node:path";
import tseslint from "typescript-eslint";

const tsconfig = process.env.LOCKSMITH_BENCH_TSCONFIG;
if (!tsconfig) throw new Error("LOCKSMITH_BENCH_TSCONFIG is not set (run the benchmark with `npm run bench`)");

export default [
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { project: tsconfig, tsconfigRootDir: path.dirname(tsconfig) } },
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: { "require-atomic-updates": "error" },
  },
];
