// How a fix reaches the runtime library (@locksmith/runtime): an import of the package, or of a vendored single-file
// copy inside the user's project. Shared by every rule whose fix calls the runtime, by `--fix` and by the editor.
import * as fs from "node:fs";
import * as path from "node:path";
import { ts } from "./ts";
import type { EngineSettings, NewFile, RuntimeImportSetting, RuntimeSubpath, TextEdit } from "./types";
import { isInsideReal, normalizePath } from "./paths";
import { writeFileAtomic } from "./fixes";
import { VENDORED_RUNTIME_SOURCE } from "../install-paths";

export const RUNTIME_PACKAGE = "@locksmith/runtime";

/**
 * Decides, for one file, where its fixes import the runtime from. "auto" uses the package when it resolves from the
 * file (the user installed it), else vendors into `runtimePath` (default: src/locksmith-runtime.ts, or the project
 * root when there is no src folder).
 */
export function resolveRuntimeImport(
  fileName: string,
  mode: "auto" | "package" | "vendor",
  projectRoot: string,
  runtimePath: string | undefined,
  compilerOptions: ts.CompilerOptions,
): RuntimeImportSetting {
  if (mode === "package") return { mode: "package", specifier: RUNTIME_PACKAGE };
  if (mode === "auto") {
    const resolved = ts.resolveModuleName(RUNTIME_PACKAGE, fileName, compilerOptions, ts.sys).resolvedModule;
    if (resolved) return { mode: "package", specifier: RUNTIME_PACKAGE };
  }
  const defaultPath = fs.existsSync(path.join(projectRoot, "src")) ? "src/locksmith-runtime.ts" : "locksmith-runtime.ts";
  const target = path.resolve(projectRoot, runtimePath ?? defaultPath);
  if (!isInsideReal(projectRoot, target)) throw new Error(`runtimePath must stay inside the project (${projectRoot}), got ${runtimePath}`);
  return { mode: "vendor", path: normalizePath(target), extension: resolvesLikeNode(compilerOptions) ? ".js" : "" };
}

const NODE_RESOLUTIONS: ReadonlySet<ts.ModuleResolutionKind> = new Set([ts.ModuleResolutionKind.Node16, ts.ModuleResolutionKind.NodeNext]);
const NODE_MODULES: ReadonlySet<ts.ModuleKind> = new Set([
  ts.ModuleKind.Node16,
  ts.ModuleKind.Node18,
  ts.ModuleKind.Node20,
  ts.ModuleKind.NodeNext,
]);

/**
 * Whether the project resolves modules as Node does (`node16`/`nodenext`, set or implied by `module`): there an ES
 * module's relative import needs its extension (TS2835 without one), and `./file.js` names `file.ts` (in CommonJS
 * files too). Everywhere else (`node10`, `bundler`) the extension is left out, as those projects write their imports.
 */
function resolvesLikeNode(options: ts.CompilerOptions): boolean {
  if (options.moduleResolution !== undefined) return NODE_RESOLUTIONS.has(options.moduleResolution);
  return options.module !== undefined && NODE_MODULES.has(options.module);
}

/**
 * Edits (and possibly a new file) that make `names` importable in `sourceFile`, from the runtime's core or one of its
 * database adapters (`@locksmith/runtime/postgres`; the vendored file holds them all). Merges into an existing import
 * of the same module instead of adding a second one. The adapters' subpaths compile under every moduleResolution:
 * Node and node16/nodenext/bundler follow the package's `exports`, and node10 (which ignores `exports`) its
 * `typesVersions` — so one specifier serves every project, rather than a deep `dist/cjs/…` path that `exports` refuses
 * at run time, or adapters re-exported from the root whose names collide.
 */
export function runtimeImportEdits(
  sourceFile: ts.SourceFile,
  settings: EngineSettings,
  names: readonly string[],
  subpath: RuntimeSubpath = "",
): { edits: TextEdit[]; newFiles: NewFile[] } {
  const setting = settings.runtimeImport;
  const newFiles: NewFile[] = [];
  let specifier: string;
  if (setting.mode === "package") {
    specifier = subpath ? `${setting.specifier}/${subpath}` : setting.specifier;
  } else {
    const rel = `${normalizePath(path.relative(path.dirname(sourceFile.fileName), setting.path)).replace(/\.ts$/, "")}${setting.extension}`;
    specifier = rel.startsWith(".") ? rel : `./${rel}`;
    if (!fs.existsSync(setting.path)) newFiles.push({ path: setting.path, text: readVendoredRuntime() });
  }
  return { edits: importEdits(sourceFile, specifier, names), newFiles };
}

export function readVendoredRuntime(): string {
  return fs.readFileSync(VENDORED_RUNTIME_SOURCE, "utf8");
}

export type VendorResult = "created" | "updated" | "unchanged" | "outdated";

/**
 * Copies the single-file runtime to `target` (`locksmith runtime vendor`, the editor's "Vendor runtime" command).
 * An existing copy that differs is replaced only when `update` is true; otherwise it is reported as "outdated".
 */
export function vendorRuntime(target: string, update: boolean): VendorResult {
  const text = readVendoredRuntime();
  let current: string | undefined;
  try {
    current = fs.readFileSync(target, "utf8");
  } catch {
    current = undefined;
  }
  if (current === text) return "unchanged";
  if (current !== undefined && !update) return "outdated";
  fs.mkdirSync(path.dirname(target), { recursive: true });
  writeFileAtomic(target, text);
  return current === undefined ? "created" : "updated";
}

/** Adds `import { names } from "specifier"`, merged with an existing named import of that module. */
export function importEdits(sourceFile: ts.SourceFile, specifier: string, names: readonly string[]): TextEdit[] {
  const file = normalizePath(sourceFile.fileName);
  let lastImportEnd = 0;
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    lastImportEnd = statement.end;
    if (!ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== specifier) continue;
    const bindings = statement.importClause?.namedBindings;
    if (statement.importClause?.isTypeOnly || !bindings || !ts.isNamedImports(bindings)) continue;
    const present = new Set(bindings.elements.map((e) => e.name.text));
    const missing = names.filter((n) => !present.has(n));
    if (missing.length === 0) return [];
    const last = bindings.elements[bindings.elements.length - 1];
    const at = last ? last.end : bindings.getStart(sourceFile) + 1;
    return [{ file, start: at, end: at, newText: `${last ? ", " : " "}${missing.join(", ")}` }];
  }
  const quote = detectQuote(sourceFile);
  const line = `import { ${[...names].sort().join(", ")} } from ${quote}${specifier}${quote};`;
  if (lastImportEnd > 0) return [{ file, start: lastImportEnd, end: lastImportEnd, newText: `\n${line}` }];
  // No imports yet: after a leading comment block / shebang, before the first statement.
  const first = sourceFile.statements[0];
  const at = first ? first.getStart(sourceFile) : 0;
  return [{ file, start: at, end: at, newText: `${line}\n\n` }];
}

function detectQuote(sourceFile: ts.SourceFile): string {
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement)) return statement.moduleSpecifier.getText(sourceFile).startsWith("'") ? "'" : '"';
  }
  return '"';
}
