// select-then-update: the value a write stores when it is a constant the statement itself names, and the test that a
// read found its row. Both serve isNoChangeShortcut (harmless-writes.ts): a constant written behind a test that the
// column does not already hold it ends, in every interleaving, as some serial order.
import { calleeName, skipParens, ts, type AccessAssignment, type ReadModifyWrite } from "../../server/src/rule-kit";

const SQL_LITERAL = /^(null|true|false|-?\d+(\.\d+)?|'[^'\\]*')$/i;
const parsed = new Map<string, ts.Expression>();

/**
 * The JS value a raw SQL `SET col = NULL` (TRUE, FALSE, a number, a quoted string) stores, as an expression a test can
 * be compared with; undefined for anything else (a placeholder, a function, a column).
 */
export function sqlLiteralValue(assignment: AccessAssignment): ts.Expression | undefined {
  const text = assignment.sql?.expression.trim();
  if (!text || !SQL_LITERAL.test(text)) return undefined;
  const js = /^(null|true|false)$/i.test(text) ? text.toLowerCase() : text;
  let expression = parsed.get(js);
  if (!expression) {
    const file = ts.createSourceFile("sql-literal.ts", `(${js});`, ts.ScriptTarget.Latest, true);
    const statement = file.statements[0];
    if (!statement || !ts.isExpressionStatement(statement) || !ts.isParenthesizedExpression(statement.expression)) return undefined;
    expression = statement.expression.expression;
    parsed.set(js, expression);
  }
  return expression;
}

/** `org`, `org != null`, `org !== undefined`: a test that the read found its row (the row itself, not a column of it). */
export function isRowFound(node: ts.Expression, flow: ReadModifyWrite): boolean {
  let test = node;
  while (ts.isParenthesizedExpression(test)) test = test.expression;
  if (ts.isBinaryExpression(test) && /^(!=|!==)$/.test(test.operatorToken.getText())) {
    const other = test.right;
    if (other.kind !== ts.SyntaxKind.NullKeyword && !(ts.isIdentifier(other) && other.text === "undefined")) return false;
    test = test.left;
  }
  const origin = flow.originOf(test);
  return origin?.read === flow.read && origin.level === "row";
}

const SQL_CLOCK = /^(now\(\)|current_timestamp(\(\d*\))?|localtimestamp)$/i;
const SAME_VALUE_TYPES = ts.TypeFlags.Literal | ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.EnumLiteral;

/**
 * The write stores only what every caller stores alike: literals, enum members and other single-literal-typed
 * values, `null`, the clock (`new Date()`, SQL `now()`). Two callers that both pass the check then write the same row
 * to the same state; what else they do twice is not in the write. A value of the caller's own (a holder, an amount)
 * is not: the second write silently replaces the first caller's.
 */
export function writesSameForEveryCaller(flow: ReadModifyWrite, checker: ts.TypeChecker | undefined): boolean {
  const { assignments } = flow.write;
  if (flow.write.insert || assignments.length === 0) return false;
  return assignments.every((assignment) => {
    if (assignment.atomic || assignment.relation) return false;
    if (assignment.sql) return sqlLiteralValue(assignment) !== undefined || SQL_CLOCK.test(assignment.sql.expression.trim());
    if (!assignment.value) return false;
    const value = skipParens(assignment.value);
    if (isNow(value)) return true;
    return !!checker && (checker.getTypeAtLocation(value).flags & SAME_VALUE_TYPES) !== 0;
  });
}

/** `new Date()`, `Date.now()`, `now()`. */
export function isNow(expr: ts.Expression): boolean {
  const node = skipParens(expr);
  if (ts.isNewExpression(node)) return ts.isIdentifier(node.expression) && node.expression.text === "Date" && !node.arguments?.length;
  return ts.isCallExpression(node) && node.arguments.length === 0 && calleeName(node) === "now";
}
