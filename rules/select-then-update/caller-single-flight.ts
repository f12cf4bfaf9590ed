// select-then-update: a function its callers run one at a time. When every call of it in the project's production
// code is awaited while the caller holds one and the same application lock on every path (an in-process busy flag
// `if (running) return; running = true; … running = false`, a mutex, a lease), two runs of it never overlap: its reads
// and writes are not raced by a second run (an indexer's poll loop advancing its block cursor under the loop's flag; a
// private method a class runs only inside its own lock wrapper's callback, `this.withLock(key, () => this.refresh(id))`).
// Different locks at different calls, a call not awaited (the lock may be let go mid-run) or a use of the name other
// than a call leave it reported, as does a write of a column other code also writes (select-then-update asks that).
import { isAwaited, locksHeldAt, productionCallsOf, ts, type CalleeResolver, type FunctionLike } from "../../server/src/rule-kit";
import { isSessionLock } from "./callback-locks";

const answers = new WeakMap<FunctionLike, boolean>();

export function runsUnderCallersLock(
  fn: FunctionLike,
  resolve: CalleeResolver,
  program: ts.Program | undefined,
  checker: () => ts.TypeChecker,
): boolean {
  if (!program) return false;
  let answer = answers.get(fn);
  if (answer === undefined) answers.set(fn, (answer = decide(fn, resolve, program, checker)));
  return answer;
}

function decide(fn: FunctionLike, resolve: CalleeResolver, program: ts.Program, checker: () => ts.TypeChecker): boolean {
  const calls = privateMethodCalls(fn) ?? productionCallsOf(fn, resolve);
  if (!calls || calls.length === 0) return false;
  let common: Set<ts.Node> | undefined;
  for (const call of calls) {
    if (!awaited(call)) return false;
    const held = locksHeldAt(call, program, checker)
      .filter((lock) => lock.everyPath && lock.kind !== "transaction" && !isSessionLock(lock))
      .map((lock) => lock.takenAt);
    common = new Set(common ? held.filter((taken) => common!.has(taken)) : held);
    if (common.size === 0) return false;
  }
  return true;
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
