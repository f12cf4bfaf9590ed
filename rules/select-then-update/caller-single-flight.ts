// select-then-update: a function its callers run one at a time. When every call of it in the project's production
// code is awaited while the caller holds one and the same application lock on every path (an in-process busy flag
// `if (running) return; running = true; … running = false`, a mutex, a lease), two runs of it never overlap: its reads
// and writes are not raced by a second run (an indexer's poll loop advancing its block cursor under the loop's flag).
// Different locks at different calls, a call not awaited (the lock may be let go mid-run) or a use of the name other
// than a call leave it reported.
import { locksHeldAt, productionCallsOf, skipParens, ts, type CalleeResolver, type FunctionLike } from "../../server/src/rule-kit";
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
  const calls = productionCallsOf(fn, resolve);
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

/** `await f()` (or `return await f()`): the caller waits for the run before it goes on and lets the lock go. */
function awaited(call: ts.CallExpression): boolean {
  let node: ts.Node = call;
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  return ts.isAwaitExpression(node.parent) && skipParens(node.parent.expression) === call;
}
