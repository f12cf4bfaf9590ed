// select-then-update: `x || null` written where `x` is already null whenever it is falsy. The no-change shortcut
// (harmless-writes.ts) compares the value written with the value the check tested; `nextOwner || null` is
// `nextOwner` when `const nextOwner = ownerId || null`.
import { isNullish, localVariable, skipParens, ts } from "../../server/src/rule-kit";

/**
 * `x || null` / `x ?? null` → `x`, when `x` is a `const` initialised as `… || null` (never another falsy value, so a
 * second `|| null` changes nothing; `?? null` likewise, and also after `… ?? null`). Anything else as it is.
 */
export function withoutRedundantNullFallback(value: ts.Expression): ts.Expression {
  const node = skipParens(value);
  if (!ts.isBinaryExpression(node) || !isNullish(node.right)) return node;
  const operator = node.operatorToken.kind;
  if (operator !== ts.SyntaxKind.BarBarToken && operator !== ts.SyntaxKind.QuestionQuestionToken) return node;
  const left = skipParens(node.left);
  if (!ts.isIdentifier(left)) return node;
  const declaration = localVariable(left);
  const list = declaration?.parent;
  if (!declaration?.initializer || !list || !ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return node;
  const init = skipParens(declaration.initializer);
  if (!ts.isBinaryExpression(init) || !isNullish(init.right)) return node;
  const normalises =
    init.operatorToken.kind === ts.SyntaxKind.BarBarToken ||
    (operator === ts.SyntaxKind.QuestionQuestionToken && init.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken);
  return normalises ? left : node;
}
