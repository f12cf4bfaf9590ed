// Row locks a function's callers hold on the transaction they pass in. `appendEvent(tx, conversationId)` reads the
// latest event of a conversation and inserts the next one; it takes no lock itself, but when every call of it in the
// project runs in a transaction that has already locked the conversation row (`lockConversation(tx, id)` just before),
// two appends to one conversation are serialised by that lock. Each function's entry facts (what every call gives each
// parameter) are summarised on the core's fixpoint over the reverse call graph, asked at a candidate finding only: the
// callers are found by the function's name and confirmed by resolving each call; any other use of the name (the
// function passed as a value, a call that resolves elsewhere or not at all) and the credit is not given.
import { ts } from "../engine/ts";
import {
  boundNames,
  enclosingFunction,
  expressionKey,
  importsOf,
  isFunctionLike,
  isLiteral,
  isNullish,
  identifiersNamed,
  skipAwait,
  skipParens,
  type FunctionLike,
} from "./ast";
import { sameTable, type DbAccess } from "./db";
import { propertyName } from "./db/shapes";
import { changesName, isKeyColumn } from "./db/read-modify-write";
import { canonicalKey, isPartOfHandle, sameIdentity } from "./identity";
import { isNonProduction } from "./locks";
import { solveBottomUp } from "./flow/bottom-up";
import { parameterOf, programOf, type CalleeResolver } from "./summaries";
import { rowLocksHeldAt, type RowLock, type TransactionScope } from "./transactions";

/**
 * What every production call of a function gives one of its parameters (a path in its terms: `tx`, `params.tx`):
 * whether a transaction open at the call (or passed down by a caller that is itself always given one), and the row
 * locks that transaction holds on every path to the call: the tables locked, and the function's parameter paths whose
 * value names a locked row (`conversationId` when the caller ran `lockConversation(tx, id)` and passes `id`).
 */
interface EntryFacts {
  open: boolean;
  tables: string[];
  keys: string[];
}

/** A function's entry facts, per parameter path it uses (its `canonicalKey`). */
type CallerSummary = ReadonlyMap<string, EntryFacts>;

const NONE: CallerSummary = new Map();

/**
 * True if `read` (through a transaction handle that is a parameter of its function) runs, in every production call of
 * that function, inside the caller's transaction after a row lock held on every path: on the read's table, or on the
 * parent row its lookup names (`id` = the value the read filters by, as the caller passes it). `scopeAt` gives the
 * transaction a call runs in (one function per resolver: the answers are summarised per resolver).
 */
export function lockedByEveryCaller(
  read: DbAccess,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
): boolean {
  const fn = enclosingFunction(read.node);
  const handle = read.transactionOption ?? read.handle;
  if (!fn || !handle) return false;
  const facts = callerSummaryOf(fn, resolve, scopeAt).get(canonicalKey(skipAwait(handle)));
  if (!facts) return false;
  const values = read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => canonicalKey(skipAwait(c.value!)));
  return facts.tables.some((table) => sameTable(table, read.table)) || facts.keys.some((key) => values.includes(key));
}

/**
 * True if `access` runs through a parameter of its function that, at every production call of the function, is
 * given the handle of a transaction open at the call (a `PoolClient` after the caller's `BEGIN`, the `tx` of the
 * caller's callback), or a handle the caller was given itself and that every call of the caller gives the same way
 * (`debit(client)` → `debitRow(client)`), at any depth: the function's statements through it run in the outer
 * caller's transaction, so a row lock it takes itself lasts until that caller commits.
 */
export function runsInEveryCallersTransaction(
  access: DbAccess,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
): boolean {
  const fn = enclosingFunction(access.node);
  const handle = access.transactionOption ?? access.handle;
  return !!fn && !!handle && callerSummaryOf(fn, resolve, scopeAt).get(canonicalKey(skipAwait(handle)))?.open === true;
}

const callerSummaries = new WeakMap<CalleeResolver, WeakMap<FunctionLike, CallerSummary>>();

/**
 * `fn`'s entry facts, on the core's fixpoint (flow/bottom-up.ts `solveBottomUp`) run over the reverse call graph: a
 * function's facts are composed from its callers', so a chain of functions passing a transaction down is followed to
 * any depth, and a cycle of callers contributes nothing.
 */
function callerSummaryOf(
  fn: FunctionLike,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
): CallerSummary {
  let store = callerSummaries.get(resolve);
  if (!store) callerSummaries.set(resolve, (store = new WeakMap()));
  return solveBottomUp<CallerSummary>(
    fn,
    {
      callees: (f) => (productionCallsOf(f, resolve) ?? []).flatMap((call) => callerAsked(call, scopeAt) ?? []),
      compose: (f, summaryAt) => entryFactsOf(f, resolve, scopeAt, summaryAt),
      same: sameCallerSummary,
      empty: NONE,
    },
    store,
  );
}

/**
 * The function around `call` whose own facts `call`'s depend on: only one that passes on something it was given (an
 * argument rooted at a parameter of its own), outside a transaction of its own making — elsewhere its callers are
 * never asked, so the reverse call graph is not climbed past it.
 */
function callerAsked(call: ts.CallExpression, scopeAt: (node: ts.Node) => TransactionScope | undefined): FunctionLike | undefined {
  const caller = enclosingFunction(call);
  if (!caller) return undefined;
  const names = caller.parameters.map((p) => new Set(boundNames(p.name).map((id) => id.text)));
  if (!call.arguments.some((argument) => passesParameter(argument, names))) return undefined;
  const scope = scopeAt(call);
  return !scope || scope.form === "caller" ? caller : undefined;
}

/** An argument rooted at one of `names`' parameters, itself or as a property of an object literal passed. */
function passesParameter(argument: ts.Expression, names: ReadonlyArray<ReadonlySet<string>>): boolean {
  const node = skipParens(argument);
  if (ts.isObjectLiteralExpression(node))
    return node.properties.some((p) =>
      ts.isPropertyAssignment(p)
        ? passesParameter(p.initializer, names)
        : ts.isShorthandPropertyAssignment(p) && parameterOf(p.name, names) >= 0,
    );
  return !ts.isSpreadElement(node) && parameterOf(node, names) >= 0;
}

function entryFactsOf(
  fn: FunctionLike,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
  summaryAt: (caller: FunctionLike) => CallerSummary,
): CallerSummary {
  const calls = productionCallsOf(fn, resolve);
  if (!calls || calls.length === 0) return NONE;
  const paths = parameterPaths(fn);
  const out = new Map<string, EntryFacts>();
  for (const [path, node] of paths) {
    let facts: EntryFacts | undefined;
    for (const call of calls) {
      const here = factsAtCall(call, node, fn, paths, resolve, scopeAt, summaryAt);
      facts = facts ? meet(facts, here) : here;
      if (!facts.open) break;
    }
    if (facts?.open) out.set(path, facts);
  }
  return out;
}

/** What one call gives the parameter path `node` of `fn`: the transaction open there and its locks, or its caller's. */
function factsAtCall(
  call: ts.CallExpression,
  node: ts.Expression,
  fn: FunctionLike,
  paths: ReadonlyMap<string, ts.Expression>,
  resolve: CalleeResolver,
  scopeAt: (node: ts.Node) => TransactionScope | undefined,
  summaryAt: (caller: FunctionLike) => CallerSummary,
): EntryFacts {
  // A call that gives no connection for the handle (`transferInventory(input)` where the statements run on
  // `options.client` only when one is given) runs none of those statements through it: it does not count against.
  if (absentAt(node, fn, call)) return { open: true, tables: [], keys: [] };
  const caller = enclosingFunction(call);
  const passed = argumentAt(node, fn, call);
  // The caller's facts for what it passes, when that is a parameter of its own.
  const inherited = passed && caller ? summaryAt(caller).get(canonicalKey(skipAwait(passed))) : undefined;
  const { scope } = transactionPassedAt(call, node, fn, scopeAt);
  const tables: string[] = [];
  const keys = new Set<string>();
  // `fn`'s paths whose value at this call is `value` (in the caller's terms).
  const pathsGiven = (value: ts.Expression) => {
    for (const [path, expr] of paths) {
      const argument = argumentAt(expr, fn, call);
      if (argument && sameIdentity(skipAwait(argument), skipAwait(value))) keys.add(path);
    }
  };
  // A caller that only passes on a handle it was given (an untyped `tx: any`, no transaction scope of its own at the
  // call): the transaction is its callers', and so are the row locks held on it, carried down as for a typed handle.
  const inheritedLocks = (from: EntryFacts, by: FunctionLike) => {
    tables.push(...from.tables);
    const callerPaths = parameterPaths(by);
    for (const key of from.keys) {
      const expr = callerPaths.get(key);
      if (expr) pathsGiven(expr);
    }
  };
  if (!scope) {
    if (inherited?.open !== true || !caller) return { open: false, tables: [], keys: [] };
    inheritedLocks(inherited, caller);
    return { open: true, tables, keys: [...keys] };
  }
  for (const lock of rowLocksHeldAt(call, scope, resolve)) {
    if (!lock.everyPath || !(lock.mode === "write" || lock.mode === "update" || lock.mode === "no key update")) continue;
    if (lock.access.table !== undefined) tables.push(lock.access.table);
    for (const value of lockedRowValues(lock, resolve)) pathsGiven(value);
  }
  // A transaction the caller was given: the locks its own callers hold on it.
  if (scope.form === "caller" && inherited && caller) inheritedLocks(inherited, caller);
  return { open: true, tables, keys: [...keys] };
}

/** What holds at every call: both facts' (a table both name, a path both give). */
function meet(a: EntryFacts, b: EntryFacts): EntryFacts {
  return {
    open: a.open && b.open,
    tables: a.tables.filter((t) => b.tables.some((u) => sameTable(t, u))),
    keys: a.keys.filter((k) => b.keys.includes(k)),
  };
}

function sameCallerSummary(a: CallerSummary, b: CallerSummary): boolean {
  if (a.size !== b.size) return false;
  for (const [path, facts] of a) {
    const other = b.get(path);
    if (!other || other.open !== facts.open || other.tables.join() !== facts.tables.join() || other.keys.join() !== facts.keys.join())
      return false;
  }
  return true;
}

/**
 * The expressions of `fn`'s body rooted at one of its parameters (`tx`, `params.tx`, `input.orgId`), by their
 * canonical key, each with one occurrence written without aliases (`argumentAt` reads it in the parameters' terms).
 */
const parameterPathCache = new WeakMap<FunctionLike, Map<string, ts.Expression>>();

function parameterPaths(fn: FunctionLike): ReadonlyMap<string, ts.Expression> {
  let paths = parameterPathCache.get(fn);
  if (paths) return paths;
  paths = new Map();
  const names = new Set(fn.parameters.flatMap((p) => boundNames(p.name).map((id) => id.text)));
  const found = paths;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) {
      let root: ts.Expression = node;
      while (ts.isPropertyAccessExpression(root)) root = root.expression;
      if (ts.isIdentifier(root) && names.has(root.text)) {
        const key = canonicalKey(node);
        if (!found.has(key) && expressionKey(node) === key) found.set(key, node);
      }
    }
    ts.forEachChild(node, visit);
  };
  if (fn.body) visit(fn.body);
  parameterPathCache.set(fn, found);
  return found;
}

/** The values of the key columns a lock names one row by, carried up from a helper's terms to its caller's. */
function lockedRowValues(lock: RowLock, resolve: CalleeResolver): ts.Expression[] {
  return lock.access.conditions.flatMap((c) => {
    if (c.operator !== "=" || !c.value || !isKeyColumn(c.column)) return [];
    // A helper's lock (`lockConversation(tx, id)`): its value carried back up the calls to the caller's argument.
    let value: ts.Expression | undefined = c.value;
    for (let i = (lock.chain?.length ?? 0) - 1; i >= 0 && value; i--) {
      const call = lock.chain![i]!;
      const callee = resolve(call);
      value = callee ? argumentAt(value, callee, call) : undefined;
    }
    return value ? [value] : [];
  });
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

/**
 * Whether `expr` (in `callee`'s terms) is given nothing at `call`: its parameter left out or passed `undefined`, or a
 * property an object literal passed does not have — where no default fills it in.
 */
function absentAt(expr: ts.Expression, callee: FunctionLike, call: ts.CallExpression): boolean {
  const e = skipParens(skipAwait(expr));
  if (call.arguments.some(ts.isSpreadElement)) return false;
  const missing = (argument: ts.Expression | undefined, property?: string): boolean => {
    const value = argument && skipParens(argument);
    if (!value || isNullish(value)) return true;
    if (property === undefined || !ts.isObjectLiteralExpression(value)) return false;
    return !value.properties.some((p) => ts.isSpreadAssignment(p) || propertyName(p) === property);
  };
  if (ts.isPropertyAccessExpression(e)) {
    if (absentAt(e.expression, callee, call)) return true;
    const base = argumentAt(e.expression, callee, call);
    return !!base && missing(base, e.name.text);
  }
  if (!ts.isIdentifier(e)) return false;
  for (const [i, parameter] of callee.parameters.entries()) {
    if (parameter.dotDotDotToken) return false;
    if (ts.isIdentifier(parameter.name) && parameter.name.text === e.text)
      return !parameter.initializer && !changesName(callee, e.text) && missing(call.arguments[i]);
    if (ts.isObjectBindingPattern(parameter.name)) {
      const element = parameter.name.elements.find((el) => ts.isIdentifier(el.name) && el.name.text === e.text && !el.dotDotDotToken);
      const property = element && (element.propertyName ?? element.name);
      if (!element || !property || !ts.isIdentifier(property)) continue;
      return !element.initializer && !parameter.initializer && !changesName(callee, e.text) && missing(call.arguments[i], property.text);
    }
  }
  return false;
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
    const uses = [...names].flatMap((n) => identifiersNamed(sf, n));
    if (names.size > 1) uses.sort((a, b) => a.pos - b.pos);
    for (const id of uses) {
      if (id === declared) continue;
      const parent = id.parent;
      if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent)) continue;
      // A type's `typeof f` (`ReturnType<typeof f>`) neither calls it nor hands it on.
      if (ts.isTypeQueryNode(parent)) continue;
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
