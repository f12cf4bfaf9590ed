// Affected-row counts: what each library calls the number of rows a write changed, and how a fix makes that number
// decide what happens next. A guarded write (compare-and-set, a check repeated in its WHERE) is only as good as the
// code that looks at this count: zero rows means the guard failed.
import { ts } from "../engine/ts";
import type { Fixer, TextEdit } from "../engine/types";
import { importEdits } from "../engine/runtime-import";
import { freshName } from "./edit-text";
import { calleeName, enclosingFunction, importsOf, indentationAt, outerExpression } from "../analysis/ast";
import type { DbAccess, DbLibrary } from "../analysis/db";

interface AffectedCount {
  /** How a message names the count. */
  name: string;
  /** How a fix binds the awaited write's result (`const [updated]`) and reads the count from it; absent: no fix. */
  result?: { declare(name: string): string; count(name: string): string };
}

const AFFECTED_COUNT: Record<DbLibrary, AffectedCount | undefined> = {
  pg: { name: "`rowCount`", result: { declare: (n) => `const ${n}`, count: (n) => `${n}.rowCount` } },
  mysql2: { name: "`affectedRows`", result: { declare: (n) => `const [${n}]`, count: (n) => `${n}.affectedRows` } },
  "better-sqlite3": { name: "`changes`" },
  sql: undefined,
  knex: { name: "the number knex returns", result: { declare: (n) => `const ${n}`, count: (n) => n } },
  objection: { name: "the number `patch` returns", result: { declare: (n) => `const ${n}`, count: (n) => n } },
  prisma: { name: "`count`", result: { declare: (n) => `const ${n}`, count: (n) => `${n}.count` } },
  typeorm: { name: "`affected`", result: { declare: (n) => `const ${n}`, count: (n) => `${n}.affected` } },
  sequelize: { name: "`[affected]`", result: { declare: (n) => `const [${n}]`, count: (n) => n } },
  "mikro-orm": { name: "the number `nativeUpdate` returns", result: { declare: (n) => `const ${n}`, count: (n) => n } },
  mongoose: { name: "`matchedCount`", result: { declare: (n) => `const ${n}`, count: (n) => `${n}.matchedCount` } },
  mongodb: { name: "`matchedCount`", result: { declare: (n) => `const ${n}`, count: (n) => `${n}.matchedCount` } },
  drizzle: { name: "`rowCount`" },
  kysely: { name: "`numUpdatedRows`" },
  // With `.select()` the rows updated come back: none means the guard failed.
  supabase: { name: "the rows `.select()` returns" },
  redis: undefined,
};

/** What `library` calls the affected-row count of a write (`rowCount`), for messages; undefined when it has no name of its own. */
export function affectedCountName(library: DbLibrary): string | undefined {
  return AFFECTED_COUNT[library]?.name;
}

/**
 * Edits that make the affected-row count of `write` decide what happens next: the statement `await x.query(...)`
 * becomes `const updated = await x.query(...)` followed by `check(<count>)` (`if (updated.rowCount === 0) throw …`,
 * `assertAffected(updated.rowCount, …)`), indented as the statement plus `extraIndent` (for a caller that moves the
 * statement one level deeper). Undefined when the write is not an awaited statement of its own or the library's count
 * is unknown.
 */
export function affectedCountCheck(
  write: DbAccess,
  file: { sourceFile: ts.SourceFile; fixer: Fixer },
  check: (count: string) => string,
  extraIndent = "",
): TextEdit[] | undefined {
  const { sourceFile, fixer } = file;
  const result = AFFECTED_COUNT[write.library]?.result;
  const outer = outerExpression(write.node as ts.Expression);
  const statement = outer.parent;
  if (!result || !ts.isExpressionStatement(statement) || !ts.isAwaitExpression(outer)) return undefined;
  // `findOneAndUpdate` returns the document (or null), not a count.
  if (
    (write.library === "mongoose" || write.library === "mongodb") &&
    !/^update(One|Many)$/.test(calleeName(write.node as ts.CallExpression) ?? "")
  )
    return undefined;
  const name = freshName(enclosingFunction(statement) ?? sourceFile, "updated");
  const indent = indentationAt(sourceFile, statement.getStart(sourceFile)) + extraIndent;
  const edits = [
    fixer.insertBefore(statement, `${result.declare(name)} = `),
    fixer.insertAfter(statement, `\n${indent}${check(result.count(name))}`),
  ];
  if (write.library === "mysql2") {
    // mysql2 types a result as a union of rows and header: name the header type to read `affectedRows`.
    const call = write.node as ts.CallExpression;
    if (call.typeArguments) return undefined;
    edits.push(fixer.insertAfter(call.expression, "<ResultSetHeader>"), ...resultSetHeaderImport(file));
  }
  return edits;
}

/** `ResultSetHeader` from mysql2: merged into an existing `import type { … }` of the driver, else a new import. */
function resultSetHeaderImport({ sourceFile, fixer }: { sourceFile: ts.SourceFile; fixer: Fixer }): TextEdit[] {
  const modules = new Set([...importsOf(sourceFile).values()].map((i) => i.module));
  const module = modules.has("mysql2/promise") ? "mysql2/promise" : "mysql2";
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== module)
      continue;
    const bindings = statement.importClause?.namedBindings;
    if (!statement.importClause?.isTypeOnly || !bindings || !ts.isNamedImports(bindings)) continue;
    if (bindings.elements.some((e) => e.name.text === "ResultSetHeader")) return [];
    return [fixer.insertAfter(bindings.elements[bindings.elements.length - 1]!, ", ResultSetHeader")];
  }
  return importEdits(sourceFile, module, ["type ResultSetHeader"]);
}
