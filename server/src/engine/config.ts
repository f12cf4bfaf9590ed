// Configuration: `locksmith.json` (JSON with comments, as tsconfig.json) or a "locksmith" key in package.json. Data
// only — nothing from the workspace is ever executed. Validation is hand-written so that every error names the file,
// the key and what was expected.
import * as fs from "node:fs";
import * as path from "node:path";
import picomatch from "picomatch";
import type { DeclaredLocks, LockDeclaration, JsonSchema, Rule, Severity } from "./types";
import { normalizePath } from "./paths";
import { didYouMean } from "./did-you-mean";
import { ts } from "./ts";

export const CONFIG_FILE_NAME = "locksmith.json";

export type RuleSetting = Severity | [Severity] | [Severity, Record<string, unknown>];

export interface ConfigFile {
  $schema?: string;
  rules?: Record<string, RuleSetting>;
  ignores?: string[];
  /** Globs of test, e2e, fixture, seed and script files, not linted; replaces DEFAULT_NON_PRODUCTION_FILES. */
  nonProductionFiles?: string[];
  overrides?: Array<{ files: string[]; rules: Record<string, RuleSetting> }>;
  /** How quick fixes reach the runtime library. */
  runtime?: "auto" | "package" | "vendor";
  /** Where the vendored runtime goes, relative to the config's folder. */
  runtimePath?: string;
  /** The project's own locks (wrappers and helpers), for when inference from their bodies is not enough. */
  locks?: LockDeclaration[];
}

/** A user mistake in configuration: shown as one clear line, exit code 2, never a stack trace. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    expected: string,
  ) {
    super(`${file}: ${key ? `"${key}" ` : ""}${expected}`);
    this.name = "ConfigError";
  }
}

export interface ResolvedRuleConfig {
  severity: Severity;
  options: Record<string, unknown>;
}

export interface ResolvedConfig {
  /** Where the configuration came from, or undefined when defaults are used. */
  file: string | undefined;
  /** Folder that globs in the configuration are relative to. */
  root: string;
  raw: ConfigFile;
  /** Effective rule settings for a file (severity "off" means the rule does not run). */
  rulesFor(fileName: string): Map<string, ResolvedRuleConfig>;
  isIgnored(fileName: string): boolean;
  /** Which setting makes the file ignored ("ignores" includes the built-in node_modules, dist, *.d.ts), if one does. */
  ignoredBy(fileName: string): "ignores" | "nonProductionFiles" | undefined;
}

const SEVERITIES: readonly Severity[] = ["off", "warn", "error"];
const DEFAULT_IGNORES = ["**/node_modules/**", "**/dist/**", "**/*.d.ts"];

/**
 * Files that do not run in production, skipped unless `nonProductionFiles` says otherwise (as CodeQL and Semgrep leave
 * test code out of their default queries): tests and e2e suites, their mocks, fixtures and support folders
 * (`test-support/`, `test-utils/`, `test-helpers/`: a module only a test setup loads), seeders, one-off scripts and
 * operators' tooling and command-line entry points (`tooling/`, `cli/`), run by hand one at a time, so a race inside
 * them is not a production race. Migrations are not listed: they run against the
 * production database, often while the previous release still serves traffic, so their races with the application are
 * real (two runs of one migration never overlap: `analysis/migrations.ts`).
 */
export const DEFAULT_NON_PRODUCTION_FILES: readonly string[] = [
  "**/*.test.*",
  "**/*.spec.*",
  "**/__tests__/**",
  "**/test/**",
  "**/tests/**",
  "**/e2e/**",
  "**/__e2e__/**",
  "**/*.e2e-spec.*",
  "**/playwright/**",
  "**/cypress/**",
  "**/__mocks__/**",
  "**/fixtures/**",
  "**/__fixtures__/**",
  "**/test-support/**",
  "**/test-utils/**",
  "**/test-helpers/**",
  "**/seed/**",
  "**/seeds/**",
  "**/seeders/**",
  "**/seed-data/**",
  "**/seed.*",
  "**/*.seed.*",
  "**/scripts/**",
  "**/tooling/**",
  "**/cli/**",
];

/** An import (or require) of a test runner's API: only test files load these. */
const TEST_RUNNER_IMPORT =
  /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*)["'](?:vitest|@jest\/globals|node:test|bun:test|mocha|ava|uvu|@playwright\/test)["']/;
/**
 * A file that runs itself once: its top level calls its own function and, once that has finished (`.then`,
 * `.finally`), exits the process or disconnects its database client — `main().finally(() => prisma.$disconnect())`,
 * `run().then(() => process.exit(0))`; the chain may span lines, each further one indented or closing a bracket. A
 * server never does that after starting; a seeder or a one-off script does.
 */
const RUNS_ONCE =
  /^(?:void\s+)?[A-Za-z_$][\w$]*\([^()\n]*\)\s*(?:\.catch\((?:[^\n]|\n(?=[\s)}\]])){0,400}?\)\s*)?\.(?:then|finally)\((?:(?!\.catch\()(?:[^\n]|\n(?=[\s)}\]]))){0,300}?(?:\.\$disconnect\(|process\.exit\(|\.end\(\)|\.destroy\(\))/m;
/** How much of a file's start (its imports) and end (its top-level run) is read. */
const HEAD_BYTES = 16_384;
const TAIL_BYTES = 4_096;
/** Answers by file, kept while the file's modification time is the same (an editor may add the import later). */
const contentVerdicts = new Map<string, { mtimeMs: number; verdict: NonProductionContent | undefined }>();

type NonProductionContent = "test-runner" | "runs-once";

/**
 * Whether the file's content says it is not production code: its first 16 KB (where its imports are) import a test
 * runner, or its last 4 KB run it once (`RUNS_ONCE`); undefined when neither, or when it cannot be read.
 */
export function nonProductionContent(fileName: string): NonProductionContent | undefined {
  if (!/\.[cm]?[jt]sx?$/.test(fileName)) return undefined;
  let fd: number | undefined;
  try {
    fd = fs.openSync(fileName, "r");
    const { mtimeMs, size } = fs.fstatSync(fd);
    const known = contentVerdicts.get(fileName);
    if (known?.mtimeMs === mtimeMs) return known.verdict;
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    fs.readSync(fd, head, 0, head.length, 0);
    const tailStart = Math.max(0, size - TAIL_BYTES);
    let tail = head.subarray(tailStart);
    if (size > head.length) fs.readSync(fd, (tail = Buffer.alloc(size - tailStart)), 0, tail.length, tailStart);
    const verdict = TEST_RUNNER_IMPORT.test(head.toString("utf8"))
      ? "test-runner"
      : RUNS_ONCE.test(tail.toString("utf8"))
        ? "runs-once"
        : undefined;
    if (contentVerdicts.size > 50_000) contentVerdicts.clear();
    contentVerdicts.set(fileName, { mtimeMs, verdict });
    return verdict;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Finds the configuration that applies to `startDir`: the nearest locksmith.json or package.json "locksmith" key. */
export function findConfigFile(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const found = configFileIn(dir);
    if (found) return found;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The configuration file of one folder: its locksmith.json, or its package.json when it has a "locksmith" key. */
function configFileIn(dir: string): string | undefined {
  const candidate = path.join(dir, CONFIG_FILE_NAME);
  if (fs.existsSync(candidate)) return candidate;
  const pkg = path.join(dir, "package.json");
  if (!fs.existsSync(pkg)) return undefined;
  try {
    const parsed = JSON.parse(fs.readFileSync(pkg, "utf8")) as Record<string, unknown>;
    if (parsed && typeof parsed === "object" && "locksmith" in parsed) return pkg;
  } catch {
    // A broken package.json is not ours to report; keep looking upwards.
  }
  return undefined;
}

export function loadConfig(
  rules: readonly Rule[],
  options: { configFile?: string; cwd: string; ruleOverrides?: Record<string, Severity> },
): ResolvedConfig {
  const file = options.configFile ? path.resolve(options.cwd, options.configFile) : findConfigFile(options.cwd);
  let raw: ConfigFile = {};
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      throw new ConfigError(file, "", "cannot be read (does the file exist?)");
    }
    let parsed = parseJsonc(text, file);
    if (path.basename(file) === "package.json") parsed = (parsed as Record<string, unknown>).locksmith;
    raw = validateConfig(parsed, file, rules);
  }
  const root = file ? path.dirname(file) : path.resolve(options.cwd);
  return resolveConfig(raw, file, root, rules, options.ruleOverrides ?? {});
}

/** Parses JSON with comments and trailing commas (as tsconfig.json); errors name the line and column. */
export function parseJsonc(text: string, file: string): unknown {
  const { config, error } = ts.parseConfigFileTextToJson(file, text);
  const rootIsNotAnObject = 5092;
  if (error?.code === rootIsNotAnObject) throw new ConfigError(file, "", "must be a JSON object");
  if (error) {
    const linesBefore = text.slice(0, error.start ?? 0).split(/\r\n|\r|\n/);
    const where = `line ${linesBefore.length}, column ${linesBefore[linesBefore.length - 1]!.length + 1}`;
    throw new ConfigError(file, "", `is not valid JSON (${where}): ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
  }
  if (!text.trim()) throw new ConfigError(file, "", "is empty (expected a JSON object)");
  return config;
}

export function validateConfig(value: unknown, file: string, rules: readonly Rule[]): ConfigFile {
  const where = path.basename(file) === "package.json" ? "locksmith." : "";
  if (!isPlainObject(value)) throw new ConfigError(file, where.replace(/\.$/, ""), "must be a JSON object");
  const known = new Set(["$schema", "rules", "ignores", "nonProductionFiles", "overrides", "runtime", "runtimePath", "locks"]);
  for (const key of Object.keys(value)) {
    if (!known.has(key))
      throw new ConfigError(
        file,
        where + key,
        `is not a known setting${didYouMean(key, known)} (expected one of: ${[...known].join(", ")})`,
      );
  }
  if (value.rules !== undefined) validateRules(value.rules, `${where}rules`, file, rules);
  if (value.ignores !== undefined) validateStringArray(value.ignores, `${where}ignores`, file);
  if (value.nonProductionFiles !== undefined)
    validateStringArray(value.nonProductionFiles, `${where}nonProductionFiles`, file, " ([] lints every file)");
  if (value.overrides !== undefined) {
    if (!Array.isArray(value.overrides)) throw new ConfigError(file, `${where}overrides`, "must be an array of { files, rules }");
    value.overrides.forEach((entry: unknown, index: number) => {
      const key = `${where}overrides[${index}]`;
      if (!isPlainObject(entry)) throw new ConfigError(file, key, 'must be an object with "files" and "rules"');
      for (const k of Object.keys(entry))
        if (k !== "files" && k !== "rules")
          throw new ConfigError(file, `${key}.${k}`, 'is not a known setting (expected "files" or "rules")');
      validateStringArray(entry.files, `${key}.files`, file);
      validateRules(entry.rules, `${key}.rules`, file, rules);
    });
  }
  if (value.runtime !== undefined && !["auto", "package", "vendor"].includes(value.runtime as string)) {
    throw new ConfigError(file, `${where}runtime`, `must be "auto", "package" or "vendor", got ${JSON.stringify(value.runtime)}`);
  }
  if (value.runtimePath !== undefined && typeof value.runtimePath !== "string") {
    throw new ConfigError(file, `${where}runtimePath`, "must be a string (a path relative to the configuration file)");
  }
  if (value.locks !== undefined) validateLocks(value.locks, `${where}locks`, file);
  return value as ConfigFile;
}

/** The `locks` declarations of a configuration, for the engine settings of every file it covers. */
export function declaredLocksOf(config: Pick<ResolvedConfig, "raw" | "root" | "file">): DeclaredLocks | undefined {
  return config.raw.locks?.length
    ? { root: config.root, ...(config.file ? { file: config.file } : {}), entries: config.raw.locks }
    : undefined;
}

/** The `locks` a file is analysed with (those of the configuration that applies to it). */
export type DeclaredLocksFor = (fileName: string) => DeclaredLocks | undefined;

const programLocks = new WeakMap<ts.Program, DeclaredLocksFor>();

/**
 * The `locks` the engine lints `program`'s file `fileName` with, for analyses that see only the Program (the
 * transaction dataflow's function summaries, which count a declared `row-lock` helper).
 */
export function declaredLocksOfProgram(program: ts.Program, fileName: string): DeclaredLocks | undefined {
  return programLocks.get(program)?.(fileName);
}

export function setDeclaredLocksOfProgram(program: ts.Program, declaredFor: DeclaredLocksFor): void {
  programLocks.set(program, declaredFor);
}

/**
 * The `locks` of each file: those of the configuration nearest to it — a locksmith.json, or a package.json with a
 * "locksmith" key, in its folder or a folder above it below `config`'s folder (a monorepo package's own) — else
 * `config`'s. A configuration named on the command line (`explicit`) applies to every file. One object per
 * configuration, so that what is computed per declarations is computed once per configuration.
 */
export function declaredLocksResolver(config: ResolvedConfig, rules: readonly Rule[], explicit = false): DeclaredLocksFor {
  const own = declaredLocksOf(config);
  if (explicit) return () => own;
  const root = path.resolve(config.root);
  const byDir = new Map<string, DeclaredLocks | undefined>();
  const byConfigFile = new Map<string, DeclaredLocks | undefined>();
  const lookUp = (dir: string): DeclaredLocks | undefined => {
    if (byDir.has(dir)) return byDir.get(dir);
    const parent = path.dirname(dir);
    const inside = parent !== dir && dir.startsWith(root + path.sep) && !dir.split(path.sep).includes("node_modules");
    const file = inside ? configFileIn(dir) : undefined;
    let found: DeclaredLocks | undefined;
    if (!inside) found = own;
    else if (!file) found = lookUp(parent);
    else {
      if (!byConfigFile.has(file)) byConfigFile.set(file, declaredLocksOf(loadConfig(rules, { configFile: file, cwd: dir })));
      found = byConfigFile.get(file);
    }
    byDir.set(dir, found);
    return found;
  };
  return (fileName) => lookUp(path.dirname(path.resolve(fileName)));
}

const LOCK_KINDS = ["mutex", "rw", "lease", "semaphore", "row-lock"];
const LOCK_DECLARATION_KEYS = [
  "function",
  "file",
  "kind",
  "callback",
  "acquires",
  "releasedBy",
  "key",
  "reentrant",
  "transaction",
  "table",
];

function validateLocks(value: unknown, key: string, file: string): void {
  if (!Array.isArray(value))
    throw new ConfigError(file, key, "must be an array of lock declarations ({ function, kind, callback | acquires })");
  value.forEach((entry: unknown, index: number) => {
    const at = `${key}[${index}]`;
    if (!isPlainObject(entry)) throw new ConfigError(file, at, "must be an object ({ function, kind, callback | acquires })");
    for (const k of Object.keys(entry))
      if (!LOCK_DECLARATION_KEYS.includes(k))
        throw new ConfigError(file, `${at}.${k}`, `is not a known setting (expected one of: ${LOCK_DECLARATION_KEYS.join(", ")})`);
    const name = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$#][\w$]*)?$/;
    if (typeof entry.function !== "string" || !name.test(entry.function))
      throw new ConfigError(
        file,
        `${at}.function`,
        `must name a function or a method ("withLock", "LockService.run"), got ${JSON.stringify(entry.function)}`,
      );
    if (entry.file !== undefined && typeof entry.file !== "string")
      throw new ConfigError(file, `${at}.file`, "must be a glob string, relative to the configuration file");
    if (!LOCK_KINDS.includes(entry.kind as string))
      throw new ConfigError(
        file,
        `${at}.kind`,
        `must be "mutex", "rw", "lease", "semaphore" or "row-lock", got ${JSON.stringify(entry.kind)}`,
      );
    for (const k of ["callback", "key", "transaction"] as const)
      if (entry[k] !== undefined && !(Number.isInteger(entry[k]) && (entry[k] as number) >= 0))
        throw new ConfigError(file, `${at}.${k}`, `must be an argument index (0, 1, …), got ${JSON.stringify(entry[k])}`);
    if (entry.kind === "row-lock") return validateRowLock(entry, at, file);
    for (const k of ["transaction", "table"])
      if (entry[k] !== undefined) throw new ConfigError(file, `${at}.${k}`, 'is only for a declaration of kind "row-lock"');
    if ((entry.callback === undefined) === (entry.acquires === undefined))
      throw new ConfigError(file, at, 'must have either "callback" (runs that argument under the lock) or "acquires" (returns holding it)');
    if (entry.reentrant !== undefined && typeof entry.reentrant !== "boolean")
      throw new ConfigError(file, `${at}.reentrant`, `must be true or false, got ${JSON.stringify(entry.reentrant)}`);
    if (entry.acquires !== undefined && entry.acquires !== "blocking" && entry.acquires !== "try")
      throw new ConfigError(file, `${at}.acquires`, `must be "blocking" or "try", got ${JSON.stringify(entry.acquires)}`);
    if (entry.acquires !== undefined && (typeof entry.releasedBy !== "string" || !name.test(entry.releasedBy)))
      throw new ConfigError(file, `${at}.releasedBy`, 'must name the function or method that releases the lock ("LockService.release")');
    if (entry.acquires === undefined && entry.releasedBy !== undefined)
      throw new ConfigError(file, `${at}.releasedBy`, 'is only for a declaration with "acquires"');
  });
}

/** A helper that locks rows on the transaction it is given: which argument is the transaction, and which rows. */
function validateRowLock(entry: Record<string, unknown>, at: string, file: string): void {
  if (entry.transaction === undefined)
    throw new ConfigError(file, at, 'of kind "row-lock" must have "transaction" (the argument that is the transaction)');
  if (entry.table !== undefined && (typeof entry.table !== "string" || !entry.table))
    throw new ConfigError(file, `${at}.table`, "must be the name of the table (or model) whose rows it locks");
  if (entry.table === undefined && entry.key === undefined)
    throw new ConfigError(
      file,
      at,
      'of kind "row-lock" must say which rows it locks: "table", "key" (the argument that is the row\'s key) or both',
    );
  for (const k of ["callback", "releasedBy", "reentrant"])
    if (entry[k] !== undefined) throw new ConfigError(file, `${at}.${k}`, 'is not for a "row-lock" (held until its transaction ends)');
  if (entry.acquires !== undefined && entry.acquires !== "blocking")
    throw new ConfigError(file, `${at}.acquires`, 'of a "row-lock" can only be "blocking" (a row lock waits for the row)');
}

function validateRules(value: unknown, key: string, file: string, rules: readonly Rule[]): void {
  if (!isPlainObject(value))
    throw new ConfigError(file, key, 'must be an object mapping rule ids to "off" | "warn" | "error" or [severity, options]');
  const byId = new Map(rules.map((rule) => [rule.meta.id, rule]));
  for (const [id, setting] of Object.entries(value)) {
    const rule = byId.get(id);
    const ruleKey = `${key}.${id}`;
    if (!rule) {
      const hint = didYouMean(id, byId.keys());
      throw new ConfigError(file, ruleKey, `is not a Locksmith rule${hint || " (run `locksmith rules` for the list)"}`);
    }
    const [severity, options] = Array.isArray(setting) ? setting : [setting, undefined];
    if (!SEVERITIES.includes(severity as Severity)) {
      throw new ConfigError(file, ruleKey, `must be "off", "warn" or "error" (or [severity, options]), got ${JSON.stringify(setting)}`);
    }
    if (Array.isArray(setting) && setting.length > 2) throw new ConfigError(file, ruleKey, "must be [severity] or [severity, options]");
    if (options !== undefined) validateOptions(options, `${ruleKey}[1]`, file, rule);
  }
}

function validateOptions(options: unknown, key: string, file: string, rule: Rule): void {
  const schema = rule.meta.optionsSchema;
  if (!isPlainObject(options)) throw new ConfigError(file, key, "must be an object of rule options");
  if (!schema) {
    if (Object.keys(options).length > 0) throw new ConfigError(file, key, `rule "${rule.meta.id}" takes no options`);
    return;
  }
  for (const name of Object.keys(options)) {
    if (!schema.properties[name])
      throw new ConfigError(
        file,
        `${key}.${name}`,
        `is not an option of "${rule.meta.id}" (expected one of: ${Object.keys(schema.properties).join(", ")})`,
      );
  }
  const problem = schemaProblem(options, schema, key);
  if (problem) throw new ConfigError(file, problem.key, problem.expected);
}

/**
 * Checks `value` against the subset of JSON Schema rule options use (type, properties, required,
 * additionalProperties, items, enum, anyOf, minimum, exclusiveMinimum). Returns the first problem: the key it is
 * at and what was expected there.
 */
export function schemaProblem(value: unknown, schema: JsonSchema, key: string): { key: string; expected: string } | undefined {
  const got = `got ${JSON.stringify(value)}`;
  if (schema.anyOf) {
    if (schema.anyOf.some((alternative) => !schemaProblem(value, alternative, key))) return undefined;
    return { key, expected: `must be ${describeSchema(schema)}, ${got}` };
  }
  if (schema.type && !matchesType(value, schema.type)) return { key, expected: `must be ${describeSchema(schema)}, ${got}` };
  if (schema.enum && !schema.enum.includes(value))
    return { key, expected: `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}, ${got}` };
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return { key, expected: `must be at least ${schema.minimum}, ${got}` };
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      return { key, expected: `must be greater than ${schema.exclusiveMinimum}, ${got}` };
  }
  if (Array.isArray(value) && schema.items) {
    for (const [index, item] of value.entries()) {
      const problem = schemaProblem(item, schema.items, `${key}[${index}]`);
      if (problem) return problem;
    }
  }
  if (isPlainObject(value)) {
    for (const name of schema.required ?? []) if (!(name in value)) return { key: `${key}.${name}`, expected: "is required" };
    for (const [name, item] of Object.entries(value)) {
      const property = schema.properties?.[name];
      if (!property) {
        if (schema.additionalProperties === false)
          return {
            key: `${key}.${name}`,
            expected: `is not a known property (expected one of: ${Object.keys(schema.properties ?? {}).join(", ")})`,
          };
        continue;
      }
      const problem = schemaProblem(item, property, `${key}.${name}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function describeSchema(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(describeSchema).join(" or ");
  if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  switch (schema.type) {
    case "array":
      return schema.items ? `an array of ${plural(describeSchema(schema.items))}` : "an array";
    case "object":
      return "an object";
    case "integer":
    case undefined:
      return schema.type === "integer" ? "an integer" : "a value";
    default:
      return `a ${schema.type}`;
  }
}

function plural(description: string): string {
  return description.replace(/\ban? (\w+)/g, "$1s");
}

function matchesType(value: unknown, type: NonNullable<JsonSchema["type"]>): boolean {
  switch (type) {
    case "array":
      return Array.isArray(value);
    case "object":
      return isPlainObject(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

function validateStringArray(value: unknown, key: string, file: string, hint = ""): void {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    throw new ConfigError(file, key, `must be an array of glob strings${hint}, got ${JSON.stringify(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Builds the effective configuration from an already validated config object. */
export function resolveConfig(
  raw: ConfigFile,
  file: string | undefined,
  root: string,
  rules: readonly Rule[],
  cliOverrides: Record<string, Severity>,
): ResolvedConfig {
  const toSetting = (rule: Rule, setting: RuleSetting | undefined, base: ResolvedRuleConfig): ResolvedRuleConfig => {
    if (setting === undefined) return base;
    const [severity, options] = Array.isArray(setting) ? setting : [setting, undefined];
    return {
      severity: severity ?? base.severity,
      options: options ? { ...(rule.meta.defaultOptions as object), ...options } : base.options,
    };
  };
  const baseSettings = new Map<string, ResolvedRuleConfig>();
  for (const rule of rules) {
    const defaults: ResolvedRuleConfig = { severity: rule.meta.defaultSeverity, options: { ...(rule.meta.defaultOptions as object) } };
    baseSettings.set(rule.meta.id, toSetting(rule, raw.rules?.[rule.meta.id], defaults));
  }
  const overrides = (raw.overrides ?? []).map((o) => ({ match: picomatch(o.files, { dot: true }), rules: o.rules }));
  const ignoreMatch = picomatch([...DEFAULT_IGNORES, ...(raw.ignores ?? [])], { dot: true });
  const nonProductionMatch = picomatch([...(raw.nonProductionFiles ?? DEFAULT_NON_PRODUCTION_FILES)], { dot: true });
  const relative = (fileName: string) => normalizePath(path.relative(root, fileName));
  // Globs match the path relative to `root`, never the absolute path: a project checked out under /tmp/x/test/ is not
  // a test file, and a file outside `root` matches none of them.
  // A file that imports a test runner's API is a test whatever its name (`merge.integration.ts` importing `vitest`),
  // and one that runs itself once a script, unless `nonProductionFiles: []` asks for every file.
  const byImports = (raw.nonProductionFiles ?? DEFAULT_NON_PRODUCTION_FILES).length > 0;
  const ignoredBy = (fileName: string): ReturnType<ResolvedConfig["ignoredBy"]> => {
    const rel = relative(fileName);
    if (ignoreMatch(rel)) return "ignores";
    if (nonProductionMatch(rel)) return "nonProductionFiles";
    return byImports && nonProductionContent(fileName) ? "nonProductionFiles" : undefined;
  };
  const applyCli = (settings: Map<string, ResolvedRuleConfig>) => {
    for (const [id, severity] of Object.entries(cliOverrides)) {
      const current = settings.get(id);
      if (current) settings.set(id, { ...current, severity });
    }
    return settings;
  };
  const byId = new Map(rules.map((r) => [r.meta.id, r]));
  return {
    file,
    root,
    raw,
    rulesFor(fileName) {
      const rel = relative(fileName);
      const settings = new Map(baseSettings);
      for (const override of overrides) {
        if (!override.match(rel)) continue;
        for (const [id, setting] of Object.entries(override.rules)) {
          const rule = byId.get(id);
          if (rule) settings.set(id, toSetting(rule, setting, settings.get(id)!));
        }
      }
      return applyCli(settings);
    },
    ignoredBy,
    isIgnored: (fileName) => ignoredBy(fileName) !== undefined,
  };
}
