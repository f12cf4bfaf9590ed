// Row locks a function's callers hold on the transaction they pass in. `appendEvent(tx, conversationId)` reads the
// latest event of a conversation and inserts the next one; it takes no lock itself, but when every call of it in the
// project runs in a transaction that has already locked the conversation row (`lockConversation(tx, id)` just before),
// two appends to one conversation are serialised by that lock. Answered at a candidate finding only: the callers are
// found by the function's name and confirmed by resolving each call; any other use of the name (the function passed
// as a value, a call that resolves elsewhere or not at all) and the credit is not given.
import { ts } from "../engine/ts";
import {
  boundNames,
  enclosingFunction,
  importsOf,
  isFunctionLike,
  isLiteral,
  nodesOfKinds,
  skipAwait,
  skipParens,
  type FunctionLike,
} from "./ast";
import { sameTable, type DbAccess } from "./db";
import { isKeyColumn } from "./db/read-modify-write";
import { isPartOfHandle, sameIdentity } from "./identity";
import { isNonProduction } from "./locks";
import { parameterOf, programOf, type CalleeResolver } from "./summaries";
import { rowLocksHeldAt, type RowLock, type TransactionScope } from "./transactions";

/**
 * True if `read` (through a transaction handle that is a parameter of its function) runs, in every production call of
 * that function, inside the caller's transaction after a row lock held on every path: on the read's table, or on the
 * parent row its lookup names (`id` = the value the read filters by, as the caller passes it). `scopeAt` gives the
 * transaction a call runs in.
 */
export function lockedByEveryCaller(
  read: DbAccess,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
): boolean {
  const fn = enclosingFunction(read.node);
  const handle = read.transactionOption ?? read.handle;
  if (!fn || !handle) return false;
  const values = read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => c.value!);
  return lockedAt(fn, handle, values, read, resolve, scopeAt, 0);
}

/** How many functions that only pass the transaction on are followed up to the one holding the lock. */
const MAX_PASSING_CALLERS = 3;

/**
 * Every production call of `fn`, given the transaction `handle` and the lookup `values` (both in `fn`'s terms), runs
 * after a row lock the caller holds on the read's table or on the parent row one of `values` names; a caller that only
 * passes on a transaction it was given itself (`handleBlockOperation(tx, workflowId)` under the `UPDATE workflow …` of
 * its own caller) is asked the same of its callers, up to MAX_PASSING_CALLERS functions up.
 */
function lockedAt(
  fn: FunctionLike,
  handle: ts.Expression,
  values: readonly ts.Expression[],
  read: DbAccess,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
  depth: number,
): boolean {
  if (!isParameterOf(handle, fn)) return false;
  const calls = productionCallsOf(fn, resolve);
  return (
    calls !== undefined &&
    calls.length > 0 &&
    calls.every((call) => {
      const { scope, passed } = transactionPassedAt(call, handle, fn, scopeAt);
      if (!scope || !passed) return false;
      const passedValues = values.map((v) => argumentAt(v, fn, call)).filter((v) => v !== undefined);
      const locked = rowLocksHeldAt(call, scope, resolve).some(
        (lock) =>
          lock.everyPath &&
          (lock.mode === "write" || lock.mode === "update" || lock.mode === "no key update") &&
          (sameTable(lock.access.table, read.table) || locksRowNamed(lock, passedValues, resolve)),
      );
      if (locked) return true;
      const caller = enclosingFunction(call);
      return scope.form === "caller" && caller !== undefined && depth + 1 < MAX_PASSING_CALLERS
        ? lockedAt(caller, passed, passedValues, read, resolve, scopeAt, depth + 1)
        : false;
    })
  );
}

/**
 * True if `access` runs through a parameter of its function that, at every production call of the function, is
 * given the handle of a transaction open at the call (a `PoolClient` after the caller's `BEGIN`, the `tx` of the
 * caller's callback), or a handle the caller was given itself and that every call of the caller gives the same way
 * (`debit(client)` → `debitRow(client)`), up to MAX_PASSING_CALLERS functions up: the function's statements through it
 * run in the outer caller's transaction, so a row lock it takes itself lasts until that caller commits.
 */
export function runsInEveryCallersTransaction(
  access: DbAccess,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
): boolean {
  const fn = enclosingFunction(access.node);
  const handle = access.transactionOption ?? access.handle;
  return !!fn && !!handle && givenOpenTransaction(fn, handle, resolve, scopeAt, 0);
}

/** Every production call of `fn` gives `handle` (a parameter, in `fn`'s terms) a transaction open at the call, or passed down. */
function givenOpenTransaction(
  fn: FunctionLike,
  handle: ts.Expression,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
  depth: number,
): boolean {
  if (!isParameterOf(handle, fn)) return false;
  const calls = productionCallsOf(fn, resolve);
  return (
    calls !== undefined &&
    calls.length > 0 &&
    calls.every((call) => {
      if (transactionPassedAt(call, handle, fn, scopeAt).scope) return true;
      // The caller passes on a handle it was given itself: ask the same of its callers.
      const passed = argumentAt(handle, fn, call);
      const caller = enclosingFunction(call);
      return (
        !!passed &&
        !!caller &&
        depth + 1 < MAX_PASSING_CALLERS &&
        givenOpenTransaction(caller, skipAwait(passed), resolve, scopeAt, depth + 1)
      );
    })
  );
}

function isParameterOf(handle: ts.Expression, fn: FunctionLike): boolean {
  return (
    parameterOf(
      handle,
      fn.parameters.map((p) => new Set(boundNames(p.name).map((id) => id.text))),
    ) >= 0
  );
}

/** The transaction open at `call` whose handle the call passes for `handle` (in `fn`'s terms), and what it passes. */
function transactionPassedAt(
  call: ts.CallExpression,
  handle: ts.Expression,
  fn: FunctionLike,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
): { scope?: TransactionScope; passed?: ts.Expression } {
  const scope = scopeAt(call);
  const passed = argumentAt(handle, fn, call);
  return scope?.handle && passed && isPartOfHandle(skipAwait(passed), scope.handle) ? { scope, passed } : {};
}

/** The lock names one row by a key column whose value, as the caller passes it, is one of `values`. */
function locksRowNamed(lock: RowLock, values: readonly ts.Expression[], resolve: CalleeResolver): boolean {
  return lock.access.conditions.some((c) => {
    if (c.operator !== "=" || !c.value || !isKeyColumn(c.column)) return false;
    // A helper's lock (`lockConversation(tx, id)`): its value carried back up the calls to the caller's argument.
    let value: ts.Expression | undefined = c.value;
    for (let i = (lock.chain?.length ?? 0) - 1; i >= 0 && value; i--) {
      const call = lock.chain![i]!;
      const callee = resolve(call);
      value = callee ? argumentAt(value, callee, call) : undefined;
    }
    return value !== undefined && values.some((v) => sameIdentity(v, value!));
  });
}

/**
 * What `expr`, written in `callee` in terms of its parameters, is at `call`: `tx` → the argument passed for it,
 * `params.tx` or a destructured `{ tx }` → the `tx` property of the object literal passed; a literal is itself.
 * Undefined for anything else (a spread argument, a value built inside the callee).
 */
export function argumentAt(expr: ts.Expression, callee: FunctionLike, call: ts.CallExpression): ts.Expression | undefined {
  const e = skipParens(skipAwait(expr));
  if (isLiteral(e)) return e;
  if (call.arguments.some(ts.isSpreadElement)) return undefined;
  if (ts.isPropertyAccessExpression(e)) {
    const base = argumentAt(e.expression, callee, call);
    return base && propertyOf(base, e.name.text);
  }
  if (!ts.isIdentifier(e)) return undefined;
  for (const [i, parameter] of callee.parameters.entries()) {
    if (ts.isIdentifier(parameter.name) && parameter.name.text === e.text) return call.arguments[i];
    if (ts.isObjectBindingPattern(parameter.name)) {
      const element = parameter.name.elements.find((el) => ts.isIdentifier(el.name) && el.name.text === e.text && !el.dotDotDotToken);
      const property = element && (element.propertyName ?? element.name);
      const argument = call.arguments[i];
      if (property && ts.isIdentifier(property) && argument) return propertyOf(argument, property.text);
    }
  }
  return undefined;
}

/** The value of property `name` in an object literal passed as is. */
function propertyOf(object: ts.Expression, name: string): ts.Expression | undefined {
  const literal = skipParens(object);
  if (!ts.isObjectLiteralExpression(literal)) return undefined;
  for (const property of literal.properties) {
    if (ts.isSpreadAssignment(property)) return undefined;
    if (!property.name || !ts.isIdentifier(property.name) || property.name.text !== name) continue;
    if (ts.isPropertyAssignment(property)) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property)) return property.name;
  }
  return undefined;
}

/**
 * The production calls of `fn` (a named function, a `const` arrow or a static method; not an instance method), or undefined when its name is used
 * otherwise anywhere (passed as a value, a call that resolves to no function) and its callers are not all known.
 */
const callsCache = new WeakMap<CalleeResolver, WeakMap<FunctionLike, ts.CallExpression[] | null>>();

export function productionCallsOf(fn: FunctionLike, resolve: CalleeResolver): ts.CallExpression[] | undefined {
  let perResolver = callsCache.get(resolve);
  if (!perResolver) callsCache.set(resolve, (perResolver = new WeakMap()));
  let calls = perResolver.get(fn);
  if (calls === undefined) perResolver.set(fn, (calls = findCalls(fn, resolve) ?? null));
  return calls ?? undefined;
}

/**
 * `fn` is called by the project, and only from non-production files (scripts, tests, seeds: `isNonProduction`): a
 * script's helper, which an operator runs one at a time, not a request path. A function with no caller at all (a
 * route handler the framework calls) is not one.
 */
export function calledOnlyOutsideProduction(fn: FunctionLike, resolve: CalleeResolver): boolean {
  const calls = findCalls(fn, resolve, true);
  return calls !== undefined && calls.length > 0 && calls.every((call) => isNonProduction(call.getSourceFile().fileName));
}

function findCalls(fn: FunctionLike, resolve: CalleeResolver, everyFile = false): ts.CallExpression[] | undefined {
  const declared = ts.isFunctionDeclaration(fn)
    ? fn.name
    : ts.isVariableDeclaration(fn.parent) && fn.parent.initializer === fn && ts.isIdentifier(fn.parent.name)
      ? fn.parent.name
      : staticMethodName(fn);
  if (!declared) return undefined;
  const name = declared.text;
  const program = programOf(resolve);
  // A static method's calls (`PriceService.updateConfig(…)`) are found only through the checker.
  if (!program && ts.isMethodDeclaration(fn)) return undefined;
  const files = program ? program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && sf.text.includes(name)) : [fn.getSourceFile()];
  // Without the Program, only a function the file does not export has all its callers in view.
  if (!program && hasExportModifier(fn)) return undefined;
  const calls: ts.CallExpression[] = [];
  for (const sf of files) {
    const production = !isNonProduction(sf.fileName);
    // The name, or a local name it is imported as; the same name elsewhere must resolve to it too (`ns.append(…)`).
    const names = new Set([name]);
    for (const [local, info] of importsOf(sf)) if (info.imported === name) names.add(local);
    for (const id of nodesOfKinds<ts.Identifier>(sf, [ts.SyntaxKind.Identifier])) {
      if (!names.has(id.text) || id === declared) continue;
      const parent = id.parent;
      if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent)) continue;
      // A key of an object literal, a function or method of its own named alike (its calls resolve elsewhere).
      if ((ts.isPropertyAssignment(parent) || isFunctionLike(parent)) && parent.name === id) continue;
      const callee = ts.isPropertyAccessExpression(parent) && parent.name === id ? parent : id;
      if (ts.isCallExpression(callee.parent) && callee.parent.expression === callee && resolve(callee.parent) === fn) {
        if (production || everyFile) calls.push(callee.parent);
        continue;
      }
      return undefined;
    }
  }
  return calls;
}

/**
 * The name of a static method (`static async updateConfig(…)`): called as `Class.method(…)`, never through an instance,
 * so its calls are found by name as a function's are.
 */
function staticMethodName(fn: FunctionLike): ts.Identifier | undefined {
  if (!ts.isMethodDeclaration(fn) || !ts.isIdentifier(fn.name)) return undefined;
  return (ts.getModifiers(fn) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword) ? fn.name : undefined;
}

function hasExportModifier(fn: FunctionLike): boolean {
  const holder = ts.isFunctionDeclaration(fn) ? fn : fn.parent.parent.parent;
  return ts.canHaveModifiers(holder) && (ts.getModifiers(holder) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}
