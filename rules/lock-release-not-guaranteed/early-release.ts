// The lock released too early: `try { return work() } finally { release() }` runs the `finally` as soon as the
// promise of `work()` is handed back, so the rest of the work runs without the lock.
import {
  acquisitionPaths,
  enclosingFunction,
  nodesOfKinds,
  readsOnly,
  skipParens,
  ts,
  type CalleeResolver,
  type FunctionLike,
  type LockAcquisition,
} from "../../server/src/rule-kit";

/** A release call: a method or function call, or a tagged SQL template. */
export type ReleaseCall = ts.CallExpression | ts.TaggedTemplateExpression;

export interface EarlyRelease {
  returned: ts.Expression;
  release: ReleaseCall;
  /** The returned value's type is a promise (not `any`). */
  certain: boolean;
}

/**
 * `return work()` (not awaited, not a read) inside a `try` or `catch` whose `finally` releases the lock, where the lock may be held:
 * the `finally` runs when the promise is handed back, not when it settles.
 */
export function releasedBeforeSettling(
  acquisition: LockAcquisition,
  fn: FunctionLike,
  releases: readonly ReleaseCall[],
  checker: ts.TypeChecker,
  resolve: CalleeResolver,
): EarlyRelease[] {
  const found: EarlyRelease[] = [];
  const seen = new Set<ts.ReturnStatement>();
  for (const release of releases) {
    const guarded = tryReleasingInFinally(release, fn);
    if (!guarded) continue;
    const blocks = [guarded.tryBlock, guarded.catchClause?.block].filter((b): b is ts.Block => !!b);
    for (const block of blocks)
      for (const ret of nodesOfKinds<ts.ReturnStatement>(block, [ts.SyntaxKind.ReturnStatement])) {
        const returned = ret.expression && skipParens(ret.expression);
        if (!returned || seen.has(ret) || enclosingFunction(ret) !== fn || ts.isAwaitExpression(returned)) continue;
        // A read handed back (`return loadTotals(id)`) needs no lock: what the lock guarded was awaited before it.
        if (readsOnly(returned, resolve)) continue;
        const promise = promiseKind(returned, checker);
        if (!promise || !acquisitionPaths(acquisition).heldAt(ret)) continue;
        seen.add(ret);
        found.push({ returned: ret.expression!, release, certain: promise === "promise" });
      }
  }
  return found;
}

/** The `try` statement of `fn` whose `finally` block holds `release`. */
function tryReleasingInFinally(release: ts.Node, fn: ts.Node): ts.TryStatement | undefined {
  for (let node: ts.Node = release; node.parent && node !== fn; node = node.parent)
    if (ts.isTryStatement(node.parent) && node.parent.finallyBlock === node) return node.parent;
  return undefined;
}

/** "promise" when the value is thenable; "maybe" for a call whose type is `any` (a wrapped method, `original.apply`). */
function promiseKind(value: ts.Expression, checker: ts.TypeChecker): "promise" | "maybe" | undefined {
  let type: ts.Type;
  try {
    type = checker.getTypeAtLocation(value);
  } catch {
    return undefined;
  }
  // `any` as declared or inferred (a decorator's `original.apply(this, args)`), not the error type of a call whose
  // declaration did not resolve (dependencies not installed): that one says nothing about the value.
  if (type.flags & ts.TypeFlags.Any)
    return ts.isCallExpression(value) && (type as { intrinsicName?: string }).intrinsicName === "any" ? "maybe" : undefined;
  const thenable = (t: ts.Type): boolean => {
    const then = t.getProperty("then");
    return !!then && checker.getTypeOfSymbolAtLocation(then, value).getCallSignatures().length > 0;
  };
  return (type.isUnion() ? type.types.some(thenable) : thenable(type)) ? "promise" : undefined;
}
