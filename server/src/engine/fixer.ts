// The fixer a file rule gets on its context (typescript-eslint's `fixer`): edits addressed by node or range in the
// file being linted, stamped with that file, so rules never build `{ file, start, end }` by hand.
import { type ts } from "./ts";
import { normalizePath } from "./paths";
import { runtimeImportEdits } from "./runtime-import";
import type { EngineSettings, Fixer, NewFile, RuntimeSubpath, TextEdit, TextRange } from "./types";

export function createFixer(sourceFile: ts.SourceFile, settings: EngineSettings): Fixer {
  const file = normalizePath(sourceFile.fileName);
  const range = (target: ts.Node | TextRange): TextRange =>
    "kind" in target ? { start: target.getStart(sourceFile), end: target.getEnd() } : target;
  const edit = (start: number, end: number, newText: string): TextEdit => ({ file, start, end, newText });
  return {
    replace: (target, text) => {
      const { start, end } = range(target);
      return edit(start, end, text);
    },
    insertBefore: (target, text) => {
      const { start } = range(target);
      return edit(start, start, text);
    },
    insertAfter: (target, text) => {
      const { end } = range(target);
      return edit(end, end, text);
    },
    remove: (target) => {
      const { start, end } = range(target);
      return edit(start, end, "");
    },
    runtimeImport: (names: readonly string[], subpath: RuntimeSubpath = "") => runtimeImportEdits(sourceFile, settings, names, subpath),
    fix(title, ...parts) {
      const edits: TextEdit[] = [];
      const newFiles: NewFile[] = [];
      for (const part of parts) {
        if ("edits" in part) {
          edits.push(...part.edits);
          newFiles.push(...(part.newFiles ?? []));
        } else edits.push(part);
      }
      return { title, edits, ...(newFiles.length > 0 ? { newFiles } : {}) };
    },
  } satisfies Fixer;
}
