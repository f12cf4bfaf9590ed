// Read → write flows: where a value read from a row decides what a later write of the same table writes (data
// dependence) or whether it runs at all (control dependence). Values are followed through destructuring,
// `rows[0].x`, local variables, object spreads, entity mutations and helper functions of the same file.
import { ts } from "../../engine/ts";
import {
  CALL_KINDS,
  isAssignmentOperator,
  isOrderingComparison,
  NodeFacts,
  boundNames,
  calleeName,
  constInitializerIn,
  enclosingFunction,
  expressionKey,
  isFallback,
  isFunctionLike,
  isInside,
  isLiteral,
  isNullish,
  nodesOfKinds,
  nullTestSubject,
  operands,
  propertyValue,
  receiverOf,
  skipAwait,
  skipParens,
  stringValue,
  walk,
  type FunctionLike,
} from "../ast";
import { canonicalKey, declarationOf, sameIdentity, variableDeclarationOf } from "../identity";
import { alwaysExits, bindingsAlongPaths, lastRunBefore, mayRunAfter, mayRunBetween, type EditMaps } from "../flow/queries";
import { flowGraphOf } from "../flow/cfg";
import { dbAccessOf, sameTable, type AccessAssignment, type AccessCondition, type DbAccess } from "./access";
import { escapeRegExp } from "../sql";
import { sqlTextOf } from "../sql-text";
import { solveBottomUp } from "../flow/bottom-up";
import { calleeResolver, programOf, type CalleeResolver } from "../summaries";
import { createsRemoteObject, dedupeKeysOf } from "../slow-calls";
import { accessAtCall, mayReachDatabase, wrappedWriteAt } from "./row-summaries";
import { implicitFlushOf } from "./mikro-orm";
import { prismaUniqueFieldSets } from "./prisma";
import { isLibraryMerge, isModuleConstant, replacesArrayEntries } from "./merged-values";
import { CHANGE_TRACKING, trackedChangeOf, type TrackedChange } from "./change-tracking";
import { localVariable, objectAssignments, promisesAwaitedTogether, propertyName, spreadObjects } from "./shapes";
import { placeholderValue } from "./sql-drivers";
import { commandsQueuedTogether, hashFieldWritten, queuedRedisRead } from "./redis";
import { transactionCallbackOf } from "../transactions";

/** What a local name holds: the read's result / a row of it ("row"), or a value computed from its columns ("value"). */
export interface ReadValue {
  read: DbAccess;
  level: "row" | "value";
  /** The column the value was computed from, when known (`balance` for `rows[0].balance - amount`). */
  column?: string;
  /** Values of other reads the same value is computed from (`row.amount + rateFromCache`). */
  also?: ReadValue[];
  /**
   * For an object the code builds itself and keeps in a Map (`pending.set(id, { id, redeemed })`): what each of its
   * properties holds. A property not listed holds nothing read.
   */
  fields?: ReadonlyMap<string, ReadValue>;
}

/** A write of the table a read (earlier in the same function) read, and how the read's values reach it. */
export interface ReadModifyWrite {
  read: DbAccess;
  write: DbAccess;
  /** An assigned value computed from the read (the first one found). */
  data?: {
    column?: string;
    assignment: AccessAssignment;
    value: ts.Expression;
    /** For an entity write (`repo.save(account)`): the field assignment that set the value (`account.balance -= amount`). */
    mutation?: ts.BinaryExpression;
    /** For an entity write: the in-place change of a loaded collection (`order.items.push(item)`). */
    collectionChange?: ts.CallExpression;
  };
  /** A condition on the read's values that decides whether the write runs (the innermost one). */
  control?: {
    column?: string;
    condition: ts.Expression;
    statement: ts.Statement;
    earlyExit: boolean;
    /** The check is the read's own filter (`where: { status: "PENDING" }`): the value it required, as code text. */
    required?: string;
  };
  /** WHERE comparisons of the write against values from the read (compare-and-set guards). */
  guards: AccessCondition[];
  /** What an expression holds, as known at the write (for fixes that rewrite the values). */
  originOf(expr: ts.Expression): ReadValue | undefined;
}

/** Names of result properties that hold rows, not column values. */
const CONTAINERS = new Set(["rows", "0", "recordset", "records", "data", "result", "results"]);
/** Libraries whose reads return the rows themselves, never wrapped in a result object. */
const ROW_RETURNING = new Set<DbAccess["library"]>(["prisma", "typeorm", "sequelize", "mikro-orm", "mongoose", "mongodb"]);

/**
 * Whether `name` on a value of `read` holds its rows rather than a column: a row an entity ORM returns itself has a
 * column wherever a driver or client would wrap the rows (`user.data` is Prisma's JSON column; pg's `rows`, Supabase's
 * `{ data }` hold rows). A project helper may wrap what it read (`{ data, total }`), so its reads keep the wrapping,
 * unless it returns the statement's result as it is (`const action = await prisma.action.findFirst(…); return action`).
 */
function holdsRows(name: string, read: DbAccess): boolean {
  return CONTAINERS.has(name) && !(ROW_RETURNING.has(read.library) && (!read.through || returnsReadAsIs(read)) && !/^\d+$/.test(name));
}

/**
 * A read through one project helper whose every `return` hands back the statement's result unchanged: the statement
 * itself (awaited or not) or a `const` initialised with it.
 */
function returnsReadAsIs(read: DbAccess): boolean {
  if (!read.through || read.through.calls.length > 0) return false;
  const statement = read.through.access.node;
  const fn = enclosingFunction(statement);
  if (!fn?.body || !ts.isBlock(fn.body)) return false;
  const returns = nodesOfKinds<ts.ReturnStatement>(fn.body, [ts.SyntaxKind.ReturnStatement], { skipFunctions: true });
  const isStatement = (expr: ts.Expression) => skipAwait(expr) === statement;
  return (
    returns.length > 0 &&
    returns.every((r) => {
      if (!r.expression) return false;
      const value = skipAwait(r.expression);
      if (isStatement(value)) return true;
      const declaration = ts.isIdentifier(value) ? variableDeclarationOf(value) : undefined;
      const list = declaration?.parent;
      return (
        !!declaration?.initializer &&
        !!list &&
        ts.isVariableDeclarationList(list) &&
        (list.flags & ts.NodeFlags.Const) !== 0 &&
        isStatement(declaration.initializer)
      );
    })
  );
}
/**
 * Collection methods whose result holds the rows (or values) of the collection, not a column of that name:
 * `new Map(rows.map((r) => [r.id, r]))`, then `byId.get(id)`; `rows.find(…)`, `rows.filter(…)`.
 */
const ELEMENT_LOOKUPS = new Set(["get", "find", "findLast", "at", "filter", "map", "slice", "values"]);
/** Properties that say whether there are rows, not what they hold. */
const EXISTENCE = new Set(["length", "rowCount", "affectedRows", "count", "size"]);

const flowCaches = new WeakMap<CalleeResolver, NodeFacts<FunctionLike, ReadModifyWrite[]>>();

/**
 * The read-modify-write flows of one function body (nested functions are analysed on their own), with reads and
 * writes of the project functions `resolve` finds (row-summaries.ts). Cached per resolver and function.
 */
export function readModifyWritesIn(fn: FunctionLike, resolve: CalleeResolver = calleeResolver()): ReadModifyWrite[] {
  let flowCache = flowCaches.get(resolve);
  if (!flowCache) flowCaches.set(resolve, (flowCache = new NodeFacts()));
  let flows = flowCache.get(fn);
  if (!flows) {
    flows = computeReadModifyWrites(fn, resolve);
    flowCache.set(fn, flows);
  }
  return flows;
}

/** An entity's field set from a read value, or its loaded collection changed in place (the last such change). */
interface Mutation {
  column: string;
  node: ts.BinaryExpression | ts.PrefixUnaryExpression | ts.PostfixUnaryExpression | ts.CallExpression;
  collection?: boolean;
}

/**
 * What the function holds at a point, along its paths (flow/queries.ts `bindingsAlongPaths`: what some path to the
 * point left). Entities are named by the read that loaded them.
 */
type Bindings = {
  /** Local names holding a read's rows or values computed from them. */
  values: ReadonlyMap<string, ReadValue>;
  /** Loaded entities whose fields were set from read values, or whose collections changed (for `repo.save(entity)`). */
  mutated: ReadonlyMap<DbAccess, Mutation>;
  /** Fields of loaded entities set to values not read (`quote.status = "confirmed"`), which saving the entity writes. */
  fieldsSet: ReadonlyMap<DbAccess, readonly AccessAssignment[]>;
  /** Entities changed since the last write the function runs itself: what a flush when it returns still writes. */
  unwritten: ReadonlyMap<DbAccess, true>;
};

/** The mutable maps of `Bindings` a step changes (copies made on first use). */
interface BindingsDraft {
  values: Map<string, ReadValue>;
  mutated: Map<DbAccess, Mutation>;
  fieldsSet: Map<DbAccess, readonly AccessAssignment[]>;
  unwritten: Map<DbAccess, true>;
}

const NOTHING_BOUND: Bindings = { values: new Map(), mutated: new Map(), fieldsSet: new Map(), unwritten: new Map() };

/** A draft whose maps are copied from the state when first asked for (a class: one small object per step). */
class Draft implements BindingsDraft {
  #values: Map<string, ReadValue> | undefined;
  #mutated: Map<DbAccess, Mutation> | undefined;
  #fieldsSet: Map<DbAccess, readonly AccessAssignment[]> | undefined;
  #unwritten: Map<DbAccess, true> | undefined;
  constructor(private readonly edit: EditMaps<Bindings>) {}
  get values(): Map<string, ReadValue> {
    return (this.#values ??= this.edit("values"));
  }
  get mutated(): Map<DbAccess, Mutation> {
    return (this.#mutated ??= this.edit("mutated"));
  }
  get fieldsSet(): Map<DbAccess, readonly AccessAssignment[]> {
    return (this.#fieldsSet ??= this.edit("fieldsSet"));
  }
  get unwritten(): Map<DbAccess, true> {
    return (this.#unwritten ??= this.edit("unwritten"));
  }
}

function computeReadModifyWrites(fn: FunctionLike, resolve: CalleeResolver): ReadModifyWrite[] {
  // Flows end at a write: a function none of whose calls may write (and with no flush at its end) has none, and its
  // control-flow graph and bindings are not built.
  if (!fn.body || !mayRead(fn.body, resolve) || !(mayWriteIn(fn, resolve) || implicitFlushOf(fn))) return [];
  const out: ReadModifyWrite[] = [];
  const program = programOf(resolve);
  const checker = program && (() => program.getTypeChecker());
  // The bindings along the function's paths (nested functions run at another time, but a timer's callback runs after
  // the code that creates it, and a transaction's callback when its opener is called, with the values the function
  // holds there: their own bindings start from those).
  const follow = (root: FunctionLike, initial: Bindings, returns: boolean): void => {
    const solution = bindingsAlongPaths(root, initial, (element, state, edit) => step(element, state, new Draft(edit)), mergeMutations);
    // Each write with what some path to it binds; in source order (the order findings are listed in).
    const sites = new Set<ts.Node>();
    // (Only calls: writeAt finds a write, and timerCallbackOf a callback, at nothing else.)
    for (const block of flowGraphOf(root).blocks)
      for (const element of block.elements)
        if (element.kind === ts.SyntaxKind.CallExpression || element.kind === ts.SyntaxKind.TaggedTemplateExpression) sites.add(element);
    const ordered = [...sites].sort((a, b) => a.pos - b.pos);
    for (const element of ordered) {
      const state = solution.before(element);
      if (!state) continue;
      const access = writeAt(element, state);
      if (access) out.push(...flowsInto(access, state, (node) => solution.before(node)?.values, checker));
      const callback = ts.isCallExpression(element) && state.values.size > 0 ? callbackRunFrom(element) : undefined;
      if (callback?.body) follow(callback, { ...state, unwritten: NOTHING_BOUND.unwritten }, false);
    }
    // The flush at the end of an `em.transactional` callback / `@Transactional()` method writes the entities changed
    // since the last write the code runs itself on some path to its end (those before it were written, and reported, there).
    const end = returns ? solution.atExit : undefined;
    const flush = end && end.values.size > 0 ? implicitFlushOf(root) : undefined;
    if (end && flush) {
      const unwritten = new Map([...end.values].filter(([, origin]) => end.unwritten.has(origin.read) && end.mutated.has(origin.read)));
      out.push(...flowsInto(flush, { ...end, values: unwritten }));
    }
  };
  // A project function that writes (`setBalance(id, b)`) is asked for only where a name holds a read value.
  const wrapped = new Map<ts.CallExpression, DbAccess | undefined>();
  const writeAt = (element: ts.Node, state: Bindings): DbAccess | undefined => {
    let access = dbAccessOf(element);
    // `this.snapshots.update(id, { updateData, entity })` on the app's own repository class is that class's method, not
    // the ORM's of the same name: a method that does more than pass one write on (reads, a transaction of its own) is
    // a service step, whose arguments are no columns.
    if (access && ts.isCallExpression(element) && isOrmMethodCall(access) && resolve(element) && !wrappedWriteAt(element, resolve))
      access = undefined;
    if (!access && ts.isCallExpression(element) && state.values.size > 0) {
      if (!wrapped.has(element)) wrapped.set(element, wrappedWriteAt(element, resolve));
      access = wrapped.get(element);
    }
    return access?.kind === "write" ? access : undefined;
  };
  /** Changes the bindings for one element. */
  const step = (node: ts.Node, state: Bindings, draft: BindingsDraft): void => {
    if (ts.isVariableDeclaration(node)) {
      // Each run of a declaration binds its names afresh: what an outer or earlier binding of the name held is gone.
      if (node.initializer) bindDeclaration(node.name, node.initializer, draft.values, helperReadsOf(resolve));
      else bindLoopElement(node, draft.values);
    } else if (ts.isBinaryExpression(node)) {
      if (isAssignmentOperator(node.operatorToken.kind)) bindAssignment(node, state, draft, resolve);
    } else if (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) {
      bindIncrement(node, state, draft);
    } else if (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) {
      if (writeAt(node, state)) {
        // Written: a flush at the end no longer owes these changes (a timer's callback writes after the function returns).
        if (state.unwritten.size > 0) draft.unwritten.clear();
        return;
      }
      if (state.values.size > 0 && ts.isCallExpression(node) && !dbAccessOf(node)) {
        bindCollectionChange(node, state, draft);
        bindEntityAssign(node, state, draft, resolve);
        bindMapSet(node, state, draft);
      }
    }
  };
  follow(fn, NOTHING_BOUND, true);
  return out;
}

/** A repository or model method of an ORM recognised by its name (`repo.update(criteria, data)`, `model.save()`). */
function isOrmMethodCall(access: DbAccess): boolean {
  return access.library === "typeorm" || access.library === "sequelize" || access.library === "mikro-orm";
}

/**
 * Whether `body` reads anything a name could then hold: a database read, or a call of a project function that may
 * reach one (whose result helperRead restates). Without one no name holds a read value, and there is no flow.
 */
function mayRead(body: ts.Node, resolve: CalleeResolver): boolean {
  // The calls a walk of `body` that skips nested functions meets, in the same order.
  for (const node of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(body, CALL_KINDS, { skipFunctions: true })) {
    const access = dbAccessOf(node);
    if (access?.kind === "read" || (!access && ts.isCallExpression(node) && mayReachDatabase(node, resolve, "read"))) return true;
    if (!access && ts.isCallExpression(node) && queuedRedisRead(node)) return true;
  }
  return false;
}

/**
 * Whether some call `computeReadModifyWrites` follows in `root` (its own calls, and those of the timer and transaction
 * callbacks it passes, which it follows too) may be a write `writeAt` finds: a database write, or a call of a project function
 * that may write (wrappedWriteAt asks only those). Without one the function has no flow into a write.
 */
function mayWriteIn(root: FunctionLike, resolve: CalleeResolver): boolean {
  for (const node of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(root, CALL_KINDS, { skipFunctions: true })) {
    const access = dbAccessOf(node);
    if (access?.kind === "write") return true;
    if (!ts.isCallExpression(node)) continue;
    if (!access && node.arguments.length > 0 && mayReachDatabase(node, resolve, "write")) return true;
    const callback = callbackRunFrom(node);
    if (callback?.body && mayWriteIn(callback, resolve)) return true;
  }
  return false;
}

/**
 * The function literal a call runs with the caller's values: a timer's callback (after the caller's code), or the
 * callback a transaction opener runs in its transaction (`db.transaction(async (tx) => …)`, when it is called). A value
 * read before the transaction and written inside it is a read-modify-write like one in the same body.
 */
function callbackRunFrom(call: ts.CallExpression): FunctionLike | undefined {
  return timerCallbackOf(call) ?? transactionCallbackOf(call);
}

/** Calls that run their function argument later, on a timer: `setTimeout(async () => …, ms)`, `setInterval`, `setImmediate`. */
const TIMERS = new Set(["setTimeout", "setInterval", "setImmediate"]);

function timerCallbackOf(call: ts.CallExpression): FunctionLike | undefined {
  const callee = skipParens(call.expression);
  if (!ts.isIdentifier(callee) || !TIMERS.has(callee.text)) return undefined;
  const first = call.arguments[0] && skipParens(call.arguments[0]);
  return first && (ts.isArrowFunction(first) || ts.isFunctionExpression(first)) ? first : undefined;
}

/** `for (const row of rows)`: the element of rows read is a row of that read (`{ id, used }` binds its columns). */
function bindLoopElement(node: ts.VariableDeclaration, values: Map<string, ReadValue>): void {
  const loop = node.parent.parent;
  const origin = ts.isForOfStatement(loop) && loop.initializer === node.parent ? valueOf(loop.expression, values) : undefined;
  // `let total;`, a catch's `error`, an element of anything else: the names hold nothing read (for now).
  unbind(node.name, values);
  if (origin?.level === "row") bindPattern(node.name, origin, values);
}

/** Forgets what the names of `name` held: a declaration runs again, or they are given a value not read. */
function unbind(name: ts.BindingName, values: Map<string, ReadValue>): void {
  if (values.size === 0) return;
  for (const id of boundNames(name)) values.delete(id.text);
}

/** The read whose result `expr` is (`await pool.query(...)`, `await this.accounts.get(id)`), if any. */
function readOf(expr: ts.Expression, helpers: HelperReads): ReadValue | undefined {
  const node = skipAwait(expr);
  // `id ? await prisma.x.findFirst(…) : null`: the row read, when there is one.
  if (ts.isConditionalExpression(node)) {
    const [whenTrue, whenFalse] = [readOf(node.whenTrue, helpers), readOf(node.whenFalse, helpers)];
    return whenTrue && (whenFalse || isNullish(node.whenFalse)) ? whenTrue : whenFalse && isNullish(node.whenTrue) ? whenFalse : undefined;
  }
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return undefined;
  const access = dbAccessOf(node);
  if (access?.kind === "read") return { read: access, level: "row" };
  return ts.isCallExpression(node) ? helpers(node) : undefined;
}

/** A read nested in an expression (`Number(await redis.get(key))`): its result, converted, is a value. */
function readInside(expr: ts.Expression): ReadValue | undefined {
  let found: DbAccess | undefined;
  walk(expr, (node) => {
    if (found || isFunctionLike(node)) return false;
    const access = dbAccessOf(node);
    if (access?.kind === "read") found = access;
    return !found;
  });
  if (!found) return undefined;
  if (found.library === "redis") return { read: found, level: "value", column: "value" };
  if (isRowsInPlace(found, expr)) return { read: found, level: "row" };
  // `(await prisma.link.findUnique(…))?.collectionId ?? 0`: that column of the row read inline.
  let parent = found.node.parent;
  while (ts.isAwaitExpression(parent) || ts.isParenthesizedExpression(parent)) parent = parent.parent;
  const column = ts.isPropertyAccessExpression(parent) ? parent.name.text : undefined;
  return { read: found, level: "value", ...(column && !EXISTENCE.has(column) && !holdsRows(column, found) ? { column } : {}) };
}

/** `(await pool.query(…))?.rows[0]`: the whole expression is the read's row, awaited and unwrapped in place. */
function isRowsInPlace(read: DbAccess, expr: ts.Expression): boolean {
  let node: ts.Node = read.node;
  for (;;) {
    const parent: ts.Node = node.parent;
    const unwraps =
      ts.isAwaitExpression(parent) ||
      ts.isParenthesizedExpression(parent) ||
      ts.isNonNullExpression(parent) ||
      (ts.isPropertyAccessExpression(parent) && parent.expression === node && CONTAINERS.has(parent.name.text)) ||
      (ts.isElementAccessExpression(parent) && parent.expression === node && isLiteral(parent.argumentExpression));
    if (!unwraps) break;
    node = parent;
  }
  return node !== read.node && node === skipParens(expr);
}

/**
 * How the read a call of a project function returns is found: in the rules' flows by summarising the helper
 * (`helperRead`), and while helpers are summarised from the summaries so far.
 */
type HelperReads = (call: ts.CallExpression) => ReadValue | undefined;

const helperReads = new WeakMap<CalleeResolver, HelperReads>();
const returnSummaries = new WeakMap<CalleeResolver, NodeFacts<FunctionLike, ReadValue | null>>();

function helperReadsOf(resolve: CalleeResolver): HelperReads {
  let reads = helperReads.get(resolve);
  if (!reads) helperReads.set(resolve, (reads = (call) => helperRead(call, resolve)));
  return reads;
}

/**
 * A call of a project function that returns (a value derived from) a read: the read, restated at the call. Helpers
 * are summarised bottom-up on the core's fixpoint (flow/bottom-up.ts `solveBottomUp`): a chain of any length is followed,
 * and a helper's answer does not depend on which of its callers was asked about first.
 */
function helperRead(call: ts.CallExpression, resolve: CalleeResolver): ReadValue | undefined {
  const passed = passedThroughRead(call, resolve, helperReadsOf(resolve));
  if (passed) return passed;
  const fn = readingCallee(call, resolve);
  if (!fn) return undefined;
  let store = returnSummaries.get(resolve);
  if (!store) returnSummaries.set(resolve, (store = new NodeFacts()));
  const summary = solveBottomUp<ReadValue | null>(
    fn,
    {
      callees: (helper) => {
        const calls = nodesOfKinds<ts.CallExpression>(helper.body!, [ts.SyntaxKind.CallExpression], { skipFunctions: true });
        if (ts.isCallExpression(helper.body!)) calls.unshift(helper.body);
        return calls.flatMap((inner) => readingCallee(inner, resolve) ?? []);
      },
      compose: (helper, returnedAt) => {
        const nested: HelperReads = (inner) => {
          const passed = passedThroughRead(inner, resolve, nested);
          if (passed) return passed;
          const callee = readingCallee(inner, resolve);
          return callee ? restateRead(inner, callee, returnedAt(callee)) : undefined;
        };
        return (ts.isBlock(helper.body!) ? returnedRead(helper, nested) : readOf(helper.body as ts.Expression, nested)) ?? null;
      },
      same: (a, b) => a === b || (a !== null && b !== null && a.read === b.read && a.level === b.level && a.column === b.column),
      empty: null,
    },
    store,
  );
  return restateRead(call, fn, summary);
}

/**
 * An error-handling wrapper that hands back what it is given (`guard(prisma.x.findFirst(…))`: `return await promise` in
 * a `try` whose `catch` rethrows) holds the rows of the read passed to it, not a value computed from them.
 */
function passedThroughRead(call: ts.CallExpression, resolve: CalleeResolver, helpers: HelperReads): ReadValue | undefined {
  // Only a call or a tagged query can be the read passed (asked before resolving the wrapper: most calls pass none).
  const query = (a: ts.Expression) => {
    const node = skipAwait(a);
    return ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node) || ts.isConditionalExpression(node);
  };
  const wrapper = call.arguments.some(query) ? resolve(call) : undefined;
  const passed = wrapper?.body && !isInside(call, wrapper) ? passedThrough(call, wrapper) : undefined;
  return passed && readOf(passed, helpers);
}

/**
 * The argument `call` passes to a parameter that `fn` returns unchanged on every return (awaited or not, also through a
 * `const` holding it): `fn` is a pass-through, and its result is that argument's.
 */
function passedThrough(call: ts.CallExpression, fn: FunctionLike): ts.Expression | undefined {
  const body = fn.body!;
  const returned = ts.isBlock(body)
    ? nodesOfKinds<ts.ReturnStatement>(body, [ts.SyntaxKind.ReturnStatement], { skipFunctions: true }).map((r) => r.expression)
    : [body as ts.Expression];
  let index: number | undefined;
  for (const expression of returned) {
    let node = expression && skipAwait(expression);
    const held = node && ts.isIdentifier(node) && ts.isBlock(body) ? constInitializerIn(node.text, body) : undefined;
    if (held) node = skipAwait(held);
    const at = node && ts.isIdentifier(node) ? fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === node.text) : -1;
    if (at < 0 || (index !== undefined && at !== index)) return undefined;
    index = at;
  }
  const argument = index === undefined ? undefined : call.arguments[index];
  return argument && !call.arguments.slice(0, index! + 1).some(ts.isSpreadElement) ? argument : undefined;
}

/**
 * The project function a call may return a read from. A function calling itself is another run of it, down the path
 * its arguments choose (a cached getter asking itself without the cache): the read of its first return is no more
 * what that run returns than any other return's.
 */
function readingCallee(call: ts.CallExpression, resolve: CalleeResolver): FunctionLike | undefined {
  const fn = mayReachDatabase(call, resolve, "read") ? resolve(call) : undefined;
  return fn?.body && !isInside(call, fn) ? fn : undefined;
}

function restateRead(call: ts.CallExpression, fn: FunctionLike, summary: ReadValue | null): ReadValue | undefined {
  return summary ? { ...summary, read: accessAtCall(call, fn, summary.read) } : undefined;
}

/**
 * The read the first `return` (in the text) that returns one returns, with what the names hold along the paths to
 * it: declarations and plain assignments of names (`let row = cache.get(id); if (!row) row = await db.find(id);
 * return row;` returns the read on the path that made it; a name given something else on every path returns none).
 */
function returnedRead(fn: FunctionLike, helpers: HelperReads): ReadValue | undefined {
  const solution = bindingsAlongPaths(
    fn,
    { values: new Map<string, ReadValue>() as ReadonlyMap<string, ReadValue> },
    (element, _state, edit) => {
      if (ts.isVariableDeclaration(element) && element.initializer)
        bindDeclaration(element.name, element.initializer, edit("values"), helpers);
      else if (ts.isBinaryExpression(element) && element.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const left = skipParens(element.left);
        // `row = await db.update(…)`: the name keeps naming the row it held (as in the function's own flows).
        if (ts.isIdentifier(left) && !writeOf(element.right)) bindDeclaration(left, element.right, edit("values"), helpers);
      }
    },
  );
  for (const node of nodesOfKinds<ts.ReturnStatement>(fn.body!, [ts.SyntaxKind.ReturnStatement], { skipFunctions: true })) {
    // `return { ...project, ...limits, entitlements }`: the caller's row handed back with fields added, not another read.
    if (node.expression && spreadsParameter(node.expression, fn)) return undefined;
    const values = node.expression && solution.before(node)?.values;
    const returned = values && (readOf(node.expression!, helpers) ?? valueOf(node.expression!, values));
    if (returned) return returned;
  }
  return undefined;
}

/** An object literal that spreads one of `fn`'s parameters (or a name a parameter's pattern binds). */
function spreadsParameter(expr: ts.Expression, fn: FunctionLike): boolean {
  const node = skipParens(expr);
  if (!ts.isObjectLiteralExpression(node)) return false;
  const parameters = new Set(fn.parameters.flatMap((p) => boundNames(p.name).map((id) => id.text)));
  return node.properties.some(
    (p) =>
      ts.isSpreadAssignment(p) &&
      ts.isIdentifier(skipParens(p.expression)) &&
      parameters.has((skipParens(p.expression) as ts.Identifier).text),
  );
}

function bindDeclaration(name: ts.BindingName, initializer: ts.Expression, values: Map<string, ReadValue>, helpers: HelperReads): void {
  const source = withoutEmptyFallback(initializer);
  // `const [thread, pending] = await Promise.all([findThread(), countPending()])`: each name holds its own promise's value.
  const queued = ts.isArrayBindingPattern(name) ? commandsQueuedTogether(source) : undefined;
  if (queued && ts.isArrayBindingPattern(name)) {
    // `const [count, ttl] = await client.multi().get(key).ttl(key).exec()`: each name holds its command's reply.
    unbind(name, values);
    name.elements.forEach((element, i) => {
      const read = queued[i] && queuedRedisRead(queued[i]!);
      if (read && !ts.isOmittedExpression(element) && !element.dotDotDotToken)
        bindPattern(element.name, { read, level: "value", column: "value" }, values);
    });
    return;
  }
  const together = ts.isArrayBindingPattern(name) ? promisesAwaitedTogether(source) : undefined;
  if (together && ts.isArrayBindingPattern(name)) {
    name.elements.forEach((element, i) => {
      const promise = together[i];
      if (ts.isOmittedExpression(element)) return;
      if (promise && !element.dotDotDotToken) bindDeclaration(element.name, promise, values, helpers);
      else unbind(element.name, values);
    });
    return;
  }
  const origin =
    writeOf(source)?.insert || buildsEntity(source)
      ? undefined
      : (readOf(source, helpers) ?? valueOf(source, values) ?? readInside(source));
  // Each run of a declaration binds its names afresh: what an outer or earlier binding of a name held is gone.
  unbind(name, values);
  if (origin) bindPattern(name, origin, values);
}

/** `(await findFirst(…)) || {}`, `rows ?? []`: the row read, or nothing (an empty fallback holds no column). */
function withoutEmptyFallback(expr: ts.Expression): ts.Expression {
  const node = skipParens(expr);
  if (!ts.isBinaryExpression(node)) return expr;
  const operator = node.operatorToken.kind;
  const right = skipParens(node.right);
  const empty =
    (ts.isObjectLiteralExpression(right) && right.properties.length === 0) ||
    (ts.isArrayLiteralExpression(right) && right.elements.length === 0);
  return empty && (operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken) ? node.left : expr;
}

/**
 * `map.set(key, value)`: the Map holds the value, so `map.get(k)` and its `values()` give it back. An object literal
 * keeps what each property holds (`{ id: voucher.id, redeemed }`), not the whole row.
 */
function bindMapSet(call: ts.CallExpression, { values }: Bindings, draft: BindingsDraft): void {
  const receiver = receiverOf(call);
  const map = receiver && skipParens(receiver);
  if (calleeName(call) !== "set" || call.arguments.length !== 2 || !map || !ts.isIdentifier(map)) return;
  // Only a Map the function makes (`const pending = new Map()`): other `set` methods (headers, caches) keep nothing here.
  const made = localVariable(map)?.initializer;
  if (!made || !ts.isNewExpression(skipParens(made)) || calleeName(skipParens(made) as ts.NewExpression) !== "Map") return;
  const value = skipParens(call.arguments[1]!);
  if (!ts.isObjectLiteralExpression(value)) {
    const origin = valueOf(value, values);
    if (origin) draft.values.set(map.text, origin);
    return;
  }
  const fields = new Map(values.get(map.text)?.fields);
  for (const property of value.properties) {
    const expression = ts.isPropertyAssignment(property)
      ? property.initializer
      : ts.isShorthandPropertyAssignment(property)
        ? property.name
        : undefined;
    const origin = expression && property.name && ts.isIdentifier(property.name) ? valueOf(expression, values) : undefined;
    if (origin) fields.set((property.name as ts.Identifier).text, origin.fields ? { ...origin, fields: undefined } : origin);
  }
  const first = fields.values().next().value;
  if (first) draft.values.set(map.text, { read: first.read, level: "row", fields });
}

/** `const { rows: [account] } = ...` / `const [rows] = ...` keep row level; `const { balance } = row` is the column. */
function bindPattern(name: ts.BindingName, origin: ReadValue, values: Map<string, ReadValue>): void {
  if (ts.isIdentifier(name)) {
    values.set(name.text, origin);
    return;
  }
  if (origin.fields && ts.isObjectBindingPattern(name)) {
    for (const element of name.elements) {
      const key = (element.propertyName ?? element.name).getText();
      const field = origin.fields.get(key);
      if (field && !element.dotDotDotToken) bindPattern(element.name, field, values);
    }
    return;
  }
  for (const element of name.elements) {
    if (ts.isOmittedExpression(element)) continue;
    if (ts.isArrayBindingPattern(name)) {
      bindPattern(element.name, origin, values);
      continue;
    }
    const key =
      element.propertyName && (ts.isIdentifier(element.propertyName) || ts.isStringLiteral(element.propertyName))
        ? element.propertyName.text
        : ts.isIdentifier(element.name)
          ? element.name.text
          : undefined;
    // A property the read's select list leaves out binds nothing read.
    if (key && !element.dotDotDotToken && origin.level === "row" && origin.read.selected && !origin.read.selected.has(key)) continue;
    if (element.dotDotDotToken || (key && holdsRows(key, origin.read)) || origin.level === "value")
      bindPattern(element.name, origin, values);
    else if (key && !EXISTENCE.has(key)) bindPattern(element.name, { read: origin.read, level: "value", column: key }, values);
  }
}

/**
 * `em.create(Ticket, { board, … })`, `repo.create({ … })`: an ORM builds a new entity in memory (no database call); it
 * is a new row, not a row read, and a row read passed into it is its relation or the source of its fields.
 */
function buildsEntity(expr: ts.Expression): boolean {
  const node = skipAwait(expr);
  return ts.isCallExpression(node) && calleeName(node) === "create" && receiverOf(node) !== undefined && !dbAccessOf(node);
}

/**
 * `await prisma.stats.create({ data: { delta } })`: what an insert returns is the new row, which no other call knows
 * yet; its columns (its id above all) name that row, not the read values its data was computed from.
 */
function writeOf(expr: ts.Expression): DbAccess | undefined {
  const node = skipAwait(expr);
  const access = ts.isCallExpression(node) ? dbAccessOf(node) : undefined;
  return access?.kind === "write" ? access : undefined;
}

function bindAssignment(node: ts.BinaryExpression, { values }: Bindings, draft: BindingsDraft, resolve: CalleeResolver): void {
  const left = skipParens(node.left);
  // `stats = await prisma.stats.update({ where: { id: stats.id }, … })` (or `create` on the branch where no row was
  // found): the name keeps naming the row it held, not the values written. Names are bound before the write is seen,
  // whose WHERE still means the row held, and the other branch still holds the row read.
  if (ts.isIdentifier(left) && writeOf(node.right)) return;
  const plain = node.operatorToken.kind === ts.SyntaxKind.EqualsToken;
  // `source = await repo.findOne(…)` into a `let` declared earlier: the name holds the row read from here on, as a
  // `const` initialised with the read does. An entity built by `em.create(…)` is a new row, not one read.
  const assigned = plain && ts.isIdentifier(left) ? withoutEmptyFallback(node.right) : undefined;
  if (assigned && ts.isIdentifier(left) && buildsEntity(assigned)) {
    if (values.has(left.text)) draft.values.delete(left.text);
    return;
  }
  const origin =
    (assigned && (readOf(assigned, helperReadsOf(resolve)) ?? valueOf(assigned, values) ?? readInside(assigned))) ??
    (assigned ? undefined : valueOf(node.right, values)) ??
    (!plain ? valueOf(left, values) : undefined);
  if (ts.isIdentifier(left)) {
    if (origin) draft.values.set(left.text, origin);
    else if (node.operatorToken.kind === ts.SyntaxKind.EqualsToken && values.has(left.text)) draft.values.delete(left.text);
    return;
  }
  // `account.balance -= amount` / `account.balance = next`: the entity now carries a value computed from the read.
  const target = ts.isPropertyAccessExpression(left) ? skipParens(left.expression) : undefined;
  const entity = target && ts.isIdentifier(target) ? loadedEntity(values.get(target.text)) : undefined;
  if (!entity) return;
  const column = (left as ts.PropertyAccessExpression).name.text;
  // A change-tracked save writes the field only with the request's value (change-tracking.ts): no value read is written.
  const tracked = origin && plain ? trackedChange(node.right, target as ts.Identifier, column, entity, values, resolve) : undefined;
  if (tracked) {
    if (tracked.kind === "request")
      draft.fieldsSet.set(entity.read, [...(draft.fieldsSet.get(entity.read) ?? []), fieldSet(node, column, tracked.value)]);
  } else if (origin && !isIdentityOnly(node, values) && !fromOtherReadOnly(origin, entity)) mutate(draft, entity, mutation(node, column));
  else if (node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    // `quote.status = "confirmed"`: a field set to a value not read, which the entity's save writes like an update.
    draft.fieldsSet.set(entity.read, [...(draft.fieldsSet.get(entity.read) ?? []), fieldSet(node, column)]);
  }
}

/**
 * For a field of a loaded entity set to `value` (`row.x = input.x ?? row.x`), what a change-tracking ORM's save writes
 * of it (change-tracking.ts): the request's part, or nothing of this row; undefined where a value read may be written.
 */
function trackedChange(
  value: ts.Expression,
  target: ts.Identifier,
  column: string,
  entity: ReadValue,
  values: ReadonlyMap<string, ReadValue>,
  resolve: CalleeResolver,
): TrackedChange | undefined {
  if (!CHANGE_TRACKING.has(entity.read.library)) return undefined;
  const isStoredField = (expr: ts.Expression) => {
    const node = skipParens(expr);
    if (!ts.isPropertyAccessExpression(node) || !sameColumn(node.name.text, column)) return false;
    // `(await row).x` is `row.x`: awaiting the entity already loaded gives the entity itself.
    const base = skipAwait(node.expression);
    return ts.isIdentifier(base) && base.text === target.text && !assignedBefore(node);
  };
  return trackedChangeOf(value, entity.read, isStoredField, (expr) => valueOf(expr, values) !== undefined, resolve);
}

/** A whole entity an ORM loaded, which a relation field set to it stores by its key. */
function isEntityLink(origin: ReadValue | undefined): boolean {
  return !!loadedEntity(origin) && ENTITY_ORMS.has(origin!.read.library) && !origin!.read.through;
}
const ENTITY_ORMS = new Set<DbAccess["library"]>(["typeorm", "mikro-orm", "sequelize", "mongoose"]);

/** A row a read loaded (an entity whose save writes its fields), not an object the code built from read values. */
function loadedEntity(origin: ReadValue | undefined): ReadValue | undefined {
  return origin?.level === "row" && !origin.fields ? origin : undefined;
}

/**
 * Where paths meet, a field set from the read on one of them (`if (next) payment.status = next`) is what the entity's
 * save may lose, whatever another path pushed onto one of its arrays (a push is saved as `$push`, overwriting nothing).
 */
function mergeMutations(map: string, here: unknown, there: unknown): unknown {
  return map === "mutated" && (here as Mutation).collection && !(there as Mutation).collection ? there : here;
}

/** The entity loaded by `entity`'s read now differs from the row read in `change.column`. */
function mutate(draft: BindingsDraft, entity: ReadValue, change: Mutation): void {
  draft.mutated.set(entity.read, change);
  draft.unwritten.set(entity.read, true);
}

const mutations = new WeakMap<Mutation["node"], Map<string, Mutation>>();

/** One object per change and column, so that the same change met again along another path is the same fact. */
function mutation(node: Mutation["node"], column: string, collection?: true): Mutation {
  let byColumn = mutations.get(node);
  if (!byColumn) mutations.set(node, (byColumn = new Map()));
  let found = byColumn.get(column);
  if (!found) byColumn.set(column, (found = collection ? { column, node, collection } : { column, node }));
  return found;
}

const fieldSets = new WeakMap<ts.BinaryExpression, AccessAssignment>();

/** One object per assignment, so that the same field set met again along another path is the same fact. */
function fieldSet(node: ts.BinaryExpression, column: string, value = node.right): AccessAssignment {
  let set = fieldSets.get(node);
  if (!set) fieldSets.set(node, (set = { column, value, atomic: false }));
  return set;
}

/**
 * A field of a loaded entity set to a value of another table's read only (`order.status = statusLookedUp`, or a
 * relation set to another entity loaded whole: `assignment.warehouse = warehouse`): the save writes the field it
 * changed, and nothing of the entity's own read is written back.
 */
function fromOtherReadOnly(origin: ReadValue, entity: ReadValue): boolean {
  const other = (v: ReadValue) => v.read !== entity.read && v.read.table !== undefined && !sameTable(v.read.table, entity.read.table);
  return other(origin) && (origin.also ?? []).every(other) && [...(origin.fields?.values() ?? [])].every(other);
}

/**
 * `m.handle = \`gone_${m.id}_${Date.now()}\``, `original.reversedById = reversal.id`: a field set to a value whose only
 * read parts are row ids (this row's or another's), which no update changes: saving it writes back nothing that can
 * change. (`valueOf(…, written)` also drops the condition of `c ? a : b`, which still decides the value here.) A
 * field set to a whole entity loaded by an ORM (`ticket.board = board`) links the relation: the row's key is written.
 */
function isIdentityOnly(node: ts.BinaryExpression, values: ReadonlyMap<string, ReadValue>): boolean {
  if (node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const right = skipParens(node.right);
  if (ts.isIdentifier(right) && isEntityLink(values.get(right.text))) return true;
  if (valueOf(node.right, values, true)) return false;
  let chooses = false;
  walkWithRoot(node.right, (n) => !(chooses ||= ts.isConditionalExpression(n)) && !isFunctionLike(n));
  return !chooses;
}

/**
 * The value of the plain assignment to `target` (`row.field = value`) that every path to it runs last among the
 * assignments of that field of that name (and of the name itself) in its function: a guard branch that sets the field
 * and returns does not count, one branch of an `if` setting it leaves it unknown after the `if`, as does a loop that
 * sets it later in its body.
 */
export function assignedBefore(target: ts.PropertyAccessExpression): ts.Expression | undefined {
  const base = skipParens(target.expression);
  if (!ts.isIdentifier(base)) return undefined;
  const byField = fieldAssignmentsAround(target);
  const candidates = byField.get(`${base.text}.${target.name.text}`);
  if (!candidates) return undefined;
  const last = lastRunBefore([...candidates, ...(byField.get(base.text) ?? [])], target);
  const [only] = last?.size === 1 ? [...last] : [];
  return only && ts.isBinaryExpression(only) && only.operatorToken.kind === ts.SyntaxKind.EqualsToken && candidates.includes(only)
    ? only.right
    : undefined;
}

/**
 * `draft._id` where `const draft = { _id: new ObjectId(), ancestors: [...parent.ancestors] }` is built in the same
 * function and no `draft._id = …` follows: what that property was given, not what the other properties hold. Undefined
 * when a spread after it may replace it or the object is built otherwise.
 */
function literalProperty(target: ts.PropertyAccessExpression): ts.Expression | undefined {
  const base = skipParens(target.expression);
  if (!ts.isIdentifier(base)) return undefined;
  const declaration = localVariable(base);
  const literal = declaration?.initializer && skipParens(declaration.initializer);
  if (!literal || !ts.isObjectLiteralExpression(literal) || !(ts.getCombinedNodeFlags(declaration!) & ts.NodeFlags.Const)) return undefined;
  if (fieldAssignmentsAround(target).has(`${base.text}.${target.name.text}`)) return undefined;
  return propertyGiven(literal, target.name.text);
}

/** The value the last element of an object literal that may set `name` gives it; undefined when that is not known. */
function propertyGiven(literal: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (let i = literal.properties.length - 1; i >= 0; i--) {
    const property = literal.properties[i]!;
    if (ts.isSpreadAssignment(property)) {
      const objects = spreadObjects(property.expression);
      if (!objects || objects.some((o) => o.properties.some((p) => !p.name || propertyName(p) === name || ts.isSpreadAssignment(p))))
        return undefined;
      continue;
    }
    if (propertyName(property) !== name) {
      if (!property.name || ts.isComputedPropertyName(property.name)) return undefined;
      continue;
    }
    if (ts.isPropertyAssignment(property)) return property.initializer;
    return ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
  }
  return undefined;
}

const fieldAssignments = new WeakMap<ts.Node, Map<string, ts.BinaryExpression[]>>();

/** The assignments of the function around `node` (or of its file), computed once per function (fieldAssignmentsIn). */
function fieldAssignmentsAround(node: ts.Node): Map<string, ts.BinaryExpression[]> {
  const root = enclosingFunction(node) ?? node.getSourceFile();
  let byField = fieldAssignments.get(root);
  if (!byField) fieldAssignments.set(root, (byField = fieldAssignmentsIn(root)));
  return byField;
}

/** The assignments in a function (also in functions nested in it) to `name.field` and to `name`, by that text. */
function fieldAssignmentsIn(root: FunctionLike | ts.SourceFile): Map<string, ts.BinaryExpression[]> {
  const out = new Map<string, ts.BinaryExpression[]>();
  const body = ts.isSourceFile(root) ? root : root.body;
  if (!body) return out;
  for (const node of nodesOfKinds<ts.BinaryExpression>(body, [ts.SyntaxKind.BinaryExpression])) {
    if (!isAssignmentOperator(node.operatorToken.kind)) continue;
    const left = skipParens(node.left);
    const object = ts.isPropertyAccessExpression(left) ? skipParens(left.expression) : undefined;
    const key = ts.isIdentifier(left)
      ? left.text
      : object && ts.isIdentifier(object)
        ? `${object.text}.${(left as ts.PropertyAccessExpression).name.text}`
        : undefined;
    if (key === undefined) continue;
    const list = out.get(key);
    if (list) list.push(node);
    else out.set(key, [node]);
  }
  return out;
}

/** `article.favoriteCount++`: the entity now carries a count computed from the one read. */
function bindIncrement(node: ts.PrefixUnaryExpression | ts.PostfixUnaryExpression, { values }: Bindings, draft: BindingsDraft): void {
  if (node.operator !== ts.SyntaxKind.PlusPlusToken && node.operator !== ts.SyntaxKind.MinusMinusToken) return;
  const operand = skipParens(node.operand);
  if (!ts.isPropertyAccessExpression(operand)) return;
  const target = skipParens(operand.expression);
  const entity = ts.isIdentifier(target) ? loadedEntity(values.get(target.text)) : undefined;
  if (entity) mutate(draft, entity, mutation(node, operand.name.text));
}

/** Array methods that change a loaded collection in place. */
const COLLECTION_CHANGES = new Set(["push", "unshift", "splice", "pop", "shift"]);

/**
 * `order.items.push(item)`: the entity's collection now differs from the rows read, and saving it writes the whole
 * collection as loaded plus the change (TypeORM removes from a relation the rows a concurrent call added meanwhile;
 * an array or JSON column is overwritten). MikroORM's `Collection` changes through `add` / `remove`, which it saves
 * as the difference, so they are not tracked.
 */
function bindCollectionChange(call: ts.CallExpression, { values, mutated }: Bindings, draft: BindingsDraft): void {
  const callee = skipParens(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !COLLECTION_CHANGES.has(callee.name.text)) return;
  const collection = skipParens(callee.expression);
  if (!ts.isPropertyAccessExpression(collection)) return;
  const target = skipParens(collection.expression);
  const entity = ts.isIdentifier(target) ? loadedEntity(values.get(target.text)) : undefined;
  // A field set from the read before (`doc.balance -= cost`) stays what the save loses; the collection change adds to it.
  const earlier = entity && mutated.get(entity.read);
  if (entity && !(earlier && !earlier.collection)) mutate(draft, entity, mutation(call, collection.name.text, true));
}

/**
 * `Object.assign(wallet, { balance: wallet.balance - n })`, MikroORM `em.assign(wallet, {…})` / `wrap(wallet).assign({…})`:
 * each property of the object literal is set on the loaded entity, like `wallet.balance = …`.
 */
function bindEntityAssign(call: ts.CallExpression, { values }: Bindings, draft: BindingsDraft, resolve: CalleeResolver): void {
  if (calleeName(call) !== "assign") return;
  const receiver = receiverOf(call);
  const wrapped = receiver && skipParens(receiver);
  // `wrap(entity).assign(data)` names the entity in `wrap`; the other forms pass it first.
  const [target, data] =
    wrapped && ts.isCallExpression(wrapped) && calleeName(wrapped) === "wrap" ? [wrapped.arguments[0], call.arguments[0]] : call.arguments;
  const entity = target && ts.isIdentifier(skipParens(target)) ? loadedEntity(values.get(skipParens(target).getText())) : undefined;
  if (!entity || !data || !ts.isObjectLiteralExpression(skipParens(data))) return;
  for (const assignment of objectAssignments(data, () => false))
    if (
      assignment.column !== "..." &&
      assignment.value &&
      valueOf(assignment.value, values) &&
      !trackedChange(assignment.value, skipParens(target) as ts.Identifier, assignment.column, entity, values, resolve)
    )
      mutate(draft, entity, mutation(call, assignment.column));
}

/**
 * The read value `expr` carries: the first read-derived name it mentions (column values before rows). With `written`,
 * only what the value is computed from: the condition of a `c ? a : b` chooses between values without flowing into
 * them, and the row's primary key (`row.id`) never changes, so copying it loses nothing.
 */
function valueOf(expr: ts.Expression, values: ReadonlyMap<string, ReadValue>, written = false): ReadValue | undefined {
  if (values.size === 0) return undefined;
  let row: ReadValue | undefined;
  let value: ReadValue | undefined;
  // Values of other reads met after the first: each read the value is computed from keeps its flow.
  const others: ReadValue[] = [];
  const found = (origin: ReadValue): void => {
    for (const each of [origin, ...(origin.also ?? [])]) {
      const plain = { read: each.read, level: each.level, ...(each.column ? { column: each.column } : {}) };
      if (!value) value = plain;
      else if (each.read !== value.read && !others.some((o) => o.read === each.read)) others.push(plain);
    }
  };
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) return;
    if (written && ts.isConditionalExpression(node)) {
      visit(node.whenTrue);
      visit(node.whenFalse);
      return;
    }
    // A nested write's `where` (`revisions: { update: { where: { id: row.revisions[0].id }, data } }`) names the
    // related row; only its data is written.
    if (written && ts.isPropertyAssignment(node) && propertyName(node) === "where") return;
    // `db.manyOrNone("SELECT … WHERE id > $1", [cursor.id])` through a driver not modelled: the database's rows, not a
    // value computed from the parameters the statement was given.
    if (ts.isCallExpression(node) && runsStatement(node)) return;
    if (ts.isCallExpression(node) && isElementLookup(node)) {
      const base = rowBase(node.expression as ts.PropertyAccessExpression, values) ?? elementsOf(node, values);
      if (base) {
        row ??= base;
        return;
      }
      if (looksUpRequestEntry(node, values)) return;
    }
    // `(await createSnapshot(report)).id`, through a `const`: the identity of the object an awaited call returned (a
    // row it created or found), not a value computed from the read values passed to it.
    if (written && ts.isPropertyAccessExpression(node) && isPrimaryKey(node.name.text) && isAwaitedCall(constValue(node.expression)))
      return;
    // `DEFAULTS[key]` with a key that is a row's identity: the module's own entry for that row, the same for every caller.
    if (written && ts.isElementAccessExpression(node) && constantEntryOfIdentity(node, values)) return;
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      // `session.expiresAt = new Date(…)` before: the field holds that value now, not the one read.
      const assigned = ts.isPropertyAccessExpression(node) ? (assignedBefore(node) ?? literalProperty(node)) : undefined;
      if (assigned) return visit(assigned);
      const base = rowBase(node, values);
      const column = ts.isPropertyAccessExpression(node) ? node.name.text : stringValue(node.argumentExpression);
      if (base?.fields) {
        // A property of an object the code built: what that property was given.
        const field = column === undefined ? undefined : base.fields.get(column);
        if (field) found(field);
        return;
      }
      if (base) {
        // A column the read's select list leaves out is absent from its rows: nothing read.
        if (column && base.read.selected && !base.read.selected.has(column)) return;
        if (column && !EXISTENCE.has(column) && !holdsRows(column, base.read) && !/^\d+$/.test(column)) {
          if (!written || !isPrimaryKey(column)) found({ read: base.read, level: "value", column });
        } else row ??= base;
        return;
      }
    }
    // A property name (`row.machine`, the key of `{ machine: … }`) is not a use of a variable of that name.
    if (ts.isIdentifier(node) && !isPropertyName(node)) {
      const origin = values.get(node.text);
      if (origin?.level === "value") {
        if (!written || !origin.column || !isPrimaryKey(origin.column)) found(origin);
      } else if (origin) row ??= origin;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(expr);
  if (value && others.length > 0) value.also = others;
  return value ?? row;
}

/**
 * `DEFAULTS[key]`, where `DEFAULTS` is a module constant (or an import) and `key` holds only rows' identities (the
 * rows themselves, or their primary key): a value the code holds for that row, not one computed from what the row
 * says. A mutable column as the key (`PRICES[row.plan]`) stays a value computed from the read.
 */
function constantEntryOfIdentity(node: ts.ElementAccessExpression, values: ReadonlyMap<string, ReadValue>): boolean {
  const table = skipParens(node.expression);
  if (!ts.isIdentifier(table) || values.has(table.text) || !isModuleConstant(table)) return false;
  const key = valueOf(node.argumentExpression, values);
  return !!key && !key.also && (key.level === "row" || (!!key.column && isPrimaryKey(key.column)));
}

function isAwaitedCall(expr: ts.Expression): boolean {
  const node = skipParens(expr);
  return ts.isAwaitExpression(node) && ts.isCallExpression(skipParens(node.expression));
}

/** The value's origin in `read`, when it is computed from that read (among others). */
function originIn(origin: ReadValue | undefined, read: DbAccess): ReadValue | undefined {
  return origin?.read === read ? origin : origin?.also?.find((o) => o.read === read);
}

function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    ((ts.isPropertyAccessExpression(parent) || ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent)) &&
      parent.name === node) ||
    (ts.isBindingElement(parent) && parent.propertyName === node)
  );
}

/** A row's own identity, which no update changes. */
export function isPrimaryKey(column: string): boolean {
  return /^(id|uuid|pk|_id)$/i.test(column);
}

/** `rows[0].balance` → the origin of `rows`; `account.balance` → the origin of `account` (row level only). */
function rowBase(
  node: ts.PropertyAccessExpression | ts.ElementAccessExpression,
  values: ReadonlyMap<string, ReadValue>,
): ReadValue | undefined {
  let base: ts.Expression = skipParens(node.expression);
  while (
    ts.isElementAccessExpression(base) ||
    ts.isNonNullExpression(base) ||
    (ts.isPropertyAccessExpression(base) && CONTAINERS.has(base.name.text)) ||
    (ts.isCallExpression(base) && isElementLookup(base))
  )
    base = skipParens(ts.isCallExpression(base) ? (base.expression as ts.PropertyAccessExpression).expression : base.expression);
  if (!ts.isIdentifier(base)) return undefined;
  const origin = values.get(base.text);
  return origin?.level === "row" ? origin : undefined;
}

/** A call given a SQL statement as its first argument: it returns what the database returns (rows, a count). */
function runsStatement(call: ts.CallExpression): boolean {
  const text = call.arguments.length > 0 ? sqlTextOf(call.arguments[0]) : undefined;
  return (
    text !== undefined &&
    /^\s*\(?\s*(select\s[^]*\bfrom\b|with\s+\w+\s+as\b|update\s+\S+\s+set\b|insert\s+into\b|delete\s+from\b)/i.test(text)
  );
}

function isElementLookup(call: ts.CallExpression): boolean {
  const callee = skipParens(call.expression);
  return ts.isPropertyAccessExpression(callee) && ELEMENT_LOOKUPS.has(callee.name.text);
}

/**
 * `byHandle.get(row.handle)` where `const byHandle = new Map(…)` is built from nothing read and never `.set`: the entry
 * the request gave for that key, not a value computed from the key read (rows matched to the request's values by key).
 */
function looksUpRequestEntry(call: ts.CallExpression, values: ReadonlyMap<string, ReadValue>): boolean {
  const callee = skipParens(call.expression) as ts.PropertyAccessExpression;
  const collection = skipParens(callee.expression);
  if (callee.name.text !== "get" || !ts.isIdentifier(collection) || values.has(collection.text)) return false;
  const init = constValue(collection);
  if (init === collection || !ts.isNewExpression(init) || !ts.isIdentifier(init.expression) || init.expression.text !== "Map") return false;
  if (valueOf(init, values) !== undefined) return false;
  const scope = localVariable(collection)?.parent?.parent?.parent;
  let set = false;
  const visit = (node: ts.Node): void => {
    if (set) return;
    const method = ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) ? node.expression : undefined;
    const target = method && skipParens(method.expression);
    if (method && target && ts.isIdentifier(target) && target.text === collection.text && method.name.text === "set") set = true;
    else ts.forEachChild(node, visit);
  };
  if (scope) visit(scope);
  return !set && !!scope;
}

/** `byId.get(id)` where `byId` holds the rows read (`new Map(rows.map((r) => [r.id, r]))`): their origin. */
function elementsOf(call: ts.CallExpression, values: ReadonlyMap<string, ReadValue>): ReadValue | undefined {
  const collection = skipParens((call.expression as ts.PropertyAccessExpression).expression);
  const origin = ts.isIdentifier(collection) ? values.get(collection.text) : undefined;
  return origin?.level === "row" ? origin : undefined;
}

/** True if `expr` reads a column value of the read (not just whether a row exists). */
function readsColumn(expr: ts.Expression, read: DbAccess, values: ReadonlyMap<string, ReadValue>): ReadValue | undefined {
  const origin = valueOf(expr, values);
  return origin && origin.read === read && origin.level === "value" ? origin : undefined;
}

/** The columns the write at `node` assigns (none when `node` is no database write). */
function columnsWrittenAt(node: ts.Node): ReadonlySet<string> {
  const access = ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node) ? dbAccessOf(node) : undefined;
  return new Set(access?.kind === "write" ? access.assignments.map((a) => a.column) : []);
}

/**
 * The column of the read a condition checks. A bound comparison (`amount > total - credit`, possibly negated) checks
 * every column its arithmetic reads, so of those the one the write changes is the one checked. In a conjunction or
 * disjunction (`max !== null && used >= max`), such a bound comparison of a column the write changes is the check on the
 * paths that evaluate it, wherever it stands; any other condition (an equality, a truthiness test: `email === e &&
 * verifiedAt`, a shortcut for "already done") checks what its first operand reads.
 */
function checkedColumn(
  expr: ts.Expression,
  read: DbAccess,
  values: ReadonlyMap<string, ReadValue>,
  written: ReadonlySet<string>,
): ReadValue | undefined {
  const first = readsColumn(expr, read, values);
  if (written.size === 0 || (first?.column && written.has(first.column))) return first;
  let test = skipParens(expr);
  while (ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken) test = skipParens(test.operand);
  if (isLogical(test)) {
    for (const operand of [test.left, test.right]) {
      let bound = skipParens(operand);
      while (ts.isPrefixUnaryExpression(bound) && bound.operator === ts.SyntaxKind.ExclamationToken) bound = skipParens(bound.operand);
      const checked = ts.isBinaryExpression(bound) ? checkedColumn(operand, read, values, written) : undefined;
      if (checked?.column && written.has(checked.column) && (isOrderingComparison(bound) || isLogical(bound))) return checked;
    }
    return first;
  }
  if (!isOrderingComparison(test)) return first;
  let changed: ReadValue | undefined;
  const fn = enclosingFunction(expr);
  const followed = new Set<ts.Node>();
  const visit = (node: ts.Node): void => {
    if (changed || isFunctionLike(node)) return;
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const origin = readsColumn(node, read, values);
      if (origin?.column && written.has(origin.column)) {
        changed = origin;
        return;
      }
      // A local computed from the read (`const outstanding = total - credit`): its arithmetic is the comparison's.
      const initializer = ts.isIdentifier(node) && fn ? constInitializerIn(node.text, fn) : undefined;
      if (initializer && origin && !followed.has(initializer) && followed.size < 4) {
        followed.add(initializer);
        visit(initializer);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(test.left);
  visit(test.right);
  return changed ?? first;
}

/** `a && b`, `a || b`. */
function isLogical(node: ts.Expression): node is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(node) &&
    (node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  );
}

/**
 * The flows into `write` from what some path to it binds (`state`): a read whose value a name holds there ran before
 * the write on that path, so a read in the other branch of an `if`, or after the write, is not one of them.
 */
function flowsInto(given: DbAccess, state: Bindings, valuesBefore?: ValuesBefore, checker?: () => ts.TypeChecker): ReadModifyWrite[] {
  const { values, mutated, fieldsSet: setFields } = state;
  // An entity saved with its primary key cleared is inserted as a new row (a copy of the one read): like any insert.
  const write = given.entity && !given.insert && savedAsNewRow(given.entity, given.node) ? { ...given, insert: true } : given;
  const reads = new Set<DbAccess>();
  // An entity write (`repo.save(account)`, `account.save()`) writes the table its entity was read from.
  const entityOrigin =
    write.entity && ts.isIdentifier(skipParens(write.entity)) ? values.get((skipParens(write.entity) as ts.Identifier).text) : undefined;
  if (
    entityOrigin &&
    entityOrigin.level === "row" &&
    !entityOrigin.fields &&
    (write.table === undefined || sameTable(write.table, entityOrigin.read.table))
  )
    reads.add(entityOrigin.read);
  // A flush (MikroORM `em.flush()`) writes every entity of the same ORM changed since it was loaded.
  const flushed = new Map<DbAccess, ReadValue>();
  if (write.flush)
    for (const origin of values.values())
      if (
        origin.level === "row" &&
        origin.read.library === write.library &&
        !origin.fields &&
        (mutated.has(origin.read) || (setFields.get(origin.read)?.length ?? 0) > 0)
      ) {
        reads.add(origin.read);
        flushed.set(origin.read, origin);
      }
  for (const origin of values.values())
    if (write.table !== undefined && (sameTable(origin.read.table, write.table) || hashFieldWritten(origin.read, write) !== undefined))
      reads.add(origin.read);
  const out: ReadModifyWrite[] = [];
  for (const read of reads) {
    if (write.insert && !joinsRowsRead(write, read)) continue;
    const snapshot = new Map(values);
    // An entity save with no columns of its own writes the fields set on the entity (`quote.status = "confirmed"`).
    const saved = write.entity ? entityOrigin : flushed.get(read);
    const fieldsSet =
      (write.entity || write.flush) && write.assignments.length === 0 && saved?.read === read ? [...(setFields.get(read) ?? [])] : [];
    // Mongoose saves a push onto a loaded array as `$push`: the save writes that array (an append, like `updateOne`'s).
    const pushed = write.assignments.length === 0 && saved?.read === read ? appendedArray(write, mutated.get(read)) : undefined;
    if (pushed) fieldsSet.push({ column: pushed, atomic: true });
    const flow: ReadModifyWrite = {
      read,
      write: fieldsSet.length > 0 ? { ...write, assignments: fieldsSet } : write,
      guards: [],
      originOf: (expr) => valueOf(expr, snapshot),
    };
    for (const assignment of withSpreadsExpanded(write.assignments)) {
      // A relation link (Prisma `connect`) names another row by its key: no value of the row read is written.
      if (assignment.relation) continue;
      // An upsert whose conflict update computes the column from the value stored (`ON CONFLICT … SET c = t.c + 1`):
      // the value inserted lands only where no row exists, and a concurrent first insert turns into that update.
      if (write.insert && assignment.atomic) continue;
      for (const value of assignmentValues(write, assignment)) {
        const computed = valueOf(value, values, true);
        const origin = originIn(computed, read);
        if (!origin || flow.data || keepsStoredValue(write, assignment, value, values)) continue;
        // Beside another read's value, this read's counts only where it is the column written back (`amount` from
        // `sale.amount + converted`), not an input the other value was looked up by (`identifier` → a profile fetched).
        if (origin !== computed && !(origin.column && sameColumn(assignment.column, origin.column))) continue;
        // An update loses a value only where it writes back a column it computed from (`balance = row.balance - n`,
        // `settings = { ...row.settings, x }`); a value derived from a column it leaves alone (a path built from
        // `collectionId`) is stale at worst, and nothing written is lost. A new row copies from anything.
        if (!write.insert && origin.column && !writesBack(assignment.column, origin.column, read)) continue;
        // An HGETALL's reply holds every field of the hash: an HSET writes back only the field it names.
        if (read.hashFields && (!origin.column || !sameColumn(origin.column, hashFieldWritten(read, write) ?? ""))) continue;
        // A new row that copies a value as read (an id, a title, a share id reused else generated) gets what a caller
        // running after this one would copy too; only a value computed from the rows read (a next number) differs.
        if (write.insert && copiedAsRead(value, read, values)) continue;
        // An insert overwrites nothing: what two calls can get wrong is only a next number (`last.position + 1`, a
        // count) inserted twice, and not where a unique index over that column refuses the second.
        if (write.insert && (!(isAggregate(read) || isArithmetic(constValue(value))) || uniqueColumn(write, assignment.column))) continue;
        // A cache fill on a miss (`if (hit) … else set(key, computed)`): where the read found nothing, the object
        // written holds nothing it returned, and a column of it is its fallback (`found?.slug ?? newSlug()` in the
        // `else` of `if (found)`). A number computed there (`(last?.n ?? 0) + 1`), or from a count, is one every caller
        // computes alike.
        if ((origin.level === "row" || !isAggregate(read)) && !computesNumber(value) && onlyWhereReadFoundNothing(write.node, read, values))
          continue;
        flow.data = { ...(origin.column ? { column: origin.column } : {}), assignment, value };
      }
    }
    if ((write.entity || write.flush) && !write.givenValuesOnly) {
      const origin = write.entity ? values.get(skipParens(write.entity).getText()) : flushed.get(read);
      const mutation = origin && origin.read === read && !origin.fields ? mutated.get(read) : undefined;
      // Mongoose saves a push onto a loaded array as `$push`: the database appends, nothing is overwritten.
      const appended = !!appendedArray(write, mutation);
      if (mutation && !appended && !flow.data)
        flow.data = {
          column: mutation.column,
          assignment: { column: mutation.column, atomic: false },
          value: write.entity ?? write.node,
          ...(ts.isBinaryExpression(mutation.node) ? { mutation: mutation.node } : {}),
          ...(mutation.collection && ts.isCallExpression(mutation.node) ? { collectionChange: mutation.node } : {}),
        };
    }
    for (const condition of write.conditions) {
      const origin = condition.value && valueOf(condition.value, values);
      // A value of this read, or of another read the same helper call may return instead, pins the row.
      const fromTable = origin && (origin.read === read || (origin.read.node === read.node && sameTable(origin.read.table, read.table)));
      if (fromTable && origin.level === "value" && origin.column && !isKeyColumn(condition.column)) flow.guards.push(condition);
      // A helper passed the row pins its version (`WHERE version = ${row.version}`, restated at the call as the row
      // itself) and bumps it in the same UPDATE (`version = version + 1`): a compare-and-set on the row read.
      else if (fromTable && origin.level === "row" && bumpsColumn(write, condition.column)) flow.guards.push(condition);
    }
    // Of a value-choosing condition and a condition around the write, the one on a column the write changes.
    const controls = [
      selectingCondition(write, read, values),
      // A value written from the read is decided where it is computed: only a check-decided write looks past its callback.
      controllingCondition(write, read, values, valuesBefore, !flow.data),
      filterCheck(write, read, values, checker),
      loopFilterCheck(write, read, values),
      earlierLoopCheck(write, read, values),
    ];
    const control = controls.find((c) => c && flow.write.assignments.some((a) => a.column === c.column)) ?? controls.find((c) => c);
    if (control) flow.control = control;
    if (flow.data || flow.control || flow.guards.length > 0) out.push(flow);
  }
  return out;
}

/**
 * `copy.id = undefined` (or `null`, or `const copy = { ...row, id: undefined }`) on every path to `repo.save(copy)`:
 * an ORM saves an entity without a primary key as a new row, so the save inserts a copy and overwrites nothing.
 */
function savedAsNewRow(entity: ts.Expression, save: ts.Node): boolean {
  const name = skipParens(entity);
  if (!ts.isIdentifier(name)) return false;
  const byField = fieldAssignmentsAround(save);
  const keyFields = [...byField].filter(([field]) => field.startsWith(`${name.text}.`) && isPrimaryKey(field.slice(name.text.length + 1)));
  if (keyFields.length > 0)
    return keyFields.some(([, assignments]) => {
      const last = lastRunBefore([...assignments, ...(byField.get(name.text) ?? [])], save);
      return (
        !!last &&
        last.size > 0 &&
        [...last].every((node) => node && ts.isBinaryExpression(node) && assignments.includes(node) && isNullish(skipParens(node.right)))
      );
    });
  if (byField.has(name.text)) return false;
  const declaration = localVariable(name);
  const literal = declaration?.initializer && skipParens(declaration.initializer);
  if (!literal || !ts.isObjectLiteralExpression(literal)) return false;
  return literal.properties.some(
    (p, i) =>
      ts.isPropertyAssignment(p) &&
      isPrimaryKey(propertyName(p) ?? "") &&
      isNullish(skipParens(p.initializer)) &&
      !literal.properties.slice(i + 1).some((later) => ts.isSpreadAssignment(later) || propertyName(later) === propertyName(p)),
  );
}

/** The loaded array a Mongoose (or MongoDB) document save appends to: the collection the document's change pushed onto. */
function appendedArray(write: DbAccess, mutation: Mutation | undefined): string | undefined {
  return mutation?.collection && (write.library === "mongoose" || write.library === "mongodb") ? mutation.column : undefined;
}

/** The write increments `column` from its own value (`"version" = "version" + 1`): a version counter. */
/** Integer version counters (timestamps and etags are left alone: a JavaScript Date loses the precision SQL compares). */
export const VERSION_COUNTER = /^(version|_version|lock_?version|row_?version|revision)$/i;

/**
 * Optimistic locking on the version the request was built on: the WHERE pins a version counter to a value the SET
 * writes back plus one (`where: { id, version: dto.version }`, `data: { version: dto.version + 1 }`), or increments in
 * the database. It matches only while the row still holds that version, which every writer of a versioned row bumps,
 * so a change since (the read's too) makes it match nothing.
 */
export function pinsAndBumpsVersion(write: DbAccess): boolean {
  return write.conditions.some((condition) => pinsAndBumps(write, condition));
}

function pinsAndBumps(write: DbAccess, condition: AccessCondition): boolean {
  if (condition.operator !== "=" || !condition.value || !VERSION_COUNTER.test(condition.column)) return false;
  const pinned = canonicalKey(condition.value);
  return write.assignments.some((a) => {
    if (!sameColumn(a.column, condition.column)) return false;
    if (a.atomic) return true;
    const value = a.value && skipParens(a.value);
    if (!value || !ts.isBinaryExpression(value) || value.operatorToken.kind !== ts.SyntaxKind.PlusToken) return false;
    const [term, one] = isOne(value.right) ? [value.left, value.right] : [value.right, value.left];
    return isOne(one) && canonicalKey(term) === pinned;
  });
}

function isOne(node: ts.Expression): boolean {
  const value = skipParens(node);
  return ts.isNumericLiteral(value) && value.text === "1";
}

function bumpsColumn(write: DbAccess, column: string): boolean {
  return (
    !!write.through &&
    write.assignments.some((a) => a.atomic && sameColumn(a.column, column)) &&
    !!write.through.access.sql &&
    new RegExp(String.raw`["\x60]?${escapeRegExp(column)}["\x60]?\s*=\s*["\x60]?${escapeRegExp(column)}["\x60]?\s*\+\s*1\b`, "i").test(
      write.through.access.sql.text,
    )
  );
}

/**
 * The write's only column gets the caller's value or, without one, the value it read (`bio: dto.bio ?? profile.bio`):
 * a call that passes the value writes it whatever the row holds, and one that does not asks for no change. Only a
 * call that changes nothing can undo another's change; with a second column written (a PATCH of two fields), a call
 * changing one writes back the other as read, and that is reported.
 */
function keepsStoredValue(
  write: DbAccess,
  assignment: AccessAssignment,
  value: ts.Expression,
  values: ReadonlyMap<string, ReadValue>,
): boolean {
  const node = skipParens(value);
  if (write.assignments.length !== 1 || !ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.QuestionQuestionToken)
    return false;
  // `profile.bio` itself (a row's field), not a value computed from it.
  const stored = skipParens(node.right);
  return (
    !valueOf(node.left, values) &&
    ts.isPropertyAccessExpression(stored) &&
    sameColumn(stored.name.text, assignment.column) &&
    rowBase(stored, values) !== undefined
  );
}

/** The assignment writes the column the value was read from (through a SQL alias: `SELECT balance AS b`, `max(n) AS last`). */
function writesBack(written: string, readColumn: string, read: DbAccess): boolean {
  if (written === "..." || sameColumn(written, readColumn)) return true;
  // A Redis string key's value is one column: a field of the JSON stored there (`record.tokens` of
  // `JSON.parse(await redis.get(key))`) is part of the value a SET of that key writes back.
  if (read.library === "redis" && written === "value") return true;
  const alias =
    read.sql && new RegExp(String.raw`([A-Za-z_]\w*)["\x60]?\)?\s+AS\s+["\x60]?${escapeRegExp(readColumn)}\b`, "i").exec(read.sql.text);
  return !!alias && sameColumn(written, alias[1]!);
}

/**
 * The assignments with each spread built of object literals (`...(changed ? { reviewState, reviewedAt: null } : {})`,
 * `c && {…}`, nested spreads) replaced by the properties it may set: only those can write a column back. A spread of a
 * value (`...row`, `...input`) stays one assignment of any column.
 */
function withSpreadsExpanded(assignments: readonly AccessAssignment[]): AccessAssignment[] {
  return assignments.flatMap((a) => (a.column === "..." && a.value && !a.sql ? (spreadProperties(a.value) ?? [a]) : [a]));
}

function spreadProperties(expr: ts.Expression): AccessAssignment[] | undefined {
  const node = skipParens(expr);
  if (ts.isConditionalExpression(node)) {
    const [whenTrue, whenFalse] = [spreadProperties(node.whenTrue), spreadProperties(node.whenFalse)];
    return whenTrue && whenFalse ? [...whenTrue, ...whenFalse] : undefined;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) return spreadProperties(node.right);
  if (!ts.isObjectLiteralExpression(node)) return undefined;
  const out: AccessAssignment[] = [];
  for (const property of node.properties) {
    if (ts.isSpreadAssignment(property)) {
      const inner = spreadProperties(property.expression);
      if (!inner) return undefined;
      out.push(...inner);
      continue;
    }
    const column = ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property) ? propertyName(property) : undefined;
    if (column === undefined) return undefined;
    out.push({
      column,
      value: ts.isPropertyAssignment(property) ? property.initializer : (property as ts.ShorthandPropertyAssignment).name,
      atomic: false,
    });
  }
  return out;
}

/** `accessed_projects` and `accessedProjects` name one column (Prisma fields and SQL columns). */
export function sameColumn(a: string, b: string): boolean {
  return a.replace(/_/g, "").toLowerCase() === b.replace(/_/g, "").toLowerCase();
}

/**
 * An insert races with a read of the same table only when the new row joins the rows read: it writes the value the
 * read looked them up by (`findFirst({ where: { handle } })` then `create({ data: { handle } })`, a next position
 * under the same `listId`). Then a check on them (check-then-insert) or a value computed from them (a next number)
 * is evidence; a new row elsewhere (a clone or a replay of a row read by its id) collides with nothing.
 */
function joinsRowsRead(write: DbAccess, read: DbAccess): boolean {
  // A row read by its primary key is one row, which a new row never is (`where: { id, workspaceId }` names the source).
  if (read.conditions.some((c) => c.operator === "=" && isPrimaryKey(c.column))) return false;
  return read.conditions.some(
    (c) =>
      c.operator === "=" &&
      c.value !== undefined &&
      write.assignments.some((a) => a.column === c.column && a.value && sameIdentity(a.value, c.value!)),
  );
}

/** `walk`, visiting `root` itself first. */
function walkWithRoot(root: ts.Node, visit: (node: ts.Node) => boolean): void {
  if (visit(root)) walk(root, visit);
}

/**
 * A `c ? a : b` in a written value whose condition reads a column of `read`: the read decides which value is written
 * (control), without flowing into it.
 */
function selectingCondition(write: DbAccess, read: DbAccess, values: ReadonlyMap<string, ReadValue>): ReadModifyWrite["control"] {
  for (const assignment of write.assignments) {
    for (const value of assignmentValues(write, assignment)) {
      let found: ReadModifyWrite["control"];
      walkWithRoot(value, (node) => {
        if (found || isFunctionLike(node)) return false;
        const origin = ts.isConditionalExpression(node) && !copiesOrNull(node) ? readsColumn(node.condition, read, values) : undefined;
        if (origin && ts.isConditionalExpression(node))
          found = {
            ...(origin.column ? { column: origin.column } : {}),
            condition: node.condition,
            statement: enclosingStatementOf(node),
            earlyExit: false,
          };
        return !found;
      });
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * `x !== null ? Number(x) : null` (also `x == null ? null : x`, `x ? f(x) : undefined`): a null test of a value whose
 * set branch is computed from that value and whose other branch is null or undefined. It copies the value, keeping a
 * null a null; it chooses nothing else, so its test is no check deciding the write (what the set branch computes is
 * still the written value's data).
 */
function copiesOrNull(node: ts.ConditionalExpression): boolean {
  const test = skipParens(node.condition);
  let subject: ts.Expression | undefined;
  let [set, unset] = [node.whenTrue, node.whenFalse];
  const negated = nullTestSubject(test);
  if (negated) {
    subject = negated;
    [set, unset] = [node.whenFalse, node.whenTrue];
  } else if (ts.isBinaryExpression(test) && /^(!=|!==)$/.test(test.operatorToken.getText()) && isNullish(test.right))
    subject = skipParens(test.left);
  else if (ts.isIdentifier(test) || ts.isPropertyAccessExpression(test)) subject = test;
  if (!subject || !(ts.isIdentifier(subject) || ts.isPropertyAccessExpression(subject)) || !isNullish(skipParens(unset))) return false;
  const key = expressionKey(subject);
  let mentioned = false;
  walkWithRoot(set, (n) => !(mentioned ||= ts.isExpression(n) && expressionKey(n) === key));
  return mentioned;
}

/** `WHERE id = row.id` names the row; it is not a compare-and-set guard. */
export function isKeyColumn(column: string): boolean {
  return /^(id|uuid|key|pk|_id)$/i.test(column) || /Id$|_id$/.test(column);
}

/** The JS expressions a write assigns: the property value, or every placeholder value of a SQL assignment. */
export function assignmentValues(write: DbAccess, assignment: AccessAssignment): ts.Expression[] {
  if (assignment.sql)
    return assignment.sql.placeholders.map((p) => placeholderValue(write, p)).filter((v): v is ts.Expression => v !== undefined);
  return assignment.value ? [assignment.value] : [];
}

/**
 * `if (ok && failures > 0) reset(); else if (!ok) record();`: the `else if` arm (`via` its then-branch) is entered only
 * when its own test negates a conjunct of the `if` before it, whatever the other conjuncts read, so code there does not
 * depend on them.
 */
function excludedByElseIf(outer: ts.IfStatement, child: ts.Node, via: ts.Node | undefined): boolean {
  if (child !== outer.elseStatement || !ts.isIfStatement(child) || via !== child.thenStatement) return false;
  const negated = new Set(operands(outer.expression, ts.SyntaxKind.AmpersandAmpersandToken).map(negationKey));
  return operands(child.expression, ts.SyntaxKind.AmpersandAmpersandToken).some((conjunct) => negated.has(expressionKey(conjunct)));
}

/** The key of `!x` for `x`, and of `x` for `!x`. */
function negationKey(expr: ts.Expression): string {
  const inner = skipParens(expr);
  if (ts.isPrefixUnaryExpression(inner) && inner.operator === ts.SyntaxKind.ExclamationToken) return expressionKey(inner.operand);
  const key = expressionKey(inner);
  return ts.isIdentifier(inner) || ts.isPropertyAccessExpression(inner) || ts.isCallExpression(inner) ? `!${key}` : `!(${key})`;
}

/** What the function's names hold just before a node runs, along its paths (undefined: not known there). */
type ValuesBefore = (node: ts.Node) => ReadonlyMap<string, ReadValue> | undefined;

/**
 * The innermost `if` / loop / early-exit guard on a column of `read` that the write depends on; of early exits, one on a
 * column the write changes is preferred to one nearer the write that checks another: `if (a.tries >= MAX) return; if
 * (a.gaveUp) return; … update tries` is decided by the bound on `tries`, not by the flag nearest the write (an `if`
 * around the write decides it as before). A condition is read with what the names hold where it is tested, as well as
 * at the write: `let customerId = org.customerId; if (!customerId) { customerId = created.id; … write }` checks the
 * column, though the name holds another value by the write.
 */
function controllingCondition(
  write: DbAccess,
  read: DbAccess,
  values: ReadonlyMap<string, ReadValue>,
  valuesBefore?: ValuesBefore,
  pastCallbacks = false,
): ReadModifyWrite["control"] {
  const node = write.node;
  const written = columnsWrittenAt(node);
  const readsColumn = (expr: ts.Expression, r: DbAccess, v: ReadonlyMap<string, ReadValue>) => {
    // What the names hold where the condition is tested: before its first element, or else before the first element of
    // what it guards (a condition of bare names has no element of its own).
    const parent = expr.parent;
    const guarded = ts.isIfStatement(parent) ? parent.thenStatement : ts.isWhileStatement(parent) ? parent.statement : undefined;
    const first = valuesBefore && (firstElementIn(expr, valuesBefore) ?? (guarded && firstElementIn(guarded, valuesBefore)));
    const atCheck = first ? valuesBefore(first) : undefined;
    return (atCheck && atCheck !== v ? checkedColumn(expr, r, atCheck, written) : undefined) ?? checkedColumn(expr, r, v, written);
  };
  let nearest: ReadModifyWrite["control"];
  // The nearest early exit, unless one on a column the write changes comes further out and no claim of that column
  // (an earlier write of it since the read) ran in between: the check decided the claim, not this write.
  const consider = (found: NonNullable<ReadModifyWrite["control"]>): boolean => {
    if (found.column && [...written].some((column) => sameColumn(column, found.column!)) && !claimedBefore(write, read, found.column))
      return true;
    nearest ??= found;
    return false;
  };
  for (
    let via: ts.Node | undefined, child: ts.Node = node, parent = node.parent;
    parent;
    via = child, child = parent, parent = parent.parent
  ) {
    if (isFunctionLike(parent)) {
      // A transaction's callback runs where its opener is called: a check before the opener decides the callback's
      // writes as one before them in the same body does.
      const opener = parent.parent;
      if (!pastCallbacks || !ts.isCallExpression(opener) || transactionCallbackOf(opener) !== parent) break;
      parent = opener;
      continue;
    }
    if (ts.isIfStatement(parent) && child !== parent.expression && !excludedByElseIf(parent, child, via)) {
      const origin = readsColumn(parent.expression, read, values);
      if (origin)
        return (
          nearest ?? {
            ...(origin.column ? { column: origin.column } : {}),
            condition: parent.expression,
            statement: parent,
            earlyExit: false,
          }
        );
    }
    if (
      (ts.isWhileStatement(parent) || ts.isConditionalExpression(parent)) &&
      child !== (ts.isWhileStatement(parent) ? parent.expression : parent.condition)
    ) {
      const condition = ts.isWhileStatement(parent) ? parent.expression : parent.condition;
      const origin = readsColumn(condition, read, values);
      if (origin)
        return (
          nearest ?? {
            ...(origin.column ? { column: origin.column } : {}),
            condition,
            statement: ts.isWhileStatement(parent) ? parent : enclosingStatementOf(parent),
            earlyExit: false,
          }
        );
    }
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      const statements = parent.statements;
      for (let i = statements.indexOf(child as ts.Statement) - 1; i >= 0; i--) {
        const statement = statements[i]!;
        if (ts.isIfStatement(statement) && !statement.elseStatement && alwaysExits(statement.thenStatement)) {
          const origin = readsColumn(statement.expression, read, values);
          const found = origin && {
            ...(origin.column ? { column: origin.column } : {}),
            condition: statement.expression,
            statement,
            earlyExit: true,
          };
          if (found && consider(found)) return found;
        }
      }
    }
  }
  return nearest;
}

/**
 * `other` comes after `write` in the body of a loop that does not hold the read (`for (const post of due) { …
 * update(post) … } catch { update(post) }`): it runs before `write` only in an earlier iteration, on an earlier row.
 */
function onlyInEarlierIteration(other: ts.Node, write: ts.Node, read: ts.Node): boolean {
  if (other.pos < write.end) return false;
  for (let node = write.parent; node && !isFunctionLike(node); node = node.parent)
    if (ts.isIterationStatement(node, false)) return isInside(other, node) && !isInside(read, node);
  return false;
}

/**
 * An earlier write of `column` to the write's table since the read (the claim itself, `status: "PROCESSING"`), which
 * the check of that column decided rather than this write: one that can run after the read and before the write (not
 * one in the other branch of an `if`).
 */
function claimedBefore(write: DbAccess, read: DbAccess, column: string): boolean {
  const fn = enclosingFunction(write.node);
  const body = fn?.body;
  let claimed = false;
  if (body)
    walk(body, (node) => {
      if (claimed || isFunctionLike(node)) return false;
      if (ts.isCallExpression(node) && node !== write.node) {
        const other = dbAccessOf(node);
        claimed =
          other?.kind === "write" &&
          other.table !== undefined &&
          write.table !== undefined &&
          sameTable(other.table, write.table) &&
          other.assignments.some((a) => sameColumn(a.column, column)) &&
          !onlyInEarlierIteration(node, write.node, read.node) &&
          (enclosingFunction(read.node) === fn ? mayRunBetween(read.node, [node], write.node) : mayRunAfter(node, write.node));
      }
      return !claimed;
    });
  return claimed;
}

/** The element of `root` (a node `valuesBefore` knows) that runs first: the leftmost, innermost one. */
function firstElementIn(root: ts.Node, valuesBefore: ValuesBefore): ts.Node | undefined {
  let first: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (first || isFunctionLike(node)) return;
    ts.forEachChild(node, visit);
    if (!first && valuesBefore(node)) first = node;
  };
  visit(root);
  return first;
}

/**
 * Rows kept by a JS filter on a column and then, one by one, written with a new value of that column
 * (`for (const item of rows.filter((r) => !r.transactionId)) update(… set transactionId …)`): the filter is the check
 * the write depends on. Only a filter on a column the write changes counts: that is a claim; other filters pick rows.
 */
function loopFilterCheck(write: DbAccess, read: DbAccess, values: ReadonlyMap<string, ReadValue>): ReadModifyWrite["control"] {
  for (let child: ts.Node = write.node, parent = child.parent; parent && !isFunctionLike(parent); child = parent, parent = parent.parent) {
    if (!ts.isForOfStatement(parent) || child !== parent.statement) continue;
    const filter = filterCallOf(parent.expression);
    const predicate = filter && skipParens(filter.arguments[0]!);
    if (!predicate || !(ts.isArrowFunction(predicate) || ts.isFunctionExpression(predicate))) return undefined;
    const param = predicate.parameters[0]?.name;
    const body = ts.isArrowFunction(predicate) && !ts.isBlock(predicate.body) ? predicate.body : undefined;
    const rows = valueOf((filter.expression as ts.PropertyAccessExpression).expression, values);
    if (!param || !ts.isIdentifier(param) || !body || rows?.level !== "row" || rows.read !== read) return undefined;
    const scoped = new Map(values).set(param.text, rows);
    const origin = readsColumn(body, read, scoped);
    const column = origin?.column;
    if (!column || !write.assignments.some((a) => sameColumn(a.column, column))) return undefined;
    return { column, condition: body, statement: parent, earlyExit: false };
  }
  return undefined;
}

/**
 * A loop before the write, in a block around it, that leaves the function when a row fails a check of a column the
 * write changes (`for (const item of items) if (byId.get(item.id)!.stock < item.qty) throw …`, then the updates in a
 * second loop): the writes run only because every row passed it.
 */
function earlierLoopCheck(write: DbAccess, read: DbAccess, values: ReadonlyMap<string, ReadValue>): ReadModifyWrite["control"] {
  const written = (column: string | undefined) => column !== undefined && write.assignments.some((a) => sameColumn(a.column, column));
  for (let child: ts.Node = write.node, parent = child.parent; parent && !isFunctionLike(parent); child = parent, parent = parent.parent) {
    if (!ts.isBlock(parent) && !ts.isSourceFile(parent)) continue;
    for (let i = parent.statements.indexOf(child as ts.Statement) - 1; i >= 0; i--) {
      const loop = parent.statements[i]!;
      if (!ts.isForOfStatement(loop) && !ts.isForStatement(loop)) continue;
      for (const guard of nodesOfKinds<ts.IfStatement>(loop.statement, [ts.SyntaxKind.IfStatement], { skipFunctions: true })) {
        if (guard.elseStatement || !leavesFunction(guard.thenStatement)) continue;
        const checked = [
          guard.expression,
          ...nodesOfKinds<ts.PropertyAccessExpression>(guard.expression, [ts.SyntaxKind.PropertyAccessExpression]),
        ]
          .map((e) => readsColumn(e, read, values))
          .find((origin) => written(origin?.column));
        if (checked) return { column: checked.column!, condition: guard.expression, statement: guard, earlyExit: true };
      }
    }
  }
  return undefined;
}

/** A branch that throws or returns on every path, not one that only ends the loop iteration (`continue`, `break`). */
function leavesFunction(statement: ts.Statement): boolean {
  if (!alwaysExits(statement)) return false;
  let jumps = ts.isContinueStatement(statement) || ts.isBreakStatement(statement);
  walk(statement, (node) => {
    if (isFunctionLike(node)) return false;
    if (ts.isContinueStatement(node) || ts.isBreakStatement(node)) jumps = true;
    return !jumps;
  });
  return !jumps;
}

/** `rows.filter(fn)`, directly or through a `const` holding it. */
function filterCallOf(expr: ts.Expression): ts.CallExpression | undefined {
  let node = skipParens(expr);
  if (ts.isIdentifier(node)) {
    const init = localVariable(node)?.initializer;
    if (init) node = skipParens(init);
  }
  return ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === "filter" &&
    node.arguments.length > 0
    ? node
    : undefined;
}

/**
 * A read that finds the row only while a column holds a value (`findFirst({ where: { id, status: "PENDING" } })`),
 * then, once a row was found (`if (!job) throw …` before, or `if (job)` around), an update of that row that changes the
 * column: the read's filter is the check. The write's own WHERE repeating it is a compare-and-set (decided later).
 */
function filterCheck(
  write: DbAccess,
  read: DbAccess,
  values: ReadonlyMap<string, ReadValue>,
  checker?: () => ts.TypeChecker,
): ReadModifyWrite["control"] {
  if (write.insert) return undefined;
  const filter = read.sql ? sqlStateFilter(write, read) : ormStateFilter(write, read);
  if (!filter) return undefined;
  const required = filter.required;
  // The write names the row found: by a value of it (`where: { id: job.id }`) or by the key the read looked it up by.
  const keyed = write.conditions.some(
    (c) =>
      c.value !== undefined &&
      (valueOf(c.value, values)?.read === read ||
        read.conditions.some((r) => r !== filter.condition && r.value !== undefined && sameIdentity(r.value, c.value!))),
  );
  if (!keyed) return undefined;
  if (claimedBefore(write, read, filter.column)) return undefined;
  if (filter.nullTest && !claimUsed(write, read, values, checker)) return undefined;
  const isFound = (test: ts.Expression, found: boolean): boolean => {
    const node = skipParens(test);
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) return isFound(node.operand, !found);
    const origin = valueOf(node, values);
    if (ts.isIdentifier(node)) return found && origin?.read === read && origin.level === "row";
    return foundByCount(node, read, values) === found;
  };
  for (
    let child: ts.Node = write.node, parent = write.node.parent;
    parent && !isFunctionLike(parent);
    child = parent, parent = parent.parent
  ) {
    if (ts.isIfStatement(parent) && child === parent.thenStatement && isFound(parent.expression, true))
      return { column: filter.column, condition: parent.expression, statement: parent, earlyExit: false, required };
    // `for (const job of jobs)` over the rows read: each element is a row found, as after `if (!job) return`, and
    // work done on it before the write (a mail sent, a post published) is what the write claims.
    if (
      ts.isForOfStatement(parent) &&
      child === parent.statement &&
      rowsOf(parent.expression, read, values) &&
      worksBefore(parent.statement, write, checker)
    )
      return { column: filter.column, condition: parent.expression, statement: parent, earlyExit: false, required };
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      const statements = parent.statements;
      for (let i = statements.indexOf(child as ts.Statement) - 1; i >= 0; i--) {
        const statement = statements[i]!;
        if (
          ts.isIfStatement(statement) &&
          !statement.elseStatement &&
          alwaysExits(statement.thenStatement) &&
          isFound(statement.expression, false)
        )
          return { column: filter.column, condition: statement.expression, statement, earlyExit: true, required };
      }
    }
  }
  return undefined;
}

/** A column the read required to hold a state (the filter), and that state as code text for the message. */
interface StateFilter {
  column: string;
  required: string;
  /** For ORM filters: the value expression, which the write's own keys must not be. */
  condition?: AccessCondition;
  /** The read required the column to be NULL (`reserved_at IS NULL`). */
  nullTest?: boolean;
}

/**
 * A claim of a NULL column matters where work follows from it: the function returns the row found (its caller runs the
 * job), or awaits work other than database statements between the read and the write or after the write, work whose
 * result the write does not store. A column set once with nothing done on the strength of it (`deleted_at IS NULL`,
 * then `SET deleted_at = now()`), or a backfill storing what it computed, ends the same however two calls interleave.
 */
function claimUsed(write: DbAccess, read: DbAccess, values: ReadonlyMap<string, ReadValue>, checker?: () => ts.TypeChecker): boolean {
  const fn = enclosingFunction(write.node);
  const body = fn?.body;
  if (!body || !ts.isBlock(body)) return false;
  let returnsRow = false;
  walk(body, (node) => {
    if (returnsRow || isFunctionLike(node)) return false;
    if (ts.isReturnStatement(node) && node.expression) {
      // The row itself (`return job`, `return rows[0]`), not a summary built from it (`{ processed: rows.length }`).
      const returned = skipParens(skipAwait(node.expression));
      const origin = ts.isIdentifier(returned) || ts.isElementAccessExpression(returned) ? valueOf(returned, values) : undefined;
      returnsRow = origin?.read === read && origin.level === "row" && origin.column === undefined;
    }
    return !returnsRow;
  });
  // Work between the read and the write, or after the write on a path from it (not in a branch that skips it), whose
  // result is not what the write stores: a backfill's upload or generated code is the write's own computation.
  const feeding = namesFeeding(write, body);
  const storedResult = (work: ts.Node) => {
    let holder = work;
    while (ts.isParenthesizedExpression(holder.parent) || ts.isAsExpression(holder.parent)) holder = holder.parent;
    const declaration = holder.parent;
    return ts.isVariableDeclaration(declaration) && boundNames(declaration.name).some((name) => feeding.has(name.text));
  };
  // The await that runs the read itself (`await Promise.all([findFirst(…), …])`) is no work done after it.
  const onClaimPath = (work: ts.Node) =>
    !isInside(read.node, work) && !storedResult(work) && (mayRunBetween(read.node, [work], write.node) || mayRunAfter(write.node, work));
  return returnsRow || awaitsWork(body, write, checker, onClaimPath);
}

/** The names the write's values are computed from, through the `const`s of `body` that hold them, transitively. */
function namesFeeding(write: DbAccess, body: ts.Block): ReadonlySet<string> {
  const names = new Set<string>();
  const addFrom = (root: ts.Node) => {
    if (ts.isIdentifier(root)) names.add(root.text);
    walk(root, (node) => {
      if (ts.isIdentifier(node)) names.add(node.text);
    });
  };
  for (const assignment of write.assignments) for (const value of assignmentValues(write, assignment)) addFrom(value);
  const declarations = nodesOfKinds<ts.VariableDeclaration>(body, [ts.SyntaxKind.VariableDeclaration], { skipFunctions: true });
  for (let grew = true; grew;) {
    grew = false;
    for (const declaration of declarations) {
      if (!declaration.initializer || !ts.isIdentifier(declaration.name) || !names.has(declaration.name.text)) continue;
      const before = names.size;
      addFrom(declaration.initializer);
      if (names.size > before) grew = true;
    }
  }
  return names;
}

/**
 * An ORM read's filter pinning a non-key column to a literal (`status: "PENDING"`) that the write changes, or testing
 * a column NULL (Prisma `assigneeId: null`, Drizzle `isNull(t.claimedAt)`) where the write stores a value in it.
 */
function ormStateFilter(write: DbAccess, read: DbAccess): StateFilter | undefined {
  const nullTest = read.conditions.find(
    (c) =>
      (c.operator === "IS NULL" || (c.operator === "=" && c.value !== undefined && isNullish(c.value))) &&
      write.assignments.some((a) => sameColumn(a.column, c.column) && a.value !== undefined && !isNullish(a.value)),
  );
  const filter = read.conditions.find(
    (c) =>
      c.operator === "=" &&
      !isKeyColumn(c.column) &&
      c.value !== undefined &&
      isLiteral(c.value) &&
      !isNullish(c.value) &&
      write.assignments.some(
        (a) => sameColumn(a.column, c.column) && !(a.value && isLiteral(a.value) && a.value.getText() === c.value!.getText()),
      ),
  );
  if (filter) return { column: filter.column, required: filter.value!.getText(), condition: filter };
  if (nullTest) return { column: nullTest.column, required: "null", condition: nullTest, nullTest: true };
  return eitherStateFilter(write, read);
}

/**
 * A Prisma read whose `where: { OR: [{ status: "PENDING" }, { status: "SCHEDULED", … }] }` pins one column to a
 * literal in every branch, where the write stores a literal none of them is: the row is found only in those states.
 */
function eitherStateFilter(write: DbAccess, read: DbAccess): StateFilter | undefined {
  if (read.library !== "prisma" || !ts.isCallExpression(read.node)) return undefined;
  const branches = propertyValue(propertyValue(read.node.arguments[0], "where"), "OR");
  const list = branches && skipParens(branches);
  if (!list || !ts.isArrayLiteralExpression(list) || list.elements.length < 2) return undefined;
  for (const assignment of write.assignments) {
    const written = assignment.value && skipParens(assignment.value);
    if (!written || !isLiteral(written) || isNullish(written)) continue;
    const states = list.elements.map((branch) => {
      const value = propertyValue(branch, assignment.column);
      return value && isLiteral(skipParens(value)) && !isNullish(value) ? skipParens(value).getText() : undefined;
    });
    if (states.every((state) => state !== undefined && state !== written.getText()))
      return { column: assignment.column, required: [...new Set(states)].join(" or ") };
  }
  return undefined;
}

/** A SQL literal in a statement's text: a quoted string, a number or a boolean. */
const SQL_LITERAL = /^\s*(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|TRUE|FALSE)\s*$/i;

/**
 * A raw SQL read's WHERE pinning a non-key column to a state in its own text (`reserved_at IS NULL`,
 * `status = 'pending'`) that the write's SET changes to something else: the unclaimed row is what the read found.
 */
function sqlStateFilter(write: DbAccess, read: DbAccess): StateFilter | undefined {
  for (const condition of read.sql!.statement.conditions) {
    const isNullTest = condition.operator === "IS NULL";
    // A key column compared with a value names rows; tested NULL (`worker_id IS NULL`) it is a state: unassigned.
    if ((!isNullTest && isKeyColumn(condition.column)) || condition.placeholders.length > 0) continue;
    if (!isNullTest && !(condition.operator === "=" && SQL_LITERAL.test(condition.expression))) continue;
    const required = isNullTest ? "NULL" : condition.expression.trim();
    const changes = write.assignments.some((a) => {
      if (!sameColumn(a.column, condition.column)) return false;
      const text = a.sql?.expression.trim() ?? a.value?.getText();
      if (text === undefined) return !isNullTest;
      return isNullTest ? !/^NULL$/i.test(text) && !(a.value && isNullish(a.value)) : text.toLowerCase() !== required.toLowerCase();
    });
    if (changes) return { column: condition.column, required, ...(isNullTest ? { nullTest: true } : {}) };
  }
  return undefined;
}

/**
 * Whether a test of how many rows the read returned is truthy exactly when it found some (`rows.length`,
 * `rows.length > 0`: true) or none (`rows.length === 0`, `rows.length < 1`: false); undefined for other tests.
 */
function foundByCount(test: ts.Expression, read: DbAccess, values: ReadonlyMap<string, ReadValue>): boolean | undefined {
  const lengthOfRows = (e: ts.Expression) => {
    const node = skipParens(e);
    return ts.isPropertyAccessExpression(node) && node.name.text === "length" && rowsOf(node.expression, read, values);
  };
  if (lengthOfRows(test)) return true;
  if (!ts.isBinaryExpression(test) || !lengthOfRows(test.left) || !ts.isNumericLiteral(skipParens(test.right))) return undefined;
  const n = Number((skipParens(test.right) as ts.NumericLiteral).text);
  switch (test.operatorToken.kind) {
    case ts.SyntaxKind.EqualsEqualsEqualsToken:
    case ts.SyntaxKind.EqualsEqualsToken:
    case ts.SyntaxKind.LessThanEqualsToken:
      return n === 0 ? false : undefined;
    case ts.SyntaxKind.LessThanToken:
      return n === 1 ? false : undefined;
    case ts.SyntaxKind.ExclamationEqualsEqualsToken:
    case ts.SyntaxKind.ExclamationEqualsToken:
    case ts.SyntaxKind.GreaterThanToken:
      return n === 0 ? true : undefined;
    case ts.SyntaxKind.GreaterThanEqualsToken:
      return n === 1 ? true : undefined;
    default:
      return undefined;
  }
}

/**
 * A statement before the write in the loop's body (at the write's level or an enclosing block's) awaits a call that is
 * not a database statement (`await send(mail)`): work on the element, in the same pass, that two runs would both do
 * before either marks it. Work in the other branch of an `if`, or after the write, is not before it.
 */
function worksBefore(body: ts.Statement, write: DbAccess, checker?: () => ts.TypeChecker): boolean {
  for (let child: ts.Node = write.node, parent = child.parent; parent && child !== body; child = parent, parent = parent.parent) {
    if (!ts.isBlock(parent)) continue;
    const index = parent.statements.indexOf(child as ts.Statement);
    if (parent.statements.slice(0, Math.max(index, 0)).some((statement) => awaitsWork(statement, write, checker))) return true;
  }
  return false;
}

/**
 * The statement awaits a call that is not a database statement (nested functions aside), and is not given the value
 * the write names the row by (`grant({ orderId: o.orderId })` before `update({ where: { orderId: o.orderId } })`):
 * work given the row's key may dedupe on it, as an idempotency key made from the row does. A job queued or a Stripe
 * object created is deduped only by its dedupe option (`jobId`, `idempotencyKey`): given the key in its payload alone
 * (`queue.add("sync", { repoId: repo.id })`), it is made once per call.
 */
function awaitsWork(statement: ts.Node, write: DbAccess, checker?: () => ts.TypeChecker, counts?: (work: ts.Node) => boolean): boolean {
  const keys = write.conditions.flatMap((c) => (c.value ? [c.value] : []));
  const givenKey = (roots: readonly ts.Node[]): boolean => {
    let given = false;
    for (const root of roots)
      walk(root, (node) => {
        if (given || isFunctionLike(node)) return false;
        if (ts.isExpression(node) && keys.some((key) => sameIdentity(node, key))) given = true;
        return !given;
      });
    return given;
  };
  const dedupes = (call: ts.CallExpression): boolean =>
    checker && createsRemoteObject(call, checker) ? givenKey(dedupeKeysOf(call)) : givenKey(call.arguments);
  let found = false;
  walk(statement, (node) => {
    if (found || isFunctionLike(node)) return false;
    if (ts.isAwaitExpression(node)) {
      const call = skipParens(node.expression);
      if (ts.isCallExpression(call) && !dbAccessOf(call) && !dedupes(call) && (!counts || counts(node))) found = true;
    }
    return !found;
  });
  return found;
}

/** `expr` is the read's rows themselves (`jobs`, `result.rows`), not a value computed from them. */
function rowsOf(expr: ts.Expression, read: DbAccess, values: ReadonlyMap<string, ReadValue>): boolean {
  const origin = valueOf(skipParens(expr), values);
  return origin?.read === read && origin.level === "row" && origin.column === undefined;
}

/**
 * Whether `node` runs only where the read found nothing: in the `else` of `if (hit)` (the `then` of `if (!hit)`), or
 * after `if (hit) return …`, where `hit` is the read's result itself.
 */
function onlyWhereReadFoundNothing(node: ts.Node, read: DbAccess, values: ReadonlyMap<string, ReadValue>): boolean {
  // `true`: the condition is truthy exactly when the read returned something.
  const foundWhen = (test: ts.Expression): boolean | undefined => {
    const bare = skipParens(test);
    if (ts.isPrefixUnaryExpression(bare) && bare.operator === ts.SyntaxKind.ExclamationToken) {
      const inner = foundWhen(bare.operand);
      return inner === undefined ? undefined : !inner;
    }
    const origin = ts.isIdentifier(bare) ? valueOf(bare, values) : undefined;
    // The result itself: a column value tested falsy (`if (!slug)`) may still belong to a row found.
    return origin?.read === read && origin.level === "row" ? true : undefined;
  };
  for (let child: ts.Node = node, parent = node.parent; parent && !isFunctionLike(parent); child = parent, parent = parent.parent) {
    if (ts.isIfStatement(parent) && child !== parent.expression) {
      const found = foundWhen(parent.expression);
      if (found !== undefined) return (child === parent.elseStatement) === found;
    }
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      for (const statement of parent.statements.slice(0, parent.statements.indexOf(child as ts.Statement)))
        if (
          ts.isIfStatement(statement) &&
          !statement.elseStatement &&
          alwaysExits(statement.thenStatement) &&
          foundWhen(statement.expression) === true
        )
          return true;
    }
  }
  return false;
}

/**
 * `value` is a value of `read` as it was read, or a fallback holding nothing of it: `src.title`, `found?.shareId ??
 * newId()`, `a.canvasId || input.canvasId`, a template around such values, through one `const` (`const shareId =
 * found?.shareId ?? newId()`).
 */
function copiedAsRead(value: ts.Expression, read: DbAccess, values: ReadonlyMap<string, ReadValue>, depth = 0): boolean {
  const node = skipParens(value);
  if (isFallback(node))
    return [node.left, node.right].every((side) => copiedAsRead(side, read, values, depth) || !readsFrom(side, read, values));
  if (ts.isConditionalExpression(node))
    return [node.whenTrue, node.whenFalse].every((side) => copiedAsRead(side, read, values, depth) || !readsFrom(side, read, values));
  // A name built around a copied value (`` `share/${shareId}.json` ``) is copied as well.
  if (ts.isTemplateExpression(node))
    return (
      node.templateSpans.some((span) => readsFrom(span.expression, read, values)) &&
      node.templateSpans.every((span) => copiedAsRead(span.expression, read, values, depth) || !readsFrom(span.expression, read, values))
    );
  if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) return false;
  const origin = valueOf(node, values);
  if (origin?.read !== read || origin.level !== "value" || !origin.column || origin.also?.length || isAggregate(read)) return false;
  if (!ts.isIdentifier(node)) return true;
  // A local name: copied as read only if its const declaration is.
  const initializer = depth === 0 ? constValue(node) : node;
  return initializer !== node && copiedAsRead(initializer, read, values, depth + 1);
}

/** The Prisma schema has a unique index (alone or with other fields) over `column` of the table `write` inserts into. */
function uniqueColumn(write: DbAccess, column: string): boolean {
  if (write.library !== "prisma" || write.table === undefined) return false;
  const uniques = prismaUniqueFieldSets(write.table, write.node.getSourceFile().fileName);
  return uniques?.some((set) => set.includes(column)) ?? false;
}

/** A count, sum or maximum: a caller running later reads a number the insert changed. */
function isAggregate(read: DbAccess): boolean {
  if (read.sql) return /\b(count|max|min|sum|avg)\s*\(/i.test(read.sql.text);
  return (
    ts.isCallExpression(read.node) && /^(count|aggregate|groupBy|max|min|sum|countDocuments|resultSize)$/i.test(calleeName(read.node) ?? "")
  );
}

function readsFrom(node: ts.Expression, read: DbAccess, values: ReadonlyMap<string, ReadValue>): boolean {
  return originIn(valueOf(node, values, true), read) !== undefined;
}

/** `n + 1`, `total - cost`: a number computed from the read (an empty read is 0 there, and still counts). */
function isArithmetic(value: ts.Expression): boolean {
  let found = false;
  walkWithRoot(value, (node) => {
    if (ts.isBinaryExpression(node) && ARITHMETIC.has(node.operatorToken.kind)) found = true;
    return !found && !isFunctionLike(node);
  });
  return found;
}

/** Arithmetic in the value or in the `const` initializers it names (`const next = (last?.n ?? 0) + 1`), a few levels deep. */
function computesNumber(value: ts.Expression, depth = 0): boolean {
  if (isArithmetic(value)) return true;
  if (depth >= 3) return false;
  let found = false;
  walkWithRoot(value, (node) => {
    if (!found && ts.isIdentifier(node)) {
      const initializer = constValue(node);
      found = initializer !== node && computesNumber(initializer, depth + 1);
    }
    return !found && !isFunctionLike(node);
  });
  return found;
}

const ARITHMETIC = new Set([ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken, ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.SlashToken]);

function enclosingStatementOf(node: ts.Node): ts.Statement {
  let current = node;
  while (!ts.isStatement(current) && current.parent) current = current.parent;
  return current as ts.Statement;
}

/**
 * A set-once write: the one column the write takes from the read is written only where it was unset (null, false),
 * with a value every caller computes alike (a literal, the current time); where it was set, the write does not run,
 * leaves the column out (`undefined`) or writes it back (`x ?? new Date()`). Concurrent callers write equivalent
 * values, so none is lost: `if (msg.openedAt) return; … openedAt: new Date()`, `verified = true` when false.
 */
export function isSetOnceWrite(flow: ReadModifyWrite): boolean {
  const { write, read } = flow;
  const column = flow.data?.column ?? flow.control?.column;
  if (!column || (flow.data && flow.data.assignment.column !== column)) return false;
  // Every column the write stores from the read is set once on its own (`readable: !l.readable ? "unavailable" :
  // undefined, image: !l.image ? "unavailable" : undefined`), and the checked or computed column is among them.
  // A column computed from other columns (a message id a send of the row's fields returned) writes nothing back, as
  // in the flow's own evidence (flowsInto): it does not count.
  const writtenBack = (a: AccessAssignment, origin: ReadValue | undefined) =>
    origin?.read === read && (!origin.column || writesBack(a.column, origin.column, read));
  const takesFromRead = (a: AccessAssignment) => assignmentValues(write, a).some((v) => writtenBack(a, flow.originOf(v)));
  const assignments = withSpreadsExpanded(write.assignments);
  const derived = assignments.filter((a) => !a.relation && takesFromRead(a));
  const columns = new Set([column, ...derived.map((a) => a.column)]);
  for (const each of columns) {
    const target = assignments.filter((a) => a.column === each);
    if (target.length === 1 ? !isSetOnceColumn(flow, each, target[0]!) : !setOnceInEachBranch(flow, each, target, takesFromRead))
      return false;
  }
  return true;
}

/**
 * Whether the local `let` `name` is assigned, in the function that uses it, a value computed from itself:
 * `users = [...users, id]`, `users = users.filter(…)`, `count += 1`, `n++` (not a copy, `x = row.column`).
 */
function assignedComputedValue(name: ts.Identifier): boolean {
  const fn = enclosingFunction(name);
  // The name's declaration (also a destructured one: `let { users } = reaction`), by scope: a `let` or `var` of the function.
  const declaration = declarationOf(name);
  let declared: ts.Node | undefined = declaration;
  while (declared && ts.isBindingElement(declared)) declared = declared.parent.parent;
  if (!fn?.body || !declared || !ts.isVariableDeclaration(declared) || enclosingFunction(declared) !== fn) return false;
  if ((declared.parent.flags & ts.NodeFlags.Const) !== 0) return false;
  const copies = (expr: ts.Expression): boolean => {
    const node = skipParens(expr);
    return ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node);
  };
  const same = (target: ts.Node): boolean => {
    const node = skipParens(target as ts.Expression);
    return ts.isIdentifier(node) && node.text === name.text && declarationOf(node) === declaration;
  };
  const usesItself = (expr: ts.Expression): boolean => {
    let uses = false;
    walk(expr, (node) => !(uses ||= same(node)));
    return uses || same(expr);
  };
  let found = false;
  walk(fn.body, (node) => {
    if (found || isFunctionLike(node)) return false;
    if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind) && same(node.left))
      found = node.operatorToken.kind !== ts.SyntaxKind.EqualsToken || (!copies(node.right) && usesItself(node.right));
    else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && same(node.operand))
      found = node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken;
    return !found;
  });
  return found;
}

/**
 * A column given in both branches of a conditional spread (`...(keep ? { leftAt: m.leftAt ?? now } : { leftAt: null })`):
 * set once where a branch takes it from the read, and nothing read in the other branches (a constant the caller chose).
 */
function setOnceInEachBranch(
  flow: ReadModifyWrite,
  column: string,
  target: readonly AccessAssignment[],
  takesFromRead: (a: AccessAssignment) => boolean,
): boolean {
  const reading = target.filter(takesFromRead);
  return (
    reading.length > 0 &&
    reading.every((a) => isSetOnceColumn(flow, column, a)) &&
    target.every((a) => reading.includes(a) || assignmentValues(flow.write, a).every((v) => isAlike(v) || isNullish(v)))
  );
}

function isSetOnceColumn(flow: ReadModifyWrite, column: string, assignment: AccessAssignment): boolean {
  const { write, read } = flow;
  const values = assignmentValues(write, assignment);
  // `SET sent_at = NOW()`: computed by the database from no input.
  const inDatabase = assignment.sql && assignment.sql.placeholders.length === 0 && !assignment.sql.selfRelative;
  if (!inDatabase && values.length !== 1) return false;
  const isColumn = (expr: ts.Expression): boolean => {
    const node = skipParens(expr);
    // A `let` given a value computed from itself (`users = [...users, id]`) no longer holds the column as read.
    if (ts.isIdentifier(node) && assignedComputedValue(node)) return false;
    // A property of the row itself (`email.text`), not of a value computed from the row (`next.payload` after
    // `next = change(row)`).
    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && flow.originOf(node.expression)?.level !== "row")
      return false;
    const origin =
      (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && flow.originOf(node);
    return !!origin && origin.read === read && origin.level === "value" && origin.column === column;
  };
  for (const unset of [true, false]) {
    if (runsWhen(flow, isColumn, unset) === false) continue;
    if (inDatabase) {
      if (!unset) return false;
      continue;
    }
    const written = valuesWhen(values[0]!, isColumn, unset);
    if (!written) return false;
    const leftOut = (value: ts.Expression) => ts.isIdentifier(value) && value.text === "undefined";
    // Where the row is tested only inside the value written (`input.pinned ? (row.pinnedAt === null ? now : undefined)
    // : null`), the write runs whatever the row held, and a literal the caller's input picks there is the same whatever
    // the row held. A write a check of the row lets through (`status: "PROCESSING"` after `status === "PENDING"`) is not.
    const chosen = flow.control && isInside(flow.control.condition, values[0]!) ? chosenByInput(values[0]!, flow) : [];
    const settles = (value: ts.Expression) =>
      (chosen.includes(value) && (isNullish(value) || isAlike(value))) ||
      (unset
        ? leftOut(value) ||
          isAlike(constValue(value)) ||
          isOfOtherColumns(flow, value, column) ||
          (flow.originOf(value)?.read !== read && isUnseenAfter(value, write))
        : isColumn(value) || leftOut(value));
    if (!written.every(settles)) return false;
  }
  return true;
}

/**
 * A value computed from other columns of the same row read and constants only (`htmlToText(email.html)`): every caller
 * that read the row computes the same value, so which of them writes last does not matter.
 */
function isOfOtherColumns(flow: ReadModifyWrite, value: ts.Expression, column: string): boolean {
  let fromRead = false;
  let other = false;
  walkWithRoot(skipParens(value), (n) => {
    if (other) return false;
    if (ts.isAwaitExpression(n) || ts.isFunctionLike(n)) other = true;
    else if (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isIdentifier(n)) {
      const origin = flow.originOf(n as ts.Expression);
      if (origin?.read === flow.read && origin.level === "value" && origin.column && origin.column !== column) {
        fromRead = true;
        return false;
      }
      // A callee's name or a property name is not a value; any other name is an input the caller chose.
      const name = ts.isIdentifier(n) && ts.isPropertyAccessExpression(n.parent) && n.parent.name === n;
      const callee = ts.isCallExpression(n.parent) && n.parent.expression === n;
      if (ts.isIdentifier(n) && !name && !callee && n.text !== "undefined") other = true;
    }
    return true;
  });
  return fromRead && !other;
}

type IsColumn = (node: ts.Expression) => boolean;

/** Whether the write runs when the column is unset / set, as far as the condition that controls it tells (undefined: unknown). */
function runsWhen(flow: ReadModifyWrite, isColumn: IsColumn, unset: boolean): boolean | undefined {
  const control = flow.control;
  if (!control) return true;
  const truth = truthWhen(control.condition, isColumn, unset);
  if (truth === undefined) return undefined;
  if (control.earlyExit) return !truth;
  const holder = control.condition.parent;
  const write = flow.write.node;
  const inside = (node: ts.Node | undefined) => !!node && write.getStart() >= node.getStart() && write.getEnd() <= node.getEnd();
  if (ts.isIfStatement(holder)) return inside(holder.thenStatement) ? truth : inside(holder.elseStatement) ? !truth : undefined;
  if (ts.isConditionalExpression(holder))
    return inside(holder.whenTrue) ? truth : inside(holder.whenFalse) ? !truth : inside(holder) ? undefined : true;
  if (ts.isWhileStatement(holder)) return truth;
  return undefined;
}

/** The truth of `condition` when the column is unset (or set, i.e. truthy), in three-valued logic (undefined: unknown). */
function truthWhen(condition: ts.Expression, isColumn: IsColumn, unset: boolean): boolean | undefined {
  const node = skipParens(condition);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = truthWhen(node.operand, isColumn, unset);
    return inner === undefined ? undefined : !inner;
  }
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      const [left, right] = [truthWhen(node.left, isColumn, unset), truthWhen(node.right, isColumn, unset)];
      const decisive = op === ts.SyntaxKind.BarBarToken;
      if (left === decisive || right === decisive) return decisive;
      return left === !decisive && right === !decisive ? !decisive : undefined;
    }
    const equality = [ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.EqualsEqualsEqualsToken].includes(op);
    const inequality = [ts.SyntaxKind.ExclamationEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(op);
    const isUnsetValue = (side: ts.Expression) => {
      const s = skipParens(side);
      return (
        s.kind === ts.SyntaxKind.NullKeyword || s.kind === ts.SyntaxKind.FalseKeyword || (ts.isIdentifier(s) && s.text === "undefined")
      );
    };
    if (
      (equality || inequality) &&
      ((isColumn(node.left) && isUnsetValue(node.right)) || (isColumn(node.right) && isUnsetValue(node.left)))
    )
      return equality ? unset : !unset;
    return undefined;
  }
  return isColumn(node) ? !unset : undefined;
}

/**
 * The branches of `value` reached only through conditionals whose tests read nothing of the row
 * (`input.isPinned === undefined ? undefined : input.isPinned ? … : null`): values the caller's input picks, whatever
 * the row held. A branch picked by a test of the row (`row.pinnedAt ? null : new Date()`, a toggle) is not among them.
 */
function chosenByInput(value: ts.Expression, flow: ReadModifyWrite, depth = 0): ts.Expression[] {
  const node = skipParens(value);
  if (!ts.isConditionalExpression(node)) return depth > 0 ? [node] : [];
  let readsRow = false;
  walkWithRoot(node.condition, (n) => {
    if (ts.isIdentifier(n) || ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n))
      readsRow ||= flow.originOf(n as ts.Expression)?.read === flow.read;
    return !readsRow;
  });
  return readsRow ? [] : [...chosenByInput(node.whenTrue, flow, depth + 1), ...chosenByInput(node.whenFalse, flow, depth + 1)];
}

/**
 * The values `value` may write when the column is unset / set: through `c ? a : b` (both branches where `c` does not
 * test the column), `col ?? x` and `col || x`.
 */
function valuesWhen(value: ts.Expression, isColumn: IsColumn, unset: boolean): ts.Expression[] {
  const node = skipParens(value);
  if (ts.isConditionalExpression(node)) {
    const truth = truthWhen(node.condition, isColumn, unset);
    const branches = truth === undefined ? [node.whenTrue, node.whenFalse] : [truth ? node.whenTrue : node.whenFalse];
    return branches.flatMap((branch) => valuesWhen(branch, isColumn, unset));
  }
  if (isFallback(node) && isColumn(skipParens(node.left))) return unset ? valuesWhen(node.right, isColumn, unset) : [skipParens(node.left)];
  // A const holding the choice (`const text = email.text ? email.text : …`); any other const stays a name, which
  // isUnseenAfter follows to its uses.
  const choice = ts.isIdentifier(node) ? constValue(node) : undefined;
  return choice && (ts.isConditionalExpression(choice) || ts.isBinaryExpression(choice)) ? valuesWhen(choice, isColumn, unset) : [node];
}

/**
 * A value the writer never sees again: the write's result is dropped (`await x.update(…);`), and the value is computed
 * in place or held by a local `const` used only in the write. Of concurrent set-once writers, whichever value is stored
 * is the only one anybody reads (a random username, a token generated when missing).
 */
function isUnseenAfter(value: ts.Expression, write: DbAccess): boolean {
  const statement = write.node.parent && ts.isAwaitExpression(write.node.parent) ? write.node.parent.parent : write.node.parent;
  if (!statement || !ts.isExpressionStatement(statement)) return false;
  const node = skipParens(value);
  const fn = enclosingFunction(write.node);
  if (!fn?.body) return false;
  if (!ts.isIdentifier(node)) {
    // Computed in place from no parameter or local of the function (only imports and globals: `randomUUID()`).
    const locals = new Set(fn.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
    walk(fn.body, (n) => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) locals.add(n.name.text);
      return true;
    });
    let readsLocal = false;
    walkWithRoot(node, (n) => {
      if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) && locals.has(n.text)) readsLocal = true;
      return !readsLocal;
    });
    return !readsLocal;
  }
  // The block declaring the name nearest the write (a name may be declared again in a sibling block).
  let scope: ts.Node | undefined;
  for (let n: ts.Node | undefined = write.node.parent; n && n !== fn && !scope; n = n.parent)
    if (
      (ts.isBlock(n) || ts.isSourceFile(n)) &&
      n.statements.some(
        (st) =>
          ts.isVariableStatement(st) && st.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === node.text),
      )
    )
      scope = n;
  if (!scope) return false;
  let declaredConst = false;
  let usedElsewhere = false;
  walk(scope, (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === node.text)
      declaredConst = !!(n.parent.flags & ts.NodeFlags.Const) && !!n.initializer;
    else if (ts.isIdentifier(n) && n.text === node.text && !(n.getStart() >= write.node.getStart() && n.getEnd() <= write.node.getEnd()))
      usedElsewhere ||= !(ts.isVariableDeclaration(n.parent) && n.parent.name === n);
    return true;
  });
  return declaredConst && !usedElsewhere;
}

/**
 * A value every caller writes alike: a literal, or the current time (`new Date()`, `Date.now()`, `new Date().toISOString()`);
 * callers pass it through `constValue`, so `const now = new Date()` is the clock too.
 */
function isAlike(value: ts.Expression): boolean {
  const node = skipParens(value);
  if (
    node.kind === ts.SyntaxKind.TrueKeyword ||
    node.kind === ts.SyntaxKind.FalseKeyword ||
    ts.isNumericLiteral(node) ||
    ts.isStringLiteral(node) ||
    ts.isNoSubstitutionTemplateLiteral(node)
  )
    return true;
  if (ts.isNewExpression(node)) return ts.isIdentifier(node.expression) && node.expression.text === "Date" && !node.arguments?.length;
  if (!ts.isCallExpression(node) || node.arguments.length > 0 || !ts.isPropertyAccessExpression(node.expression)) return false;
  const { expression: receiver, name } = node.expression;
  if (ts.isIdentifier(receiver) && receiver.text === "Date") return name.text === "now";
  return ["toISOString", "getTime", "valueOf"].includes(name.text) && isAlike(receiver);
}

/**
 * The columns a write puts back as read with only a fixed set of parts replaced by this call's values: a JSON or
 * object column merged under keys written in the code (`{ ...org.settings, theme: input.theme }`), or a form's field
 * kept as read when the input leaves it out (`name: input.name ?? org.name`). Every call of one code path replaces the
 * same parts, so two of them overlapping end as last-writer-wins. Undefined when any value the write takes from the
 * read is anything else (arithmetic, an array appended to or filtered, a key the call chooses, a value derived from
 * the stored one), when the write is a project function's (its other callers are other writers) or an entity save,
 * or when a check of a column it writes decides it (a state transition).
 */
export function replacedParts(flow: ReadModifyWrite, writesNothingRead?: (assignment: AccessAssignment) => boolean): string[] | undefined {
  const { read, write } = flow;
  if (!flow.data || write.insert || write.through || write.entity || write.flush) return undefined;
  // A Redis key or a Mongoose document has no project-wide writer index (column-writers.ts); a driver document's
  // writers are known only where every update names its collection (the rule asks `writersKnown`).
  if (write.library === "redis" || write.library === "mongoose") return undefined;
  if (flow.control?.column && write.assignments.some((a) => sameColumn(a.column, flow.control!.column!)) && !validatesWrittenValue(flow))
    return undefined;
  // Each side of a fallback (`fresh || row.email`) by itself. A value looked up by the row's key only
  // (`redis.get(`user:${user.id}:hash`)`) holds the row's identity, not its data.
  const fromRead = (expr: ts.Expression): boolean => {
    const node = skipParens(expr);
    if (isFallback(node)) return fromRead(node.left) || fromRead(node.right);
    const origin = flow.originOf(node);
    return origin?.read === read && !(origin.level === "value" && isPrimaryKey(origin.column ?? ""));
  };
  const columns: string[] = [];
  for (const assignment of write.assignments) {
    if (assignment.relation || writesNothingRead?.(assignment)) continue;
    for (const value of assignmentValues(write, assignment)) {
      if (!fromRead(value)) continue;
      if (assignment.atomic || assignment.column === "..." || !replacesParts(value, assignment.column, flow, fromRead)) return undefined;
      if (!columns.includes(assignment.column)) columns.push(assignment.column);
    }
  }
  return columns.length > 0 ? columns : undefined;
}

/**
 * The check only refuses a write of nothing: an exit when the very value the write puts into the checked column is
 * missing (`const token = input.token ? encrypt(input.token) : row.token; if (!token) throw …; data: { token }`). That
 * validates the write's own value; it decides nothing about the row's state another call could change.
 */
function validatesWrittenValue(flow: ReadModifyWrite): boolean {
  const control = flow.control!;
  const subject = control.earlyExit ? nullTestSubject(control.condition) : undefined;
  if (!subject || !ts.isIdentifier(subject)) return false;
  const declaration = variableDeclarationOf(subject);
  return flow.write.assignments.some((a) => {
    const value = a.value && skipParens(a.value);
    return (
      sameColumn(a.column, control.column!) &&
      !!value &&
      ts.isIdentifier(value) &&
      value.text === subject.text &&
      variableDeclarationOf(value) === declaration
    );
  });
}

/** `value` is the stored `column` with fixed parts replaced by values not taken from the read (see replacedParts). */
function replacesParts(
  value: ts.Expression,
  column: string,
  flow: ReadModifyWrite,
  fromRead: (expr: ts.Expression) => boolean,
  depth = 0,
): boolean {
  const node = constValue(value);
  if (isStored(node, column, flow)) return true;
  if (ts.isCallExpression(node) && (/^(JSON\.stringify|Object\.assign)$/.test(node.expression.getText()) || isLibraryMerge(node)))
    return node.arguments.every(
      (arg) => !fromRead(arg) || isStored(constValue(arg), column, flow) || replacesParts(arg, column, flow, fromRead, depth + 1),
    );
  if (isFallback(node)) return !fromRead(node.left) && isStored(constValue(node.right), column, flow);
  // `n > 0 ? [...kept, entry] : kept`: either branch is what the call writes.
  if (ts.isConditionalExpression(node) && depth <= 3)
    return [node.whenTrue, node.whenFalse].every((branch) => !fromRead(branch) || replacesParts(branch, column, flow, fromRead, depth + 1));
  if (replacesArrayEntries(node, (expr) => isStored(constValue(expr), column, flow), constValue)) return true;
  if (!ts.isObjectLiteralExpression(node) || depth > 3) return false;
  return node.properties.every((property) => {
    if (ts.isSpreadAssignment(property)) return !fromRead(property.expression) || isStored(constValue(property.expression), column, flow);
    if (ts.isShorthandPropertyAssignment(property)) return !fromRead(property.name);
    // A key the call computes (`[key]: value`) is a different part per call: one code path, several writers.
    if (!ts.isPropertyAssignment(property) || propertyName(property) === undefined) return false;
    const inner = property.initializer;
    return !fromRead(inner) || isStored(constValue(inner), column, flow) || replacesParts(inner, column, flow, fromRead, depth + 1);
  });
}

/** `org.settings`, `settings` (destructured), `org.settings?.theme`, `org.settings ?? {}`: the stored column or a part of it, as read. */
function isStored(expr: ts.Expression, column: string, flow: ReadModifyWrite): boolean {
  let node = skipParens(expr);
  // `typeof row.ref === "object" && row.ref ? row.ref : {}`: the stored column, or an empty default where it is not one.
  if (ts.isConditionalExpression(node)) {
    const [stored, fallback] = isEmptyDefault(node.whenFalse) ? [node.whenTrue, node.whenFalse] : [node.whenFalse, node.whenTrue];
    return isEmptyDefault(fallback) && isStored(stored, column, flow);
  }
  if (isFallback(node)) {
    const fallback = skipParens(node.right);
    // A literal, or the module's named defaults (`org.settings || DEFAULT_SETTINGS`, imported or a top-level const).
    const namedDefault = ts.isIdentifier(fallback) && isModuleConstant(fallback);
    if (
      !ts.isObjectLiteralExpression(fallback) &&
      !ts.isArrayLiteralExpression(fallback) &&
      !isLiteral(fallback) &&
      !isNullish(fallback) &&
      !namedDefault
    )
      return false;
    node = skipParens(node.left);
  }
  // Only a path of property names: no call, no arithmetic.
  let root = node;
  while (!ts.isIdentifier(root)) {
    if (ts.isPropertyAccessExpression(root)) root = skipParens(root.expression);
    else if (ts.isElementAccessExpression(root) && isLiteral(root.argumentExpression)) root = skipParens(root.expression);
    else return false;
  }
  // `let hits = row.hits; hits = hits * 2` or `wallet.balance -= n`: the name no longer holds the value read. A write
  // in a callback (a transaction's) of the function that read is judged in that function, where the names are bound.
  const writer = enclosingFunction(flow.write.node);
  const reader = enclosingFunction(flow.read.node);
  const fn = writer && reader && isInside(writer, reader) ? reader : writer;
  if (!fn || changesName(fn, root.text, flow.write.node) || !boundToRow(root, fn, flow)) return false;
  const origin = flow.originOf(node);
  return origin?.read === flow.read && origin.level === "value" && origin.column !== undefined && sameColumn(origin.column, column);
}

/** `{}`, `[]`, `null`, `undefined`: a default that carries no value of anyone's. */
function isEmptyDefault(expr: ts.Expression): boolean {
  const node = skipParens(expr);
  if (ts.isObjectLiteralExpression(node)) return node.properties.length === 0;
  if (ts.isArrayLiteralExpression(node)) return node.elements.length === 0;
  return isNullish(node);
}

/** A `const` name's initializer (`const settings = { ...org.settings, theme }` before the write), else the expression. */
function constValue(expr: ts.Expression): ts.Expression {
  const node = skipParens(expr);
  if (!ts.isIdentifier(node)) return node;
  // A `const` holds the same value in the callbacks it is visible in (a transaction's callback writing it).
  const declaration = variableDeclarationOf(node);
  const list = declaration?.parent;
  return declaration?.initializer &&
    ts.isIdentifier(declaration.name) &&
    list &&
    ts.isVariableDeclarationList(list) &&
    list.flags & ts.NodeFlags.Const
    ? skipParens(declaration.initializer)
    : node;
}

/**
 * Whether `fn` assigns to `name`, to a property of it, or merges into it (`Object.assign(name, …)`). Given the write,
 * a change in the same function that no path runs before it (`row = await create(…)` in the branch that finds no row,
 * the write in the other) does not count.
 */
export function changesName(fn: FunctionLike, name: string, write?: ts.Node): boolean {
  const rootName = (expr: ts.Expression): string | undefined => {
    let node = skipParens(expr);
    while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipParens(node.expression);
    return ts.isIdentifier(node) ? node.text : undefined;
  };
  let found = false;
  walk(fn, (node) => {
    if (
      // `message = await update(…)`: rebound to the write's own result, after the write has read the name.
      (ts.isBinaryExpression(node) &&
        isAssignmentOperator(node.operatorToken.kind) &&
        rootName(node.left) === name &&
        !(write && isInside(write, node.right))) ||
      ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
        (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken) &&
        rootName(node.operand) === name) ||
      (ts.isCallExpression(node) &&
        node.expression.getText() === "Object.assign" &&
        node.arguments[0] &&
        rootName(node.arguments[0]) === name)
    )
      found = !write || enclosingFunction(node) !== enclosingFunction(write) || mayRunAfter(node, write);
    return !found;
  });
  return found;
}

/**
 * `name` holds the row read or a part of it as read: declared from the read itself (`const org = await
 * prisma.org.findUnique(…)`, also through a project function given no value of the read) or destructured from such a
 * name (`const { settings } = org`), not from a computation on the row (`const { state } = recompute(partner)`).
 */
function boundToRow(name: ts.Identifier, fn: FunctionLike, flow: ReadModifyWrite, depth = 0): boolean {
  // The declaration the name refers to (by scope), a variable of `fn`.
  let declaration = declarationOf(name);
  while (declaration && ts.isBindingElement(declaration)) declaration = declaration.parent.parent;
  if (!declaration || !ts.isVariableDeclaration(declaration) || !isInside(declaration, fn)) return false;
  let init = declaration.initializer && skipAwait(declaration.initializer);
  if (!init || depth > 3) return false;
  // `user.preferences || { …defaults }`: the part as read, or a default where there is none.
  if (isFallback(init)) init = flow.originOf(init.right)?.read === flow.read ? init : skipParens(init.left);
  let root = init;
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipParens(root.expression);
  // `(await pool.query(…)).rows[0]`: the statement's result, awaited in place.
  root = skipAwait(root);
  if (ts.isIdentifier(root)) return boundToRow(root, fn, flow, depth + 1);
  if (!ts.isCallExpression(root) && !ts.isTaggedTemplateExpression(root)) return false;
  if (dbAccessOf(root)?.kind === "read") return true;
  return ts.isCallExpression(root) && root.arguments.every((arg) => flow.originOf(arg)?.read !== flow.read);
}
