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
  return exits.length > 0 && exits.every((test) => refusesNoOp(test, flow) || authenticates(test, flow));
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
