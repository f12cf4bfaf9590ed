// Which files a file's types depend on: what its imports resolved to, and the files that declare globals. Shared by
// the CLI's cache (what invalidates a file's cached findings) and the language server (what to re-lint on a change).
import * as path from "node:path";
import { ts } from "./ts";
import { normalizePath } from "./paths";

/** Internal TypeScript API for the modules a file's imports resolved to (stable since TS 5.0, but not public). */
interface ProgramInternals {
  forEachResolvedModule?(callback: (resolution: ts.ResolvedModuleWithFailedLookupLocations) => void, file: ts.SourceFile): void;
}

/** Normalised paths of the files `sourceFile` imports or references; undefined when this TypeScript does not say. */
export function importedFiles(program: ts.Program, sourceFile: ts.SourceFile): string[] | undefined {
  const internals = program as ts.Program & ProgramInternals;
  if (!internals.forEachResolvedModule) return undefined;
  const files: string[] = [];
  internals.forEachResolvedModule((resolution) => {
    if (resolution.resolvedModule) files.push(normalizePath(resolution.resolvedModule.resolvedFileName));
  }, sourceFile);
  for (const reference of sourceFile.referencedFiles)
    files.push(normalizePath(path.resolve(path.dirname(sourceFile.fileName), reference.fileName)));
  return files;
}

/** A script (its declarations are global), or a module with `declare global { }` / `declare module "x" { }`. */
export function declaresGlobals(sourceFile: ts.SourceFile): boolean {
  if (!ts.isExternalModule(sourceFile)) return true;
  return sourceFile.statements.some(
    (s) => ts.isModuleDeclaration(s) && (ts.isStringLiteral(s.name) || (s.flags & ts.NodeFlags.GlobalAugmentation) !== 0),
  );
}
