// server/schema/locksmith.schema.json: generated from the registry (scripts/gen-schema.js, run by `npm run build`),
// and agreeing with the configuration loader on what is valid.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { RULES } from "../../rules/index";
import { starterConfig } from "../../server/src/cli/init";
import { ConfigError, parseJsonc, validateConfig } from "../../server/src/engine/config";
import { CONFIG_SCHEMA_PATH } from "../../server/src/install-paths";

const ROOT = path.join(__dirname, "..", "..", "..");
const { schemaText } = require(path.join(ROOT, "scripts", "gen-schema.js")) as { schemaText: (rules: typeof RULES) => string };
const schema = JSON.parse(fs.readFileSync(CONFIG_SCHEMA_PATH, "utf8"));
// Strict, except for VS Code's `markdownDescription` annotation and tuples of 1 or 2 items ([severity, options?]).
const validateWithSchema = new Ajv({ allErrors: true, strictTuples: false }).addKeyword("markdownDescription").compile(schema);
const FILE = "/project/locksmith.json";

function loaderAccepts(config: unknown): boolean {
  try {
    validateConfig(config, FILE, RULES);
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

test("the schema file is generated from the current registry (run `npm run build` to regenerate)", () => {
  assert.equal(fs.readFileSync(CONFIG_SCHEMA_PATH, "utf8"), schemaText(RULES));
  assert.deepEqual(
    schema.definitions.rules.propertyNames.enum,
    RULES.map((r) => r.meta.id),
  );
  for (const rule of RULES) {
    const definition = schema.definitions[`rule-${rule.meta.id}`];
    assert.equal(definition.default, rule.meta.defaultSeverity, rule.meta.id);
    assert.deepEqual(definition.anyOf[1].items[1].properties, rule.meta.optionsSchema?.properties, rule.meta.id);
  }
});

const ruleWithOptions = RULES.find((r) => r.meta.optionsSchema && Object.keys(r.meta.optionsSchema.properties).length > 0);
const ruleWithoutOptions = RULES.find((r) => !r.meta.optionsSchema);
const someRule = RULES[0]!.meta.id;

const VALID: Array<[string, unknown]> = [
  ["empty", {}],
  ["the starter config", parseJsonc(starterConfig(RULES, "./schema.json"), FILE)],
  ["every severity spelling", { rules: { [someRule]: "off" }, overrides: [{ files: ["test/**"], rules: { [someRule]: ["warn"] } }] }],
  ["runtime settings", { $schema: "x", ignores: ["gen/**"], runtime: "vendor", runtimePath: "lib/runtime.ts" }],
  ["non-production globs, or none", { nonProductionFiles: ["qa/**"], overrides: [{ files: ["qa/**"], rules: {} }] }],
  ["no non-production files", { nonProductionFiles: [] }],
  [
    "lock declarations: a callback runner and an acquire/release pair",
    {
      locks: [
        { function: "withLock", file: "src/locking.ts", kind: "mutex", callback: 1, key: 0 },
        { function: "LeaseClient.take", kind: "lease", acquires: "try", releasedBy: "LeaseClient.give", key: 0 },
      ],
    },
  ],
  ["a reentrant lock declaration", { locks: [{ function: "withJobLock", kind: "mutex", callback: 0, reentrant: true }] }],
  ["a read-write lock declaration", { locks: [{ function: "Catalog.write", kind: "rw", callback: 0 }] }],
  ["a row-lock declaration", { locks: [{ function: "lockAccount", kind: "row-lock", transaction: 0, key: 1, table: "Account" }] }],
  ["a row-lock declared by its key only", { locks: [{ function: "lockAccount", kind: "row-lock", transaction: 0, key: 1 }] }],
  ...(ruleWithoutOptions
    ? [["[severity, {}] for a rule without options", { rules: { [ruleWithoutOptions.meta.id]: ["error", {}] } }] as [string, unknown]]
    : []),
];

const INVALID: Array<[string, unknown]> = [
  ["an unknown setting", { rule: {} }],
  ["an unknown rule id", { rules: { "no-such-rule": "error" } }],
  ["a bad severity", { rules: { [someRule]: "warning" } }],
  ["a numeric severity", { rules: { [someRule]: 2 } }],
  ["three array elements", { rules: { [someRule]: ["error", {}, {}] } }],
  ["an empty array", { rules: { [someRule]: [] } }],
  ["an override without files", { overrides: [{ rules: {} }] }],
  ["an override with an unknown key", { overrides: [{ files: [], rules: {}, severity: "off" }] }],
  ["ignores not an array", { ignores: "dist/**" }],
  ["nonProductionFiles not an array", { nonProductionFiles: "test/**" }],
  ["nonProductionFiles as a boolean", { nonProductionFiles: false }],
  ["a glob that is not a string", { nonProductionFiles: ["test/**", 1] }],
  ["locks not an array", { locks: { function: "withLock" } }],
  [
    "a lock declaration with both callback and acquires",
    { locks: [{ function: "f", kind: "mutex", callback: 0, acquires: "try", releasedBy: "g" }] },
  ],
  ["a lock declaration with neither callback nor acquires", { locks: [{ function: "f", kind: "mutex" }] }],
  ["acquires without releasedBy", { locks: [{ function: "f", kind: "lease", acquires: "blocking" }] }],
  ["releasedBy without acquires", { locks: [{ function: "f", kind: "mutex", callback: 0, releasedBy: "g" }] }],
  ["an unknown lock kind", { locks: [{ function: "f", kind: "spinlock", callback: 0 }] }],
  ["a negative argument index", { locks: [{ function: "f", kind: "mutex", callback: -1 }] }],
  ["a function that is not a name", { locks: [{ function: "with lock()", kind: "mutex", callback: 0 }] }],
  ["an unknown key in a lock declaration", { locks: [{ function: "f", kind: "mutex", callback: 0, timeout: 5000 }] }],
  ["a reentrant flag that is not a boolean", { locks: [{ function: "f", kind: "mutex", callback: 0, reentrant: "yes" }] }],
  ["a row-lock without its transaction", { locks: [{ function: "lockAccount", kind: "row-lock", key: 1, table: "Account" }] }],
  ["a row-lock without a table or a key", { locks: [{ function: "lockAccount", kind: "row-lock", transaction: 0 }] }],
  ["a row-lock with a callback", { locks: [{ function: "lockAccount", kind: "row-lock", transaction: 0, key: 1, callback: 2 }] }],
  ["a transaction on a mutex", { locks: [{ function: "f", kind: "mutex", callback: 0, transaction: 1 }] }],
  ["a bad runtime", { runtime: "npm" }],
  ["a numeric runtimePath", { runtimePath: 1 }],
  ["not an object", ["rules"]],
  ...(ruleWithoutOptions
    ? [["options for a rule without options", { rules: { [ruleWithoutOptions.meta.id]: ["error", { x: 1 }] } }] as [string, unknown]]
    : []),
  ...(ruleWithOptions
    ? [["an unknown option", { rules: { [ruleWithOptions.meta.id]: ["error", { noSuchOption: true }] } }] as [string, unknown]]
    : []),
];

for (const [name, config] of VALID) {
  test(`schema and loader accept ${name}`, () => {
    assert.ok(validateWithSchema(config), `schema rejects it: ${JSON.stringify(validateWithSchema.errors)}`);
    assert.ok(loaderAccepts(config), "loader rejects it");
  });
}

for (const [name, config] of INVALID) {
  test(`schema and loader reject ${name}`, () => {
    assert.equal(validateWithSchema(config), false, "schema accepts it");
    assert.equal(loaderAccepts(config), false, "loader accepts it");
  });
}

test("locksmith.json may have comments and trailing commas; syntax errors name the line and column", () => {
  assert.deepEqual(parseJsonc('// top\n{\n  "ignores": ["a/**",], /* inline */\n}\n', FILE), { ignores: ["a/**"] });
  assert.throws(() => parseJsonc('{\n  "ignores": []\n  "runtime": "auto"\n}\n', FILE), {
    message: `${FILE}: is not valid JSON (line 3, column 3): ',' expected.`,
  });
  assert.throws(() => parseJsonc("[]", FILE), { message: `${FILE}: must be a JSON object` });
  assert.throws(() => parseJsonc(" \n", FILE), { message: `${FILE}: is empty (expected a JSON object)` });
});
