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
  message: string;
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

export interface RuleMeta {
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
  /** JSON Schema of the rule's options object (validated when configuration is loaded). */
  optionsSchema?: JsonSchemaObject;
  /** Default options, merged under the user's. */
  defaultOptions?: Record<string, unknown>;
}

export interface JsonSchemaObject {
  type: "object";
  properties: Record<string, { type: string; description?: string; items?: { type: string }; enum?: unknown[] }>;
  additionalProperties?: boolean;
}

/** What a file rule sees. Everything expensive (the type checker, shared analyses) is computed lazily. */
export interface FileRuleContext {
  readonly sourceFile: ts.SourceFile;
  /** Absolute, normalised path of the file. */
  readonly fileName: string;
  /** The type checker. Ask only at candidate nodes a syntactic pass found: it is lazy but not free. */
  readonly checker: ts.TypeChecker;
  readonly program: ts.Program;
  /** The rule's options: defaults merged with configuration. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Settings shared by all rules (e.g. where fixes import the runtime from). */
  readonly settings: Readonly<EngineSettings>;
  report(finding: Omit<Finding, "ruleId" | "related" | "fixes" | "suggestions"> & Partial<Pick<Finding, "related" | "fixes" | "suggestions">>): void;
}

/** What a project rule sees: every analysed file at once. */
export interface ProjectRuleContext {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  readonly sourceFiles: readonly ts.SourceFile[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly settings: Readonly<EngineSettings>;
  report(finding: Omit<Finding, "ruleId" | "related" | "fixes" | "suggestions"> & Partial<Pick<Finding, "related" | "fixes" | "suggestions">>): void;
}

export interface Rule {
  meta: RuleMeta;
  checkFile?(context: FileRuleContext): void;
  checkProject?(context: ProjectRuleContext): void;
}

/** Settings every rule may read, from configuration (not per-rule). */
export interface EngineSettings {
  /** Module specifier fixes import the runtime from: "@locksmith/runtime", or a vendored file. */
  runtimeImport: RuntimeImportSetting;
}

export type RuntimeImportSetting =
  | { mode: "package"; specifier: string }
  /** Vendored: absolute path of the single-file runtime inside the project. */
  | { mode: "vendor"; path: string };
