// select-then-update: a check that a column is set, before a write that sets that column again (`if (!site.theme)
// throw`, then `theme: input.theme`). Run one after the other, the second call finds the column set as the first did:
// the write cannot make a later call fail the check, so no interleaving decides differently from a serial order. A
// check that the column is unset before the write that sets it (a first claim) stays reported. A local still holding
// the literal it was declared with (`let threadId = -1; … threadId = row.threadId; … if (threadId === -1) throw`) is
// tested for presence as `!threadId` would be: the exit refuses only "never assigned", a value no row holds.
import {
  constInitializerIn,
  enclosingFunction,
  isInside,
  isLiteral,
  isNullish,
  nullTestSubject,
  variableDeclarationOf,
  isAssignmentOperator,
  skipParens,
  ts,
  walk,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

export function keepsCheckedPresence(flow: ReadModifyWrite): boolean {
  const control = flow.control;
  if (!control?.column) return false;
  // A branch on the column decides the write only where the write is in the branch (not a value it picks: `x ? a : b`).
  const holder = control.condition.parent;
  if (!control.earlyExit && !(ts.isIfStatement(holder) && isInside(flow.write.node, holder.thenStatement))) return false;
  const tested = setTestSubjects(control.condition, control.earlyExit).some((subject) => {
    if (!isColumnValue(subject, control.condition)) return false;
    const origin = flow.originOf(subject);
    return origin?.read === flow.read && origin.column === control.column;
  });
  const assigned = flow.write.assignments.filter((a) => a.column === control.column);
  if (!tested && control.earlyExit && keepsRequiredValue(flow, assigned)) return true;
  return (
    tested &&
    assigned.length > 0 &&
    assigned.every((a) => !a.atomic && a.value !== undefined && !isFalsyLiteral(a.value) && !nullableParameter(a.value))
  );
}

/**
 * The values whose presence the write runs under: `x` of an exit on `!x` / `x == null` (also one side of an exit on
 * `a || b`), or of a branch taken on `x` / `x != null`.
 */
function setTestSubjects(condition: ts.Expression, earlyExit: boolean): ts.Expression[] {
  const node = skipParens(condition);
  if (earlyExit) {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.BarBarToken)
      return [...setTestSubjects(node.left, true), ...setTestSubjects(node.right, true)];
    const subject = nullTestSubject(node) ?? sentinelTestSubject(node);
    return subject ? [subject] : [];
  }
  if (ts.isBinaryExpression(node) && /^(!=|!==)$/.test(node.operatorToken.getText()) && isNullish(node.right))
    return [skipParens(node.left)];
  return ts.isPrefixUnaryExpression(node) || ts.isBinaryExpression(node) ? [] : [node];
}

/** `id === -1` where `id` is a `let` declared as `let id = -1`: a test that the local was never assigned. */
function sentinelTestSubject(node: ts.Expression): ts.Identifier | undefined {
  if (!ts.isBinaryExpression(node) || !/^(==|===)$/.test(node.operatorToken.getText())) return undefined;
  const [name, literal] = [skipParens(node.left), skipParens(node.right)];
  const negativeNumber =
    ts.isPrefixUnaryExpression(literal) && literal.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(literal.operand);
  if (!ts.isIdentifier(name) || !(isLiteral(literal) || negativeNumber)) return undefined;
  const declaration = variableDeclarationOf(name);
  const initializer = declaration?.initializer && skipParens(declaration.initializer);
  const isLet = !!declaration && ts.isVariableDeclarationList(declaration.parent) && !!(declaration.parent.flags & ts.NodeFlags.Let);
  return isLet && initializer && initializer.getText() === literal.getText() ? name : undefined;
}

/**
 * `site.theme`, a `const` holding it (`const oldTheme = site.theme`), or a sentinel-initialised `let` assigned it
 * (`threadId = row.threadId`): the column's value itself, not one computed from it.
 */
function isColumnValue(subject: ts.Expression, at: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(subject) || ts.isElementAccessExpression(subject)) return true;
  if (ts.isIdentifier(subject) && sentinelTestSubject(skipParens(subject.parent as ts.Expression)) === subject)
    return assignedColumnValue(subject);
  const fn = ts.isIdentifier(subject) ? enclosingFunction(at) : undefined;
  const initializer = fn && constInitializerIn((subject as ts.Identifier).text, fn);
  return !!initializer && ts.isPropertyAccessExpression(skipParens(initializer));
}

/** Prisma's `Prisma.JsonNull` / `DbNull` / `AnyNull`: a null written into a JSON column. */
const PRISMA_NULLS = /^(JsonNull|DbNull|AnyNull)$/;

function isFalsyLiteral(value: ts.Expression): boolean {
  const node = skipParens(value);
  return (
    isNullish(node) ||
    (ts.isPropertyAccessExpression(node) && PRISMA_NULLS.test(node.name.text)) ||
    node.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isNumericLiteral(node) && Number(node.text) === 0) ||
    (ts.isStringLiteralLike(node) && node.text === "")
  );
}

/** A parameter the caller may pass null or leave out (`mentorId: string | null`, `note?: string`): it may clear the column. */
function nullableParameter(value: ts.Expression): boolean {
  const node = skipParens(value);
  if (!ts.isIdentifier(node)) return false;
  const fn = enclosingFunction(node);
  const parameter = fn?.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === node.text);
  return !!parameter && (!!parameter.questionToken || /\b(null|undefined)\b/.test(parameter.type?.getText() ?? ""));
}

/** A `let` given a column's value as it is somewhere (`threadId = row.threadId`), and nothing computed from one. */
function assignedColumnValue(name: ts.Identifier): boolean {
  const fn = enclosingFunction(name);
  let column = false;
  let computed = false;
  if (fn?.body)
    walk(fn.body, (node) => {
      if (
        ts.isBinaryExpression(node) &&
        ts.isIdentifier(node.left) &&
        node.left.text === name.text &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken
      ) {
        const value = skipParens(node.right);
        if (ts.isPropertyAccessExpression(value)) column = true;
        else if (ts.isBinaryExpression(value) || ts.isPrefixUnaryExpression(value)) computed = true;
      } else if (
        ts.isBinaryExpression(node) &&
        ts.isIdentifier(node.left) &&
        node.left.text === name.text &&
        node.operatorToken.kind !== ts.SyntaxKind.EqualsToken &&
        isAssignmentOperator(node.operatorToken.kind)
      )
        computed = true;
      return true;
    });
  return column && !computed;
}

/**
 * An exit unless the column equals a value (`if (Number(entry.orgId) !== orgId) throw`), before a write storing that
 * same value into the column (`orgId` inserted, or set): run one after the other, the second call finds the value the
 * first left, so the check passes again whatever order they take.
 */
function keepsRequiredValue(flow: ReadModifyWrite, assigned: ReadModifyWrite["write"]["assignments"]): boolean {
  const condition = skipParens(flow.control!.condition);
  if (!ts.isBinaryExpression(condition) || !/^(!=|!==)$/.test(condition.operatorToken.getText())) return false;
  const unwrap = (e: ts.Expression): ts.Expression => {
    const node = skipParens(e);
    return ts.isCallExpression(node) && /^(Number|String)$/.test(node.expression.getText()) && node.arguments.length === 1
      ? skipParens(node.arguments[0]!)
      : node;
  };
  const isColumn = (e: ts.Expression) => {
    const origin = flow.originOf(e);
    return isColumnValue(e, condition) && origin?.read === flow.read && origin.column === flow.control!.column;
  };
  const [left, right] = [unwrap(condition.left), unwrap(condition.right)];
  const required = isColumn(left) ? right : isColumn(right) ? left : undefined;
  if (!required || !(ts.isIdentifier(required) || ts.isLiteralExpression(required)) || flow.originOf(required)) return false;
  return (
    assigned.length > 0 &&
    assigned.every(
      (a) =>
        !a.atomic &&
        !!a.value &&
        ts.isIdentifier(skipParens(a.value)) === ts.isIdentifier(required) &&
        skipParens(a.value).getText() === required.getText(),
    )
  );
}
