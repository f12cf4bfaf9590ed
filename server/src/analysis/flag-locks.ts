// In-process try-locks made of a flag: `if (this.running) return; this.running = true; try { … } finally {
// this.running = false }`. JavaScript runs one call at a time between awaits, so a boolean field (or module variable)
// tested and set with nothing awaited in between admits one call of the section at a time; the others turn away. Held
// from the set to the clear, along the paths of the function's control-flow graph (held-regions.ts reads it).
import { ts } from "../engine/ts";
import { enclosingFunction, isAsync, isInside, operands, skipParens, type FunctionLike } from "./ast";
import { nodesOfKinds } from "./node-index";
import { elementAt, flowGraphOf, type FlowGraph } from "./flow/cfg";
import { solveForward, type ForwardSolution } from "./flow/dataflow";
import { alwaysExits, mayRunAfter, mayRunBetween } from "./flow/queries";
import { isModuleLevel, sameIdentity } from "./identity";
import { acquisitionPaths } from "./lock-holding";
import type { LockAcquisition } from "./locks";

export interface FlagLock {
  /** The assignment that takes it (`this.running = true`), or a busy key's `add`. */
  takenAt: ts.Node;
  /** For messages: "the flag `this.running`". */
  label: string;
  fn: FunctionLike;
  heldAt(node: ts.Node): boolean;
  heldOnEveryPath(node: ts.Node): boolean;
}

const HELD = 1;
const FREE = 2;

const cache = new WeakMap<ts.SourceFile, FlagLock[]>();

/** The flag try-locks the functions of a file take. */
export function flagLocksIn(sourceFile: ts.SourceFile): FlagLock[] {
  let locks = cache.get(sourceFile);
  if (locks) return locks;
  locks = [];
  const assignments = nodesOfKinds<ts.BinaryExpression>(sourceFile, [ts.SyntaxKind.BinaryExpression]).filter(
    (node) => node.operatorToken.kind === ts.SyntaxKind.EqualsToken && node.right.kind === ts.SyntaxKind.TrueKeyword,
  );
  for (const set of assignments) {
    const lock = flagLockOf(set);
    if (lock) locks.push(lock);
  }
  cache.set(sourceFile, locks);
  return locks;
}

/**
 * `flag = true` takes a flag lock when, in an async function, an `if` testing the flag turns callers away before it
 * with nothing awaited in between, and the flag is set back to `false` on every path out, also when the section throws.
 * A flag set after an await lets two calls past the test; one left set on a throw locks every later caller out.
 */
function flagLockOf(set: ts.BinaryExpression): FlagLock | undefined {
  const fn = enclosingFunction(set);
  const flag = skipParens(set.left);
  if (!fn?.body || !isAsync(fn) || !isSharedFlag(flag)) return undefined;
  const guard = guardTesting(fn, flag, set);
  if (!guard || mayAwaitBetween(fn, guard.expression, set)) return undefined;
  const clears = nodesOfKinds<ts.BinaryExpression>(fn.body, [ts.SyntaxKind.BinaryExpression]).filter(
    (node) =>
      enclosingFunction(node) === fn &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      node.right.kind === ts.SyntaxKind.FalseKeyword &&
      sameIdentity(skipParens(node.left), flag),
  );
  if (clears.length === 0) return undefined;
  const graph = flowGraphOf(fn);
  const solution = solveForward<number>(graph, {
    initial: FREE,
    join: (a, b) => a | b,
    equals: (a, b) => a === b,
    transfer: (element, state) => (element === set ? HELD : clears.includes(element as ts.BinaryExpression) ? FREE : state),
  });
  if (!solution.converged || (solution.atExit ?? FREE) & HELD || (solution.atThrowExit ?? FREE) & HELD) return undefined;
  return regionOf(set, `the flag \`${flag.getText()}\``, fn, graph, solution);
}

function regionOf(takenAt: ts.Node, label: string, fn: FunctionLike, graph: FlowGraph, solution: ForwardSolution<number>): FlagLock {
  const stateAt = (node: ts.Node) => {
    if (enclosingFunction(node) !== fn || isInside(node, takenAt)) return FREE;
    const element = elementAt(graph, node);
    return element === undefined ? FREE : (solution.before(element) ?? FREE);
  };
  return {
    takenAt,
    label,
    fn,
    heldAt: (node) => (stateAt(node) & HELD) !== 0,
    heldOnEveryPath: (node) => stateAt(node) === HELD,
  };
}

/**
 * A busy key (`if (busy.has(k)) return; busy.add(k)`, locks.ts) is the same try-lock keyed: held as a flag lock when
 * nothing is awaited between the test and the mark and every path out gives the key back.
 */
export function busyKeyFlagLock(acquisition: LockAcquisition): FlagLock | undefined {
  const test = acquisition.busyKeyTest;
  const fn = enclosingFunction(acquisition.call);
  if (!test || !fn?.body || mayAwaitBetween(fn, test, acquisition.call)) return undefined;
  const paths = acquisitionPaths(acquisition);
  if (paths.leak()) return undefined;
  return {
    takenAt: acquisition.call,
    label: acquisition.label,
    fn,
    heldAt: paths.heldAt.bind(paths),
    heldOnEveryPath: paths.heldOnEveryPath.bind(paths),
  };
}

/** Whether `fn` may await (or yield) after `from` and before `to`: another call may run there. */
function mayAwaitBetween(fn: FunctionLike, from: ts.Node, to: ts.Node): boolean {
  const waits = nodesOfKinds(fn.body!, [ts.SyntaxKind.AwaitExpression, ts.SyntaxKind.YieldExpression]).filter(
    (node) => enclosingFunction(node) === fn,
  );
  return waits.length > 0 && mayRunBetween(from, waits, to);
}

/**
 * `this.running`, or a variable whose declaration is at the top of the module (or a global): state every call of the
 * function shares. A parameter or a local of any enclosing function, found by scope as `declarationOf` does, is one
 * call's own.
 */
function isSharedFlag(flag: ts.Expression): boolean {
  if (ts.isPropertyAccessExpression(flag)) return flag.expression.kind === ts.SyntaxKind.ThisKeyword;
  return ts.isIdentifier(flag) && isModuleLevel(flag);
}

/**
 * The `if` of `fn` that tests the flag as true (`if (flag)`, `if (flag === true)`, `if (a || flag)`) and leaves before
 * the set runs.
 */
function guardTesting(fn: FunctionLike, flag: ts.Expression, set: ts.Node): ts.IfStatement | undefined {
  const testsFlag = (condition: ts.Expression): boolean =>
    operands(skipParens(condition), ts.SyntaxKind.BarBarToken).some((part) => {
      const node = skipParens(part);
      if (
        ts.isBinaryExpression(node) &&
        (node.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken || node.operatorToken.kind === ts.SyntaxKind.EqualsEqualsToken)
      ) {
        const [tested, other] = node.right.kind === ts.SyntaxKind.TrueKeyword ? [node.left, node.right] : [node.right, node.left];
        return other.kind === ts.SyntaxKind.TrueKeyword && sameIdentity(skipParens(tested), flag);
      }
      return (ts.isPropertyAccessExpression(node) || ts.isIdentifier(node)) && sameIdentity(node, flag);
    });
  return nodesOfKinds<ts.IfStatement>(fn.body!, [ts.SyntaxKind.IfStatement]).find(
    (statement) =>
      enclosingFunction(statement) === fn &&
      testsFlag(statement.expression) &&
      alwaysExits(statement.thenStatement) &&
      !isInside(set, statement) &&
      mayRunAfter(statement.expression, set),
  );
}
