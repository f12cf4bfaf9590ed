// The vocabulary shared by the engine, the rules, the CLI and the language server.
// Positions are always UTF-16 offsets into the file's text (what TypeScript uses); formatters turn them into
// line/column at the edge.
import type { ts } from "./ts";

export type Severity = "off" | "warn" | "error";

/** A span of text in one file. */
export interface Span {
  /** Absolute, normalised path (forward slashes). */
  file: string;
  start: number;
  end: number;
}

/** A further place that explains a finding ("value read here", "released here, but not on every path"). */
export interface RelatedLocation {
  span: Span;
  message: string;
}

/** One text replacement. Edits of one fix never overlap. */
export interface TextEdit {
  file: string;
  start: number;
  end: number;
  newText: string;
}

/** A file that a fix creates (the vendored runtime). Created only if absent or identical. */
export interface NewFile {
  path: string;
  text: string;
}

export interface Fix {
  /** What the fix does, shown as the code action's title ("Release the lock in a finally block"). */
  title: string;
  edits: TextEdit[];
  newFiles?: NewFile[];
}

/** A problem found by a rule, before configuration decided its severity. */
export interface Finding {
  ruleId: string;
  /** Which of the rule's `meta.messages` this is (as typescript-eslint's `messageId`). */
  messageId: string;
  /** The headline: what races with what. */
  message: string;
  /** The values of the template's holes (what tests assert, with `messageId`). */
  data?: Readonly<Record<string, string | number>>;
  /** Advice, kept apart from the headline (the CLI's second line, LSP related information, SARIF `help`). */
  help?: string;
  span: Span;
  related: RelatedLocation[];
  /** Safe fixes: applied by `--fix` and fix-on-save. At most one is applied per run. */
  fixes: Fix[];
  /** Behaviour-changing fixes: offered in the editor only. */
  suggestions: Fix[];
}

/** A finding with the severity configuration gave it. */
export interface Diagnostic extends Finding {
  severity: Exclude<Severity, "off">;
}

/** Message templates by id; `{{name}}` is a hole filled from the report's `data`. */
export type RuleMessages = Record<string, string>;

export interface RuleMeta<Options = unknown, Messages extends RuleMessages = RuleMessages> {
  /** Kebab-case id; also the name of the rule's file and doc page. */
  id: string;
  /** One line, shown by `locksmith rules` and in SARIF. */
  description: string;
  defaultSeverity: Exclude<Severity, "off">;
  /** Whether the rule can produce safe fixes and/or suggestions. */
  fixable: boolean;
  hasSuggestions: boolean;
  /**
   * "file": findings for a file depend only on that file (and types it imports).
   * "project": findings depend on other files too (lock order across files); the engine runs such rules over the
   * whole project and never caches their results per file.
   */
  scope: "file" | "project";
  /** The rule's message templates by id (`report({ messageId, data })` fills one). */
  messages: Messages;
  /** JSON Schema of the rule's options object: configuration is validated against it before a rule sees options. */
  optionsSchema?: JsonSchemaObject;
  /** The options a rule sees when configuration sets none; the user's are merged over them. */
  defaultOptions: Options;
}

/** The subset of JSON Schema that rule options use (and `config.ts` validates). */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  enum?: readonly unknown[];
  anyOf?: JsonSchema[];
  exclusiveMinimum?: number;
  minimum?: number;
}

export interface JsonSchemaObject extends JsonSchema {
  type: "object";
  properties: Record<string, JsonSchema>;
}

/** The names of the `{{holes}}` of a message template. */
export type TemplateHoles<T extends string> = T extends `${string}{{${infer Hole}}}${infer Rest}` ? Hole | TemplateHoles<Rest> : never;

/** What a rule passes to `report`: a message id with data for exactly its template's holes, and where. */
export type ReportDescriptor<Messages extends RuleMessages> = {
  [Id in keyof Messages & string]: {
    messageId: Id;
    help?: string;
    span: Span;
    related?: RelatedLocation[];
    fixes?: Fix[];
    suggestions?: Fix[];
  } & ([TemplateHoles<Messages[Id]>] extends [never]
    ? { data?: undefined }
    : { data: Record<TemplateHoles<Messages[Id]>, string | number> });
}[keyof Messages & string];

/** Builds the edits of a fix for the file being linted (each edit is stamped with that file). */
export interface Fixer {
  replace(target: ts.Node | TextRange, text: string): TextEdit;
  insertBefore(target: ts.Node | TextRange, text: string): TextEdit;
  insertAfter(target: ts.Node | TextRange, text: string): TextEdit;
  remove(target: ts.Node | TextRange): TextEdit;
  /** Imports `names` from the runtime (package, subpath or vendored file, as settings say): edits plus new files. */
  runtimeImport(names: readonly string[], subpath?: RuntimeSubpath): { edits: TextEdit[]; newFiles: NewFile[] };
  /** A fix with a title, its edits, and new files when some of its parts need them. */
  fix(title: string, ...parts: ReadonlyArray<TextEdit | { edits: TextEdit[]; newFiles?: NewFile[] }>): Fix;
}

/** An offset range in the file being linted (TypeScript's `pos`/`end` convention without trivia). */
export interface TextRange {
  start: number;
  end: number;
}

/** The runtime's entry points: the core, or its database adapters. */
export type RuntimeSubpath = "" | "postgres" | "mysql" | "redis";

/** What a file rule sees. Everything expensive (the type checker, shared analyses) is computed lazily. */
export interface FileRuleContext<Options = Record<string, unknown>, Messages extends RuleMessages = RuleMessages> {
  readonly sourceFile: ts.SourceFile;
  /** Absolute, normalised path of the file. */
  readonly fileName: string;
  /** The type checker. Ask only at candidate nodes a syntactic pass found: it is lazy but not free. */
  readonly checker: ts.TypeChecker;
  readonly program: ts.Program;
  /** The rule's options: defaults merged with configuration, already validated against `optionsSchema`. */
  readonly options: Readonly<Options>;
  /** Settings shared by all rules (e.g. where fixes import the runtime from). */
  readonly settings: Readonly<EngineSettings>;
  readonly fixer: Fixer;
  report(descriptor: ReportDescriptor<Messages>): void;
}

/** What a project rule sees: every analysed file at once. */
export interface ProjectRuleContext<Options = Record<string, unknown>, Messages extends RuleMessages = RuleMessages> {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  readonly sourceFiles: readonly ts.SourceFile[];
  readonly options: Readonly<Options>;
  readonly settings: Readonly<EngineSettings>;
  /** The project's own locks declared for a file: the `locks` of the configuration that applies to it. */
  declaredLocksFor(fileName: string): DeclaredLocks | undefined;
  /** A fixer for edits in one of `sourceFiles` (with that file's settings: where its runtime import comes from). */
  fixerFor(sourceFile: ts.SourceFile): Fixer;
  report(descriptor: ReportDescriptor<Messages>): void;
}

// Method syntax (bivariant parameters) and `any` defaults on purpose: a rule typed with its own options and messages
// is still a `Rule` to the engine, which only passes options through and formats messages by id.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Rule<Options = any, Messages extends RuleMessages = any> {
  meta: RuleMeta<Options, Messages>;
  checkFile?(context: FileRuleContext<Options, Messages>): void;
  checkProject?(context: ProjectRuleContext<Options, Messages>): void;
}

/** Settings every rule may read, from configuration (not per-rule). */
export interface EngineSettings {
  /** Module specifier fixes import the runtime from: "@locksmith/runtime", or a vendored file. */
  runtimeImport: RuntimeImportSetting;
  /** Slow calls the editor's `locksmith.slowCalls` setting adds, for rules that look for slow work under a lock. */
  extraSlowCalls?: readonly SlowCallSetting[];
  /** The project's own locks declared in locksmith.json (`locks`), with the folder their `file` globs are relative to. */
  declaredLocks?: DeclaredLocks;
}

/** The `locks` of locksmith.json. */
export interface DeclaredLocks {
  root: string;
  /** The configuration file they come from (where a problem with an entry is reported). */
  file?: string;
  entries: readonly LockDeclaration[];
}

/**
 * A project function or method that is a lock: it runs a callback while holding the lock, or returns holding it (and
 * another function releases it). A declaration wins over what Locksmith infers from the body.
 */
export interface LockDeclaration {
  /** `withLock`, or `Class.method` (`RedisLockService.acquire`). */
  function: string;
  /** A glob, relative to the configuration file, of the file that declares it; any project file when absent. */
  file?: string;
  /**
   * "mutex": in-process, held until released; "rw": an in-process read-write lock (each side excludes the writers);
   * "lease": distributed, expires by itself; "semaphore": bounds concurrency; "row-lock": row locks taken on the
   * transaction it is given, held until that transaction ends (a `SELECT … FOR UPDATE` helper Locksmith cannot read).
   */
  kind: "mutex" | "rw" | "lease" | "semaphore" | "row-lock";
  /** Runs this argument (0-based) while holding the lock. */
  callback?: number;
  /** Returns holding the lock: "blocking" (waits, or throws when it cannot) or "try" (its result says whether it did). */
  acquires?: "blocking" | "try";
  /** For `acquires`: the function or method that releases it, called on the same receiver with the same key. */
  releasedBy?: string;
  /** The argument (0-based) that names the lock: its key. */
  key?: number;
  /** The holder may take it again while holding it: `reentrant-lock` leaves it alone (lock order still applies). */
  reentrant?: boolean;
  /** For "row-lock": the argument (0-based) that is the transaction the rows are locked on. */
  transaction?: number;
  /** For "row-lock": the table (or model) whose rows it locks; with `key`, the row whose key is that argument. */
  table?: string;
}

/** A call that is slow: by name, or by module and name (`"*"` for any export), with why. */
export interface SlowCallSetting {
  module?: string;
  call: string;
  reason: string;
}

export type RuntimeImportSetting =
  | { mode: "package"; specifier: string }
  /**
   * Vendored: absolute path of the single-file runtime inside the project, and the extension its relative import
   * takes in this project ("" or ".js", from the project's module resolution).
   */
  | { mode: "vendor"; path: string; extension: "" | ".js" };

/**
 * The one JSDoc tag Locksmith reads (analysis/lock-annotations.ts). Files whose text does not contain it are parsed
 * without the JSDoc of TypeScript files (project.ts), as `tsc` parses them: nothing else reads JSDoc there.
 */
export const LOCKSMITH_JSDOC_TAG = "locksmith";
