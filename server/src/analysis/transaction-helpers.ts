// Project helpers that open or end the transaction of a connection they are given, summarised over their parameters:
// `async function openTx(c) { await c.query("BEGIN") }` opens a transaction on its parameter 0, so after
// `await openTx(client)` the caller's statements on `client` run inside it, as they would after the BEGIN in place;
// `closeTx(client)` running COMMIT (or ROLLBACK) ends it. Summaries compose through calls that pass the parameter on
// (bounded depth; a cycle contributes nothing). A helper that both opens and ends a transaction on one parameter (a
// wrapper around a callback) is neither: wrappers are transaction-wrappers.ts's business.
import { ts } from "../engine/ts";
import { boundNames, calleeName, enclosingFunction, nodesOfKinds, receiverOf, type FunctionLike } from "./ast";
import { dbAccessOf } from "./db";
import { identityOf, isHandle } from "./identity";
import { endsTransactionMethod } from "./models/transaction-libraries";
import { parameterOf, type CalleeResolver } from "./summaries";
import { openAlongPaths, runsIn, runsWhileOpen, transactionOpenersOf, type TransactionScope } from "./transactions";

/** Which parameters a function opens a transaction on, and which it ends one on. */
interface TransactionControl {
  opens: ReadonlySet<number>;
  ends: ReadonlySet<number>;
}

const NONE: TransactionControl = { opens: new Set(), ends: new Set() };
const MAX_DEPTH = 4;
const controlCaches = new WeakMap<CalleeResolver, WeakMap<FunctionLike, TransactionControl>>();

/** The summary of `fn`: the parameters it runs BEGIN (or `beginTransaction()`) on, and COMMIT/ROLLBACK on. */
function transactionControlOf(fn: FunctionLike, resolve: CalleeResolver, active: Set<FunctionLike> = new Set()): TransactionControl {
  let cache = controlCaches.get(resolve);
  if (!cache) controlCaches.set(resolve, (cache = new WeakMap()));
  const cached = cache.get(fn);
  if (cached) return cached;
  if (!fn.body || active.size >= MAX_DEPTH || active.has(fn)) return NONE;
  active.add(fn);
  const parameters = fn.parameters.map((p) => new Set(boundNames(p.name).map((id) => id.text)));
  const opens = new Set<number>();
  const ends = new Set<number>();
  const onParameter = (handle: ts.Expression | undefined) => (handle ? parameterOf(handle, parameters) : -1);
  for (const call of nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression], { skipFunctions: true })) {
    const access = dbAccessOf(call);
    const begins = access?.kind === "begin" || transactionOpenersOf(call).some(({ opener }) => opener.form === "begin");
    const finishes = access?.kind === "commit" || access?.kind === "rollback" || endsTransactionMethod(calleeName(call) ?? "");
    if (begins || finishes) {
      const parameter = onParameter(receiverOf(call));
      if (parameter >= 0) (begins ? opens : ends).add(parameter);
      continue;
    }
    if (access) continue;
    const callee = call.arguments.some((a) => onParameter(a) >= 0) ? resolve(call) : undefined;
    if (!callee || callee === fn) continue;
    const inner = transactionControlOf(callee, resolve, active);
    const passOn = (indexes: ReadonlySet<number>, into: Set<number>) => {
      for (const index of indexes) {
        const parameter = onParameter(call.arguments[index]);
        if (parameter >= 0) into.add(parameter);
      }
    };
    passOn(inner.opens, opens);
    passOn(inner.ends, ends);
  }
  active.delete(fn);
  // Opened and ended on one parameter: a wrapper (or open-and-close helper), not an opener.
  const control = {
    opens: new Set([...opens].filter((p) => !ends.has(p))),
    ends: new Set([...ends].filter((p) => !opens.has(p))),
  };
  const summary = control.opens.size + control.ends.size > 0 ? control : NONE;
  cache.set(fn, summary);
  return summary;
}

const scopeCaches = new WeakMap<CalleeResolver, WeakMap<FunctionLike, TransactionScope[]>>();

/**
 * The transactions a function opens through project helpers (`await openTx(client)`), each a BEGIN … COMMIT scope on
 * the handle passed, open along the paths from the helper's call until a COMMIT/ROLLBACK or a helper ending it.
 */
function helperOpenedScopesIn(fn: FunctionLike, resolve: CalleeResolver): TransactionScope[] {
  let cache = scopeCaches.get(resolve);
  if (!cache) scopeCaches.set(resolve, (cache = new WeakMap()));
  const cached = cache.get(fn);
  if (cached) return cached;
  const scopes: TransactionScope[] = [];
  const calls = fn.body ? nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression], { skipFunctions: true }) : [];
  for (const call of calls) {
    if (dbAccessOf(call) || call.arguments.length === 0) continue;
    const callee = resolve(call);
    const opened = callee ? [...transactionControlOf(callee, resolve).opens] : [];
    const handle = opened.length === 1 ? call.arguments[opened[0]!] : undefined;
    if (!handle || !fn.body) continue;
    const identity = identityOf(handle);
    const endsHere = (end: ts.CallExpression) => {
      const ender = end.arguments.length > 0 && !dbAccessOf(end) ? resolve(end) : undefined;
      return (
        !!ender && [...transactionControlOf(ender, resolve).ends].some((i) => end.arguments[i] && isHandle(end.arguments[i]!, identity))
      );
    };
    const scope: TransactionScope = { form: "begin-commit", start: call, handle: identity, region: fn.body, retried: false };
    scope.isOpenAt = openAlongPaths(call, identity, fn, endsHere);
    scopes.push(scope);
  }
  cache.set(fn, scopes);
  return scopes;
}

/** The transaction a project helper opened on the handle `node` runs through, in `node`'s function (innermost first). */
export function helperOpenedScopeOf(node: ts.Node, resolve: CalleeResolver): TransactionScope | undefined {
  const access = dbAccessOf(node);
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
    const scopes = helperOpenedScopesIn(fn, resolve);
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i]!;
      if (runsWhileOpen(scope, node) && (!access || runsIn(access, scope))) return scope;
    }
  }
  return undefined;
}
