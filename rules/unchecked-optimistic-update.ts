// unchecked-optimistic-update: an UPDATE guarded by a version / old-value comparison (compare-and-set) whose
// affected-row count never decides what happens next. When a concurrent writer wins, the guarded UPDATE matches no
// row, changes nothing, and the caller carries on as if it had written: the conflict is silently dropped (guide:
// "Optimistic Locking — If 0 rows affected, conflict detected - retry").
import { ts } from "../server/src/engine/ts";
import type { FileRuleContext, Fix, Rule } from "../server/src/engine/types";
import { CALL_KINDS, FUNCTION_KINDS, boundNames, calleeName, code, lineOf, nodesOfKinds, type FunctionLike, mentions, outerExpression, spanOf } from "../server/src/analysis/ast";
import { dbAccessOf, isVersionColumn, readModifyWritesIn, type AccessCondition, type DbAccess, type DbLibrary } from "../server/src/analysis/db-access";
import { runtimeImportEdits } from "../server/src/engine/runtime-import";
import { affectedCountCheck } from "./select-then-update";


/** What each library calls the affected-row count, for the message. */
const COUNT_NAME: Partial<Record<DbLibrary, string>> = {
  pg: "`rowCount`",
  mysql2: "`affectedRows`",
  "better-sqlite3": "`changes`",
  knex: "the number knex returns",
  prisma: "`count`",
  typeorm: "`affected`",
  sequelize: "`[affected]`",
  drizzle: "`rowCount`",
  kysely: "`numUpdatedRows`",
};

/** Where the write's result goes: checked when anything after it uses it (or the caller gets it). */
function resultIsUsed(write: DbAccess): boolean {
  const outer = outerExpression(write.node as ts.Expression);
  const parent = outer.parent;
  if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) return false;
  if (ts.isVariableDeclaration(parent) && parent.initializer === outer) {
    const names = new Set(boundNames(parent.name).map((n) => n.text));
    const statement = parent.parent.parent;
    const block = statement.parent;
    if (!ts.isBlock(block) && !ts.isSourceFile(block)) return true;
    const after = block.statements.slice(block.statements.indexOf(statement as ts.Statement) + 1);
    return after.some((s) => mentions(s, names));
  }
  // Returned, compared, passed on, awaited inside a condition: the count reaches code that can act on it.
  return true;
}

function guardsOf(write: DbAccess, readGuards: readonly AccessCondition[]): AccessCondition[] {
  return [...readGuards, ...write.conditions.filter((c) => isVersionColumn(c.column) && c.operator === "=" && !readGuards.includes(c))];
}

function check(context: FileRuleContext): void {
  const seen = new Set<DbAccess>();
  for (const node of nodesOfKinds<FunctionLike>(context.sourceFile, FUNCTION_KINDS)) {
    const readGuards = new Map<DbAccess, { guards: AccessCondition[]; read?: DbAccess }>();
    for (const flow of readModifyWritesIn(node)) if (flow.guards.length > 0) readGuards.set(flow.write, { guards: flow.guards, read: flow.read });
    if (!node.body) continue;
    for (const inner of nodesOfKinds(node.body, CALL_KINDS, { skipFunctions: true })) {
      const write = dbAccessOf(inner);
      if (!write || write.kind !== "write" || seen.has(write)) continue;
      if (write.sql ? write.sql.statement.kind !== "update" : write.assignments.length === 0) continue;
      // Prisma's `update` throws when its where matches nothing: the conflict is not silent.
      if (write.library === "prisma" && calleeName(write.node as ts.CallExpression) !== "updateMany") continue;
      const fromRead = readGuards.get(write);
      const guards = guardsOf(write, fromRead?.guards ?? []);
      if (guards.length === 0 || resultIsUsed(write)) continue;
      seen.add(write);
      report(context, write, guards[0]!, fromRead?.read);
    }
  }
}

function report(context: FileRuleContext, write: DbAccess, guard: AccessCondition, read: DbAccess | undefined): void {
  const label = write.sql ? code(write.sql.text.replace(/\s+/g, " ").trim().slice(0, 90)) : code(`${(write.node as ts.CallExpression).expression.getText().replace(/\s+/g, "")}(…)`);
  const origin = read ? ` still has the value read at line ${lineOf(read.node)}` : " still has the expected value";
  const count = COUNT_NAME[write.library] ?? "the affected-row count";
  const message = `${label} only writes if ${code(guard.column)}${origin}, but its affected-row count (${count}) is never checked: when a concurrent update wins, this one changes nothing and the conflict is silently dropped. Check the count and throw \`ConflictError\` (or retry with backoff).`;
  const fixes: Fix[] = [];
  const runtime = runtimeImportEdits(context.sourceFile, context.settings, ["ConflictError"]);
  const checkEdits = affectedCountCheck(write, context, (count) => `if (${count} === 0) throw new ConflictError(${JSON.stringify(`${write.table ?? "row"} changed concurrently`)});`);
  if (checkEdits) fixes.push({ title: "Throw ConflictError when the guarded update changes no row", edits: [...checkEdits, ...runtime.edits], ...(runtime.newFiles.length ? { newFiles: runtime.newFiles } : {}) });
  context.report({
    message,
    span: spanOf(write.node, context.sourceFile),
    related: read ? [{ span: spanOf(read.node, context.sourceFile), message: `${guard.column} read here` }] : [],
    fixes,
  });
}

export const uncheckedOptimisticUpdate: Rule = {
  meta: {
    id: "unchecked-optimistic-update",
    description: "A compare-and-set UPDATE (WHERE version = old) whose affected-row count is never checked: conflicts are silently dropped.",
    defaultSeverity: "error",
    fixable: true,
    hasSuggestions: false,
    scope: "file",
  },
  checkFile: check,
};
