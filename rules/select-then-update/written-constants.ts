// select-then-update: the value a write stores when it is a constant the statement itself names, and the test that a
// read found its row. Both serve isNoChangeShortcut (harmless-writes.ts): a constant written behind a test that the
// column does not already hold it ends, in every interleaving, as some serial order.
import { ts, type AccessAssignment, type ReadModifyWrite } from "../../server/src/rule-kit";

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
