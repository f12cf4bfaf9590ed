// select-then-update: an application lock held around a transaction whose callback does the read-modify-write. The
// opener runs its callback before the awaited call returns, so a lock held on every path to that call is held while
// the callback runs, though the callback is a function of its own (held-regions asks only the function itself).
import { enclosingFunction, projectScopeOf, skipParens, ts, type CalleeResolver, type HeldLock } from "../../server/src/rule-kit";

/**
 * Where the locks held while `node` runs are also held: the awaited call that opens the transaction whose callback
 * `node` runs directly in (`await prisma.$transaction(async (tx) => { … node … })`). Undefined elsewhere.
 */
export function awaitedOpenerAround(node: ts.Node, resolve: CalleeResolver): ts.CallExpression | undefined {
  const scope = projectScopeOf(node, resolve);
  if (scope?.form !== "callback" || !scope.callback || enclosingFunction(node) !== scope.callback) return undefined;
  const opener = scope.start;
  if (!ts.isCallExpression(opener) || !opener.arguments.some((a) => skipParens(a) === scope.callback)) return undefined;
  // Not awaited (`void prisma.$transaction(…)`), the call returns at once and the lock may be released mid-callback.
  let parent: ts.Node = opener.parent;
  while (ts.isParenthesizedExpression(parent)) parent = parent.parent;
  return ts.isAwaitExpression(parent) ? opener : undefined;
}

/** A database session lock (`pg_advisory_lock`, MySQL `GET_LOCK`): held by one connection, not by the transaction's. */
export function isSessionLock(lock: HeldLock): boolean {
  const acquisition = lock.acquisition;
  return (
    !!acquisition && (acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named") && !acquisition.transactionScoped
  );
}
