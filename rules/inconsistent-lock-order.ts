// inconsistent-lock-order: two locks taken in opposite orders in different places (a cycle in the project's
// lock-order graph, directly or through calls, in one file or across files), and two instances of one lock class
// taken one inside the other in argument order (`transfer(from, to)` locking `from` then `to`).
import { ts } from "../server/src/engine/ts";
import type { Fix, ProjectRuleContext, RelatedLocation, Rule, Span } from "../server/src/engine/types";
import { enclosingStatement, expressionKey, indentationAt, isFunctionLike, receiverOf, skipAwait, type FunctionLike } from "../server/src/analysis/ast";
import { keyedLockSource, lockAcquisitionOf, lockCheckerFor, lockObjectKind } from "../server/src/analysis/locks";
import { sqlSiteOf } from "../server/src/analysis/sql-text";
import { parseSql } from "../server/src/analysis/sql";
import { runtimeImportEdits } from "../server/src/engine/runtime-import";
import { analyseLockOrder, type LockOrderEdge } from "../server/src/analysis/lock-order/graph";
import { placeholderValue, type LockKind } from "../server/src/analysis/lock-order/lock-class";
import { describeEdge, edgeLocations, functionLabel, keyLabel, lockName } from "../server/src/analysis/lock-order/describe";

export const inconsistentLockOrder: Rule = {
  meta: {
    id: "inconsistent-lock-order",
    description: "Locks taken in opposite orders in different places, or in argument order (`transfer(from, to)`): a deadlock",
    defaultSeverity: "error",
    fixable: true,
    hasSuggestions: true,
    scope: "project",
  },
  checkProject(context) {
    const analysis = analyseLockOrder(context.program, context.sourceFiles);
    const reported = new Set<string>();
    const once = (edge: LockOrderEdge) => {
      const key = `${edge.site.file}:${edge.site.start}:${edge.from.id}:${edge.to.id}`;
      if (reported.has(key)) return false;
      reported.add(key);
      return true;
    };
    for (const { edge, back } of analysis.cycles) {
      if (!once(edge)) continue;
      const others = back.map(describeEdge).join(", and ");
      const related: RelatedLocation[] = [...edgeLocations(edge).filter((r) => !sameSpan(r.span, edge.site)), ...back.flatMap(edgeLocations)];
      context.report({
        message: `Inconsistent lock order: ${describeEdge(edge)}, but ${others}. Two tasks running these at once can each hold one lock and wait forever for the other. Take the locks in one order everywhere.`,
        span: edge.site,
        related,
      });
    }
    for (const edge of analysis.argumentOrders) {
      if (!once(edge)) continue;
      const rows = edge.to.kind === "row-lock";
      const how = edge.via.length === 0 ? "" : ` (${describeEdge(edge)})`;
      context.report({
        message: `${functionLabel(edge.holder)} locks ${lockName(edge.to)} for ${keyLabel(edge.outer.key)} and then for ${keyLabel(edge.innerKey)}${how}${rows ? " in one transaction" : ""}: the order follows the arguments, so two calls with the keys swapped can each hold one lock and wait forever for the other. ${REMEDIES[edge.to.kind] ?? REMEDIES.default}`,
        span: edge.site,
        related: edgeLocations(edge).filter((r) => !sameSpan(r.span, edge.site)),
        ...lockAllFix(context, edge),
        ...rowLockSuggestion(context, edge),
      });
    }
  },
};

/** How to take two instances in one order, per kind of lock. */
const REMEDIES: Partial<Record<LockKind | "default", string>> = {
  "row-lock": "Lock the rows first, in key order, with one `SELECT ... WHERE id = ANY($1) ORDER BY id FOR UPDATE`.",
  mutex: "Take both with the runtime's `lockAll` (canonical order), or sort the keys first.",
  "keyed-lock": "Take both with the runtime's `lockAll` (canonical order), or sort the keys first.",
  default: "Sort the keys first, so that every caller takes them in the same order.",
};

function sameSpan(a: Span, b: Span): boolean {
  return a.file === b.file && a.start === b.start && a.end === b.end;
}

/** The call expression at a span of one of the analysed files. */
function callAt(context: ProjectRuleContext, span: Span): ts.CallExpression | undefined {
  const sourceFile = context.program.getSourceFile(span.file);
  let found: ts.CallExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (found || span.start < node.pos || span.start >= node.end) return;
    if (ts.isCallExpression(node) && node.getStart(sourceFile) === span.start && node.end === span.end) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  if (sourceFile) visit(sourceFile);
  return found;
}

/**
 * Nested scoped acquisitions whose outer body is nothing but the inner acquisition become one ordered multi-lock:
 * `locks.lock(from, () => locks.lock(to, fn))` → `locks.lockAll([from, to], fn)` (runtime LockManager), and
 * `mutexFor(from).run(() => mutexFor(to).run(fn))` → `lockAll([mutexFor(from), mutexFor(to)], fn)` (runtime Mutex).
 * Both sort by a canonical key and release in reverse. Other shapes get no fix: rewriting them could change what
 * runs under which lock.
 */
function lockAllFix(context: ProjectRuleContext, edge: LockOrderEdge): { fixes?: Fix[] } {
  if (edge.via.length > 0 || !edge.outer.scoped || !edge.inner.scoped) return {};
  const outerCall = callAt(context, edge.outer.span);
  const innerCall = callAt(context, edge.inner.span);
  if (!outerCall || !innerCall) return {};
  const outer = lockAcquisitionOf(outerCall, lockCheckerFor(context.program, () => context.checker));
  const inner = lockAcquisitionOf(innerCall, lockCheckerFor(context.program, () => context.checker));
  if (!outer?.callback || !inner?.callback || !outer.lockObject || !inner.lockObject) return {};
  if (outer.callback.parameters.length > 0 || !bodyIsOnly(outer.callback, innerCall, outerCall)) return {};
  if (outerCall.arguments.length !== innerCall.arguments.length) return {};
  const sourceFile = outerCall.getSourceFile();
  const text = (node: ts.Node) => node.getText(sourceFile);
  const kind = lockObjectKind(outer.lockObject, () => context.checker);
  if (kind?.library !== "runtime") return {};
  const innerCallback = dedent(text(inner.callback), indentationAt(sourceFile, innerCall.getStart(sourceFile)).length - indentationAt(sourceFile, outerCall.getStart(sourceFile)).length);
  const edit = (newText: string) => ({ file: edge.outer.span.file, start: outerCall.getStart(sourceFile), end: outerCall.getEnd(), newText });

  if (kind.mechanism === "keyed-lock" && outer.key && inner.key && outerCall.arguments.length === 2 && text(outer.lockObject) === text(inner.lockObject)) {
    return { fixes: [{ title: "Take both keys with `lockAll` (sorted order)", edits: [edit(`${text(outer.lockObject)}.lockAll([${text(outer.key)}, ${text(inner.key)}], ${innerCallback})`)] }] };
  }
  const outerKeyed = keyedLockSource(outer.lockObject);
  const innerKeyed = keyedLockSource(inner.lockObject);
  if (kind.mechanism === "mutex" && outerKeyed && innerKeyed && outerCall.arguments.length === 1 && text(outerKeyed.container) === text(innerKeyed.container)) {
    const imports = runtimeImportEdits(sourceFile, context.settings, ["lockAll"]);
    const multiLock = `lockAll([${text(outer.lockObject)}, ${text(inner.lockObject)}], ${innerCallback})`;
    const fix: Fix = { title: "Take both mutexes with `lockAll` (sorted order)", edits: [...imports.edits, edit(multiLock)] };
    if (imports.newFiles.length > 0) fix.newFiles = imports.newFiles;
    return { fixes: [fix] };
  }
  return {};
}

/**
 * Rows updated in argument order with node-postgres: lock both first, in key order, with one statement on the same
 * client, inserted before the first update. A suggestion: it adds a statement (and a lock) to the transaction.
 */
function rowLockSuggestion(context: ProjectRuleContext, edge: LockOrderEdge): { suggestions?: Fix[] } {
  if (edge.to.kind !== "row-lock" || edge.via.length > 0) return {};
  const outerCall = callAt(context, edge.outer.span);
  const innerCall = callAt(context, edge.inner.span);
  const outerSite = outerCall && sqlSiteOf(outerCall);
  const innerSite = innerCall && sqlSiteOf(innerCall);
  if (!outerCall || !innerCall || !outerSite || !innerSite) return {};
  const client = receiverOf(outerCall);
  const innerClient = receiverOf(innerCall);
  if (!client || !innerClient || expressionKey(client) !== expressionKey(innerClient) || !/\.query$/.test(outerCall.expression.getText())) return {};
  const outerKey = rowKey(outerCall, outerSite.sql);
  const innerKey = rowKey(innerCall, innerSite.sql);
  const table = parseSql(outerSite.sql).table;
  const statement = enclosingStatement(outerCall);
  if (!outerKey || !innerKey || !table || outerKey.column !== innerKey.column || !/^[a-z_][a-z0-9_.]*$/i.test(`${table}${outerKey.column}`)) return {};
  if (!statement || !ts.isBlock(statement.parent)) return {};
  const column = outerKey.column;
  const sourceFile = outerCall.getSourceFile();
  const at = statement.getStart(sourceFile);
  const indent = indentationAt(sourceFile, at);
  const lockRows = `await ${client.getText(sourceFile)}.query("SELECT ${column} FROM ${table} WHERE ${column} = ANY($1) ORDER BY ${column} FOR UPDATE", [[${outerKey.value}, ${innerKey.value}]]);\n${indent}`;
  return { suggestions: [{ title: `Lock both ${table} rows first, in ${column} order`, edits: [{ file: edge.outer.span.file, start: at, end: at, newText: lockRows }] }] };
}

/** The `column = $n` a pg query locks its row by, with the text of the value bound to `$n`. */
function rowKey(call: ts.CallExpression, sql: string): { column: string; value: string } | undefined {
  const condition = parseSql(sql).conditions.find((c) => c.operator === "=" && c.placeholders.length === 1 && /^\$\d+$/.test(c.expression.trim()));
  const value = condition && placeholderValue(call, condition.placeholders[0]!);
  return condition && value ? { column: condition.column, value: value.getText() } : undefined;
}

/**
 * The outer callback only runs the inner acquisition: `() => inner`, `async () => { return await inner; }`, or
 * `async () => { await inner; }` when the outer call's result is not used (lockAll returns the inner result).
 */
function bodyIsOnly(callback: FunctionLike, innerCall: ts.CallExpression, outerCall: ts.CallExpression): boolean {
  const body = callback.body;
  if (!body) return false;
  if (!ts.isBlock(body)) return skipAwait(body as ts.Expression) === innerCall;
  if (body.statements.length !== 1) return false;
  const only = body.statements[0]!;
  if (ts.isReturnStatement(only)) return !!only.expression && skipAwait(only.expression) === innerCall;
  if (!ts.isExpressionStatement(only) || skipAwait(only.expression) !== innerCall) return false;
  let outer: ts.Node = outerCall;
  while (ts.isAwaitExpression(outer.parent) || ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  return ts.isExpressionStatement(outer.parent) && !isFunctionLike(outer.parent);
}

/** Moves the lines after the first `columns` to the left (the callback moves out of one nesting level). */
function dedent(text: string, columns: number): string {
  if (columns <= 0) return text;
  const prefix = new RegExp(`^[ \\t]{0,${columns}}`);
  return text.split("\n").map((line, i) => (i === 0 ? line : line.replace(prefix, ""))).join("\n");
}
