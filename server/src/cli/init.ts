// `locksmith init`: writes a commented starter locksmith.json (JSON with comments, as tsconfig.json) that lists every
// rule at its default severity and points "$schema" at the schema shipped with Locksmith, so editors complete it.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { RULES } from "../../../rules/index";
import { CONFIG_FILE_NAME, DEFAULT_NON_PRODUCTION_FILES } from "../engine/config";
import { writeFileAtomic } from "../engine/fixes";
import { isInside, normalizePath } from "../engine/paths";
import type { Rule } from "../engine/types";
import { CONFIG_SCHEMA_PATH } from "../install-paths";
import { UsageError, type CliIo } from "./io";

/** Where the schema is in a project that installed Locksmith (the @locksmith/cli package) as a dev dependency. */
const INSTALLED_SCHEMA = "./node_modules/@locksmith/cli/server/schema/locksmith.schema.json";

export function starterConfig(rules: readonly Rule[], schema: string): string {
  const width = Math.max(0, ...rules.map((r) => r.meta.id.length + 4));
  const ruleLines = rules.map((rule, i) => {
    const entry = `    ${JSON.stringify(rule.meta.id)}: ${JSON.stringify(rule.meta.defaultSeverity)}${i < rules.length - 1 ? "," : ""}`;
    return `${entry.padEnd(width + 13)} // ${rule.meta.description}`;
  });
  const example = rules[0]?.meta.id ?? "rule-id";
  const nonProduction = DEFAULT_NON_PRODUCTION_FILES.map((glob) => `    ${JSON.stringify(glob)}`).join(",\n");
  return `// Locksmith configuration. JSON with comments, like tsconfig.json.
// \`locksmith rules\` lists every rule with its documentation.
{
  "$schema": ${JSON.stringify(schema)},

  // Severity of each rule: "off", "warn" (reported, does not fail the run) or "error".
  // A rule with options takes ["error", { ...options }]. Rules not listed here run at their default.
  "rules": {
${ruleLines.join("\n")}
  },

  // Globs (relative to this file) that are never linted. node_modules, dist and *.d.ts never are.
  "ignores": [],

  // Test, e2e, fixture, seed and script files are not linted either: a race there is not a production race.
  // Migrations are linted (they run against the production database). Change the globs, or [] to lint every file.
  "nonProductionFiles": [
${nonProduction}
  ],

  // Different settings for some files; later entries win. For example:
  // "overrides": [{ "files": ["src/legacy/**"], "rules": { ${JSON.stringify(example)}: "off" } }],

  // How fixes that call the runtime import it: "package" (@locksmith/runtime), "vendor" (a single-file copy in
  // this project, see "runtimePath") or "auto" (the package when it is installed, else vendor).
  "runtime": "auto"
}
`;
}

/** "$schema" as a path relative to the config: the schema of this Locksmith install when it is inside the project. */
export function schemaReference(configDir: string): string {
  if (!isInside(configDir, CONFIG_SCHEMA_PATH)) return INSTALLED_SCHEMA;
  return `./${normalizePath(path.relative(configDir, CONFIG_SCHEMA_PATH))}`;
}

export async function runInit(argv: string[], io: CliIo): Promise<number> {
  let values: { force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { force: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (usage: locksmith init [--force])`);
  }
  if (values.help) {
    io.stdout(
      "Usage: locksmith init [--force]\n\nWrites a commented starter locksmith.json in the current folder (--force: replace an existing one).\n",
    );
    return 0;
  }
  const file = path.join(io.cwd, CONFIG_FILE_NAME);
  if (fs.existsSync(file) && !values.force)
    throw new UsageError(`${CONFIG_FILE_NAME} already exists in ${io.cwd} (use --force to replace it)`);
  writeFileAtomic(file, starterConfig(RULES, schemaReference(io.cwd)));
  io.stdout(`Wrote ${CONFIG_FILE_NAME} with ${RULES.length} rules at their default severity.\n`);
  return 0;
}
