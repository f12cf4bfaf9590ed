// Transactions opened by a project wrapper around the callback it is given: `runTx("rename", async (tx) => …,
// { isolationLevel: "Serializable" })` where `runTx(name, fn, opts)` calls `prisma.$transaction(fn, opts)`. The
// wrapper's summary says which parameter is the callback and where the isolation level comes from (a parameter it
// passes on as the options, a property of one, or a level fixed inside); a call site then gets a transaction scope
// for its callback, at the level its own arguments ask for. A wrapper that binds the transaction to async-local storage
// (`prisma.$transaction((tx) => storage.run(tx, fn))`) hands its callback no handle: the statements that take part are
// those run through a project function returning `storage.getStore()` (`db().user.update(…)`).
import { ts } from "../engine/ts";
import {
  calleeName,
  enclosingFunction,
  isFunctionLike,
  isInside,
  nodesOfKinds,
  propertyValue,
  skipParens,
  stringValue,
  type FunctionLike,
} from "./ast";
import { dbAccessOf, type DbAccess } from "./db";
import { localVariable } from "./db/shapes";
import type { IsolationLevel } from "./sql";
import { keyInCallTerms, programOf, type CalleeResolver } from "./summaries";
import { canonicalKey, identityOf, isPartOfHandle, variableDeclarationOf } from "./identity";
import { xactAdvisoryLocksAt } from "./advisory-xact-locks";
import { solveBottomUp, type BottomUpSummary } from "./flow/bottom-up";
import { helperOpenedScopeOf } from "./transaction-helpers";
import type { TransactionOpener } from "./models/transaction-libraries";
import {
  callbackIndexOf,
  isRetried,
  isolationExpression,
  isolationFrom,
  openerRetries,
  runsIn,
  runsWhileOpen,
  transactionOpenersOf,
  transactionScopeOf,
  transactionScopesOf,
  type TransactionScope,
} from "./transactions";

/** What a wrapper does with its arguments: runs parameter `callback` in a transaction, at an isolation level from `isolation`. */
export interface TransactionWrapper {
  callback: number;
  /** The level: fixed inside the wrapper, or the argument at `parameter` (its `property` when given). */
  isolation?: { level: IsolationLevel } | { parameter: number; property?: string };
  /** The wrapper retries serialization failures itself (a retry loop or call around the transaction, the runtime helpers). */
  retried: boolean;
  /** The callback reaches the transaction through async-local storage (`storage.run(tx, fn)`), not as a parameter. */
  stored?: boolean;
  /** Where the opener's own callback calls the wrapper's (`fn(trx)` in `(trx) => { …; return fn(trx); }`). */
  runs?: ts.CallExpression;
  /** The callback is this property of parameter `callback` (`params.execute({ client })`), not the parameter itself. */
  property?: string;
  /** The handle is passed to the callback as this property of an object (`execute({ client })`), not as its argument. */
  handleProperty?: string;
  /**
   * Other parameters it may run in a transaction, by overload (`$transaction(db, fn, opts)` or `$transaction(db, name,
   * fn, opts)`: the callback is parameter 1 or 2), each with its own level and retry.
   */
  alternatives?: TransactionWrapper[];
}

/** The way of `wrapper` (itself or an alternative) that runs the argument at `index` of a call; undefined if none does. */
export function wrapperWayAt(
  wrapper: TransactionWrapper,
  matches: (index: number, property: string | undefined) => boolean,
): TransactionWrapper | undefined {
  return [wrapper, ...(wrapper.alternatives ?? [])].find((way) => matches(way.callback, way.property));
}

/**
 * The transaction summary of `fn`: it opens a transaction (`x.$transaction(fn, opts)`, `x.transaction(opts, fn)`,
 * `withPgTransaction(pool, fn, opts)`) whose callback is one of its parameters, passed as is or called with the
 * transaction handle (`(tx) => fn(tx)`) — or it passes that callback so to another project wrapper, at any depth
 * (`inTransaction(name, fn)` calling `runInTx((tx) => fn(tx))`), solved bottom-up over the wrappers it calls.
 */
export function transactionWrapperOf(fn: FunctionLike, resolve: CalleeResolver): TransactionWrapper | undefined {
  let store = wrapperStores.get(resolve);
  if (!store) wrapperStores.set(resolve, (store = new WeakMap()));
  return solveBottomUp(fn, wrapperSummary(resolve), store) ?? undefined;
}

const wrapperStores = new WeakMap<CalleeResolver, WeakMap<FunctionLike, TransactionWrapper | null>>();

/** The bottom-up problem: a function's callees are the project functions it hands one of its parameters to as a callback. */
function wrapperSummary(resolve: CalleeResolver): BottomUpSummary<TransactionWrapper | null> {
  return {
    callees: (fn) => callbackHandOffs(fn, resolve).map(({ callee }) => callee),
    compose: (fn, summaryAt) => summarise(fn, fn.body!, resolve, summaryAt),
    same: (a, b) => a === b || (!!a && !!b && sameWays(a, b)),
    empty: null,
  };
}

const LOGICAL_FALLBACKS = new Set([ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken]);

function sameWays(a: TransactionWrapper, b: TransactionWrapper): boolean {
  const as = [a, ...(a.alternatives ?? [])];
  const bs = [b, ...(b.alternatives ?? [])];
  return (
    as.length === bs.length &&
    as.every((x, i) => {
      const y = bs[i]!;
      return (
        x.callback === y.callback &&
        x.retried === y.retried &&
        x.stored === y.stored &&
        x.runs === y.runs &&
        x.property === y.property &&
        x.handleProperty === y.handleProperty &&
        JSON.stringify(x.isolation) === JSON.stringify(y.isolation)
      );
    })
  );
}

/** A wrapper's parameters by index: a name, or a `const` alias of one (`const fn = fnOrOptions as Callback`, or an overload's pick). */
function parameterIndexOf(fn: FunctionLike): (expr: ts.Expression | undefined) => number {
  const parameters = fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined));
  const index = (expr: ts.Expression | undefined, depth: number): number => {
    const node = expr && skipParens(expr);
    if (!node || !ts.isIdentifier(node)) return -1;
    const direct = parameters.indexOf(node.text);
    if (direct >= 0 || depth > 2) return direct;
    // A `const` of the wrapper's body (or of a callback inside it), also when used in a callback (`(tx) => fn(tx)`).
    const declaration = variableDeclarationOf(node);
    const list = declaration?.parent;
    const isConst = list !== undefined && ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Const) !== 0;
    if (!isConst || !declaration!.initializer || !isInside(declaration!, fn)) return -1;
    const value = skipParens(declaration!.initializer);
    // An overload's pick (`typeof a === "function" ? a : b`, `b ?? a`): the first branch that is a parameter.
    const branches = ts.isConditionalExpression(value)
      ? [value.whenTrue, value.whenFalse]
      : ts.isBinaryExpression(value) && LOGICAL_FALLBACKS.has(value.operatorToken.kind)
        ? [value.left, value.right]
        : [value];
    for (const branch of branches) {
      const found = index(branch, depth + 1);
      if (found >= 0) return found;
    }
    return -1;
  };
  return (expr) => index(expr, 0);
}

/** Which parameter of the wrapper an argument hands on as a callback: as is, called inline (`(tx) => fn(tx)`), or stored. */
function callbackParameterOf(parameterIndex: (e: ts.Expression | undefined) => number): (a: ts.Expression) => number {
  return (a) =>
    parameterIndex(a) >= 0 ? parameterIndex(a) : Math.max(calledParameter(a, parameterIndex), storedParameter(a, parameterIndex));
}

/** The calls of project functions (not transaction openers) that `fn` hands one of its parameters to as a callback. */
function callbackHandOffs(fn: FunctionLike, resolve: CalleeResolver): Array<{ call: ts.CallExpression; callee: FunctionLike }> {
  if (!fn.body) return [];
  const callbackParameter = callbackParameterOf(parameterIndexOf(fn));
  const found: Array<{ call: ts.CallExpression; callee: FunctionLike }> = [];
  for (const call of callsIn(fn.body)) {
    if (!call.arguments.some((a) => callbackParameter(a) >= 0) || transactionOpenersOf(call).length > 0) continue;
    const callee = resolve(call);
    if (callee && callee !== fn) found.push({ call, callee });
  }
  return found;
}

/** The calls in a function's body, the body itself first when it is one (`(id, fn) => db.transaction().execute(…)`). */
function callsIn(body: ts.Node): ts.CallExpression[] {
  const calls = nodesOfKinds<ts.CallExpression>(body, [ts.SyntaxKind.CallExpression]);
  if (ts.isCallExpression(body)) calls.unshift(body);
  return calls;
}

function summarise(
  fn: FunctionLike,
  body: ts.Node,
  resolve: CalleeResolver,
  summaryAt: (callee: FunctionLike) => TransactionWrapper | null,
): TransactionWrapper | null {
  const parameterIndex = parameterIndexOf(fn);
  const callbackParameter = callbackParameterOf(parameterIndex);
  const calls = callsIn(body);
  const ways: TransactionWrapper[] = [];
  const add = (way: TransactionWrapper) => {
    if (!ways.some((w) => w.callback === way.callback && w.property === way.property)) ways.push(way);
  };
  // A helper's BEGIN around the call of a callback parameter decides over an opener matched by method name alone
  // (`this.begin(client, level)` reads like postgres.js's `sql.begin(options, fn)`, whose callback `level` is not).
  const helper = helperBeginWrapper(fn, resolve);
  for (const call of calls) {
    // A callback opener of the transaction table whose callback is one of the wrapper's parameters.
    const openers = transactionOpenersOf(call).filter(({ opener }) => opener.form === "callback");
    const opener = openers.find(({ opener }) => callbackIndexOf(call, opener, (a) => callbackParameter(a) >= 0) >= 0)?.opener;
    if (!opener) continue;
    const callback = callbackIndexOf(call, opener, (a) => callbackParameter(a) >= 0);
    if (helper && callbackParameter(call.arguments[callback]!) !== helper.callback) continue;
    const isolation = isolationSourceOf(call, callback, openers, parameterIndex);
    for (const details of callbackDetails(call.arguments[callback]!, parameterIndex))
      add({
        callback: callbackParameter(call.arguments[callback]!),
        ...details,
        ...(storedParameter(call.arguments[callback]!, parameterIndex) >= 0 ? { stored: true } : {}),
        // The opener retries by itself (the runtime helpers, unless told `retry: false`), or a retry around it in the wrapper.
        retried: openerRetries(call, opener) || isRetried({ form: "callback", start: call, region: call, retried: false }),
        ...(isolation ? { isolation } : {}),
      });
  }
  if (helper) add(helper);
  // A project wrapper given the callback: this function runs it in that wrapper's transaction, at the level its
  // arguments ask for.
  for (const { call, callee } of callbackHandOffs(fn, resolve)) {
    const inner = summaryAt(callee);
    const way =
      inner && wrapperWayAt(inner, (i, property) => !property && !!call.arguments[i] && callbackParameter(call.arguments[i]!) >= 0);
    if (!way) continue;
    const argument = call.arguments[way.callback]!;
    const source = way.isolation;
    const isolation =
      source && "parameter" in source ? isolationSource(call.arguments[source.parameter], source.property, parameterIndex) : source;
    for (const details of callbackDetails(argument, parameterIndex)) {
      // The inner wrapper passes its handle in an object the callback here does not unpack: nothing to follow.
      if (way.handleProperty && details.runs) continue;
      add({
        callback: callbackParameter(argument),
        ...details,
        ...(way.handleProperty && !details.runs ? { handleProperty: way.handleProperty } : {}),
        ...(way.stored || storedParameter(argument, parameterIndex) >= 0 ? { stored: true } : {}),
        retried: way.retried || isRetried({ form: "callback", start: call, region: call, retried: false }),
        ...(isolation ? { isolation } : {}),
      });
    }
  }
  const begin = beginWrapper(calls, parameterIndex);
  if (begin) add(begin);
  const [first, ...alternatives] = ways;
  return first ? { ...first, ...(alternatives.length > 0 ? { alternatives } : {}) } : null;
}

/**
 * A wrapper that sends BEGIN on a connection itself and calls its callback parameter with that connection while the
 * transaction is open on every path to the call (`client.query("BEGIN"); const r = await handler(client); COMMIT`).
 */
function beginWrapper(
  calls: readonly ts.CallExpression[],
  parameterIndex: (e: ts.Expression | undefined) => number,
): TransactionWrapper | null {
  for (const call of calls) {
    const callback = parameterIndex(call.expression);
    const handle = call.arguments[0] && skipParens(call.arguments[0]);
    if (callback < 0 || !handle || !ts.isIdentifier(handle)) continue;
    const scope = transactionScopeOf(call);
    if (!scope || scope.form !== "begin-commit" || !scope.handle || scope.isOpenAt?.(call) === false) continue;
    if (!isPartOfHandle(handle, scope.handle) || canonicalKey(handle) !== scope.handle.key) continue;
    const wrapper: TransactionWrapper = { callback, runs: call, retried: isRetried(scope) };
    if (scope.isolation) wrapper.isolation = { level: scope.isolation };
    return wrapper;
  }
  return null;
}

/** The first isolation source of the matching openers with an argument at the call (not the callback's) that says where the level comes from. */
function isolationSourceOf(
  call: ts.CallExpression,
  callback: number,
  openers: readonly TransactionOpener[],
  parameterIndex: (e: ts.Expression | undefined) => number,
): TransactionWrapper["isolation"] {
  for (const { opener } of openers)
    for (const source of opener.isolation ?? []) {
      if ("chained" in source) {
        const found = isolationSource(isolationExpression(call, source), undefined, parameterIndex);
        if (found) return found;
      } else if (source.arg !== callback && call.arguments[source.arg])
        return isolationSource(call.arguments[source.arg], source.path, parameterIndex);
    }
  return undefined;
}

/** `(tx) => fn(tx)`: an inline callback that calls a parameter of the wrapper; that parameter's index, or -1. */
function calledParameter(arg: ts.Expression, parameterIndex: (e: ts.Expression | undefined) => number): number {
  const call = parameterCall(arg, parameterIndex);
  return call ? calleeParameter(call.expression, parameterIndex).index : -1;
}

/** `fn` or `params.execute` called in a wrapper: the parameter, and the property of it that is called. */
function calleeParameter(
  callee: ts.Expression,
  parameterIndex: (e: ts.Expression | undefined) => number,
): { index: number; property?: string } {
  const node = skipParens(callee);
  if (parameterIndex(node) >= 0) return { index: parameterIndex(node) };
  if (ts.isPropertyAccessExpression(node) && parameterIndex(node.expression) >= 0)
    return { index: parameterIndex(node.expression), property: node.name.text };
  return { index: -1 };
}

/**
 * What an opener's inline callback does with the wrapper's, once per callback it runs: where it calls it (`runs`),
 * whether that is a property of the parameter (`params.execute(…)`), and under which property it passes its own
 * handle (`execute({ client })`). One entry without `runs` when the argument is not an inline callback.
 */
function callbackDetails(
  arg: ts.Expression,
  parameterIndex: (e: ts.Expression | undefined) => number,
): Array<Pick<TransactionWrapper, "runs" | "property" | "handleProperty">> {
  const calls = parameterCalls(arg, parameterIndex);
  if (calls.length === 0) return [{}];
  const opener = skipParens(arg) as ts.ArrowFunction | ts.FunctionExpression;
  const handle = opener.parameters[0]?.name;
  return calls.map((runs) => {
    const { property } = calleeParameter(runs.expression, parameterIndex);
    const passed = runs.arguments[0] && skipParens(runs.arguments[0]);
    let handleProperty: string | undefined;
    if (handle && ts.isIdentifier(handle) && passed && ts.isObjectLiteralExpression(passed))
      for (const element of passed.properties) {
        const value = ts.isShorthandPropertyAssignment(element)
          ? element.name
          : ts.isPropertyAssignment(element)
            ? skipParens(element.initializer)
            : undefined;
        if (value && ts.isIdentifier(value) && value.text === handle.text && element.name && ts.isIdentifier(element.name))
          handleProperty = element.name.text;
      }
    return { runs, ...(property ? { property } : {}), ...(handleProperty ? { handleProperty } : {}) };
  });
}

/** The first call of a parameter of the wrapper in an inline callback (`fn(tx)` of `(tx) => fn(tx)`). */
function parameterCall(arg: ts.Expression, parameterIndex: (e: ts.Expression | undefined) => number): ts.CallExpression | undefined {
  return parameterCalls(arg, parameterIndex)[0];
}

/**
 * The calls of the wrapper's callbacks in an inline callback: the first call of a parameter (`fn(tx)` of `(tx) =>
 * fn(tx)`); else each property of a parameter called with the opener's handle (`params.lockTargets(client)`,
 * `params.execute({ client })`), the first call of each.
 */
function parameterCalls(arg: ts.Expression, parameterIndex: (e: ts.Expression | undefined) => number): ts.CallExpression[] {
  const node = skipParens(arg);
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return [];
  const calls = nodesOfKinds<ts.CallExpression>(node.body, [ts.SyntaxKind.CallExpression]);
  if (ts.isCallExpression(node.body)) calls.unshift(node.body);
  const plain = calls.find((call) => parameterIndex(call.expression) >= 0);
  if (plain) return [plain];
  const handle = node.parameters[0]?.name;
  if (!handle || !ts.isIdentifier(handle)) return [];
  const isHandle = (e: ts.Expression) => {
    const value = skipParens(e);
    return ts.isIdentifier(value) && value.text === handle.text;
  };
  const givenHandle = (call: ts.CallExpression) =>
    call.arguments.some((argument) => {
      const value = skipParens(argument);
      if (isHandle(value)) return true;
      return (
        ts.isObjectLiteralExpression(value) &&
        value.properties.some((p) =>
          ts.isShorthandPropertyAssignment(p) ? isHandle(p.name) : ts.isPropertyAssignment(p) && isHandle(p.initializer),
        )
      );
    });
  const found = new Map<string, ts.CallExpression>();
  for (const call of calls) {
    const { index, property } = calleeParameter(call.expression, parameterIndex);
    const key = `${index}.${property}`;
    if (index >= 0 && property && givenHandle(call) && !found.has(key)) found.set(key, call);
  }
  return [...found.values()];
}

/** `(tx) => storage.run(tx, fn)`: an inline callback that binds its handle to async-local storage around a parameter; its index, or -1. */
function storedParameter(arg: ts.Expression, parameterIndex: (e: ts.Expression | undefined) => number): number {
  const node = skipParens(arg);
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return -1;
  const handle = node.parameters[0]?.name;
  if (!handle || !ts.isIdentifier(handle)) return -1;
  const calls = nodesOfKinds<ts.CallExpression>(node.body, [ts.SyntaxKind.CallExpression]);
  if (ts.isCallExpression(node.body)) calls.unshift(node.body);
  for (const call of calls) {
    const [store, fn] = call.arguments;
    if (calleeName(call) !== "run" || !store || !ts.isIdentifier(skipParens(store)) || skipParens(store).getText() !== handle.text)
      continue;
    if (parameterIndex(fn) >= 0) return parameterIndex(fn);
  }
  return -1;
}

/** Whether `fn` returns what async-local storage holds (`return storage.getStore() ?? prisma`). */
function returnsStored(fn: FunctionLike): boolean {
  if (!fn.body) return false;
  const returned = ts.isBlock(fn.body)
    ? nodesOfKinds<ts.ReturnStatement>(fn.body, [ts.SyntaxKind.ReturnStatement]).flatMap((r) => (r.expression ? [r.expression] : []))
    : [fn.body];
  return returned.some(
    (e) =>
      nodesOfKinds<ts.CallExpression>(e, [ts.SyntaxKind.CallExpression]).some((c) => calleeName(c) === "getStore") ||
      (ts.isCallExpression(e) && calleeName(e) === "getStore"),
  );
}

/** The statements of a stored transaction: those whose handle is a call of a project function returning the store (`db().x`). */
function throughStore(access: DbAccess, resolve: CalleeResolver): boolean {
  let node: ts.Expression | undefined = access.handle && skipParens(access.handle);
  // Down the chain (`db().getRepository(Account)`) and through a `const` holding part of it (`const accounts = db()…`).
  for (let steps = 0; node && steps < 16; steps++) {
    if (ts.isCallExpression(node)) {
      const callee = resolve(node);
      if (callee !== undefined && returnsStored(callee)) return true;
      node = skipParens(node.expression);
    } else if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipParens(node.expression);
    else if (ts.isIdentifier(node)) node = constInitializer(node);
    else return false;
  }
  return false;
}

/** The initializer of the `const` `name` refers to, declared in the function around it (or the file); undefined otherwise. */
function constInitializer(name: ts.Identifier): ts.Expression | undefined {
  const declaration = localVariable(name);
  const list = declaration?.parent;
  const isConst = list !== undefined && ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Const) !== 0;
  return isConst && declaration?.initializer ? skipParens(declaration.initializer) : undefined;
}

/** The object literal a `const` in scope at `name` holds (a block's or the file's own declaration), through `as const`. */
function constObjectNamed(name: ts.Identifier): ts.ObjectLiteralExpression | undefined {
  for (let scope: ts.Node | undefined = name.parent; scope; scope = scope.parent) {
    if (!ts.isBlock(scope) && !ts.isSourceFile(scope)) continue;
    for (const statement of scope.statements) {
      if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name) || declaration.name.text !== name.text || !declaration.initializer) continue;
        let value = skipParens(declaration.initializer);
        while (ts.isAsExpression(value) || ts.isSatisfiesExpression(value)) value = skipParens(value.expression);
        return ts.isObjectLiteralExpression(value) ? value : undefined;
      }
    }
  }
  return undefined;
}

/** Where the level comes from: the options parameter itself, a property of a parameter, a parameter, or a constant. */
function isolationSource(
  options: ts.Expression | undefined,
  property: string | undefined,
  parameterIndex: (e: ts.Expression | undefined) => number,
): TransactionWrapper["isolation"] {
  if (!options) return undefined;
  // TypeORM's `transaction("SERIALIZABLE", fn)` and `transaction(level, fn)`.
  if (stringValue(options)) {
    const level = isolationFrom(options);
    return level ? { level } : undefined;
  }
  const passed = parameterIndex(options);
  if (passed >= 0) return { parameter: passed, property };
  // Options kept in a constant (`const TX_OPTIONS = { isolationLevel: Serializable }`) are read where they are written.
  const named = skipParens(options);
  const object = (ts.isIdentifier(named) && constObjectNamed(named)) || named;
  if (property === undefined || !ts.isObjectLiteralExpression(object)) return undefined;
  const value = propertyValue(object, property);
  if (!value) {
    // `{ ...opts, timeout }`: the options parameter spread in.
    const spread = object.properties.find((p) => ts.isSpreadAssignment(p) && parameterIndex(p.expression) >= 0) as
      ts.SpreadAssignment | undefined;
    return spread ? { parameter: parameterIndex(spread.expression), property } : undefined;
  }
  const node = skipParens(value);
  if (parameterIndex(node) >= 0) return { parameter: parameterIndex(node) };
  if (ts.isPropertyAccessExpression(node) && parameterIndex(node.expression) >= 0)
    return { parameter: parameterIndex(node.expression), property: node.name.text };
  const level = isolationFrom(node);
  return level ? { level } : undefined;
}

/**
 * The transaction `node` runs in: one opened here, else one a project wrapper or decorator opens around the function
 * it is in (`runTx(async (tx) => …, { isolationLevel })`, `@Transactional()` of the project's own), else one a project
 * helper opened on the handle earlier in the function (`await openTx(client)` sending BEGIN: transaction-helpers.ts),
 * else one the caller passes in.
 */
export function projectScopeOf(node: ts.Node, resolve: CalleeResolver): TransactionScope | undefined {
  const managed = clsScopeOf(node, resolve);
  if (managed) return managed;
  const scope = transactionScopeOf(node);
  return scope && scope.form !== "caller" ? scope : (wrapperScopeOf(node, resolve) ?? helperOpenedScopeOf(node, resolve) ?? scope);
}

/**
 * Under CLS (`Sequelize.useCLS(ns)` anywhere in the project), the innermost transaction around `node` when it is a
 * callback whose library then binds it to async-local storage: every statement of that library inside takes part,
 * whether or not it passes the handle the callback takes. Unmanaged transactions (`await sequelize.transaction()`)
 * are not bound.
 */
function clsScopeOf(node: ts.Node, resolve: CalleeResolver): TransactionScope | undefined {
  const sourceFile = node.getSourceFile();
  const scopes = transactionScopesOf(sourceFile);
  let scope: TransactionScope | undefined;
  for (let i = scopes.length - 1; i >= 0 && !scope; i--) if (runsWhileOpen(scopes[i]!, node)) scope = scopes[i];
  if (!scope?.joinsUnderCls || !enablesCls(programOf(resolve), sourceFile)) return undefined;
  let managed = clsScopes.get(scope);
  if (!managed) clsScopes.set(scope, (managed = { ...scope, joins: scope.joinsUnderCls }));
  const access = dbAccessOf(node);
  return !access || runsIn(access, managed) ? managed : undefined;
}

const clsScopes = new WeakMap<TransactionScope, TransactionScope>();
const clsPrograms = new WeakMap<ts.Program, boolean>();

/** Whether some file of the project (the file itself without a Program) calls `useCLS(…)`. Asked once per Program. */
function enablesCls(program: ts.Program | undefined, sourceFile: ts.SourceFile): boolean {
  const known = program && clsPrograms.get(program);
  if (known !== undefined) return known;
  const files = program ? program.getSourceFiles().filter((f) => !f.isDeclarationFile) : [sourceFile];
  const answer = files.some(
    (file) =>
      file.text.includes("useCLS") &&
      nodesOfKinds<ts.CallExpression>(file, [ts.SyntaxKind.CallExpression]).some((call) => calleeName(call) === "useCLS"),
  );
  if (program) clsPrograms.set(program, answer);
  return answer;
}

const scopeCache = new WeakMap<CalleeResolver, WeakMap<FunctionLike, TransactionScope | null>>();

/**
 * The transaction `node` runs in when its function is the callback of a project wrapper that opens one (see
 * `transactionWrapperOf`): the innermost such function around it. A database statement counts only if it runs through
 * the callback's transaction handle.
 */
export function wrapperScopeOf(node: ts.Node, resolve: CalleeResolver): TransactionScope | undefined {
  let cache = scopeCache.get(resolve);
  if (!cache) scopeCache.set(resolve, (cache = new WeakMap()));
  for (let fn: FunctionLike | undefined = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
    let scope = cache.get(fn);
    if (scope === undefined) {
      scope = callbackScope(fn, resolve) ?? null;
      cache.set(fn, scope);
    }
    if (!scope) continue;
    const access = dbAccessOf(node);
    return !access || runsIn(access, scope) ? scope : undefined;
  }
  return undefined;
}

/** How a callback is given to a call: as an argument, or as a property of an object literal argument (`{ execute: fn }`). */
function passedAs(fn: FunctionLike): { call: ts.CallExpression; argument: ts.Node; property?: string } | undefined {
  const holder =
    ts.isPropertyAssignment(fn.parent) && fn.parent.initializer === fn ? fn.parent : ts.isMethodDeclaration(fn) ? fn : undefined;
  if (holder) {
    const object = holder.parent;
    const call = object?.parent;
    if (!ts.isObjectLiteralExpression(object) || !call || !ts.isCallExpression(call) || !call.arguments.includes(object)) return undefined;
    return holder.name && ts.isIdentifier(holder.name) ? { call, argument: object, property: holder.name.text } : undefined;
  }
  const call = fn.parent;
  return ts.isCallExpression(call) && call.arguments.includes(fn as ts.Expression) ? { call, argument: fn } : undefined;
}

function callbackScope(fn: FunctionLike, resolve: CalleeResolver): TransactionScope | undefined {
  if (ts.isMethodDeclaration(fn) && !ts.isObjectLiteralExpression(fn.parent)) return decoratedScope(fn, resolve);
  const passed = passedAs(fn);
  if (!fn.body || !passed) return undefined;
  const { call, argument, property } = passed;
  const wrapper = resolve(call);
  const wrapped = wrapper && wrapper !== fn && !isFunctionLike(call.expression) ? transactionWrapperOf(wrapper, resolve) : undefined;
  const summary = wrapped && wrapperWayAt(wrapped, (i, p) => call.arguments[i] === argument && p === property);
  if (!summary) return undefined;
  const scope: TransactionScope = {
    form: "callback",
    start: call,
    callback: fn,
    region: fn.body,
    retried: summary.retried,
  };
  const parameter = fn.parameters[0];
  if (summary.stored) scope.joins = (access) => throughStore(access, resolve);
  else {
    // `execute: async ({ client }) => …`: the handle is the callback's binding of the property it is passed under;
    // `async (ctx) => ctx.client.query(…)` reaches it through the parameter.
    const element =
      summary.handleProperty && parameter && ts.isObjectBindingPattern(parameter.name)
        ? parameter.name.elements.find((e) => (e.propertyName ?? e.name).getText() === summary.handleProperty && !e.dotDotDotToken)
        : undefined;
    if (element && ts.isIdentifier(element.name)) scope.handle = identityOf(element.name);
    else if (parameter && ts.isIdentifier(parameter.name)) scope.handle = identityOf(parameter.name);
  }
  const source = summary.isolation;
  let isolation: IsolationLevel | undefined;
  if (source && "level" in source) isolation = source.level;
  else if (source) {
    const argument = call.arguments[source.parameter];
    isolation = isolationFrom(source.property ? propertyValue(argument, source.property) : argument);
  }
  if (isolation) scope.isolation = isolation;
  const lock = summary.runs && advisoryLockAround(summary.runs, wrapper!, call, resolve);
  if (lock) scope.advisoryLock = lock;
  return scope;
}

/**
 * A transaction-scoped advisory lock the wrapper's transaction holds on every path to `runs`, where it calls the
 * callback (`await sql\`SELECT pg_advisory_xact_lock(hashtext(${id}))\`.execute(trx); return fn(trx);`), with its key
 * in the terms of the wrapper's call `call`: the key's parts must be the wrapper's parameters (or constants).
 */
function advisoryLockAround(
  runs: ts.CallExpression,
  wrapper: FunctionLike,
  call: ts.CallExpression,
  resolve: CalleeResolver,
): TransactionScope["advisoryLock"] {
  const inner = transactionScopeOf(runs);
  const locks = inner && inner.form === "callback" ? xactAdvisoryLocksAt(runs, inner, resolve) : [];
  if (locks.length === 0) return undefined;
  const parameters = wrapper.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined));
  // The best-known key: one whose parts all name the wrapper's parameters as a whole.
  const keys = locks.map(({ key }) => {
    const indexes = key?.map((part) => parameters.indexOf(canonicalKey(part)));
    return indexes?.every((i) => i >= 0) ? keyInCallTerms(call, indexes) : undefined;
  });
  return { takenAt: call, key: keys.find((key) => key !== undefined) };
}

/** `await this.begin(client); const r = await fn(client); COMMIT`: a helper opened the transaction `fn` runs in. */
function helperBeginWrapper(fn: FunctionLike, resolve: CalleeResolver): TransactionWrapper | undefined {
  const parameterIndex = parameterIndexOf(fn);
  for (const call of nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression], { skipFunctions: true })) {
    const callback = parameterIndex(call.expression);
    const handle = call.arguments[0] && skipParens(call.arguments[0]);
    if (callback < 0 || !handle || !ts.isIdentifier(handle)) continue;
    const scope = helperOpenedScopeOf(call, resolve);
    if (!scope || scope.form !== "begin-commit" || !scope.handle) continue;
    if (!isPartOfHandle(handle, scope.handle) || canonicalKey(handle) !== scope.handle.key) continue;
    return { callback, runs: call, retried: isRetried(scope) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// A project's own method decorator that runs the method in a transaction: `@Transactional()` whose factory replaces
// `descriptor.value` with a function calling the original inside `dataSource.transaction((manager) =>
// storage.run(manager, () => original.apply(this, args)))`. Read from the decorator's code, not its name: a decorator
// that opens nothing, or calls the original outside the opener's callback, gives no transaction.

/** What a project decorator does with the method: runs it in a transaction, with the handle bound to async-local storage or not. */
interface DecoratorSummary {
  opener: ts.CallExpression;
  stored: boolean;
  isolation?: IsolationLevel;
}

const decoratorCache = new WeakMap<FunctionLike, DecoratorSummary | null>();

function decoratorSummaryOf(factory: FunctionLike): DecoratorSummary | undefined {
  let summary = decoratorCache.get(factory);
  if (summary === undefined) {
    summary = factory.body ? summariseDecorator(factory.body) : null;
    decoratorCache.set(factory, summary);
  }
  return summary ?? undefined;
}

function summariseDecorator(body: ts.Node): DecoratorSummary | null {
  // `const original = descriptor.value`: the names the original method is kept under.
  const originals = new Set<string>();
  for (const declaration of nodesOfKinds<ts.VariableDeclaration>(body, [ts.SyntaxKind.VariableDeclaration])) {
    const init = declaration.initializer && skipParens(declaration.initializer);
    if (ts.isIdentifier(declaration.name) && init && ts.isPropertyAccessExpression(init) && init.name.text === "value")
      originals.add(declaration.name.text);
  }
  if (originals.size === 0) return null;
  const callsOriginal = (node: ts.Node) =>
    nodesOfKinds<ts.CallExpression>(node, [ts.SyntaxKind.CallExpression]).some((call) => {
      let callee = skipParens(call.expression);
      if (ts.isPropertyAccessExpression(callee) && /^(apply|call)$/.test(callee.name.text)) callee = skipParens(callee.expression);
      return ts.isIdentifier(callee) && originals.has(callee.text);
    });
  for (const call of nodesOfKinds<ts.CallExpression>(body, [ts.SyntaxKind.CallExpression])) {
    const openers = transactionOpenersOf(call).filter(({ opener }) => opener.form === "callback");
    const opener = openers.find(({ opener }) => callbackIndexOf(call, opener) >= 0)?.opener;
    if (!opener) continue;
    const callback = skipParens(call.arguments[callbackIndexOf(call, opener)]!) as ts.ArrowFunction | ts.FunctionExpression;
    if (!callsOriginal(callback.body)) continue;
    const summary: DecoratorSummary = { opener: call, stored: bindsHandle(callback) };
    const isolation = isolationSourceOf(call, callbackIndexOf(call, opener), openers, () => -1);
    if (isolation && "level" in isolation) summary.isolation = isolation.level;
    return summary;
  }
  return null;
}

/** `(manager) => storage.run(manager, …)`: the callback binds its handle to async-local storage. */
function bindsHandle(callback: ts.ArrowFunction | ts.FunctionExpression): boolean {
  const handle = callback.parameters[0]?.name;
  if (!handle || !ts.isIdentifier(handle)) return false;
  const calls = nodesOfKinds<ts.CallExpression>(callback.body, [ts.SyntaxKind.CallExpression]);
  if (ts.isCallExpression(callback.body)) calls.unshift(callback.body);
  return calls.some((call) => {
    const first = call.arguments[0] && skipParens(call.arguments[0]);
    return /^(run|enterWith)$/.test(calleeName(call) ?? "") && first !== undefined && ts.isIdentifier(first) && first.text === handle.text;
  });
}

/**
 * A method decorated with a project decorator that runs it in a transaction (decoratorSummaryOf): its body is the
 * region. Statements through a project function returning the stored handle take part when the decorator binds it;
 * otherwise none does (the method is handed no handle), and a locking read in it still runs in autocommit.
 */
function decoratedScope(method: ts.MethodDeclaration, resolve: CalleeResolver): TransactionScope | undefined {
  if (!method.body) return undefined;
  for (const decorator of ts.getDecorators(method) ?? []) {
    const call = decorator.expression;
    if (!ts.isCallExpression(call)) continue;
    const factory = resolve(call);
    const summary = factory && decoratorSummaryOf(factory);
    if (!summary) continue;
    const scope: TransactionScope = {
      form: "callback",
      start: call,
      callback: method,
      region: method.body,
      retried: isRetried({ form: "callback", start: summary.opener, region: summary.opener, retried: false }),
      joins: summary.stored ? (access) => throughStore(access, resolve) : () => false,
    };
    if (summary.isolation) scope.isolation = summary.isolation;
    return scope;
  }
  return undefined;
}
