// select-then-update: a write of constants behind checks that only refuse. Turning a feature off (`otpSeed: null,
// otpEnabled: false`) after checking that it is on and that the caller's code matches the stored secret: every check
// before the write either refuses a no-op (the column already holds the constant written) or authenticates the caller
// (the input compared with a value derived from the row), and the write stores only constants. Two concurrent calls
// both store the same constants, the state one call leaves; no value read is written. A check that lets a change
// through (`if (seat.status !== "available") throw`, then `status: "booked"`) or a flag that claims work done after
// it stays reported.
import {
  dbAccessOf,
  decidedBy,
  declarationOf,
  enclosingFunction,
  isInside,
  isLiteral,
  isNullish,
  mayRunAfter,
  mayRunBetween,
  nodesOfKinds,
  skipParens,
  nullTestSubject,
  ts,
  walk,
  type CalleeResolver,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";
import { workClaimedByWrite } from "./claims";

/**
 * The write stores only literals (`null`, `false`, a string), nothing but database reads is awaited between the read
 * and it, no insert or increment follows it, and every exit between them that tests the row is a refused no-op or a
 * check of the caller's input against a value computed from the row.
 */
export function constantsAfterRefusals(flow: ReadModifyWrite, resolve: CalleeResolver): boolean {
  const { read, write, control } = flow;
  if (flow.data || !control?.earlyExit || write.insert || write.assignments.length === 0) return false;
  if (!write.assignments.every((a) => !a.atomic && !a.relation && a.value !== undefined && isConstant(a.value))) return false;
  const fn = enclosingFunction(write.node);
  if (!fn?.body || fn !== enclosingFunction(read.node) || awaitsBetween(fn.body, read.node, write.node)) return false;
  if (workClaimedByWrite(flow, resolve)) return false;
  const exits = exitsBetween(fn.body, read.node, write.node).filter((test) => testsRow(test, flow));
  if (exits.length > 0 && exits.every((test) => refusesNoOp(test, flow) || authenticates(test, flow))) return true;
  // A one-time secret consumed (pattern 157): the caller's code matched against a stored one the write clears (or the
  // row found by it), then its expiry and the row's own state refused; every holder of the code stores the same.
  // Only a secret with an expiry checked against the clock is a one-time code: a caller compared with an assignee and
  // the assignment cleared (`approverId !== me`, then `approverId: null`) is an ownership check, and stays reported.
  const secrets = consumedSecrets(exits, flow);
  return (
    secrets.size > 0 &&
    exits.some((test) => refusesExpired(test, flow)) &&
    exits.every(
      (test) =>
        refusesNoOp(test, flow) ||
        authenticates(test, flow) ||
        refusesMissingRow(test, flow) ||
        refusesDoneState(test, flow) ||
        matchesSecret(test, flow, secrets) ||
        refusesUnset(test, flow) ||
        refusesExpired(test, flow),
    )
  );
}

/** The columns the write sets to `null`. */
function clearedColumns(flow: ReadModifyWrite): Set<string> {
  return new Set(flow.write.assignments.filter((a) => a.value !== undefined && isNullish(skipParens(a.value))).map((a) => a.column));
}

/** The column of the row read that `expr` holds as read (`row.otp`), if any. */
function rowColumn(expr: ts.Expression, flow: ReadModifyWrite): string | undefined {
  const origin = flow.originOf(skipParens(expr));
  return origin?.read === flow.read && origin.level === "value" ? origin.column : undefined;
}

/** A value the caller gave: neither read from the row nor a constant. */
function isCallerValue(expr: ts.Expression, flow: ReadModifyWrite): boolean {
  return flow.originOf(skipParens(expr))?.read !== flow.read && !isConstant(expr);
}

/**
 * The cleared columns that hold a secret the caller presented: the read found the row by it (`where: { token }`), or an
 * exit compares it with the caller's value (`row.otp !== code`).
 */
function consumedSecrets(exits: readonly ts.Expression[], flow: ReadModifyWrite): Set<string> {
  const cleared = clearedColumns(flow);
  const secrets = new Set<string>();
  for (const c of flow.read.conditions)
    if (c.operator === "=" && c.value && cleared.has(c.column) && isCallerValue(c.value, flow)) secrets.add(c.column);
  for (const test of exits) {
    const column = comparedWithCaller(test, flow);
    if (column && cleared.has(column)) secrets.add(column);
  }
  return secrets;
}

/** `row.otp !== code`: the column compared for inequality with a caller's value. */
function comparedWithCaller(test: ts.Expression, flow: ReadModifyWrite): string | undefined {
  const node = skipParens(test);
  if (!ts.isBinaryExpression(node) || !/^(!==|!=)$/.test(node.operatorToken.getText())) return undefined;
  for (const [stored, given] of [
    [node.left, node.right],
    [node.right, node.left],
  ] as const) {
    const column = rowColumn(stored, flow);
    if (column && isCallerValue(given, flow)) return column;
  }
  return undefined;
}

function matchesSecret(test: ts.Expression, flow: ReadModifyWrite, secrets: ReadonlySet<string>): boolean {
  const column = comparedWithCaller(test, flow);
  return column !== undefined && secrets.has(column);
}

/** `!row`: the row was not found, and the write would change nothing. */
function refusesMissingRow(test: ts.Expression, flow: ReadModifyWrite): boolean {
  const subject = nullTestSubject(test);
  const origin = subject && flow.originOf(subject);
  return !!origin && origin.read === flow.read && origin.level === "row";
}

/** `row.verified && row.active`: exits while every column tested already holds the `true` the write stores. */
function refusesDoneState(test: ts.Expression, flow: ReadModifyWrite): boolean {
  const operands = conjuncts(test);
  return operands.every((operand) => {
    const column = rowColumn(operand, flow);
    return column !== undefined && flow.write.assignments.some((a) => a.column === column && a.value?.kind === ts.SyntaxKind.TrueKeyword);
  });
}

function conjuncts(test: ts.Expression): ts.Expression[] {
  const node = skipParens(test);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
    return [...conjuncts(node.left), ...conjuncts(node.right)];
  return [node];
}

function disjuncts(test: ts.Expression): ts.Expression[] {
  const node = skipParens(test);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.BarBarToken)
    return [...disjuncts(node.left), ...disjuncts(node.right)];
  return [node];
}

/**
 * An exit once a column the write clears has passed the clock (`row.expiresAt < new Date()`, `isOtpExpired(row.otpExpiry)`),
 * beside tests that it is set (`row.expiresAt && …`, `!row.expiresAt || …`).
 */
function refusesExpired(test: ts.Expression, flow: ReadModifyWrite): boolean {
  const cleared = clearedColumns(flow);
  const operands = disjuncts(test).flatMap(conjuncts);
  let expired = false;
  for (const operand of operands) {
    if (testsSet(operand, flow, cleared)) continue;
    if (!passedClock(operand, flow, cleared)) return false;
    expired = true;
  }
  return expired;
}

/** `!account.otp || !account.otpExpiresAt`: exits while a column the write clears is unset already. */
function refusesUnset(test: ts.Expression, flow: ReadModifyWrite): boolean {
  const cleared = clearedColumns(flow);
  return disjuncts(test).every((operand) => nullTestSubject(operand) !== undefined && testsSet(operand, flow, cleared));
}

/** `row.expiresAt` or `!row.expiresAt` (`== null`): a test of whether a column the write clears is set. */
function testsSet(operand: ts.Expression, flow: ReadModifyWrite, cleared: ReadonlySet<string>): boolean {
  const subject = nullTestSubject(operand) ?? skipParens(operand);
  if (!ts.isPropertyAccessExpression(subject) && !ts.isIdentifier(subject)) return false;
  const column = rowColumn(subject, flow);
  return column !== undefined && cleared.has(column);
}

/** `stored < now`, `now > stored`, `Date.now() >= stored.getTime()`, or `isExpired(stored)`, the column cleared. */
function passedClock(node: ts.Expression, flow: ReadModifyWrite, cleared: ReadonlySet<string>): boolean {
  const operand = skipParens(node);
  const storedColumn = (e: ts.Expression) => {
    let inner = skipParens(e);
    if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && inner.expression.name.text === "getTime")
      inner = inner.expression.expression;
    const column = rowColumn(inner, flow);
    return column !== undefined && cleared.has(column);
  };
  if (ts.isCallExpression(operand))
    return /expire/i.test(calleeText(operand)) && operand.arguments.length === 1 && storedColumn(operand.arguments[0]!);
  if (!ts.isBinaryExpression(operand)) return false;
  const kind = operand.operatorToken.kind;
  if (kind === ts.SyntaxKind.LessThanToken || kind === ts.SyntaxKind.LessThanEqualsToken)
    return storedColumn(operand.left) && isClock(operand.right);
  if (kind === ts.SyntaxKind.GreaterThanToken || kind === ts.SyntaxKind.GreaterThanEqualsToken)
    return isClock(operand.left) && storedColumn(operand.right);
  return false;
}

function calleeText(call: ts.CallExpression): string {
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : "";
}

/** `new Date()`, `Date.now()`, `new Date().getTime()`, or a `const` holding one. */
function isClock(expr: ts.Expression, depth = 0): boolean {
  const node = skipParens(expr);
  if (ts.isNewExpression(node)) return ts.isIdentifier(node.expression) && node.expression.text === "Date" && !node.arguments?.length;
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    if (!ts.isPropertyAccessExpression(callee)) return false;
    if (callee.name.text === "getTime") return isClock(callee.expression, depth);
    return (
      callee.name.text === "now" && ts.isIdentifier(callee.expression) && callee.expression.text === "Date" && node.arguments.length === 0
    );
  }
  if (ts.isIdentifier(node) && depth < 2) {
    const declaration = declarationOf(node);
    if (
      declaration &&
      ts.isVariableDeclaration(declaration) &&
      declaration.initializer &&
      (declaration.parent.flags & ts.NodeFlags.Const) !== 0
    )
      return isClock(declaration.initializer, depth + 1);
  }
  return false;
}

/** `null`, `undefined`, `true`, `false`, a number or a string: the same for every caller. */
function isConstant(value: ts.Expression): boolean {
  const node = skipParens(value);
  return isNullish(node) || node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword || isLiteral(node);
}

/**
 * An `await` of anything but a database read that some path runs between the read and the write, the read not run
 * again in between (work the checks guard as well). An `await` in a branch that leaves before the write is not
 * between them; one later in a loop body that goes round to the write again is.
 */
function awaitsBetween(body: ts.Node, read: ts.Node, write: ts.Node): boolean {
  const work = nodesOfKinds<ts.AwaitExpression>(body, [ts.SyntaxKind.AwaitExpression], { skipFunctions: true }).filter((node) => {
    // The read's and the write's own `await` (or one awaiting them among other work) are not work between them.
    if (isInside(read, node) || isInside(write, node)) return false;
    const awaited = skipParens(node.expression);
    const access = ts.isCallExpression(awaited) || ts.isTaggedTemplateExpression(awaited) ? dbAccessOf(awaited) : undefined;
    return access?.kind !== "read";
  });
  return work.length > 0 && mayRunBetween(read, work, write);
}

/**
 * The conditions of `if (…) throw/return` guards (no `else`) that some path tests after the read and that the write
 * runs only past (their other outcome on every path to it), in the function's own code.
 */
function exitsBetween(body: ts.Node, read: ts.Node, write: ts.Node): ts.Expression[] {
  return nodesOfKinds<ts.IfStatement>(body, [ts.SyntaxKind.IfStatement], { skipFunctions: true })
    .filter(
      (node) =>
        !node.elseStatement &&
        exits(node.thenStatement) &&
        decidedBy(node.expression, write) === false &&
        mayRunAfter(read, node.expression),
    )
    .map((node) => node.expression);
}

function exits(statement: ts.Statement): boolean {
  if (ts.isThrowStatement(statement) || ts.isReturnStatement(statement)) return true;
  const last = ts.isBlock(statement) ? statement.statements[statement.statements.length - 1] : undefined;
  return !!last && (ts.isThrowStatement(last) || ts.isReturnStatement(last));
}

/** A name in the test holds a value of the row read. */
function testsRow(test: ts.Expression, flow: ReadModifyWrite): boolean {
  let found = false;
  walk(test, (node) => {
    if (found) return false;
    if (ts.isIdentifier(node) && flow.originOf(node)?.read === flow.read) found = true;
    return !found;
  });
  return found || (ts.isIdentifier(skipParens(test)) && flow.originOf(skipParens(test))?.read === flow.read);
}

/** `!seed`, `seed == null`, `seed === null`: exits while the column is unset, and the write sets it to `null` (or `false`). */
function refusesNoOp(test: ts.Expression, flow: ReadModifyWrite): boolean {
  const subject = nullTestSubject(test);
  if (!subject) return false;
  const origin = flow.originOf(subject);
  if (origin?.read !== flow.read || origin.level !== "value" || !origin.column) return false;
  const column = origin.column;
  return flow.write.assignments.some((a) => {
    const value = a.value && skipParens(a.value);
    return a.column === column && !!value && (isNullish(value) || value.kind === ts.SyntaxKind.FalseKeyword);
  });
}

/**
 * `generate(seed) !== code`, `code !== expected` with `const expected = generate(seed)`: the caller's input against a
 * value a function computed from the row. The row only authenticates the caller here.
 */
function authenticates(test: ts.Expression, flow: ReadModifyWrite): boolean {
  const node = skipParens(test);
  if (!ts.isBinaryExpression(node) || !/^(!==|!=)$/.test(node.operatorToken.getText())) return false;
  const fromRead = (e: ts.Expression) => flow.originOf(e)?.read === flow.read;
  const [derived, input] = fromRead(node.left) ? [node.left, node.right] : [node.right, node.left];
  return fromRead(derived) && !fromRead(input) && !isConstant(input) && computedByCall(derived);
}

/** `generate(seed)`, or a `const` holding such a call. */
function computedByCall(expr: ts.Expression): boolean {
  let node = skipParens(expr);
  if (ts.isIdentifier(node)) {
    const declaration = declarationOf(node);
    if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return false;
    node = skipParens(declaration.initializer);
  }
  return ts.isCallExpression(node);
}
