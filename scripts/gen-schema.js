#!/usr/bin/env node
// Generates server/schema/locksmith.schema.json (the JSON Schema editors use for locksmith.json) from the rule
// registry, so every rule id, its default severity and its options are listed. Runs after `tsc -b` in `npm run build`
// (it reads the compiled registry); test/cli/config-schema.test.ts checks the file matches the registry.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
/** A function or method name in `locks` declarations: `withLock`, `LockService.run` (as the loader checks). */
const FUNCTION_NAME = "^[A-Za-z_$][\\w$]*(\\.[A-Za-z_$#][\\w$]*)?$";

const ROOT = path.join(__dirname, "..");
const SCHEMA_FILE = path.join(ROOT, "server", "schema", "locksmith.schema.json");
const { DEFAULT_NON_PRODUCTION_FILES } = require(path.join(ROOT, "dist", "server", "src", "engine", "config.js"));

/** @param {readonly import("../server/src/engine/types").Rule[]} rules */
function buildConfigSchema(rules) {
  const ruleDefinitions = {};
  for (const { meta } of rules) {
    const options = meta.optionsSchema
      ? { type: "object", properties: meta.optionsSchema.properties, additionalProperties: false }
      : { type: "object", maxProperties: 0, description: "This rule takes no options." };
    ruleDefinitions[meta.id] = {
      description: `${meta.description} (default: "${meta.defaultSeverity}")`,
      markdownDescription: `${meta.description}\n\nDefault: \`"${meta.defaultSeverity}"\`. Docs: \`rules/docs/${meta.id}.md\``,
      default: meta.defaultSeverity,
      anyOf: [
        { $ref: "#/definitions/severity" },
        { type: "array", items: [{ $ref: "#/definitions/severity" }, options], minItems: 1, maxItems: 2, additionalItems: false },
      ],
    };
  }
  const ruleIds = rules.map((rule) => rule.meta.id);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Locksmith configuration (locksmith.json)",
    description: "Configuration of Locksmith, static concurrency linting for TypeScript. JSON with comments.",
    type: "object",
    additionalProperties: false,
    properties: {
      $schema: { type: "string", description: "The JSON Schema of this file (for editors)." },
      rules: { $ref: "#/definitions/rules", description: "Severity (and options) per rule." },
      ignores: {
        type: "array",
        items: { type: "string" },
        description: "Globs, relative to this file, of files never linted (in addition to **/node_modules/**, **/dist/** and **/*.d.ts).",
      },
      nonProductionFiles: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_NON_PRODUCTION_FILES,
        description:
          "Globs, relative to this file, of test, e2e, fixture, seed and script files: not linted (a race there is not a production race). Replaces the default list; [] lints every file. With any other list, a file that imports a test runner (vitest, node:test, @jest/globals, mocha, …) is a test file too.",
      },
      overrides: {
        type: "array",
        description: "Rule settings for some files only; later entries win.",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["files", "rules"],
          properties: {
            files: { type: "array", items: { type: "string" }, description: "Globs, relative to this file." },
            rules: { $ref: "#/definitions/rules" },
          },
        },
      },
      locks: {
        type: "array",
        description:
          "The project's own locks: functions that run a callback while holding a lock, or return holding one (released by another function). Locksmith infers most from their bodies; a declaration wins over inference.",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["function", "kind"],
          properties: {
            function: {
              type: "string",
              pattern: FUNCTION_NAME,
              description: 'The function or method: "withLock", "RedisLockService.acquire".',
            },
            file: {
              type: "string",
              description:
                "Glob, relative to this file, of the file declaring it, a package's declaration file included (any file when absent).",
            },
            kind: {
              enum: ["mutex", "rw", "lease", "semaphore", "row-lock"],
              description:
                '"mutex": in-process, held until released; "rw": an in-process read-write lock; "lease": distributed, expires by itself; "semaphore": bounds concurrency; "row-lock": locks rows on the transaction it is given (held until that transaction ends).',
            },
            callback: { type: "integer", minimum: 0, description: "Runs this argument (0-based) while holding the lock." },
            acquires: {
              enum: ["blocking", "try"],
              description:
                'Returns holding the lock: "blocking" (waits, or throws when it cannot) or "try" (its result says whether it did).',
            },
            releasedBy: {
              type: "string",
              description: 'With "acquires": the function or method that releases it ("RedisLockService.release").',
            },
            key: { type: "integer", minimum: 0, description: "The argument (0-based) naming the lock: its key." },
            reentrant: {
              type: "boolean",
              description:
                "The holder may take it again while holding it (no `reentrant-lock` finding); it still takes part in lock order.",
            },
            transaction: {
              type: "integer",
              minimum: 0,
              description: 'For "row-lock": the argument (0-based) that is the transaction the rows are locked on.',
            },
            table: {
              type: "string",
              description: 'For "row-lock": the table (or model) whose rows it locks (with "key": the row whose key is that argument).',
            },
          },
          oneOf: [
            {
              required: ["callback"],
              properties: { kind: { enum: ["mutex", "rw", "lease", "semaphore"] } },
              not: { anyOf: ["acquires", "releasedBy", "transaction", "table"].map((key) => ({ required: [key] })) },
            },
            {
              required: ["acquires", "releasedBy"],
              properties: { kind: { enum: ["mutex", "rw", "lease", "semaphore"] } },
              not: { anyOf: ["callback", "transaction", "table"].map((key) => ({ required: [key] })) },
            },
            {
              required: ["transaction"],
              properties: { kind: { const: "row-lock" } },
              anyOf: [{ required: ["table"] }, { required: ["key"] }],
              not: { anyOf: [{ required: ["callback"] }, { required: ["releasedBy"] }] },
            },
          ],
        },
      },
      runtime: {
        enum: ["auto", "package", "vendor"],
        default: "auto",
        description:
          'How fixes that call the runtime import it: "package" (@locksmith/runtime), "vendor" (a single-file copy in the project), or "auto" (the package when it is installed, else vendor).',
      },
      runtimePath: {
        type: "string",
        description:
          "Where the vendored runtime goes, relative to this file (default: src/locksmith-runtime.ts, or locksmith-runtime.ts without a src folder).",
      },
    },
    definitions: {
      severity: {
        enum: ["off", "warn", "error"],
        description: '"off" disables the rule; "warn" reports without failing the run; "error" fails it.',
      },
      rules: {
        type: "object",
        additionalProperties: false,
        propertyNames: { enum: ruleIds },
        properties: Object.fromEntries(ruleIds.map((id) => [id, { $ref: `#/definitions/rule-${id}` }])),
      },
      ...Object.fromEntries(Object.entries(ruleDefinitions).map(([id, definition]) => [`rule-${id}`, definition])),
    },
  };
}

function schemaText(rules) {
  return `${JSON.stringify(buildConfigSchema(rules), null, 2)}\n`;
}

module.exports = { buildConfigSchema, schemaText, SCHEMA_FILE };

if (require.main === module) {
  const { RULES } = require(path.join(ROOT, "dist", "rules", "index.js"));
  const text = schemaText(RULES);
  const current = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, "utf8") : undefined;
  if (current !== text) {
    fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
    fs.writeFileSync(SCHEMA_FILE, text);
    console.log(`gen-schema: wrote ${path.relative(process.cwd(), SCHEMA_FILE)} (${RULES.length} rules)`);
  }
}
