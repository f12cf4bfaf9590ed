// What the fixes of select-then-update ask of a flow's code: which expression holds a column's value exactly as read,
// which statements can move into a callback unchanged, and which SQL literal can be edited in place.
import {
  boundNames,
  enclosingFunction,
  isFunctionLike,
  mentions,
  skipParens,
  statementOf,
  ts,
  walk,
  type DbAccess,
  type FileRuleContext,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/** What a fix builder uses of the rule's context. */
export type FixContext = Pick<FileRuleContext, "sourceFile" | "checker" | "fixer">;

/** `balance`, `rows[0].balance`, `Number(row.balance)`: exactly the value of `column` as read. */
export function isColumnValue(expr: ts.Expression, column: string, flow: ReadModifyWrite): boolean {
  let node = skipParens(expr);
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "Number" && node.arguments.length === 1)
    node = skipParens(node.arguments[0]!);
  if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) return false;
  const origin = flow.originOf(node);
  return origin?.read === flow.read && origin.level === "value" && origin.column === column;
}

/** `const next = balance - amount` in the same function: its initializer. */
export function constInitializer(identifier: ts.Identifier): ts.Expression | undefined {
  const fn = enclosingFunction(identifier);
  let found: ts.Expression | undefined;
  if (!fn?.body) return undefined;
  walk(fn.body, (node) => {
    if (found) return false;
    const isConst = ts.isVariableDeclarationList(node.parent) && node.parent.flags & ts.NodeFlags.Const;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === identifier.text && node.initializer && isConst)
      found = node.initializer;
    return true;
  });
  return found && skipParens(found);
}

/** The SQL text node of a raw-SQL access, when it is a plain literal whose source text maps 1:1 to its value. */
export function plainSqlLiteral(access: DbAccess): ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | undefined {
  const textNode = access.sql?.textNode;
  if (!textNode || (!ts.isStringLiteral(textNode) && !ts.isNoSubstitutionTemplateLiteral(textNode))) return undefined;
  return textNode.getText().slice(1, -1) === textNode.text ? textNode : undefined;
}

/**
 * The statements from the read to the write, when they can move into a callback of the runtime (a transaction, a
 * retry) and keep their meaning: the read and the write are statements of one block, nothing declared in between is
 * used after it, nothing in between returns or jumps out, and no string in between spans lines.
 */
export function movableStatements(flow: ReadModifyWrite): ts.Statement[] | undefined {
  const first = statementOf(flow.read.node);
  const last = statementOf(flow.write.node);
  if (!first || !last || first.parent !== last.parent || !ts.isBlock(first.parent)) return undefined;
  const statements = first.parent.statements;
  const range = statements.slice(statements.indexOf(first), statements.indexOf(last) + 1);
  const declared = new Set<string>();
  let movable = true;
  for (const statement of range) {
    if (ts.isVariableStatement(statement))
      for (const d of statement.declarationList.declarations) for (const n of boundNames(d.name)) declared.add(n.text);
    walk(statement, (node) => {
      if (ts.isTemplateLiteral(node) || ts.isStringLiteral(node)) movable &&= !node.getText().includes("\n");
      if (isFunctionLike(node)) return false;
      if (ts.isReturnStatement(node) || ts.isBreakStatement(node) || ts.isContinueStatement(node)) movable = false;
      return movable;
    });
  }
  if (!movable || statements.slice(statements.indexOf(last) + 1).some((s) => mentions(s, declared))) return undefined;
  return range;
}

/** The empty range at `offset`, where the fixer inserts. */
export function atOffset(offset: number): { start: number; end: number } {
  return { start: offset, end: offset };
}

/** The `[` of an array literal or the `{` of an object literal: inserting after it puts text first inside. */
export function openingBracket(literal: ts.ArrayLiteralExpression | ts.ObjectLiteralExpression): { start: number; end: number } {
  return { start: literal.getStart(), end: literal.getStart() + 1 };
}
