// Transaction-scoped advisory locks (`pg_advisory_xact_lock`) that serialise what a transaction does after taking
// them: every caller that takes the same lock waits for the holder's COMMIT/ROLLBACK. Taken by the transaction's own
// code through its handle, or by a project helper given the handle (`await lockFleet(tx, id)`), summarised over its
// parameters (bounded depth; a cycle contributes nothing).
import { ts } from "../engine/ts";
import { CALL_KINDS, boundNames, enclosingFunction, nodesOfKinds, receiverOf, skipAwait, type FunctionLike } from "./ast";
import { dbAccessOf } from "./db";
import { isPartOfHandle } from "./identity";
import { lockAcquisitionOf } from "./locks";
import { parameterOf, type CalleeResolver } from "./summaries";
import { heldOnEveryPathSince, runsWhileOpen, type TransactionScope } from "./transactions";

const MAX_DEPTH = 4;
const noChecker = () => undefined;

/** `h.execute(sql\`select pg_advisory_xact_lock(…)\`)`, `h.query("SELECT pg_advisory_xact_lock($1)", …)`: the handle it runs through. */
function xactLockHandle(call: ts.CallExpression | ts.TaggedTemplateExpression): ts.Expression | undefined {
  const acquisition = lockAcquisitionOf(call, noChecker);
  if (!acquisition?.transactionScoped || acquisition.style !== "blocking") return undefined;
  const access = dbAccessOf(call);
  // `tx.$executeRaw\`…\``: the tag's receiver.
  const tag = ts.isTaggedTemplateExpression(call) && ts.isPropertyAccessExpression(call.tag) ? call.tag.expression : undefined;
  return access?.transactionOption ?? access?.handle ?? (ts.isCallExpression(call) ? receiverOf(call) : tag);
}

const summaries = new WeakMap<CalleeResolver, WeakMap<FunctionLike, ReadonlySet<number>>>();

/** The parameters of `fn` through which it takes a transaction-scoped advisory lock. */
function xactLockParameters(fn: FunctionLike, resolve: CalleeResolver, active: Set<FunctionLike> = new Set()): ReadonlySet<number> {
  let cache = summaries.get(resolve);
  if (!cache) summaries.set(resolve, (cache = new WeakMap()));
  const cached = cache.get(fn);
  if (cached) return cached;
  if (!fn.body || active.size >= MAX_DEPTH || active.has(fn)) return new Set();
  active.add(fn);
  const parameters = fn.parameters.map((p) => new Set(boundNames(p.name).map((id) => id.text)));
  const found = new Set<number>();
  for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS, { skipFunctions: true })) {
    const handle = xactLockHandle(call);
    if (handle) {
      const parameter = parameterOf(handle, parameters);
      if (parameter >= 0) found.add(parameter);
      continue;
    }
    if (!ts.isCallExpression(call) || dbAccessOf(call) || !call.arguments.some((a) => parameterOf(a, parameters) >= 0)) continue;
    const callee = resolve(call);
    if (!callee || callee === fn) continue;
    for (const index of xactLockParameters(callee, resolve, active)) {
      const argument = call.arguments[index];
      const parameter = argument ? parameterOf(argument, parameters) : -1;
      if (parameter >= 0) found.add(parameter);
    }
  }
  active.delete(fn);
  cache.set(fn, found);
  return found;
}

/**
 * Whether a transaction-scoped advisory lock taken in `scope` (through its handle, directly or by a project helper
 * given the handle) is held on every path to `node`.
 */
export function xactAdvisoryLockHeldAt(node: ts.Node, scope: TransactionScope, resolve: CalleeResolver): boolean {
  const handle = scope.handle;
  if (!handle) return false;
  const region =
    scope.callback?.body ?? (ts.isParameter(scope.start) ? (scope.start.parent as FunctionLike) : enclosingFunction(scope.start))?.body;
  if (!region) return false;
  const through = (expr: ts.Expression | undefined) => expr !== undefined && isPartOfHandle(skipAwait(expr), handle);
  for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(region, CALL_KINDS, { skipFunctions: true })) {
    if (call.getEnd() > node.getStart() || !runsWhileOpen(scope, call)) continue;
    if ((through(xactLockHandle(call)) || helperTakesThrough(call, through, resolve)) && heldOnEveryPathSince(scope, call)(node))
      return true;
  }
  return false;
}

/** A project function called with the handle takes the lock through it (`await lockFleet(tx, fleetId)`). */
function helperTakesThrough(
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  through: (expr: ts.Expression | undefined) => boolean,
  resolve: CalleeResolver,
): boolean {
  if (!ts.isCallExpression(call) || dbAccessOf(call) || !call.arguments.some(through)) return false;
  const callee = resolve(call);
  return !!callee && [...xactLockParameters(callee, resolve)].some((i) => through(call.arguments[i]));
}
