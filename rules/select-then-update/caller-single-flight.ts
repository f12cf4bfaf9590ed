// select-then-update: a function its callers run one at a time. When every call of it in the project's production
// code is awaited while the caller holds one and the same application lock on every path (an in-process busy flag
// `if (running) return; running = true; … running = false`, a mutex, a lease), two runs of it never overlap: its reads
// and writes are not raced by a second run (an indexer's poll loop advancing its block cursor under the loop's flag; a
// private method a class runs only inside its own lock wrapper's callback, `this.withLock(key, () => this.refresh(id))`).
// A caller that holds no lock of its own passes on the lock its own callers hold (a poll loop's flag two calls up).
// Different locks at different calls, a call not awaited (the lock may be let go mid-run) or a use of the name other
// than a call leave it reported, as does a write of a column other code also writes (select-then-update asks that).
// inconsistent-lock-order asks it too: keys taken in the caller's order deadlock only against a second run.
import {
  enclosingFunction,
  isAwaited,
  locksHeldAt,
  productionCallsOf,
  ts,
  type CalleeResolver,
  type FunctionLike,
} from "../../server/src/rule-kit";
import { isSessionLock } from "./callback-locks";

const answers = new WeakMap<FunctionLike, ReadonlySet<ts.Node>>();
/** How many callers up a lock is looked for: the caller's caller's lock covers a helper of a helper. */
const MAX_CALLER_DEPTH = 3;

export function runsUnderCallersLock(
  fn: FunctionLike,
  resolve: CalleeResolver,
  program: ts.Program | undefined,
  checker: () => ts.TypeChecker,
): boolean {
  return !!program && locksOfEveryRun(fn, resolve, program, checker, 0).size > 0;
}

/**
 * The application locks held during every production run of `fn` (where each was taken): those its callers all hold
 * at their awaited calls, a caller counting the locks its own runs are under.
 */
function locksOfEveryRun(
  fn: FunctionLike,
  resolve: CalleeResolver,
  program: ts.Program,
  checker: () => ts.TypeChecker,
  depth: number,
): ReadonlySet<ts.Node> {
  let answer = answers.get(fn);
  if (answer) return answer;
  // Asked again while deciding (a recursive call): no lock is known yet.
  answers.set(fn, new Set());
  answer = decide(fn, resolve, program, checker, depth);
  // An answer cut short by the depth bound is not the function's own: kept only when found from the start.
  if (depth === 0 || answer.size > 0) answers.set(fn, answer);
  else answers.delete(fn);
  return answer;
}

function decide(
  fn: FunctionLike,
  resolve: CalleeResolver,
  program: ts.Program,
  checker: () => ts.TypeChecker,
  depth: number,
): Set<ts.Node> {
  const calls = privateMethodCalls(fn) ?? productionCallsOf(fn, resolve);
  return calls ? locksHeldOverCalls(calls, resolve, program, checker, depth) : new Set();
}

/**
 * The application locks held over every one of `calls` (each awaited), counting those its caller's own runs are under;
 * empty when there are no calls or one is not awaited.
 */
export function locksHeldOverCalls(
  calls: readonly ts.CallExpression[],
  resolve: CalleeResolver,
  program: ts.Program,
  checker: () => ts.TypeChecker,
  depth = 0,
): Set<ts.Node> {
  const none = new Set<ts.Node>();
  if (calls.length === 0) return none;
  let common: Set<ts.Node> | undefined;
  for (const call of calls) {
    if (!awaited(call)) return none;
    const held = locksHeldAt(call, program, checker)
      .filter((lock) => lock.everyPath && lock.kind !== "transaction" && !isSessionLock(lock))
      .map((lock) => lock.takenAt);
    const caller = enclosingFunction(call);
    const inherited = caller && depth < MAX_CALLER_DEPTH ? [...locksOfEveryRun(caller, resolve, program, checker, depth + 1)] : [];
    const all = [...held, ...inherited];
    common = new Set(common ? all.filter((taken) => common!.has(taken)) : all);
    if (common.size === 0) return none;
  }
  return common ?? none;
}

/**
 * `await f()` (or `return await f()`): the caller waits for the run before it goes on and lets the lock go. Or the
 * whole body of an arrow (`() => this.refresh(id)`): the run is the callback's result, which a lock wrapper holding
 * its lock around the callback awaits (a callback no lock wrapper runs holds no lock here).
 */
function awaited(call: ts.CallExpression): boolean {
  let node: ts.Node = call;
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  return (ts.isArrowFunction(node.parent) && node.parent.body === node) || isAwaited(call);
}

/**
 * The calls of a private method (`private m()` or `#m()`) when every use of its name in its class is a call on `this`
 * (`this.m(…)`): nothing else can run it. Undefined for any other function, or a method also used as a value.
 */
function privateMethodCalls(fn: FunctionLike): ts.CallExpression[] | undefined {
  if (!ts.isMethodDeclaration(fn) || !ts.isClassLike(fn.parent)) return undefined;
  const isPrivate = ts.isPrivateIdentifier(fn.name) || fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
  if (!isPrivate || !(ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name))) return undefined;
  const name = fn.name.text;
  const calls: ts.CallExpression[] = [];
  let other = false;
  const visit = (node: ts.Node): void => {
    if (other) return;
    if (ts.isPropertyAccessExpression(node) && node.name.text === name) {
      const call = node.parent;
      if (node.expression.kind === ts.SyntaxKind.ThisKeyword && ts.isCallExpression(call) && call.expression === node) calls.push(call);
      else other = true;
    } else if (
      ts.isElementAccessExpression(node) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === name
    ) {
      other = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(fn.parent);
  return other ? undefined : calls;
}
