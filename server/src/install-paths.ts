// The install layout in one place: tsc compiles server/src to dist/server/src and rules/ to dist/rules, and the files
// Locksmith ships (package.json, README, the config schema, the rules' docs, the vendored runtime) sit at their
// source paths under the package root. The npm package @locksmith/cli (scripts/pack-packages.js) and the .vsix bundle
// (scripts/package-vsix.js) mirror this tree.
import * as path from "node:path";

/** The package root (the repository root in a checkout): this module is compiled to dist/server/src/. */
export const PACKAGE_ROOT = path.join(__dirname, "..", "..", "..");

/** The compiled server (engine, analysis, rule kit, CLI, language server) and the compiled rules. */
export const SERVER_DIST = path.join(PACKAGE_ROOT, "dist", "server", "src");
export const RULES_DIST = path.join(PACKAGE_ROOT, "dist", "rules");

export const PACKAGE_JSON = path.join(PACKAGE_ROOT, "package.json");
export const README = path.join(PACKAGE_ROOT, "README.md");
/** The JSON Schema users point "$schema" at. */
export const CONFIG_SCHEMA_PATH = path.join(PACKAGE_ROOT, "server", "schema", "locksmith.schema.json");
/** One Markdown page per rule, `<id>.md`. */
export const RULE_DOCS_DIR = path.join(PACKAGE_ROOT, "rules", "docs");
/** Where the runtime package's build generates the single-file runtime. */
export const VENDORED_RUNTIME_SOURCE = path.join(PACKAGE_ROOT, "runtime", "dist", "vendor", "locksmith-runtime.ts");
