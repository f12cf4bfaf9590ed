// select-then-update: an application lock held around a transaction whose callback does the read-modify-write. The
// opener runs its callback before the awaited call returns, so a lock held on every path to that call is held while
// the callback runs, though the callback is a function of its own (held-regions asks only the function itself). And a
// function that runs only where its callers hold a lock (a private method called inside a lock wrapper's callback).
import {
  enclosingFunction,
  projectScopeOf,
  skipParens,
  ts,
  type CalleeResolver,
  type FunctionLike,
  type HeldLock,
} from "../../server/src/rule-kit";

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

/**
 * The calls of a private method (`private m()` or `#m()`) when every use of its name in its class is a call on `this`
 * (`this.m(…)`): nothing else can run it. Undefined for any other function, or a method also used as a value.
 */
export function privateMethodCalls(fn: FunctionLike): ts.CallExpression[] | undefined {
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
