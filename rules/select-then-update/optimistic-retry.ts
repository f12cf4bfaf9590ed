// select-then-update's optimistic suggestion: `col = f(read.col)` on the row read by its key becomes a compare-and-set
// (`… AND col = <value read>`) whose affected-row count is asserted, and the read-modify-write reruns with exponential
// backoff and jitter on a conflict. Offered only where that is exactly right: the write sets the column it read, on the
// row it read (same key value), and nothing in between awaits anything but the read and the write (a retry runs it
// again). The column compared is the written one when nothing else the statements use comes from the read
// (valueGuard), else a version counter the read selects, bumped by the write (versionGuard).
import {
  affectedCountCheck,
  assignmentValues,
  code,
  enclosingFunction,
  indentUnit,
  isFunctionLike,
  isKeyColumn,
  sameIdentity,
  skipAwait,
  skipParens,
  transactionScopeOf,
  ts,
  walk,
  wrapStatements,
  type AccessCondition,
  type Fix,
  type ReadModifyWrite,
  type TextEdit,
  VERSION_COUNTER,
} from "../../server/src/rule-kit";
import {
  atOffset,
  constInitializer,
  isColumnValue,
  movableStatements,
  openingBracket,
  plainSqlLiteral,
  type FixContext,
} from "./flow-code";

const OPTIMISTIC_RETRY = "{ maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 }";

export function optimisticRetrySuggestion(flow: ReadModifyWrite, context: FixContext): Fix | undefined {
  const { read, write, data } = flow;
  const { fixer, sourceFile } = context;
  if (
    (write.library !== "pg" && write.library !== "mysql2") ||
    read.library !== write.library ||
    write.sql?.statement.kind !== "update" ||
    !data?.column
  )
    return undefined;
  const column = data.column;
  if (data.assignment.column !== column || data.assignment.atomic || !/^[A-Za-z_]\w*$/.test(column)) return undefined;
  if (transactionScopeOf(read.node) || transactionScopeOf(write.node) || !readsOneRowByKey(flow)) return undefined;
  const statements = movableStatements(flow);
  const textNode = plainSqlLiteral(write);
  const values = write.sql.values;
  const whereEnd = write.sql.statement.whereEnd;
  if (!statements || !textNode || !values || whereEnd === undefined || values.elements.some(ts.isSpreadElement)) return undefined;
  if (write.sql.statement.placeholders.some((p) => p.style === "interpolation") || !awaitsOnlyTheFlow(flow, statements)) return undefined;
  const guard = valueGuard(flow, column, statements, context.checker) ?? versionGuard(flow);
  if (!guard) return undefined;
  // The compare-and-set: one more WHERE condition, its value passed as one more parameter.
  const sqlStart = textNode.getStart() + 1;
  const placeholder = write.library === "pg" ? `$${values.elements.length + 1}` : "?";
  const inner: TextEdit[] = [fixer.insertBefore(atOffset(sqlStart + whereEnd), ` AND ${guard.column} = ${placeholder}`)];
  // pg's `$n` goes last; `?` placeholders are positional: the new value goes after those before the end of the WHERE.
  const placeholdersBefore = write.sql.statement.placeholders.filter((p) => p.offset < whereEnd).length;
  const before = values.elements[(write.library === "pg" ? values.elements.length : placeholdersBefore) - 1];
  if (before) inner.push(fixer.insertAfter(before, `, ${guard.value}`));
  else inner.push(fixer.insertAfter(openingBracket(values), values.elements.length > 0 ? `${guard.value}, ` : guard.value));
  if (guard.bump) {
    const last = write.sql.statement.assignments[write.sql.statement.assignments.length - 1]!;
    const setEnd = sqlStart + last.expressionStart + last.expression.trimEnd().length;
    inner.push(fixer.insertBefore(atOffset(setEnd), `, ${guard.column} = ${guard.column} + 1`));
  }
  const rowName = JSON.stringify(`${write.table ?? "matching"} row`);
  const counted = affectedCountCheck(write, context, (count) => `assertAffected(${count}, ${rowName});`, indentUnit(sourceFile));
  if (!counted) return undefined;
  // The count check moves into the callback with the write; an import it needs stays where it is.
  const rangeStart = statements[0]!.getStart();
  inner.push(...counted.filter((e) => e.start >= rangeStart));
  return fixer.fix(
    `Optimistic update: write only if ${code(guard.column)} is unchanged${guard.bump ? " (and bump it)" : ""}, retry with backoff on conflict`,
    wrapStatements(sourceFile, statements, "await retry(async () => {", `}, ${OPTIMISTIC_RETRY});`, inner),
    ...counted.filter((e) => e.start < rangeStart),
    fixer.runtimeImport(["retry", "assertAffected"]),
  );
}

interface OptimisticGuard {
  /** The column compared in the WHERE. */
  column: string;
  /** Source text of the value it must still have: the value read. */
  value: string;
  /** The write also increments the column (a version counter). */
  bump?: boolean;
}

/**
 * Compare-and-set on the written column itself: enough when everything the statements take from the read is that
 * column, and the value read is still at hand, unchanged and a plain value.
 */
function valueGuard(
  flow: ReadModifyWrite,
  column: string,
  statements: readonly ts.Statement[],
  checker: ts.TypeChecker,
): OptimisticGuard | undefined {
  for (const other of flow.write.assignments) {
    if (other !== flow.data!.assignment && assignmentValues(flow.write, other).some((v) => flow.originOf(v)?.read === flow.read))
      return undefined;
  }
  const expected = valueAsRead(flow, column, statements);
  if (!expected || !usesOnlyColumn(flow, column, statements) || !isPlainValue(expected, checker)) return undefined;
  return { column, value: expected.getText() };
}

/**
 * Compare-and-set on a version counter the read selects by name (`SELECT balance, rate, version FROM …`), bumped by
 * the write: catches a change of any column by a writer that bumps it too, as every writer of a versioned row must.
 * The value read is `<row>.version` of the row the written value comes from.
 */
function versionGuard(flow: ReadModifyWrite): OptimisticGuard | undefined {
  const selected =
    /^\s*SELECT\s+([^]*?)\s+FROM\s/i
      .exec(flow.read.sql?.text ?? "")?.[1]
      ?.split(",")
      .map((c) => c.trim()) ?? [];
  const version = selected.find((c) => VERSION_COUNTER.test(c));
  if (!version || flow.write.assignments.some((a) => a.column.toLowerCase() === version.toLowerCase())) return undefined;
  let row: ts.Expression | undefined;
  walk(flow.data!.value, (node) => {
    if (row || isFunctionLike(node)) return false;
    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && flow.originOf(node)?.level === "value") {
      const base = node.expression;
      if (flow.originOf(base)?.read === flow.read && flow.originOf(base)?.level === "row") row = base;
    }
    return !row;
  });
  return row && !isReassigned(row, flow.write.node) ? { column: version, value: `${row.getText()}.${version}`, bump: true } : undefined;
}

/** The write names the row the read read, by an equality on a key column with the same value (`WHERE id = $1` twice). */
function readsOneRowByKey(flow: ReadModifyWrite): boolean {
  const key = (c: AccessCondition) => c.operator === "=" && !!c.value && isKeyColumn(c.column);
  const readKeys = flow.read.conditions.filter(key);
  if (readKeys.length !== 1 || flow.read.conditions.length !== 1) return false;
  const readKey = readKeys[0]!;
  return flow.write.conditions.some(
    (c) => key(c) && c.column === readKey.column && (sameIdentity(c.value!, readKey.value!) || flow.originOf(c.value!)?.read === flow.read),
  );
}

/** An expression in scope at the write that holds `column` exactly as read: in the written value, or in the initializer of a `const` it names. */
function valueAsRead(flow: ReadModifyWrite, column: string, statements: readonly ts.Statement[]): ts.Expression | undefined {
  const written = skipParens(flow.data!.value);
  const initializer = ts.isIdentifier(written) ? constInitializer(written) : undefined;
  const declaredInRange = initializer && statements.includes(ts.findAncestor(initializer, ts.isVariableStatement)!);
  let found: ts.Expression | undefined;
  for (const root of declaredInRange ? [written, initializer] : [written]) {
    walk(root, (node) => {
      if (found || isFunctionLike(node)) return false;
      if (
        (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) &&
        isColumnValue(node, column, flow)
      )
        found = node;
      return !found;
    });
  }
  return found && !isReassigned(found, flow.write.node) ? found : undefined;
}

/** True if the variable at the root of `expr` (`balance`, `rows` in `rows[0].balance`) is assigned anywhere in the function. */
function isReassigned(expr: ts.Expression, inside: ts.Node): boolean {
  let root: ts.Expression = expr;
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipParens(root.expression);
  const body = enclosingFunction(inside)?.body;
  if (!ts.isIdentifier(root) || !body) return true;
  const name = root.text;
  let assigned = false;
  const rootName = (target: ts.Expression): string | undefined => {
    let node = skipParens(target);
    while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipParens(node.expression);
    return ts.isIdentifier(node) ? node.text : undefined;
  };
  walk(body, (node) => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    )
      assigned ||= rootName(node.left) === name;
    if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    )
      assigned ||= rootName(node.operand) === name;
    return !assigned;
  });
  return assigned;
}

/**
 * Everything the moved statements take from the read is `column` (or whether a row exists): a compare-and-set on that
 * column then catches every concurrent change that matters. A whole row passed on (to a call, a spread, an object)
 * could carry any column.
 */
function usesOnlyColumn(flow: ReadModifyWrite, column: string, statements: readonly ts.Statement[]): boolean {
  let only = true;
  for (const statement of statements) {
    walk(statement, (node) => {
      if (!only) return false;
      if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) return true;
      if (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) return false;
      const origin = flow.originOf(node);
      if (origin?.read !== flow.read) return true;
      if (origin.level === "value") only = origin.column === column;
      else {
        const parent = node.parent;
        only =
          !(ts.isCallExpression(parent) && parent.arguments.includes(node)) &&
          !ts.isSpreadElement(parent) &&
          !ts.isSpreadAssignment(parent) &&
          !ts.isPropertyAssignment(parent) &&
          !ts.isShorthandPropertyAssignment(parent) &&
          !ts.isReturnStatement(parent);
      }
      return false;
    });
  }
  return only;
}

/** Nothing between the read and the write awaits anything else: a retry reruns the statements, and should rerun only those two. */
function awaitsOnlyTheFlow(flow: ReadModifyWrite, statements: readonly ts.Statement[]): boolean {
  let only = true;
  for (const statement of statements) {
    walk(statement, (node) => {
      if (isFunctionLike(node) || !only) return false;
      if (ts.isAwaitExpression(node))
        only = skipAwait(node.expression) === flow.read.node || skipAwait(node.expression) === flow.write.node;
      if (ts.isForOfStatement(node) && node.awaitModifier) only = false;
      return only;
    });
  }
  return only;
}

/** Numbers, strings, booleans and bigints compare equal in SQL as they were read; Dates and objects may not. */
function isPlainValue(expr: ts.Expression, checker: ts.TypeChecker): boolean {
  const type = checker.getTypeAtLocation(expr);
  return (type.isUnion() ? type.types : [type]).every((t) => !(t.flags & ts.TypeFlags.Object) && !(t.flags & ts.TypeFlags.NonPrimitive));
}
