// Project helpers that open or end the transaction of a connection they are given, read from their summaries
// (summaries.ts: `opens`, `ends`): `async function openTx(c) { await c.query("BEGIN") }` opens a transaction on its
// parameter 0, so after `await openTx(client)` the caller's statements on `client` run inside it, as they would after
// the BEGIN in place; `closeTx(client)` running COMMIT (or ROLLBACK) ends it. A helper that both opens and ends a
// transaction on one parameter (a wrapper around a callback) is neither: wrappers are transaction-wrappers.ts's business.
import { ts } from "../engine/ts";
import { enclosingFunction, nodesOfKinds, type FunctionLike } from "./ast";
import { dbAccessOf } from "./db";
import { identityOf, isHandle } from "./identity";
import { summaryOf, type CalleeResolver } from "./summaries";
import { assertedType, isTransactionHandleType, openAlongPaths, runsIn, runsWhileOpen, type TransactionScope } from "./transactions";

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
    const unwrapped = callee && fn.body && unwrappedHandleOf(call, callee);
    if (unwrapped) {
      scopes.push({ form: "caller", start: unwrapped, handle: identityOf(unwrapped.name), region: fn.body, retried: false });
      continue;
    }
    const opened = callee ? [...summaryOf(callee, resolve).opens] : [];
    const handle = opened.length === 1 ? call.arguments[opened[0]!] : undefined;
    if (!handle || !fn.body) continue;
    const identity = identityOf(handle);
    const endsHere = (end: ts.CallExpression) => {
      const ender = end.arguments.length > 0 && !dbAccessOf(end) ? resolve(end) : undefined;
      return !!ender && [...summaryOf(ender, resolve).ends].some((i) => end.arguments[i] && isHandle(end.arguments[i]!, identity));
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

/**
 * `const db = asDrizzleTx(tx)`: the `const` a project helper's value initialises when the helper returns a transaction
 * handle by its type (its declared return type, or the type its only `return` asserts): the unwrapping of a unit of
 * work's opaque context, which hands out the transaction the caller opened.
 */
function unwrappedHandleOf(call: ts.CallExpression, callee: FunctionLike): (ts.VariableDeclaration & { name: ts.Identifier }) | undefined {
  const declaration = call.parent;
  if (!ts.isVariableDeclaration(declaration) || declaration.initializer !== call || !ts.isIdentifier(declaration.name)) return undefined;
  if (!(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) return undefined;
  const body = callee.body;
  const returned =
    body && !ts.isBlock(body)
      ? body
      : body?.statements.length === 1 && ts.isReturnStatement(body.statements[0]!)
        ? body.statements[0].expression
        : undefined;
  const handle = isTransactionHandleType(callee.type) || (returned !== undefined && isTransactionHandleType(assertedType(returned)));
  return handle ? (declaration as ts.VariableDeclaration & { name: ts.Identifier }) : undefined;
}
