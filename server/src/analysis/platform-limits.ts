// The hard time limit a serverless platform puts on a file's handlers: the platform kills a handler at that limit, so
// it never runs longer. Declared in the file (Next.js route segment config `export const maxDuration = 60`, or
// `export const config = { maxDuration }`), or for the file's path in the nearest `vercel.json`
// (`"functions": { "app/api/cron/**/*.ts": { "maxDuration": 600 } }`, globs relative to that file's folder).
import * as path from "node:path";
import picomatch from "picomatch";
import { ts } from "../engine/ts";
import { skipParens } from "./ast";
import { numberValue } from "./locks";

/** The hard time limit for `sourceFile`'s handlers in milliseconds, or undefined when none is declared. */
export function hardTimeLimitMs(sourceFile: ts.SourceFile): number | undefined {
  const seconds = exportedMaxDuration(sourceFile) ?? vercelMaxDuration(sourceFile.fileName);
  return seconds === undefined ? undefined : seconds * 1000;
}

function exportedMaxDuration(sourceFile: ts.SourceFile): number | undefined {
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement) || !statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || !declaration.initializer) continue;
      let value: ts.Expression | undefined;
      if (declaration.name.text === "maxDuration") value = declaration.initializer;
      const config = skipParens(declaration.initializer);
      if (declaration.name.text === "config" && ts.isObjectLiteralExpression(config)) {
        const property = config.properties.find((p) => p.name?.getText() === "maxDuration");
        if (property && ts.isPropertyAssignment(property)) value = property.initializer;
      }
      const seconds = value && numberValue(value);
      if (seconds !== undefined) return seconds;
    }
  }
  return undefined;
}

interface FunctionLimit {
  matches: (relativePath: string) => boolean;
  seconds: number;
}

const vercelConfigs = new Map<string, { modified: number; limits: readonly FunctionLimit[] } | null>();

/** The `maxDuration` of the first `functions` glob of the nearest `vercel.json` that matches the file. */
function vercelMaxDuration(fileName: string): number | undefined {
  for (let dir = path.dirname(fileName); ; dir = path.dirname(dir)) {
    const config = path.join(dir, "vercel.json");
    const limits = functionLimits(config);
    if (limits) {
      const relative = path.relative(dir, fileName).split(path.sep).join("/");
      return limits.find((limit) => limit.matches(relative))?.seconds;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The `functions` limits of a `vercel.json` (re-read when it changes), or undefined when there is no such file. */
function functionLimits(file: string): readonly FunctionLimit[] | undefined {
  const modified = ts.sys.getModifiedTime?.(file)?.getTime();
  if (modified === undefined || !ts.sys.fileExists(file)) return undefined;
  const cached = vercelConfigs.get(file);
  if (cached && cached.modified === modified) return cached.limits;
  const limits: FunctionLimit[] = [];
  try {
    const functions = (JSON.parse(ts.sys.readFile(file) ?? "{}") as { functions?: unknown }).functions;
    if (functions && typeof functions === "object")
      for (const [glob, settings] of Object.entries(functions as Record<string, unknown>)) {
        const seconds = (settings as { maxDuration?: unknown } | null)?.maxDuration;
        // Parentheses name Next.js route groups (`app/(ee)/api/…`): folders, not glob syntax.
        const pattern = glob.replace(/^\.?\//, "").replace(/[()]/g, "\\$&");
        if (typeof seconds === "number" && seconds > 0) limits.push({ matches: picomatch(pattern), seconds });
      }
  } catch {
    // A vercel.json that is not JSON declares no limit Locksmith can trust.
  }
  vercelConfigs.set(file, { modified, limits });
  return limits;
}
