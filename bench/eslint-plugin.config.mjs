// The typed ESLint run that measures eslint-plugin-locksmith's cost (`node bench/run.js --eslint-plugin`):
// typescript-eslint's type-checked recommended rules on the corpus's tsconfig, plus locksmith's recommended config when
// LOCKSMITH_BENCH_PLUGIN names the plugin's folder (bench/run.js points it at its snapshot of the build).
import * as path from "node:path";
import { createRequire } from "node:module";
import tseslint from "typescript-eslint";

const tsconfig = process.env.LOCKSMITH_BENCH_TSCONFIG;
if (!tsconfig) throw new Error("LOCKSMITH_BENCH_TSCONFIG is not set (run the benchmark with `node bench/run.js --eslint-plugin`)");
const pluginDir = process.env.LOCKSMITH_BENCH_PLUGIN;

export default [
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { project: tsconfig, tsconfigRootDir: path.dirname(tsconfig) } },
    linterOptions: { reportUnusedDisableDirectives: "off" },
  },
  ...(pluginDir ? [createRequire(import.meta.url)(pluginDir).configs.recommended] : []),
];
