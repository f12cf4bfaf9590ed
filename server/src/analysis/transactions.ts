// Recognising database transactions in code: where a transaction is open, which handle its statements must run
// through, at which isolation level, and which row locks it holds at a given point. Shared by every rule that asks
// "is this inside a transaction?" (select-then-update, lock-across-await, ...).
//
// Forms recognised:
// - BEGIN … COMMIT/ROLLBACK on one handle: `client.query("BEGIN")` (pg, after `pool.connect()`), `conn.query("START
//   TRANSACTION")` / `conn.beginTransaction()` (mysql2), `queryRunner.startTransaction()` (TypeORM), an unmanaged
//   `const t = await sequelize.transaction()` / `const trx = await knex.transaction()` ended by `t.commit()`;
// - callbacks: `knex.transaction(trx => …)`, `prisma.$transaction(async tx => …)`, `dataSource.transaction(m => …)`,
//   `sequelize.transaction(t => …)`, MikroORM `em.transactional(em => …)`, Drizzle `db.transaction(tx => …)`, Kysely `db.transaction().execute(trx => …)`,
//   the runtime's `withPgTransaction(pool, tx => …)` / `withMySqlTransaction(pool, tx => …)`;
// - Prisma's batch form `prisma.$transaction([a, b])`;
// - a transaction the caller opened and passes in: a required parameter typed as a transaction handle
//   (`transaction: Transaction`, `trx: Knex.Transaction`, `tx: Prisma.TransactionClient`, `manager: EntityManager`), or
//   such a property of an options parameter (`options: { transaction: Transaction }`, `{ transaction }: {…}`).
import { ts } from "../engine/ts";
import {
  FUNCTION_KINDS,
  calleeName,
  enclosingFunction,
  importedBinding,
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
import { canonicalKey, isPartOfHandle } from "./identity";
import { RUNTIME_MODULE } from "./models/lock-libraries";
import { elementAt, solveForward, type ForwardSolution } from "./flow/dataflow";
import { lockModeOf, summaryOf, type CalleeResolver } from "./summaries";

export type { IsolationLevel } from "./sql";

export interface TransactionScope {
  form: "begin-commit" | "callback" | "batch" | "caller";
  /**
   * What opens it: `client.query("BEGIN")`, `knex.transaction(…)`, `prisma.$transaction(…)`, `withPgTransaction(…)`;
   * for a transaction passed in by the caller, the parameter it arrives through.
   */
  start: ts.CallExpression | ts.TaggedTemplateExpression | ts.ParameterDeclaration;
  /** For the callback form: the function that runs inside the transaction. */
  callback?: FunctionLike;
  /**
   * Canonical key (identity.ts: `const` aliases followed) of the handle statements must run through to be part of
   * the transaction: `client`, `trx`, `tx`, `this.client`. Undefined for the batch form (membership is "is an element
   * of the array").
   */
  handle?: string;
  /** Offsets [pos, end) of the code that can run while the transaction is open. */
  pos: number;
  end: number;
  /**
   * For BEGIN … COMMIT: whether the transaction is open on every path that reaches `node`, along the enclosing
   * function's control flow (a guard that runs ROLLBACK and returns does not end it for the code after the guard).
   */
  isOpenAt?(node: ts.Node): boolean;
  /** The isolation level asked for, when the code says (else the database default: READ COMMITTED in PostgreSQL, REPEATABLE READ in MySQL). */
  isolation?: IsolationLevel;
  /** Whether serialization failures and deadlocks are retried by the code that opens it (the runtime helpers' `retry` option). */
  retried: boolean;
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
}

const scopeCache = new WeakMap<ts.SourceFile, TransactionScope[]>();

/** Every transaction scope in the file, outermost first. Cached per file. */
export function transactionScopesOf(sourceFile: ts.SourceFile): readonly TransactionScope[] {
  let scopes = scopeCache.get(sourceFile);
  if (scopes) return scopes;
  scopes = [];
  const found = scopes;
  for (const node of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    const scope = callbackScope(node) ?? batchScope(node) ?? beginScope(node);
    if (scope) found.push(scope);
  }
  // A callback already known as a transaction's (`$transaction(async (tx: Prisma.TransactionClient) => …)`) keeps its scope.
  const callbacks = new Set(found.map((s) => s.callback));
  for (const fn of nodesOfKinds<FunctionLike>(sourceFile, FUNCTION_KINDS)) if (!callbacks.has(fn)) found.push(...callerScopes(fn));
  scopes.sort((a, b) => a.pos - b.pos || b.end - a.end);
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
  const pos = node.getStart();
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    if (pos < scope.pos || pos >= scope.end || (scope.isOpenAt && !scope.isOpenAt(node))) continue;
    if (!access || runsIn(access, scope)) return scope;
  }
  return undefined;
}

/** True if the database statement `access` is part of `scope`. */
export function runsIn(access: DbAccess, scope: TransactionScope): boolean {
  const pos = access.node.getStart();
  if (pos < scope.pos || pos >= scope.end || (scope.isOpenAt && !scope.isOpenAt(access.node))) return false;
  if (scope.form === "batch") return true;
  const handle = scope.handle;
  if (!handle) return false;
  if (access.transactionOption && canonicalKey(access.transactionOption) === handle) return true;
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
): RowLock[] {
  if (!scope) return [];
  const paths = rowLockPathsOf(scope, node.getSourceFile(), resolve);
  const state = paths.stateAt(node);
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
  stateAt(node: ts.Node): HeldRows | undefined;
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
  const paths: RowLockPaths = { locks, stateAt: batchOrGraphState(scope, locks) };
  perResolver.set(resolve, paths);
  return paths;
}

function batchOrGraphState(scope: TransactionScope, locks: RowLock[]): (node: ts.Node) => HeldRows | undefined {
  const root =
    scope.callback ??
    (ts.isParameter(scope.start) ? (scope.start.parent as FunctionLike) : enclosingFunction(scope.start)) ??
    scope.start.getSourceFile();
  if (scope.form === "batch" || locks.length === 0) {
    // The array's elements run one after the other; nothing here branches.
    return (node) => {
      let held = 0n;
      locks.forEach((lock, i) => {
        if (anchorOf(lock).getEnd() <= node.getStart()) held |= 1n << BigInt(i);
      });
      return { must: held, may: held };
    };
  }
  const graph = flowGraphOf(root);
  const liftedElement = (node: ts.Node) => {
    let current = node;
    for (let fn = enclosingFunction(current); fn && fn !== root; fn = enclosingFunction(current)) current = fn;
    return elementAt(graph, current);
  };
  const bitsAt = new Map<ts.Node, bigint>();
  locks.forEach((lock, i) => {
    const element = liftedElement(anchorOf(lock));
    if (element) bitsAt.set(element, (bitsAt.get(element) ?? 0n) | (1n << BigInt(i)));
  });
  const handle = scope.form === "begin-commit" ? scope.handle : undefined;
  const none: HeldRows = { must: 0n, may: 0n };
  let solution: ForwardSolution<HeldRows> | undefined;
  return (node) => {
    solution ??= solveForward<HeldRows>(graph, {
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
    return element ? solution.before(element) : undefined;
  };
}

/** Row locks taken by project helpers called with the transaction's handle (`await lockShelf(tx, id)`). */
function helperRowLocks(scope: TransactionScope, handle: string, resolve: CalleeResolver): RowLock[] {
  const locks: RowLock[] = [];
  for (const call of nodesOfKinds<ts.CallExpression>(scope.callback?.body ?? enclosingBody(scope.start) ?? scope.start.getSourceFile(), [
    ts.SyntaxKind.CallExpression,
  ])) {
    const start = call.getStart();
    if (start < scope.pos || call.getEnd() > scope.end) continue;
    if (dbAccessOf(call) || !call.arguments.some((a) => isPassed(a, handle))) continue;
    if (scope.isOpenAt && !scope.isOpenAt(call)) continue;
    const callee = resolve(call);
    if (!callee) continue;
    for (const lock of summaryOf(callee, resolve).rowLocks)
      if (isPassed(call.arguments[lock.parameter], handle))
        locks.push({ access: lock.access, mode: lock.mode, chain: [call, ...lock.chain] });
  }
  return locks;
}

const accessCache = new WeakMap<TransactionScope, DbAccess[]>();

function accessesOf(scope: TransactionScope, sourceFile: ts.SourceFile): DbAccess[] {
  let accesses = accessCache.get(scope);
  if (!accesses) {
    const all = dbAccessesIn(sourceFile); // sorted by start, cached per file
    let lo = 0;
    for (let hi = all.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.node.getStart() < scope.pos) lo = mid + 1;
      else hi = mid;
    }
    accesses = [];
    for (let i = lo; i < all.length && all[i]!.node.getStart() < scope.end; i++) accesses.push(all[i]!);
    accessCache.set(scope, accesses);
  }
  return accesses;
}

// ---------------------------------------------------------------------------------------------------------------
// Retries around a transaction. SERIALIZABLE (and PostgreSQL's REPEATABLE READ) turn a lost update into an aborted
// transaction, which is only safe when something runs it again.

/** Error tests that mean "a fresh attempt may succeed": SQLSTATEs, MySQL errnos, Prisma's P2034, ConflictError, deadlock messages. */
export const RETRYABLE_ERROR =
  /40001|40P01|55P03|\b1213\b|\b1205\b|ER_LOCK_DEADLOCK|ER_LOCK_WAIT_TIMEOUT|ConflictError|SerializationFailure|deadlock|serializ|could not obtain lock|P2034/i;

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

/** `x.transaction(fn)`, `x.$transaction(fn)`, `x.transaction().execute(fn)`, `withPgTransaction(pool, fn)`. */
function callbackScope(call: ts.CallExpression): TransactionScope | undefined {
  const name = calleeName(call);
  if (!name) return undefined;
  let options: ts.Expression | undefined;
  let isolationArg: ts.Expression | undefined;
  let retried = false;
  if (name === "withPgTransaction" || name === "withMySqlTransaction") {
    const binding = importedBinding(call.expression, call.getSourceFile());
    if (binding && !RUNTIME_MODULE.test(binding.module)) return undefined;
    options = call.arguments[2];
    isolationArg = propertyValue(options, "isolation");
    // The runtime helpers retry serialization failures and deadlocks unless told `retry: false`.
    retried = propertyValue(options, "retry")?.kind !== ts.SyntaxKind.FalseKeyword;
  } else if (name === "transaction" || name === "$transaction" || name === "transactional") {
    if (!receiverOf(call)) return undefined;
    // TypeORM: transaction("SERIALIZABLE", fn); others: transaction(fn, options) / transaction(options, fn).
    const first = call.arguments[0];
    if (first && stringValue(first)) isolationArg = first;
    options = call.arguments.find((a) => ts.isObjectLiteralExpression(skipParens(a)));
    isolationArg ??= propertyValue(options, "isolationLevel");
  } else if (name === "execute") {
    // Kysely: db.transaction().setIsolationLevel("serializable").execute(fn)
    let inner = receiverOf(call);
    while (inner && ts.isCallExpression(inner)) {
      const innerName = calleeName(inner);
      if (innerName === "setIsolationLevel") isolationArg = inner.arguments[0];
      if (innerName === "transaction") break;
      inner = receiverOf(inner);
    }
    if (!inner || !ts.isCallExpression(inner) || calleeName(inner) !== "transaction") return undefined;
  } else return undefined;
  const callback = call.arguments
    .map((a) => skipParens(a))
    .find((a): a is ts.ArrowFunction | ts.FunctionExpression => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
  if (!callback || !callback.body) return undefined;
  const parameter = callback.parameters[0];
  const scope: TransactionScope = {
    form: "callback",
    start: call,
    callback,
    pos: callback.body.getStart(),
    end: callback.body.getEnd(),
    retried,
  };
  if (parameter && ts.isIdentifier(parameter.name)) scope.handle = parameter.name.text;
  const isolation = isolationFrom(isolationArg);
  if (isolation) scope.isolation = isolation;
  return scope;
}

/**
 * Types whose values are a transaction that is already open: Sequelize/Knex/Kysely/Objection `Transaction`, Prisma's
 * `TransactionClient`, TypeORM's `EntityManager` and `QueryRunner` (a locking read through them throws outside a
 * transaction, so one that takes a lock runs inside one). Matched by the type's last name (`Knex.Transaction`).
 */
const TRANSACTION_HANDLE_TYPES = new Set(["Transaction", "TransactionClient", "EntityManager", "QueryRunner"]);

function isTransactionHandleType(typeNode: ts.TypeNode | undefined): boolean {
  if (!typeNode || !ts.isTypeReferenceNode(typeNode)) return false;
  const name = typeNode.typeName;
  return TRANSACTION_HANDLE_TYPES.has(ts.isIdentifier(name) ? name.text : name.right.text);
}

/**
 * The transactions `fn`'s caller passes in: a required parameter typed as a transaction handle, or a required
 * property of that type in an options parameter. The whole body runs in it; statements through other handles do not.
 */
function callerScopes(fn: FunctionLike): TransactionScope[] {
  const body = fn.body;
  if (!body) return [];
  const scopes: TransactionScope[] = [];
  const add = (parameter: ts.ParameterDeclaration, handle: string) =>
    scopes.push({ form: "caller", start: parameter, handle, pos: body.getStart(), end: body.getEnd(), retried: false });
  for (const parameter of fn.parameters) {
    if (parameter.questionToken || parameter.initializer || !parameter.type) continue;
    if (ts.isIdentifier(parameter.name) && isTransactionHandleType(parameter.type)) add(parameter, parameter.name.text);
    else if (ts.isTypeLiteralNode(parameter.type)) {
      for (const member of parameter.type.members) {
        if (
          !ts.isPropertySignature(member) ||
          member.questionToken ||
          !ts.isIdentifier(member.name) ||
          !isTransactionHandleType(member.type)
        )
          continue;
        const property = member.name.text;
        if (ts.isIdentifier(parameter.name)) add(parameter, `${parameter.name.text}.${property}`);
        else if (ts.isObjectBindingPattern(parameter.name)) {
          const element = parameter.name.elements.find((e) => (e.propertyName ?? e.name).getText() === property);
          if (element && ts.isIdentifier(element.name)) add(parameter, element.name.text);
        }
      }
    }
  }
  return scopes;
}

function isPassed(argument: ts.Expression | undefined, handle: string): boolean {
  return argument !== undefined && isPartOfHandle(skipAwait(argument), handle);
}

/** Prisma `$transaction([a, b], { isolationLevel })`. */
function batchScope(call: ts.CallExpression): TransactionScope | undefined {
  if (calleeName(call) !== "$transaction") return undefined;
  const array = call.arguments[0] && skipParens(call.arguments[0]);
  if (!array || !ts.isArrayLiteralExpression(array)) return undefined;
  const scope: TransactionScope = { form: "batch", start: call, pos: array.getStart(), end: array.getEnd(), retried: false };
  const isolation = isolationFrom(propertyValue(call.arguments[1], "isolationLevel"));
  if (isolation) scope.isolation = isolation;
  return scope;
}

/** `h.query("BEGIN")`, `h.beginTransaction()`, `h.startTransaction()`, `const t = await x.transaction()`. */
function beginScope(call: ts.CallExpression): TransactionScope | undefined {
  const name = calleeName(call);
  let handle: ts.Expression | undefined;
  let isolation: IsolationLevel | undefined;
  if (name === "beginTransaction" || name === "startTransaction") {
    handle = receiverOf(call);
    isolation = isolationFrom(call.arguments[0]);
  } else if (name === "transaction" && call.arguments.every((a) => !isFunctionLike(skipParens(a)))) {
    // Unmanaged: `const t = await sequelize.transaction()`; the handle is the variable.
    const declaration = ts.isAwaitExpression(call.parent) ? call.parent.parent : call.parent;
    if (!receiverOf(call) || !declaration || !ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return undefined;
    handle = declaration.name;
    isolation = isolationFrom(propertyValue(call.arguments[0], "isolationLevel"));
  } else {
    const access = dbAccessOf(call);
    if (!access || access.kind !== "begin") return undefined;
    handle = receiverOf(call);
    isolation = access.isolation;
  }
  if (!handle) return undefined;
  const key = canonicalKey(handle);
  const body = enclosingBody(call);
  if (!body) return undefined;
  const end = body.getEnd();
  // `SET TRANSACTION ISOLATION LEVEL ...` on the same handle in the same function (before BEGIN in MySQL, after in PostgreSQL).
  if (!isolation) {
    walk(body, (node) => {
      const access = ts.isCallExpression(node) ? dbAccessOf(node) : undefined;
      if (access?.kind === "set-isolation" && access.handle && canonicalKey(access.handle) === key && node.getStart() < end)
        isolation = access.isolation;
    });
  }
  const scope: TransactionScope = { form: "begin-commit", start: call, handle: key, pos: call.getEnd(), end, retried: false };
  scope.isOpenAt = openAlongPaths(call, key, ts.isSourceFile(body) ? body : (body.parent as FunctionLike));
  if (isolation) scope.isolation = isolation;
  return scope;
}

/**
 * "Open on every path to here" for the transaction `start` begins on `handle`: a must-dataflow over the control-flow
 * graph of `root`, where `start` opens it and COMMIT/ROLLBACK on the handle closes it. A BEGIN that throws opens
 * nothing. Code in a nested function counts as running where that function is created (`rows.map(r => client.query(…))`).
 * Solved on the first question, once per transaction.
 */
function openAlongPaths(start: ts.CallExpression, handle: string, root: FunctionLike | ts.SourceFile): (node: ts.Node) => boolean {
  let solution: ForwardSolution<boolean> | undefined;
  return (node) => {
    const graph = flowGraphOf(root);
    solution ??= solveForward<boolean>(graph, {
      initial: false,
      join: (a, b) => a && b,
      equals: (a, b) => a === b,
      transfer: (element, open) =>
        element === start ? true : ts.isCallExpression(element) && endsTransaction(element, handle) ? false : open,
      edge: (edge, open) => (edge.kind === "exception" && edge.from.elements[edge.from.elements.length - 1] === start ? false : open),
    });
    let current = node;
    for (let fn = enclosingFunction(current); fn && fn !== root; fn = enclosingFunction(current)) current = fn;
    const element = elementAt(graph, current);
    return element !== undefined && solution.before(element) === true;
  };
}

function endsTransaction(call: ts.CallExpression, handleKey: string): boolean {
  const name = calleeName(call);
  const receiver = receiverOf(call);
  if (!receiver || canonicalKey(receiver) !== handleKey) return false;
  if (name === "commit" || name === "rollback" || name === "commitTransaction" || name === "rollbackTransaction") return true;
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
