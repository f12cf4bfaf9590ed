// Recognising database transactions in code: where a transaction is open, which handle its statements must run
// through, at which isolation level, and which row locks it holds at a given point. Shared by every rule that asks
// "is this inside a transaction?" (select-then-update, lock-across-await, ...).
//
// What opens a transaction is data (models/transaction-libraries.ts: each library's openers, their callback and
// handle, where the isolation level is written, what ends it, which types are an open transaction); this file reads
// that table and decides, for a node, which transaction it runs in:
// - a callback opener (`knex.transaction(trx => …)`, `prisma.$transaction(async tx => …)`, `withPgTransaction(pool,
//   tx => …)`): the callback's body is the region, and functions nested in it are nested regions that run inside too;
// - a batch (`prisma.$transaction([a, b])`): the array's elements;
// - BEGIN … COMMIT/ROLLBACK on one handle (SQL `BEGIN` through `client.query`, `conn.beginTransaction()`,
//   `queryRunner.startTransaction()`, `const t = await sequelize.transaction()` … `t.commit()`): open where a
//   dataflow over the function's control-flow graph says it is open on every path (`openAlongPaths`), so a guard that
//   rolls back and returns does not end it for the code after the guard;
// - a transaction the caller opened and passes in: a required parameter typed as a transaction handle
//   (`transaction: Transaction`, `trx: Knex.Transaction`, `tx: Prisma.TransactionClient`, `manager: EntityManager`,
//   `tx: PgTransaction<…>`), or
//   such a property of an options parameter (`options: { transaction: Transaction }`, `{ transaction }: {…}`);
// - a managed transaction kept in async-local storage (CLS): a method decorated `@Transactional()` of such a library,
//   its runners (`runInTransaction(fn)`, `txHost.withTransaction(fn)`), a Sequelize callback that takes no handle (CLS
//   on): the statements the library's `joins` names take part without a handle (`joins`).
import { ts } from "../engine/ts";
import {
  FUNCTION_KINDS,
  calleeName,
  enclosingFunction,
  importedBinding,
  importsOf,
  isInside,
  isFunctionLike,
  nodesOfKinds,
  propertyValue,
  receiverOf,
  skipAwait,
  skipParens,
  stringValue,
  walk,
  type FunctionLike,
} from "./ast";
import { dbAccessOf, dbAccessesIn, type DbAccess } from "./db";
import type { IsolationLevel, RowLockMode } from "./sql";
import { flowGraphOf } from "./flow/cfg";
import { canonicalKey, declarationOf, identityOf, isHandle, isPartOfHandle, variableDeclarationOf, type Identity } from "./identity";
import { fieldTypeName } from "./db/shapes";
import {
  endsTransactionMethod,
  isTransactionHandleTypeName,
  transactionDecoratorsNamed,
  transactionOpenersNamed,
  type IsolationSource,
  type ManagedJoin,
  type TransactionOpener,
  type TransactionOpenerModel,
} from "./models/transaction-libraries";
import { solveForward, type ForwardSolution } from "./flow/dataflow";
import { solveForwardCorrelated, type CorrelatedSolution } from "./flow/correlated";
import { elementRunning } from "./flow/queries";
import { lockModeOf, rowLocksAtCall, type CalleeResolver } from "./summaries";

export type { IsolationLevel } from "./sql";

export interface TransactionScope {
  form: "begin-commit" | "callback" | "batch" | "caller";
  /**
   * What opens it: `client.query("BEGIN")`, `knex.transaction(…)`, `prisma.$transaction(…)`, `withPgTransaction(…)`;
   * for a transaction passed in by the caller, the parameter it arrives through (or the `const` that unwraps it).
   */
  start: ts.CallExpression | ts.TaggedTemplateExpression | ts.ParameterDeclaration | ts.VariableDeclaration;
  /** For the callback form: the function that runs inside the transaction (a decorated method for `@Transactional()`). */
  callback?: FunctionLike;
  /**
   * The handle statements must run through to be part of the transaction (identity.ts: `const` aliases followed, the
   * leading name resolved to its declaration): `client`, `trx`, `tx`, `this.client`. Undefined for the batch form
   * (membership is "is an element of the array").
   */
  handle?: Identity;
  /** For a managed (CLS-bound) transaction: the statements that take part in it without passing a handle. */
  joins?(access: DbAccess): boolean;
  /**
   * For a callback opener that binds the transaction to async-local storage once the project enables CLS
   * (`Sequelize.useCLS(ns)`), though the callback takes the handle: the statements that then take part without it.
   */
  joinsUnderCls?(access: DbAccess): boolean;
  /**
   * The code that can run while the transaction is open: the callback's body (functions nested in it are nested
   * regions: they run inside too), the batch's array, the body of the function that receives the transaction, or the
   * body of the function that runs BEGIN (where `isOpenAt` decides along its paths).
   */
  region: ts.Node;
  /**
   * For BEGIN … COMMIT: whether the transaction is open on every path that reaches `node`, along the enclosing
   * function's control flow (a guard that runs ROLLBACK and returns does not end it for the code after the guard).
   */
  isOpenAt?(node: ts.Node): boolean;
  /** The isolation level asked for, when the code says (else the database default: READ COMMITTED in PostgreSQL, REPEATABLE READ in MySQL). */
  isolation?: IsolationLevel;
  /** Whether serialization failures and deadlocks are retried by the code that opens it (the runtime helpers' `retry` option). */
  retried: boolean;
  /** A write to a row or document changed since this transaction read it fails (the library's `writeConflictsAbort`). */
  abortsOnWriteConflict?: boolean;
  /**
   * For a project wrapper's callback: a transaction-scoped advisory lock the wrapper takes before it runs the callback
   * (advisory-xact-locks.ts), held throughout the callback; `key` as there, in the terms of the wrapper's call.
   */
  advisoryLock?: { takenAt: ts.CallExpression; key: ts.Expression[] | undefined };
}

/** A statement of a transaction that leaves row locks held until COMMIT/ROLLBACK. */
export interface RowLock {
  access: DbAccess;
  /** `update`/`no key update`/`share`/`key share` for locking reads; `write` for UPDATE/DELETE/INSERT and ORM writes. */
  mode: RowLockMode | "write";
  /** When a project helper runs `access` (`await lockShelf(tx, id)`): the calls from the transaction's code down to it. */
  chain?: ts.CallExpression[];
  /** From rowLocksHeldAt: whether it is held on every path to the node asked about (else on some). */
  everyPath?: boolean;
  /** A call of a declared `row-lock` helper (`access` is that call): the function declared, by name. */
  declared?: string;
}

const scopeCache = new WeakMap<ts.SourceFile, TransactionScope[]>();

/** Every transaction scope in the file, outermost first. Cached per file. */
export function transactionScopesOf(sourceFile: ts.SourceFile): readonly TransactionScope[] {
  let scopes = scopeCache.get(sourceFile);
  if (scopes) return scopes;
  scopes = [];
  const found = scopes;
  for (const node of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    const openers = transactionOpenersOf(node);
    const scope = callbackScope(node, openers) ?? batchScope(node, openers) ?? beginScope(node, openers);
    if (scope) found.push(scope);
  }
  // A callback already known as a transaction's (`$transaction(async (tx: Prisma.TransactionClient) => …)`) keeps its scope.
  const callbacks = new Set(found.map((s) => s.callback));
  for (const fn of nodesOfKinds<FunctionLike>(sourceFile, FUNCTION_KINDS)) {
    if (callbacks.has(fn)) continue;
    const decorated = decoratorScope(fn);
    if (decorated) found.push(decorated);
    else found.push(...callerScopes(fn));
  }
  // Outer regions first (fewer enclosing nodes), then in the order they open.
  const depths = new Map(found.map((s) => [s, depthOf(s.region)]));
  scopes.sort((a, b) => depths.get(a)! - depths.get(b)! || a.start.getStart() - b.start.getStart());
  scopeCache.set(sourceFile, scopes);
  return scopes;
}

/**
 * The innermost transaction `node` runs in, or undefined when it runs outside any transaction (autocommit). A
 * database statement counts only if it runs through the transaction's handle: `pool.query(...)` inside
 * `knex.transaction(trx => ...)` or between `client.query("BEGIN")` and COMMIT runs on another connection, outside.
 * Any other node (an `await fetch()`, a `setTimeout`) counts when it runs while the transaction is open.
 */
export function transactionScopeOf(node: ts.Node): TransactionScope | undefined {
  const access = dbAccessOf(node);
  const scopes = transactionScopesOf(node.getSourceFile());
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    if (!runsWhileOpen(scope, node)) continue;
    if (!access || runsIn(access, scope)) return scope;
  }
  return undefined;
}

/**
 * Whether `node` runs while `scope` is open: it is in the scope's region (a function nested there runs inside too)
 * and, for BEGIN … COMMIT, the transaction is open on every path to it.
 */
export function runsWhileOpen(scope: TransactionScope, node: ts.Node): boolean {
  return isInside(node, scope.region) && (!scope.isOpenAt || scope.isOpenAt(node));
}

function depthOf(node: ts.Node): number {
  let depth = 0;
  for (let current = node.parent; current; current = current.parent) depth++;
  return depth;
}

/** True if the database statement `access` is part of `scope`. */
export function runsIn(access: DbAccess, scope: TransactionScope): boolean {
  if (!runsWhileOpen(scope, access.node)) return false;
  if (scope.form === "batch" || scope.joins?.(access)) return true;
  const handle = scope.handle;
  if (!handle) return false;
  if (access.transactionOption && isHandle(access.transactionOption, handle)) return true;
  // `queryRunner.manager.save(...)` runs through `queryRunner`; `const t = tx` makes `t` the same handle.
  return access.handle !== undefined && isPartOfHandle(access.handle, handle);
}

/**
 * The row locks that may be held at `node`: the locking reads (`FOR UPDATE`, `.forUpdate()`, `lock: ...`) and writes
 * of its transaction that run on some path to it since the transaction opened, including those a project helper runs
 * on the transaction it is passed (with `resolve`, through its summary), in source order. Each says whether it is held
 * on every path to `node` (`everyPath`): what protects a read or write is a lock held on every path; a lock taken in
 * one branch only is held on some. A COMMIT/ROLLBACK on the handle releases them all; a statement that throws takes
 * none. Empty outside a transaction (autocommit releases locks at the end of each statement).
 */
export function rowLocksHeldAt(
  node: ts.Node,
  scope: TransactionScope | undefined = transactionScopeOf(node),
  resolve?: CalleeResolver,
  toward?: ts.Node,
): RowLock[] {
  if (!scope) return [];
  const paths = rowLockPathsOf(scope, node.getSourceFile(), resolve);
  const state = paths.stateAt(node, toward);
  if (!state) return [];
  const held: RowLock[] = [];
  paths.locks.forEach((lock, i) => {
    const bit = 1n << BigInt(i);
    // A lock the asked-about node takes itself is not held while it runs.
    if (!(state.may & bit) || isInside(anchorOf(lock), node)) return;
    held.push({ ...lock, everyPath: (state.must & bit) !== 0n });
  });
  return held;
}

function anchorOf(lock: RowLock): ts.Node {
  return lock.chain?.[0] ?? lock.access.node;
}

/** Row locks held after some path (`may`) and after every path (`must`): bit i for candidate lock i. */
interface HeldRows {
  must: bigint;
  may: bigint;
}

interface RowLockPaths {
  locks: RowLock[];
  /** With `toward`: on the paths from `node` that may go on to it (correlated `const` conditions). */
  stateAt(node: ts.Node, toward?: ts.Node): HeldRows | undefined;
}

const rowLockPathCache = new WeakMap<TransactionScope, Map<CalleeResolver | undefined, RowLockPaths>>();

/**
 * The row locks of `scope` along its paths: a forward dataflow over the graph of the code that runs in it (the
 * callback, or the function that runs BEGIN or receives the transaction), where each locking statement (or helper
 * call) adds its lock, unless it throws, and COMMIT/ROLLBACK on the handle drops all. Code in a nested function
 * counts where that function is created (`ids.map(id => tx.query(…))`). A batch's statements run in array order.
 */
function rowLockPathsOf(scope: TransactionScope, sourceFile: ts.SourceFile, resolve: CalleeResolver | undefined): RowLockPaths {
  let perResolver = rowLockPathCache.get(scope);
  if (!perResolver) rowLockPathCache.set(scope, (perResolver = new Map()));
  const cached = perResolver.get(resolve);
  if (cached) return cached;
  const locks: RowLock[] = [];
  for (const access of accessesOf(scope, sourceFile)) {
    if (!runsIn(access, scope)) continue;
    const mode = lockModeOf(access);
    if (mode) locks.push({ access, mode });
  }
  if (resolve && scope.handle) locks.push(...helperRowLocks(scope, scope.handle, resolve));
  locks.sort((a, b) => anchorOf(a).getStart() - anchorOf(b).getStart());
  const paths: RowLockPaths = { locks, stateAt: batchOrGraphState(scope, locks.map(anchorOf)) };
  perResolver.set(resolve, paths);
  return paths;
}

/**
 * Whether what the statement `anchor` of `scope` takes (its row locks, a transaction-level advisory lock) may still be
 * held when `node` runs: on some path to `node` the statement ran (and did not throw) since the transaction opened,
 * and no COMMIT/ROLLBACK on the handle came after it. Code in a nested function counts where that function is
 * created. The lock-order summaries ask it for each locking statement of a function.
 */
export function heldSince(scope: TransactionScope, anchor: ts.Node): (node: ts.Node) => boolean {
  const stateAt = batchOrGraphState(scope, [anchor]);
  return (node) => !isInside(anchor, node) && !isInside(node, anchor) && ((stateAt(node)?.may ?? 0n) & 1n) !== 0n;
}

/** As `heldSince`, on every path to `node` (a lock taken in one branch only is not). */
export function heldOnEveryPathSince(scope: TransactionScope, anchor: ts.Node): (node: ts.Node) => boolean {
  const stateAt = batchOrGraphState(scope, [anchor]);
  return (node) => !isInside(anchor, node) && !isInside(node, anchor) && ((stateAt(node)?.must ?? 0n) & 1n) !== 0n;
}

/**
 * Bit i of the states: `anchors[i]` ran on some (`may`) / every (`must`) path since the transaction opened; with
 * `toward`, on the paths to `node` that may go on to `toward`.
 */
function batchOrGraphState(
  scope: TransactionScope,
  anchors: readonly ts.Node[],
): (node: ts.Node, toward?: ts.Node) => HeldRows | undefined {
  const root =
    scope.callback ??
    (ts.isParameter(scope.start) ? (scope.start.parent as FunctionLike) : enclosingFunction(scope.start)) ??
    scope.start.getSourceFile();
  if (scope.form === "batch" || anchors.length === 0) {
    // The array's elements run one after the other; nothing here branches. A statement outside the array (after the
    // batch, or in another batch) runs once this transaction has ended: it holds nothing there.
    return (node) => {
      let held = 0n;
      if (scope.form === "batch" && !isInside(node, scope.region)) return { must: held, may: held };
      anchors.forEach((anchor, i) => {
        if (anchor.getEnd() <= node.getStart()) held |= 1n << BigInt(i);
      });
      return { must: held, may: held };
    };
  }
  const graph = flowGraphOf(root);
  const liftedElement = (node: ts.Node) => elementRunning(graph, node);
  const bitsAt = new Map<ts.Node, bigint>();
  anchors.forEach((anchor, i) => {
    const element = liftedElement(anchor);
    if (element) bitsAt.set(element, (bitsAt.get(element) ?? 0n) | (1n << BigInt(i)));
  });
  const handle = scope.form === "begin-commit" ? scope.handle : undefined;
  const none: HeldRows = { must: 0n, may: 0n };
  let solution: CorrelatedSolution<HeldRows> | undefined;
  return (node, toward) => {
    // Correlated: a lock-only read under `if (anchored)` covers a write under the same `if (anchored)`.
    solution ??= solveForwardCorrelated<HeldRows>(graph, {
      initial: none,
      join: (a, b) => ({ must: a.must & b.must, may: a.may | b.may }),
      equals: (a, b) => a.must === b.must && a.may === b.may,
      transfer: (element, state) => {
        if (element === scope.start || (handle !== undefined && ts.isCallExpression(element) && endsTransaction(element, handle)))
          return none;
        const bits = bitsAt.get(element);
        return bits === undefined ? state : { must: state.must | bits, may: state.may | bits };
      },
      edge: (edge, state) => {
        if (edge.kind !== "exception") return state;
        // A locking statement that throws (or whose awaited promise rejects) holds nothing new.
        const last = edge.from.elements[edge.from.elements.length - 1];
        const bits = last && (bitsAt.get(last) ?? (ts.isAwaitExpression(last) ? bitsAt.get(skipAwait(last)) : undefined));
        return bits === undefined ? state : { must: state.must & ~bits, may: state.may & ~bits };
      },
    });
    const element = liftedElement(node);
    const later = toward && liftedElement(toward);
    if (!element) return undefined;
    return later ? solution.beforeToward(element, later) : solution.before(element);
  };
}

/** Row locks taken by project helpers called with the transaction's handle (`await lockShelf(tx, id)`). */
function helperRowLocks(scope: TransactionScope, handle: Identity, resolve: CalleeResolver): RowLock[] {
  const locks: RowLock[] = [];
  for (const call of nodesOfKinds<ts.CallExpression>(scope.callback?.body ?? enclosingBody(scope.start) ?? scope.start.getSourceFile(), [
    ts.SyntaxKind.CallExpression,
  ])) {
    if (dbAccessOf(call) || !call.arguments.some((a) => isPassed(a, handle))) continue;
    if (!runsWhileOpen(scope, call)) continue;
    const callee = resolve(call);
    if (!callee) continue;
    for (const lock of rowLocksAtCall(call, callee, resolve))
      if (isPassed(call.arguments[lock.parameter], handle))
        locks.push({ access: lock.access, mode: lock.mode, ...(lock.declared ? { declared: lock.declared } : { chain: lock.chain }) });
  }
  return locks;
}

const accessCache = new WeakMap<TransactionScope, DbAccess[]>();

function accessesOf(scope: TransactionScope, sourceFile: ts.SourceFile): DbAccess[] {
  let accesses = accessCache.get(scope);
  if (!accesses) {
    // The statements of the region: those of the file (sorted by start, cached) found by binary search on the
    // region's extent; `runsIn` then decides which run in the transaction.
    const all = dbAccessesIn(sourceFile);
    const from = scope.region.getStart();
    const to = scope.region.getEnd();
    let lo = 0;
    for (let hi = all.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.node.getStart() < from) lo = mid + 1;
      else hi = mid;
    }
    accesses = [];
    for (let i = lo; i < all.length && all[i]!.node.getStart() < to; i++) accesses.push(all[i]!);
    accessCache.set(scope, accesses);
  }
  return accesses;
}

// ---------------------------------------------------------------------------------------------------------------
// Retries around a transaction. SERIALIZABLE (and PostgreSQL's REPEATABLE READ) turn a lost update into an aborted
// transaction, which is only safe when something runs it again.

/**
 * Error tests that mean "a fresh attempt may succeed": SQLSTATEs, MySQL errnos, Prisma's P2034, ConflictError, deadlock
 * and serialization-failure messages (not any word starting `serializ`: `serializeError(err)` logs whatever failed).
 */
export const RETRYABLE_ERROR =
  /40001|40P01|55P03|\b1213\b|\b1205\b|ER_LOCK_DEADLOCK|ER_LOCK_WAIT_TIMEOUT|ConflictError|SerializationFailure|deadlock|serializ(?:ation|able)|could not serialize|could not obtain lock|P2034/i;

/**
 * The retryable errors the database's own concurrency control raises (serialization failure, deadlock, lock timeout):
 * RETRYABLE_ERROR without an application's ConflictError, which a compare-and-set throws when its guard no longer holds.
 */
export const DATABASE_CONFLICT_ERROR = new RegExp(RETRYABLE_ERROR.source.replace("|ConflictError", ""), "i");

/** Calls that run their function argument again on failure: the runtime's `retry`, `p-retry`, `async-retry`, `exponential-backoff`. */
const RETRYING_CALL = /retry|backoff/i;

/**
 * True if a retry of `scope`'s transaction is visible where it is opened: the runtime helpers' own retry, a loop
 * around it whose `catch` tests for a serialization failure or deadlock, or a retrying call (`retry(() => …)`) whose
 * function argument opens it. The search stops at the first function that is not an argument of a call: whether
 * its callers retry is not knowable here.
 */
export function isRetried(scope: TransactionScope): boolean {
  if (scope.retried) return true;
  // Whether the caller that opened it retries is not knowable here: not judged.
  if (scope.form === "caller") return true;
  for (let child: ts.Node = scope.start, node = child.parent; node; child = node, node = node.parent) {
    if (
      (ts.isForStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) &&
      child === node.statement &&
      catchesRetryable(node.statement)
    )
      return true;
    if (isFunctionLike(node)) {
      const call = node.parent;
      if (!ts.isCallExpression(call) || !call.arguments.includes(node as ts.Expression)) return false;
      if (RETRYING_CALL.test(calleeName(call) ?? "")) return true;
    }
  }
  return false;
}

function catchesRetryable(body: ts.Statement): boolean {
  let found = false;
  walk(body, (node) => {
    if (found || isFunctionLike(node)) return false;
    if (ts.isCatchClause(node) && RETRYABLE_ERROR.test(node.block.getText())) found = true;
    return !found;
  });
  return found;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * The entries of the transaction table (models/transaction-libraries.ts) that `call` matches by name and shape: a
 * method with a receiver (reached through `through` when the entry says: Kysely's `transaction().execute(fn)`), or a
 * function that, when imported, comes from the library's module.
 */
export function transactionOpenersOf(call: ts.CallExpression): TransactionOpener[] {
  const name = calleeName(call);
  if (!name) return [];
  return transactionOpenersNamed(name).filter(({ library, opener }) => {
    if (opener.function !== undefined) {
      const binding = importedBinding(call.expression, call.getSourceFile());
      // A managed library's runner only when imported from it: a project's own `runInTransaction` is something else.
      if (!binding) return !library.managed;
      return !library.module || isModule(library.module, binding.module);
    }
    const receiver = receiverOf(call);
    if (!receiver || (opener.receiverType !== undefined && declaredTypeName(receiver) !== opener.receiverType)) return false;
    if (opener.fileImports && ![...importsOf(call.getSourceFile()).values()].some((i) => opener.fileImports!.test(i.module))) return false;
    return opener.through === undefined || chainedCall(call, opener.through) !== undefined;
  });
}

/** The type `this.field` is declared with in its class (the type's last name), else undefined. */
function declaredTypeName(expr: ts.Expression): string | undefined {
  const node = skipParens(expr);
  return ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword
    ? fieldTypeName(node, node.name.text)
    : undefined;
}

/** The membership test of a managed join: an ORM's statements, or those run through `this.<host>.<property>`. */
function joinsOf(join: ManagedJoin): (access: DbAccess) => boolean {
  if ("library" in join) return (access) => access.library === join.library;
  return (access) => {
    if (!access.handle) return false;
    const field = /^this\.([\w$]+)\.([\w$]+)(\.|$)/.exec(canonicalKey(access.handle));
    return field !== null && field[2] === join.property && fieldTypeName(access.node, field[1]!) === join.hostType;
  };
}

/**
 * A method decorated with a managed-transaction decorator imported from its library (`@Transactional()` of
 * typeorm-transactional or @nestjs-cls/transactional): the body runs in the transaction, which the library's
 * `joins` statements take part in.
 */
function decoratorScope(fn: FunctionLike): TransactionScope | undefined {
  if (!ts.isMethodDeclaration(fn) || !fn.body) return undefined;
  for (const decorator of ts.getDecorators(fn) ?? []) {
    const call = decorator.expression;
    const name = ts.isCallExpression(call) ? calleeName(call) : undefined;
    if (!name || !ts.isCallExpression(call)) continue;
    const module = importedBinding(call.expression, fn.getSourceFile())?.module;
    const entry =
      module === undefined
        ? undefined
        : transactionDecoratorsNamed(name).find(({ library }) => library.module && isModule(library.module, module));
    const joins = entry?.library.managed?.joins;
    if (!entry || !joins) continue;
    const scope: TransactionScope = { form: "callback", start: call, callback: fn, region: fn.body, joins: joinsOf(joins), retried: false };
    for (const source of entry.decorator.isolation ?? []) {
      const level = isolationFrom(isolationExpression(call, source));
      if (level) {
        scope.isolation = level;
        break;
      }
    }
    return scope;
  }
  return undefined;
}

function isModule(module: string | RegExp, specifier: string): boolean {
  return typeof module === "string" ? module === specifier : module.test(specifier);
}

/** The call named `name` in the receiver chain of `call` (`db.transaction()` of `db.transaction().execute(fn)`). */
function chainedCall(call: ts.CallExpression, name: string): ts.CallExpression | undefined {
  for (let inner = receiverOf(call); inner && ts.isCallExpression(inner); inner = receiverOf(inner))
    if (calleeName(inner) === name) return inner;
  return undefined;
}

/** The function literal a callback opener of the model runs in its transaction at `call` (`knex.transaction(trx => …)`). */
export function transactionCallbackOf(call: ts.CallExpression): ts.ArrowFunction | ts.FunctionExpression | undefined {
  for (const { opener } of transactionOpenersOf(call)) {
    const index = opener.form === "callback" ? callbackIndexOf(call, opener) : -1;
    if (index >= 0) return skipParens(call.arguments[index]!) as ts.ArrowFunction | ts.FunctionExpression;
  }
  return undefined;
}

/** The callback argument index an opener entry finds at `call` (the first of its positions holding a function), or -1. */
export function callbackIndexOf(call: ts.CallExpression, opener: TransactionOpenerModel, isCallback = isInlineFunction): number {
  return opener.callbackArgs?.find((i) => call.arguments[i] !== undefined && isCallback(call.arguments[i]!)) ?? -1;
}

function isInlineFunction(arg: ts.Expression): boolean {
  const node = skipParens(arg);
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

/** The expression an isolation source points at in `call`: an argument, a property of it, or an argument of a chained call. */
export function isolationExpression(call: ts.CallExpression, source: IsolationSource): ts.Expression | undefined {
  if ("chained" in source) return chainedCall(call, source.chained)?.arguments[source.arg];
  const argument = call.arguments[source.arg];
  return source.path === undefined ? argument : propertyValue(argument, source.path);
}

/** The level the first of the openers' sources that says gives. */
function isolationOf(call: ts.CallExpression, openers: readonly TransactionOpener[]): IsolationLevel | undefined {
  for (const { opener } of openers)
    for (const source of opener.isolation ?? []) {
      const level = isolationFrom(isolationExpression(call, source));
      if (level) return level;
    }
  return undefined;
}

/** Whether an opener retries by itself: it has a `retriesUnless` option and the call does not set it to `false`. */
export function openerRetries(call: ts.CallExpression, opener: TransactionOpenerModel): boolean {
  if (opener.retries) return true;
  const option = opener.retriesUnless;
  return option !== undefined && propertyValue(call.arguments[option.arg], option.path)?.kind !== ts.SyntaxKind.FalseKeyword;
}

/** A callback opener: `knex.transaction(trx => …)`, `prisma.$transaction(async tx => …)`, `withPgTransaction(pool, tx => …)`. */
function callbackScope(call: ts.CallExpression, openers: readonly TransactionOpener[]): TransactionScope | undefined {
  const matching = openers.filter(({ opener }) => opener.form === "callback" && callbackIndexOf(call, opener) >= 0);
  const first = matching[0]?.opener;
  if (!first) return undefined;
  const callback = skipParens(call.arguments[callbackIndexOf(call, first)]!) as ts.ArrowFunction | ts.FunctionExpression;
  const scope: TransactionScope = {
    form: "callback",
    start: call,
    callback,
    region: callback.body,
    retried: openerRetries(call, first),
  };
  const parameter = first.handleParam === undefined ? undefined : callback.parameters[first.handleParam];
  if (parameter && ts.isIdentifier(parameter.name)) scope.handle = identityOf(parameter.name);
  else if (!parameter && first.receiverIsHandle) {
    const receiver = receiverOf(call);
    if (receiver) scope.handle = identityOf(receiver);
  }
  // Several libraries share a name (`transaction`): a join any of them declares, restricted to its library's statements.
  const join =
    matching.find(({ library }) => library.managed)?.library.managed?.joins ??
    (parameter ? undefined : matching.find(({ library }) => library.clsWithoutHandle)?.library.clsWithoutHandle);
  if (join) scope.joins = joinsOf(join);
  const cls = parameter && matching.find(({ library }) => library.clsWithoutHandle)?.library.clsWithoutHandle;
  if (cls) scope.joinsUnderCls = joinsOf(cls);
  const isolation = isolationOf(call, matching);
  if (isolation) scope.isolation = isolation;
  if (matching[0]!.library.writeConflictsAbort) scope.abortsOnWriteConflict = true;
  return scope;
}

/**
 * Whether a type annotation names a library's transaction handle (`Knex.Transaction`, `MySql2Transaction<…>`), directly
 * or through type aliases declared at the top of the annotation's own file (`type OrdersTx = MySql2Transaction<…>`).
 */
export function isTransactionHandleType(typeNode: ts.TypeNode | undefined): boolean {
  for (let depth = 0; typeNode && ts.isTypeReferenceNode(typeNode) && depth < 4; depth++) {
    const name = typeNode.typeName;
    const text = ts.isIdentifier(name) ? name.text : name.right.text;
    if (isTransactionHandleTypeName(text)) return true;
    if (!ts.isIdentifier(name)) return false;
    const alias = typeNode
      .getSourceFile()
      .statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === text);
    typeNode = alias?.type;
  }
  return false;
}

/** The type an expression is asserted to have (`tx as unknown as MySql2Transaction`, `<PgTransaction>tx`): the outermost. */
export function assertedType(expression: ts.Expression): ts.TypeNode | undefined {
  let node = expression;
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return ts.isAsExpression(node) || ts.isTypeAssertionExpression(node) ? node.type : undefined;
}

/**
 * The `const`s of `fn`'s own body that hold a transaction by their type: declared with a handle type, or initialised
 * by a value asserted to be one (the unwrapping of a unit of work's opaque context). Nobody opens a transaction to
 * hand out such a value except the caller, so the statements through it run in the caller's transaction.
 */
function typedLocalHandles(fn: FunctionLike): Array<{ declaration: ts.VariableDeclaration; name: ts.Identifier }> {
  const body = fn.body;
  if (!body || !ts.isBlock(body)) return [];
  const found: Array<{ declaration: ts.VariableDeclaration; name: ts.Identifier }> = [];
  for (const statement of body.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || !declaration.initializer) continue;
      if (isTransactionHandleType(declaration.type) || isTransactionHandleType(assertedType(declaration.initializer)))
        found.push({ declaration, name: declaration.name });
    }
  }
  return found;
}

/**
 * The properties an options type requires that are typed as a transaction handle: a type literal's required members;
 * through an intersection (`({ id } | { handle }) & { transaction: Transaction }`), those any part requires; through a
 * union, those every member requires.
 */
function requiredHandleProperties(typeNode: ts.TypeNode): string[] {
  if (ts.isParenthesizedTypeNode(typeNode)) return requiredHandleProperties(typeNode.type);
  if (ts.isIntersectionTypeNode(typeNode)) return [...new Set(typeNode.types.flatMap(requiredHandleProperties))];
  if (ts.isUnionTypeNode(typeNode)) {
    const [first, ...rest] = typeNode.types.map(requiredHandleProperties);
    return (first ?? []).filter((property) => rest.every((names) => names.includes(property)));
  }
  if (!ts.isTypeLiteralNode(typeNode)) return [];
  return typeNode.members.flatMap((member) =>
    ts.isPropertySignature(member) && !member.questionToken && ts.isIdentifier(member.name) && isTransactionHandleType(member.type)
      ? [member.name.text]
      : [],
  );
}

/**
 * The transactions `fn`'s caller passes in: a required parameter typed as a transaction handle, or a required
 * property of that type in an options parameter. The whole body runs in it; statements through other handles do not.
 */
function callerScopes(fn: FunctionLike): TransactionScope[] {
  const body = fn.body;
  if (!body) return [];
  const scopes: TransactionScope[] = [];
  const add = (parameter: ts.ParameterDeclaration, handle: Identity) =>
    scopes.push({ form: "caller", start: parameter, handle, region: body, retried: false });
  for (const parameter of fn.parameters) {
    if (parameter.questionToken || parameter.initializer || !parameter.type) continue;
    if (ts.isIdentifier(parameter.name) && isTransactionHandleType(parameter.type)) add(parameter, identityOf(parameter.name));
    else {
      for (const property of requiredHandleProperties(parameter.type)) {
        if (ts.isIdentifier(parameter.name)) {
          const options = identityOf(parameter.name);
          add(parameter, { key: `${options.key}.${property}`, root: options.root });
        } else if (ts.isObjectBindingPattern(parameter.name)) {
          const element = parameter.name.elements.find((e) => (e.propertyName ?? e.name).getText() === property);
          if (element && ts.isIdentifier(element.name)) add(parameter, identityOf(element.name));
        }
      }
    }
  }
  for (const { declaration, name } of typedLocalHandles(fn))
    scopes.push({ form: "caller", start: declaration, handle: identityOf(name), region: body, retried: false });
  for (const { parameter, name } of lockConstantHandles(fn)) {
    const handle = identityOf(name);
    if (!scopes.some((s) => s.handle?.key === handle.key && s.handle.root === handle.root)) add(parameter, handle);
  }
  return scopes;
}

const lockConstantFiles = new WeakMap<ts.SourceFile, boolean>();

/** Whether the file names a `.LOCK.` constant anywhere: asked for every function, answered once per file. */
function mentionsLockConstant(sourceFile: ts.SourceFile): boolean {
  let mentions = lockConstantFiles.get(sourceFile);
  if (mentions === undefined) lockConstantFiles.set(sourceFile, (mentions = sourceFile.text.includes(".LOCK.")));
  return mentions;
}

/**
 * Sequelize transactions a function takes from a parameter's property (`const { transaction } = ctx.state`, set by a
 * middleware) and dereferences for a lock constant (`lock: transaction.LOCK.UPDATE`): what has a `LOCK` there is a
 * transaction object, opened by a caller, so the statements given it run in that transaction.
 */
function lockConstantHandles(fn: FunctionLike): Array<{ parameter: ts.ParameterDeclaration; name: ts.Identifier }> {
  const body = fn.body;
  if (!body || !mentionsLockConstant(fn.getSourceFile())) return [];
  const found: Array<{ parameter: ts.ParameterDeclaration; name: ts.Identifier }> = [];
  for (const access of nodesOfKinds<ts.PropertyAccessExpression>(body, [ts.SyntaxKind.PropertyAccessExpression])) {
    const handle = skipParens(access.expression);
    if (access.name.text !== "LOCK" || !ts.isIdentifier(handle)) continue;
    const declaration = variableDeclarationOf(handle);
    const bound = declarationOf(handle);
    if (!declaration?.initializer || !bound || !(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) continue;
    if (enclosingFunction(declaration) !== fn) continue;
    let root = skipParens(declaration.initializer);
    while (ts.isPropertyAccessExpression(root)) root = skipParens(root.expression);
    const parameter = ts.isIdentifier(root) ? declarationOf(root) : undefined;
    if (!parameter || !ts.isParameter(parameter) || parameter.parent !== fn) continue;
    const name = ts.isVariableDeclaration(bound) || ts.isBindingElement(bound) ? bound.name : undefined;
    if (name && ts.isIdentifier(name) && !found.some((f) => f.name === name)) found.push({ parameter, name });
  }
  return found;
}

function isPassed(argument: ts.Expression | undefined, handle: Identity): boolean {
  return argument !== undefined && isPartOfHandle(skipAwait(argument), handle);
}

/** A batch opener: Prisma `$transaction([a, b], { isolationLevel })`, `$transaction(keys.map(…))`. */
function batchScope(call: ts.CallExpression, openers: readonly TransactionOpener[]): TransactionScope | undefined {
  const matching = openers.filter(({ opener }) => {
    const array = opener.form === "batch" ? call.arguments[opener.arrayArg ?? 0] : undefined;
    // The array literal, or one built by `keys.map((k) => prisma.x.update(…))`.
    const bare = array && skipParens(array);
    return bare !== undefined && (ts.isArrayLiteralExpression(bare) || (ts.isCallExpression(bare) && calleeName(bare) === "map"));
  });
  const first = matching[0]?.opener;
  if (!first) return undefined;
  const array = skipParens(call.arguments[first.arrayArg ?? 0]!);
  const scope: TransactionScope = { form: "batch", start: call, region: array, retried: false };
  const isolation = isolationOf(call, matching);
  if (isolation) scope.isolation = isolation;
  return scope;
}

/**
 * A transaction opened on a handle: `h.beginTransaction()`, `h.startTransaction()` (`begin` entries), `const t = await
 * x.transaction()` (`returns-handle`: the handle is the variable), or SQL `BEGIN` / `START TRANSACTION` run on `h`.
 */
function beginScope(call: ts.CallExpression, openers: readonly TransactionOpener[]): TransactionScope | undefined {
  let handle: ts.Expression | undefined;
  let isolation: IsolationLevel | undefined;
  const begins = openers.filter(({ opener }) => opener.form === "begin");
  const returning = openers.filter(({ opener }) => opener.form === "returns-handle");
  if (begins.length > 0) {
    handle = receiverOf(call);
    isolation = isolationOf(call, begins);
  } else if (returning.length > 0 && call.arguments.every((a) => !isFunctionLike(skipParens(a)))) {
    const declaration = ts.isAwaitExpression(call.parent) ? call.parent.parent : call.parent;
    if (!declaration || !ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return undefined;
    handle = declaration.name;
    isolation = isolationOf(call, returning);
  } else {
    const access = dbAccessOf(call);
    if (!access || access.kind !== "begin") return undefined;
    handle = receiverOf(call);
    isolation = access.isolation;
  }
  if (!handle) return undefined;
  const identity = identityOf(handle);
  const body = enclosingBody(call);
  if (!body) return undefined;
  // `SET TRANSACTION ISOLATION LEVEL ...` on the same handle in the same function (before BEGIN in MySQL, after in PostgreSQL).
  if (!isolation) {
    walk(body, (node) => {
      const access = ts.isCallExpression(node) ? dbAccessOf(node) : undefined;
      if (access?.kind === "set-isolation" && access.handle && isHandle(access.handle, identity)) isolation = access.isolation;
    });
  }
  const scope: TransactionScope = { form: "begin-commit", start: call, handle: identity, region: body, retried: false };
  scope.isOpenAt = openAlongPaths(call, identity, ts.isSourceFile(body) ? body : (body.parent as FunctionLike));
  if (isolation) scope.isolation = isolation;
  return scope;
}

/**
 * "Open on every path to here" for the transaction `start` begins on `handle`: a must-dataflow over the control-flow
 * graph of `root`, where `start` opens it and COMMIT/ROLLBACK on the handle closes it. A BEGIN that throws opens
 * nothing. Code in a nested function counts as running where that function is created (`rows.map(r => client.query(…))`).
 * `endsAlso` names other calls that close it (a project helper running COMMIT). Solved on the first question, once per
 * transaction.
 */
export function openAlongPaths(
  start: ts.CallExpression,
  handle: Identity,
  root: FunctionLike | ts.SourceFile,
  endsAlso?: (call: ts.CallExpression) => boolean,
): (node: ts.Node) => boolean {
  let solution: ForwardSolution<boolean> | undefined;
  return (node) => {
    const graph = flowGraphOf(root);
    solution ??= solveForward<boolean>(graph, {
      initial: false,
      join: (a, b) => a && b,
      equals: (a, b) => a === b,
      transfer: (element, open) =>
        element === start ? true : ts.isCallExpression(element) && (endsTransaction(element, handle) || endsAlso?.(element)) ? false : open,
      edge: (edge, open) => (edge.kind === "exception" && edge.from.elements[edge.from.elements.length - 1] === start ? false : open),
    });
    const element = elementRunning(graph, node);
    return element !== undefined && solution.before(element) === true;
  };
}

function endsTransaction(call: ts.CallExpression, handle: Identity): boolean {
  const name = calleeName(call);
  const receiver = receiverOf(call);
  if (!receiver || !isHandle(receiver, handle)) return false;
  if (name && endsTransactionMethod(name)) return true;
  const access = dbAccessOf(call);
  return access?.kind === "commit" || access?.kind === "rollback";
}

function enclosingBody(node: ts.Node): ts.Node | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (isFunctionLike(current)) return current.body;
    if (ts.isSourceFile(current)) return current;
  }
  return undefined;
}

/** "serializable", `Prisma.TransactionIsolationLevel.Serializable`, `Transaction.ISOLATION_LEVELS.SERIALIZABLE`, "REPEATABLE READ". */
export function isolationFrom(expr: ts.Expression | undefined): IsolationLevel | undefined {
  if (!expr) return undefined;
  const node = skipAwait(expr);
  const text = stringValue(node) ?? (ts.isPropertyAccessExpression(node) ? node.name.text : undefined);
  if (!text) return undefined;
  const words = text
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[_-]/g, " ")
    .toLowerCase()
    .trim();
  const levels: IsolationLevel[] = ["read uncommitted", "read committed", "repeatable read", "serializable"];
  return levels.find((l) => l === words);
}
