// Recognising lock operations: where a lock is acquired (and how), and where it is released.
// One recogniser for every rule, so that "what is a lock" means the same thing in every finding. What each lock
// library's methods do is data in `models/lock-libraries.ts`; Redis SET NX and the SQL lock functions are here.
//
// Evidence is syntactic first (imports, constructors, SQL text, `NX` arguments), and the type checker is asked only
// for a receiver whose origin syntax cannot tell. A call is only treated as a lock operation with evidence: a method
// merely named `acquire` on an unknown object is not enough.
import picomatch from "picomatch";
import { DEFAULT_NON_PRODUCTION_FILES } from "../engine/config";
import { ts } from "../engine/ts";
import {
  CALL_KINDS,
  boundNames,
  calleeName,
  inlineCode,
  enclosingClass,
  enclosingFunction,
  functionName,
  importedBinding,
  importsOf,
  isFunctionLike,
  isAsync,
  isInside,
  nodesOfKinds,
  walk,
  outerExpression,
  receiverOf,
  skipAwait,
  skipParens,
  stringValue,
  type FunctionLike,
  EQUALITY_OPERATORS,
} from "./ast";
import { alwaysExits, decidedBy, mayRunAfter, mayRunBetween } from "./flow/queries";
import { canonicalKey, sameIdentity, variableDeclarationOf } from "./identity";
import { acquisitionPaths } from "./lock-holding";
import { isLockTableRelease, lockTableAcquisitionOf, type LockTable } from "./lock-tables";
import type { LockWrapper } from "./lock-wrappers";
import { madeByRedisDriver } from "./db/redis";
import { isScriptWithoutDelete, scriptSetNxOf, type ScriptSetNx } from "./redis-scripts";
import { namedFunctionsIn } from "./slow-calls";
import { QUERY_METHODS, normalizeSql, sqlSiteOf } from "./sql-text";
import { lockObjectKind, type CheckerGetter, type LockMechanism } from "./lock-objects";
import {
  LOCK_LIBRARY_MODELS,
  LOCK_MECHANISMS,
  isModelModule,
  lockMethodModel,
  lockMethodNames,
  type LockLibraryModel,
} from "./models/lock-libraries";

export { keyedLockSource, lockObjectKind, type CheckerGetter, type LockMechanism } from "./lock-objects";

export type AcquisitionStyle =
  /** Waits until granted or throws: `await mutex.acquire()`, `pg_advisory_lock`. */
  | "blocking"
  /** May fail and says so in its result: `SET NX`, `pg_try_advisory_lock`, `GET_LOCK`, `tryAcquire()`. */
  | "try"
  /** Runs a callback while held and releases afterwards: `runExclusive(fn)`, `redlock.using`, `lockAll(keys, fn)`. */
  | "scoped";

export interface LockAcquisition {
  call: ts.CallExpression | ts.TaggedTemplateExpression;
  mechanism: LockMechanism;
  style: AcquisitionStyle;
  /** The lock object (`this.accountsLock`), when the lock is an object. */
  lockObject?: ts.Expression;
  /** The key naming the lock (Redis key, advisory key, keyed-lock key), when there is one. */
  key?: ts.Expression;
  /** For scoped forms: the callback that runs while the lock is held. */
  callback?: FunctionLike;
  /**
   * For scoped forms asked with `{ callbackReference: true }` (lock wrappers): the argument that runs under the lock,
   * which may name a function instead of being one (`mutex.runExclusive(work)`).
   */
  callbackArgument?: ts.Expression;
  /** A call of a project function that runs its callback under a lock (lock-wrappers.ts): what it is. */
  wrapper?: LockWrapper;
  /** Whether the lock expires by itself (Redis PX/EX, leases, redlock's TTL). */
  expires: boolean;
  /** The expiry in milliseconds when the code states it as a number (`"EX", 300`, `{ px: 30_000 }`). */
  ttlMs?: number;
  /** For a lock taken by a Lua script's SET … NX: what the script does (its expiry, in this call's terms). */
  luaScript?: ScriptSetNx;
  /** For a lock row in a SQL lock table: the table and the columns its insert writes. */
  lockTable?: LockTable;
  /** True for transaction-scoped locks (pg_advisory_xact_lock): released by COMMIT/ROLLBACK, never by hand. */
  transactionScoped: boolean;
  /** Human-readable name for messages: "`this.accountsLock`", "Redis lock `lock:order:${id}`". */
  label: string;
  /** For a busy key: the test that turns callers away while the key is marked (`busy.has(key)`). */
  busyKeyTest?: ts.CallExpression;
}

export interface LockRelease {
  call: ts.CallExpression | ts.TaggedTemplateExpression;
}

/** Source text for a message, on one line and shortened. */
export function labelOf(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The last argument when it names a function rather than being one (`runExclusive(work)`, `this.work`). */
function lastFunctionReference(call: ts.CallExpression): ts.Expression | undefined {
  const last = call.arguments.length > 0 ? skipParens(call.arguments[call.arguments.length - 1]!) : undefined;
  return last && (ts.isIdentifier(last) || ts.isPropertyAccessExpression(last)) ? last : undefined;
}

function lastFunctionArgument(call: ts.CallExpression): FunctionLike | undefined {
  for (let i = call.arguments.length - 1; i >= 0; i--) {
    const arg = skipParens(call.arguments[i]!);
    if (isFunctionLike(arg)) return arg;
  }
  return undefined;
}

/** Whether a node-redis / ioredis `set` call carries NX (positional 'NX' or { NX: true } / { condition: 'NX' }). */
export function redisSetFlags(call: ts.CallExpression): { nx: boolean; expires: boolean; ttlMs?: number; get: boolean } {
  let nx = false;
  let get = false;
  let expires = false;
  let ttlMs: number | undefined;
  const ttl = (unit: string, value: ts.Expression | undefined) => {
    const n = value && numberValue(value);
    if (n !== undefined && (unit === "PX" || unit === "EX")) ttlMs = unit === "EX" ? n * 1000 : n;
  };
  const args = call.arguments.slice(2);
  for (const [i, arg] of args.entries()) {
    const value = stringValue(skipParens(arg))?.toUpperCase();
    if (value === "NX") nx = true;
    if (value === "GET") get = true;
    if (value && ["PX", "EX", "PXAT", "EXAT"].includes(value)) {
      expires = true; // KEEPTTL keeps "no expiry" on a new key
      ttl(value, args[i + 1]);
    }
    const obj = skipParens(arg);
    if (ts.isObjectLiteralExpression(obj)) {
      for (const property of obj.properties) {
        if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
        const key =
          property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text.toUpperCase() : "";
        const initializer = ts.isPropertyAssignment(property) ? skipParens(property.initializer) : undefined;
        if (key === "NX" && initializer?.kind !== ts.SyntaxKind.FalseKeyword) nx = true;
        if (key === "GET" && initializer?.kind !== ts.SyntaxKind.FalseKeyword) get = true;
        if (key === "CONDITION" && stringValue(initializer)?.toUpperCase() === "NX") nx = true;
        if (["PX", "EX", "PXAT", "EXAT"].includes(key)) {
          expires = true;
          ttl(key, initializer);
        }
        if (key === "EXPIRATION") expires = true; // node-redis v5: { expiration: { type: 'PX', value } }
      }
    }
  }
  return { nx, expires, get, ...(ttlMs !== undefined ? { ttlMs } : {}) };
}

/**
 * A Redis `SET key value NX GET`: it answers with the key's holder (the value already there, null when this call took
 * the key), so its result names an owner to route to rather than saying whether the caller may go on.
 */
export function returnsHolder(acquisition: LockAcquisition): boolean {
  const { call } = acquisition;
  return (
    acquisition.mechanism === "redis-set-nx" &&
    ts.isCallExpression(call) &&
    /^set$/i.test(calleeName(call) ?? "") &&
    redisSetFlags(call).get
  );
}

/**
 * The number an expression stands for when the file says it: a literal, `5 * 60`, or a `const` of the file bound to
 * one (`const LOCK_TTL = 300`). Undefined otherwise.
 */
export function numberValue(expr: ts.Expression, depth = 0): number | undefined {
  const node = skipParens(expr);
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isBinaryExpression(node) && depth < 4) {
    const left = numberValue(node.left, depth + 1);
    const right = numberValue(node.right, depth + 1);
    if (left === undefined || right === undefined) return undefined;
    switch (node.operatorToken.kind) {
      case ts.SyntaxKind.AsteriskToken:
        return left * right;
      case ts.SyntaxKind.PlusToken:
        return left + right;
      case ts.SyntaxKind.MinusToken:
        return left - right;
      default:
        return undefined;
    }
  }
  if (ts.isIdentifier(node) && depth < 4) {
    const declarations = nodesOfKinds<ts.VariableDeclaration>(node.getSourceFile(), [ts.SyntaxKind.VariableDeclaration]).filter(
      (d) => ts.isIdentifier(d.name) && d.name.text === node.text,
    );
    const only = declarations.length === 1 ? declarations[0]! : undefined;
    if (only?.initializer && (only.parent.flags & ts.NodeFlags.Const) !== 0) return numberValue(only.initializer, depth + 1);
  }
  return undefined;
}

const ADVISORY = /\b(PG_TRY_ADVISORY_XACT_LOCK|PG_TRY_ADVISORY_LOCK|PG_ADVISORY_XACT_LOCK|PG_ADVISORY_LOCK)(_SHARED)?\s*\(/;

/**
 * If `node` acquires a lock, describes the acquisition. Cheap for non-candidates: a switch on the callee name and,
 * for SQL, a keyword test, before anything touches the checker.
 */
export function lockAcquisitionOf(
  node: ts.Node,
  checker: CheckerGetter,
  models: readonly LockLibraryModel[] = LOCK_LIBRARY_MODELS,
  options: { callbackReference?: boolean; helperChecker?: CheckerGetter } = {},
): LockAcquisition | undefined {
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return undefined;
  if (ts.isCallExpression(node)) {
    const name = calleeName(node);
    if (name === undefined) return undefined;
    const receiver = receiverOf(node);
    // `select` too, given a whole statement (node-pg-migrate's `db.select(sql)`: sqlSiteOf).
    if (QUERY_METHODS.has(name) || name === "select") {
      // `run`/`get`/`execute` are also lock methods (runtime `Mutex.run`): only SQL text decides here.
      const site = sqlSiteOf(node);
      if (site) return sqlLockOf(site.node, site.sql) ?? lockTableAcquisitionOf(site.node, site.sql);
    }
    // An ORM insert of a lock row: `prisma.lock.create({ data: { key, owner, expiresAt } })`.
    if ((name === "create" || name === "upsert") && receiver) {
      const row = lockTableAcquisitionOf(node, undefined);
      if (row) return row;
    }

    // Redis SET NX / SETNX: the NX flag is evidence enough, whatever the client.
    if ((name === "set" || name === "SET") && receiver && node.arguments.length >= 3) {
      const flags = redisSetFlags(node);
      if (flags.nx)
        return lockOnly({
          ...redisAcquisition(node, flags.expires || expiresInQueue(node)),
          ...(flags.ttlMs !== undefined ? { ttlMs: flags.ttlMs } : {}),
        });
    }
    if ((name === "setnx" || name === "setNX" || name === "SETNX") && receiver && node.arguments.length >= 2)
      return lockOnly(
        redisAcquisition(
          node,
          takesOverPassedDeadline(node) ||
            expiresInQueue(node) ||
            passesTtl(node) ||
            helperSetsWithExpiry(node, options.helperChecker ?? checker),
        ),
      );

    // A Lua script whose SET … NX takes the lock: `redis.eval(SCRIPT, 1, key, …)`, or a `defineCommand` command.
    if (receiver) {
      const script = scriptSetNxOf(node, numberValue);
      if (script)
        return lockOnly({
          call: node,
          mechanism: "redis-set-nx",
          style: "try",
          lockObject: receiver,
          key: script.key,
          expires: script.expiry === "set" || script.expiry === "unknown",
          transactionScoped: false,
          label: `Redis lock ${inlineCode(labelOf(script.key))}`,
          luaScript: script,
        });
    }

    if ((name === "add" || name === "set") && receiver) {
      const busy = busyKeyAcquisition(node, receiver);
      if (busy) return busy;
    }

    if (!receiver) return lockFunctionCall(node, name, models);
    // Only a name some library acquires with is worth resolving the receiver for.
    if (!lockMethodNames(models).acquiring.has(name)) return undefined;
    const kind = lockObjectKind(receiver, checker, models);
    const method = kind && lockMethodModel(models, kind.library, kind.mechanism, name);
    if (!kind || !method || method.effect === "release") return undefined;
    const facts = LOCK_MECHANISMS[kind.mechanism] ?? {};
    const callback = lastFunctionArgument(node);
    const reference = options.callbackReference && !callback ? lastFunctionReference(node) : undefined;
    const key = facts.keyArg === undefined ? undefined : node.arguments[facts.keyArg];
    const label = inlineCode(labelOf(receiver));
    const keyedLabel = key ? `${label} key ${inlineCode(labelOf(key))}` : label;
    if (method.effect === "run-under-lock" || ((callback || reference) && facts.callbackAcquireRunsUnderLock)) {
      if (!callback && !reference) return undefined;
      return {
        call: node,
        mechanism: kind.mechanism,
        style: "scoped",
        lockObject: receiver,
        ...(key ? { key } : {}),
        ...(callback ? { callback } : {}),
        ...(options.callbackReference ? { callbackArgument: reference ?? (callback as ts.Expression) } : {}),
        expires: facts.expires === true,
        transactionScoped: false,
        label: keyedLabel,
      };
    }
    const style: AcquisitionStyle = method.effect === "try-acquire" || hasTrueOption(node, method.tryOption) ? "try" : "blocking";
    return {
      call: node,
      mechanism: kind.mechanism,
      style,
      lockObject: receiver,
      ...(key ? { key } : {}),
      expires: facts.expires === true,
      transactionScoped: false,
      label: keyedLabel,
    };
  }

  // SQL advisory / named locks: `SELECT pg_try_advisory_lock($1)`, `SELECT GET_LOCK('name', 10)`.
  const site = sqlSiteOf(node);
  return site ? (sqlLockOf(site.node, site.sql) ?? lockTableAcquisitionOf(site.node, site.sql)) : undefined;
}

/**
 * The key a lock object was constructed with in the function taking it, when its methods name none: `const mutex = new
 * Mutex(redis, \`${ns}-${key}\`)` then `mutex.acquire()` takes the Redis key, so two calls of the function building two
 * keys take two locks, not the one `mutex` variable.
 */
export function constructedLockKey(acquisition: LockAcquisition): ts.Expression | undefined {
  const keyArg = LOCK_MECHANISMS[acquisition.mechanism]?.constructorKeyArg;
  const object = acquisition.lockObject && skipParens(acquisition.lockObject);
  if (acquisition.key || keyArg === undefined || !object) return undefined;
  const keyOf = (creation: ts.Expression | undefined) => {
    const node = creation && skipParens(creation);
    return node && ts.isNewExpression(node) ? node.arguments?.[keyArg] : undefined;
  };
  if (!ts.isIdentifier(object)) return keyOf(object);
  const fn = enclosingFunction(acquisition.call);
  if (!fn?.body) return undefined;
  const declarations = nodesOfKinds<ts.VariableDeclaration>(fn.body, [ts.SyntaxKind.VariableDeclaration]).filter(
    (d) => ts.isIdentifier(d.name) && d.name.text === object.text && enclosingFunction(d) === fn,
  );
  return declarations.length === 1 ? keyOf(declarations[0]!.initializer) : undefined;
}

/**
 * A Set or Map of keys in progress used as a keyed lock: after `if (busy.has(key)) return` (or `throw`), `busy.add(key)`
 * (`busy.set(key, …)`) marks the key taken and `busy.delete(key)` gives it back; other callers skip or fail instead of
 * waiting. Only with that guard: an `add` without a `has` test of the same key before it is bookkeeping, not a lock.
 */
function busyKeyAcquisition(call: ts.CallExpression, receiver: ts.Expression): LockAcquisition | undefined {
  const key = call.arguments[0];
  if (!key || call.arguments.length !== (calleeName(call) === "add" ? 1 : 2)) return undefined;
  const fn = enclosingFunction(call);
  if (!fn?.body) return undefined;
  // The same Set and key by canonical key (`const inFlight = this.busy` is `this.busy`).
  const receiverText = canonicalKey(receiver);
  const keyText = canonicalKey(key);
  const guard = nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]).find(
    (has) =>
      (calleeName(has) === "has" || (calleeName(has) === "get" && marksTrue(call))) &&
      has.arguments.length === 1 &&
      enclosingFunction(has) === fn &&
      canonicalKey(has.arguments[0]!) === keyText &&
      canonicalKey(receiverOf(has) ?? has) === receiverText &&
      mayRunAfter(has, call) &&
      turnsAway(has, call) &&
      !removesInGuard(has, receiverText, keyText),
  );
  // Only work that awaits can overlap with another call: in synchronous code a Set of keys is just state.
  if (!guard || !isAsync(fn) || !isSetOrMap(receiver) || isPrivateToOneCall(receiver, fn)) return undefined;
  if (isReadThroughFill(guard, call, fn) || removedOnlyOnFailure(call, fn, receiverText, keyText)) return undefined;
  return {
    call,
    mechanism: "busy-key",
    style: "blocking",
    lockObject: receiver,
    key,
    expires: false,
    transactionScoped: false,
    label: `the busy key ${inlineCode(labelOf(key))} of ${inlineCode(labelOf(receiver))}`,
    busyKeyTest: guard,
  };
}

/**
 * A key marked right before a `try` whose `catch` takes it out again, and taken out nowhere else: the key records work
 * done (a registry of loaded plugins, a set of processed ids), kept when the work succeeds and removed when it fails,
 * not work in progress that a lock gives back on every path. With a statement between the mark and that `try`, a throw
 * there leaves the key marked for work that failed, and the key stays a busy key for the other checks.
 */
function removedOnlyOnFailure(mark: ts.CallExpression, fn: FunctionLike, receiverText: string, keyText: string): boolean {
  const statement = mark.parent && ts.isExpressionStatement(mark.parent) ? mark.parent : undefined;
  const block = statement?.parent;
  if (!statement || !block || !ts.isBlock(block)) return false;
  const next = block.statements[block.statements.indexOf(statement) + 1];
  const handler = next && ts.isTryStatement(next) ? next.catchClause : undefined;
  if (!handler) return false;
  const deletes = nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression]).filter(
    (del) =>
      calleeName(del) === "delete" &&
      del.arguments.length === 1 &&
      enclosingFunction(del) === fn &&
      canonicalKey(del.arguments[0]!) === keyText &&
      canonicalKey(receiverOf(del) ?? del) === receiverText,
  );
  return deletes.length > 0 && deletes.every((del) => isInside(del, handler));
}

/** `busy.set(key, true)`: a Map of flags used as a Set, so `if (busy.get(key)) return` is the same test as `has`. */
function marksTrue(call: ts.CallExpression): boolean {
  return calleeName(call) === "set" && call.arguments[1]?.kind === ts.SyntaxKind.TrueKeyword;
}

/**
 * A read-through cache, not a busy key: the present-key branch returns the entry (`if (cache.has(k)) return
 * cache.get(k)`) and the entry is stored after the function's awaited work, with nothing awaited after it. A lock marks
 * the key before the work and turns callers away while it is there; a key left in a cache is served.
 */
function isReadThroughFill(has: ts.CallExpression, store: ts.CallExpression, fn: FunctionLike): boolean {
  let condition: ts.Node = has;
  while (ts.isExpression(condition.parent) && !ts.isIfStatement(condition.parent)) condition = condition.parent;
  const statement = condition.parent;
  if (!ts.isIfStatement(statement) || statement.expression !== condition) return false;
  const served = nodesOfKinds<ts.ReturnStatement>(statement.thenStatement, [ts.SyntaxKind.ReturnStatement]).some((r) => {
    const value = r.expression && skipAwait(skipParens(r.expression));
    return (
      !!value &&
      ts.isCallExpression(value) &&
      calleeName(value) === "get" &&
      value.arguments.length === 1 &&
      canonicalKey(value.arguments[0]!) === canonicalKey(has.arguments[0]!) &&
      canonicalKey(receiverOf(value) ?? value) === canonicalKey(receiverOf(has) ?? has)
    );
  });
  const awaitsAfter = nodesOfKinds(fn.body!, [ts.SyntaxKind.AwaitExpression, ts.SyntaxKind.YieldExpression]).some(
    (node) => enclosingFunction(node) === fn && mayRunAfter(store, node),
  );
  return served && !awaitsAfter;
}

/**
 * `this.websocket.close(…)` (`this.socket.destroy()`, `this.connection.terminate()`) where the busy keys are a field of
 * the same object (`this.established`): a per-connection marker is discarded with the connection, so closing it gives
 * every key back.
 */
function closesOwnConnection(call: ts.CallExpression, acquisition: LockAcquisition): boolean {
  const set = acquisition.lockObject && skipParens(acquisition.lockObject);
  const connection = receiverOf(call);
  return (
    !!set &&
    ts.isPropertyAccessExpression(set) &&
    set.expression.kind === ts.SyntaxKind.ThisKeyword &&
    /^(close|terminate|destroy)$/.test(calleeName(call) ?? "") &&
    !!connection &&
    ts.isPropertyAccessExpression(connection) &&
    connection.expression.kind === ts.SyntaxKind.ThisKeyword &&
    /socket|connection|^ws$/i.test(connection.name.text) &&
    enclosingClass(call) === enclosingClass(set)
  );
}

/**
 * A Set made by a call of the function (or of a function around it, for a local helper such as a recursive walk's
 * `visited`) is seen by that call alone: it turns away a key seen before in the same call, not another caller. Unless
 * `fn` is a callback handed to a call (`items.map(async (item) => …)`), whose runs may overlap and share it.
 */
function isPrivateToOneCall(receiver: ts.Expression, fn: FunctionLike): boolean {
  const set = skipParens(receiver);
  if (!ts.isIdentifier(set) || ts.isCallExpression(fn.parent)) return false;
  for (let scope: ts.Node | undefined = fn; scope && !ts.isSourceFile(scope); scope = enclosingFunction(scope)) {
    if (!isFunctionLike(scope) || !scope.body) continue;
    const declaration = nodesOfKinds<ts.VariableDeclaration>(scope.body, [ts.SyntaxKind.VariableDeclaration]).find(
      (d) => ts.isIdentifier(d.name) && d.name.text === set.text && enclosingFunction(d) === scope,
    );
    if (declaration) return !!declaration.initializer && ts.isNewExpression(skipParens(declaration.initializer));
  }
  return false;
}

/**
 * Whether the branch taken when the key is present deletes it (`if (seen.has(k)) { seen.delete(k); seen.add(k); return; }`,
 * an LRU cache's refresh): a lock's turned-away caller never gives back another caller's key, so this is a cache.
 */
function removesInGuard(has: ts.Node, receiverText: string, keyText: string): boolean {
  const guard = guardingIf(has);
  return (
    !!guard &&
    nodesOfKinds<ts.CallExpression>(guard.thenStatement, [ts.SyntaxKind.CallExpression]).some(
      (call) =>
        calleeName(call) === "delete" &&
        call.arguments.length === 1 &&
        canonicalKey(call.arguments[0]!) === keyText &&
        canonicalKey(receiverOf(call) ?? call) === receiverText,
    )
  );
}

/** The `if` whose condition `has` is part of. */
function guardingIf(has: ts.Node): ts.IfStatement | undefined {
  let current: ts.Node = has;
  while (current.parent && ts.isExpression(current.parent) && !ts.isIfStatement(current.parent)) current = current.parent;
  const statement = current.parent;
  return statement && ts.isIfStatement(statement) && statement.expression === current ? statement : undefined;
}

/**
 * Whether `has` is the condition of an `if` whose branch leaves (`return`, `throw`, `continue`) before `add` runs:
 * `if (busy.has(k)) return;` then `busy.add(k)`. A toggle (`if (has) delete else add`) turns nobody away.
 */
function turnsAway(has: ts.Node, add: ts.Node): boolean {
  const statement = guardingIf(has);
  if (!statement || !alwaysExits(statement.thenStatement) || isInside(add, statement) || comparedWithState(has, statement)) return false;
  // A guard that leaves only its loop (`continue`, `break`) turns away what that loop runs, not an add after the loop.
  const loop = loopLeftBy(statement.thenStatement);
  return !loop || isInside(add, loop);
}

/**
 * The loop a branch leaves when its only ways out are unlabelled `continue`/`break` statements: the nearest loop around
 * it. Undefined when the branch may also return or throw (it leaves the function), or names a label.
 */
function loopLeftBy(branch: ts.Statement): ts.IterationStatement | undefined {
  let leavesFunction = false;
  walk(branch, (node) => {
    if (leavesFunction || isFunctionLike(node)) return false;
    if (
      ts.isReturnStatement(node) ||
      ts.isThrowStatement(node) ||
      ((ts.isContinueStatement(node) || ts.isBreakStatement(node)) && node.label)
    )
      leavesFunction = true;
    return !leavesFunction;
  });
  if (leavesFunction) return undefined;
  for (let node: ts.Node | undefined = branch.parent; node && !isFunctionLike(node); node = node.parent)
    if (ts.isIterationStatement(node, false)) return node;
  return undefined;
}

/**
 * `if (muted.has(k) === wanted) return`: the presence compared with a value other than `true`/`false` exits when the
 * key is absent as well as when it is present (the state is already the requested one): a toggle, not a busy key.
 */
function comparedWithState(has: ts.Node, statement: ts.IfStatement): boolean {
  for (let node = has; node.parent && node.parent !== statement; node = node.parent) {
    const parent = node.parent;
    if (!ts.isBinaryExpression(parent) || !EQUALITY_OPERATORS.has(parent.operatorToken.kind)) continue;
    const other = skipParens(parent.left === node ? parent.right : parent.left);
    if (other.kind !== ts.SyntaxKind.TrueKeyword && other.kind !== ts.SyntaxKind.FalseKeyword) return true;
  }
  return false;
}

/** `this.busy` or `busy` declared in its class or file as `new Set(…)` / `new Map(…)`, or annotated `Set<…>` / `Map<…>`. */
export function isSetOrMap(receiver: ts.Expression): boolean {
  const node = skipParens(receiver);
  const name =
    ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword
      ? node.name.text
      : ts.isIdentifier(node)
        ? node.text
        : undefined;
  if (!name) return false;
  const declarations = nodesOfKinds<ts.VariableDeclaration | ts.PropertyDeclaration>(node.getSourceFile(), [
    ts.SyntaxKind.VariableDeclaration,
    ts.SyntaxKind.PropertyDeclaration,
  ]).filter((d) => ts.isIdentifier(d.name) && d.name.text === name);
  const isCollection = (text: string | undefined) => text === "Set" || text === "Map";
  return declarations.some((d) => {
    const init = d.initializer && skipParens(d.initializer);
    if (init && ts.isNewExpression(init) && isCollection(init.expression.getText())) return true;
    return !!d.type && ts.isTypeReferenceNode(d.type) && isCollection(d.type.typeName.getText());
  });
}

/**
 * `this.consumers.get(topic)`, `inFlight.has(key)`, `this.attempts.set(id, n + 1)`: a read or write of a built-in Map or
 * Set (`get`, `has`, `set`, `add`), which cannot throw (a Map's `get` of a missing key is `undefined`).
 */
export function isCollectionAccess(node: ts.Node): boolean {
  if (!ts.isCallExpression(node)) return false;
  const method = calleeName(node);
  const arity = method === "get" || method === "has" || method === "add" ? 1 : method === "set" ? 2 : 0;
  if (arity === 0 || node.arguments.length !== arity) return false;
  const receiver = receiverOf(node);
  return !!receiver && isSetOrMap(receiver);
}

/** Whether an options-object argument sets `option` to `true` (`{ ifAvailable: true }`). */
function hasTrueOption(call: ts.CallExpression, option: string | undefined): boolean {
  return (
    option !== undefined &&
    call.arguments.some(
      (a) =>
        ts.isObjectLiteralExpression(a) &&
        a.properties.some(
          (p) => p.name?.getText() === option && ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.TrueKeyword,
        ),
    )
  );
}

/**
 * A library function called bare, imported from its module, that runs a callback under a lock (the runtime's
 * `lockAll(keys, fn)`) or takes one and returns its release (simple-redis-mutex's `lock(client, key)`).
 */
function lockFunctionCall(call: ts.CallExpression, name: string, models: readonly LockLibraryModel[]): LockAcquisition | undefined {
  if (!lockMethodNames(models).functions.has(name)) return undefined;
  const binding = importedBinding(call.expression, call.getSourceFile());
  if (!binding) return undefined;
  const fn = models
    .filter((m) => isModelModule(m, binding.module))
    .flatMap((m) => m.functions ?? [])
    .find((f) => f.name === name);
  if (!fn) return undefined;
  const key = call.arguments[fn.keyArg ?? LOCK_MECHANISMS[fn.mechanism]?.keyArg ?? 0];
  if (fn.effect === "acquire")
    return {
      call,
      mechanism: fn.mechanism,
      style: "blocking",
      ...(key ? { key } : {}),
      expires: LOCK_MECHANISMS[fn.mechanism]?.expires === true,
      transactionScoped: false,
      label: key
        ? `the lock ${inlineCode(`${name}(…)`)} takes on ${inlineCode(labelOf(key))}`
        : `the lock ${inlineCode(`${name}(…)`)} takes`,
    };
  const callback = lastFunctionArgument(call);
  if (!callback) return undefined;
  return {
    call,
    mechanism: fn.mechanism,
    style: "scoped",
    ...(key ? { key } : {}),
    callback,
    expires: LOCK_MECHANISMS[fn.mechanism]?.expires === true,
    transactionScoped: false,
    label: inlineCode(`${name}(${labelOf(call.arguments[0] ?? call)})`),
  };
}

function redisAcquisition(call: ts.CallExpression, expires: boolean): LockAcquisition {
  const key = call.arguments[0]!;
  return {
    call,
    mechanism: "redis-set-nx",
    style: "try",
    lockObject: receiverOf(call)!,
    key,
    expires,
    transactionScoped: false,
    label: `Redis lock ${inlineCode(labelOf(key))}`,
  };
}

/**
 * `redisService.set(key, value, 300)`, `redisService.setNX(key, value, 120)`: a positive number right after the value,
 * where a Redis client takes a flag (`"EX"`), an options object or nothing, is the expiry a project helper is given
 * (and passes on as SETEX or EX).
 */
export function passesTtl(call: ts.CallExpression): boolean {
  const ttl = call.arguments[2];
  return call.arguments.length === 3 && ttl !== undefined && (numberValue(ttl) ?? 0) > 0;
}

/**
 * `redisService.setNX(key, token, Math.ceil(ttl / 1000))` where `setNX` is a project function (a method, an object
 * literal's method or a function) whose own body takes the key only with `SET … NX` and an `EX`/`PX` expiry: the
 * helper is named after SETNX, but every command it sends expires. An expiry taken from one of its parameters counts
 * only where the call passes that argument; a body with any SETNX, or a SET NX without expiry, stays a lock without one.
 */
function helperSetsWithExpiry(call: ts.CallExpression, getChecker: CheckerGetter): boolean {
  // A client the file makes itself from a Redis package (`const redis = new Redis()`): its SETNX is the command.
  if (ts.isPropertyAccessExpression(call.expression) && madeByRedisDriver(call.expression.expression)) return false;
  const checker = getChecker();
  if (!checker) return false;
  let symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.valueDeclaration;
  const callee =
    declaration && (ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration) || ts.isPropertyDeclaration(declaration))
      ? declaration.initializer && skipParens(declaration.initializer)
      : declaration;
  if (!callee || !isFunctionLike(callee) || !callee.body || callee.getSourceFile().isDeclarationFile) return false;
  const parameters = callee.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined));
  const takes = nodesOfKinds<ts.CallExpression>(callee.body, [ts.SyntaxKind.CallExpression]).filter((inner) => {
    const name = calleeName(inner)?.toLowerCase();
    return name === "setnx" || (name === "set" && inner.arguments.length >= 3 && redisSetFlags(inner).nx);
  });
  return (
    takes.length > 0 &&
    takes.every((inner) => {
      if (calleeName(inner)?.toLowerCase() !== "set" || !redisSetFlags(inner).expires) return false;
      // Each helper parameter the SET's arguments name past the value must be given by this call.
      return inner.arguments.slice(2).every((argument) =>
        [...(ts.isIdentifier(argument) ? [argument] : []), ...nodesOfKinds<ts.Identifier>(argument, [ts.SyntaxKind.Identifier])].every(
          (id) => {
            const index = parameters.indexOf(id.text);
            return index < 0 || call.arguments[index] !== undefined || callee.parameters[index]!.initializer !== undefined;
          },
        ),
      );
    })
  );
}

/** Only a SET NX that is a lock is an acquisition: the other uses of set-if-absent feed no lock rule. */
function lockOnly(acquisition: LockAcquisition): LockAcquisition | undefined {
  return setIfAbsentRole(acquisition) === "lock" ? acquisition : undefined;
}

/**
 * What a SET NX is for, read from what the code does with its key:
 * - `unique-key`: the key holds a freshly generated random value (`invite:${randomBytes(24)}`): no other caller can
 *   ask for that key, so nobody contends: it is a no-overwrite insert, not a lock;
 * - `marker`: every DEL of the key in the file sits in a catch clause: kept on success and deleted only when the work
 *   failed, so that a retry may run (an idempotency marker);
 * - `initialiser`: the same function reads the key back (GET) after it and nothing in the file deletes it: a
 *   set-if-absent initialisation whose winner's value is used;
 * - `window`: an expiring constant (`SET key "1" EX 60 NX`), or a record of the event it claims (`{ invoiceId, amount }`),
 *   under a key not named as a lock, which the function can return still holding: a once-per-window throttle or
 *   once-per-event claim (the first caller does the work, the others skip, and the expiry opens the next window), not
 *   a mutual exclusion;
 * - `record`: an expiring claim the file also writes with a plain SET (no NX or XX) of another value: the work's
 *   result replaces it (`processing`, then the result other callers read), a state record rather than a lock (a claim
 *   without expiry stays a lock: a crash before the result leaves it in place forever); or a record stored whose
 *   reply nobody reads, never deleted: the first writer's record kept (`isFirstWriterRecord`);
 * - `counter`: the same function increments the key after it (`SETNX key -1`, then `INCR key`): a counter seeded only
 *   if absent, whose count is the point, not a lock;
 * - `lock`: anything else (released after a critical section, or guarding one).
 */
export type SetIfAbsentRole = "lock" | "unique-key" | "marker" | "initialiser" | "window" | "record" | "counter";

export function setIfAbsentRole(acquisition: LockAcquisition): SetIfAbsentRole {
  const { call, key } = acquisition;
  const fn = enclosingFunction(call);
  if (!key || !fn?.body) return "lock";
  if (holdsFreshRandom(key, fn, 0)) return "unique-key";
  if (isSeededCounter(call, key, fn)) return "counter";
  if (isThrottleWindow(acquisition, fn)) return "window";
  if (isOverwrittenInFile(acquisition)) return "record";
  const releases = deletionsIn(call.getSourceFile()).filter((d) => isReleaseOf(d, acquisition, NO_NAMES));
  if (releases.length > 0) return releases.every((release) => isOnFailurePath(release, call)) ? "marker" : "lock";
  if (isFirstWriterRecord(acquisition, fn)) return "record";
  const keyText = canonicalKey(key);
  const reads = nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]).filter(
    (c) => (isGetOf(c, keyText) || getsThroughHelper(c, keyText, fn)) && mayRunAfter(call, c),
  );
  // Comparing what is read with a value (`=== token`) asks who holds the key, and so does reading a key named as a
  // lock (`lock:${id}`, to say who holds it): a lock's questions.
  return reads.length > 0 && !reads.some(isCompared) && !LOCK_LIKE_KEY.test(key.getText()) ? "initialiser" : "lock";
}

/** See `counter` above: an INCR/INCRBY/DECR/DECRBY of the key that may run after the SET NX, in the same function. */
function isSeededCounter(call: ts.Node, key: ts.Expression, fn: FunctionLike): boolean {
  const keyText = canonicalKey(key);
  return nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression]).some(
    (c) =>
      /^(incr|incrby|incrbyfloat|decr|decrby)$/i.test(calleeName(c) ?? "") &&
      c.arguments[0] !== undefined &&
      canonicalKey(c.arguments[0]) === keyText &&
      mayRunAfter(call, c),
  );
}

/**
 * A command queued in a MULTI or pipeline (`redis.multi().setNX(key, "1").expire(key, 10).exec()`): the `exec()` that
 * sends it, its position among the replies, and the commands queued after it.
 */
const QUEUE_OPENER = /^(multi|MULTI|pipeline)$/;

function queuedIn(call: ts.CallExpression): { exec: ts.CallExpression; index: number; after: ts.CallExpression[] } | undefined {
  let index = 0;
  for (let receiver = receiverOf(call); ; index++) {
    if (!receiver || !ts.isCallExpression(receiver)) return undefined;
    if (QUEUE_OPENER.test(calleeName(receiver) ?? "")) break;
    receiver = receiverOf(receiver);
  }
  const after: ts.CallExpression[] = [];
  for (let current: ts.Expression = call; ;) {
    const access = current.parent;
    const next = access?.parent;
    if (!access || !ts.isPropertyAccessExpression(access) || access.expression !== current) return undefined;
    if (!next || !ts.isCallExpression(next) || next.expression !== access) return undefined;
    if (/^(exec|EXEC)$/.test(access.name.text)) return { exec: next, index, after };
    after.push(next);
    current = next;
  }
}

/** The call that takes the lock: the acquisition itself, or the `exec()` of the MULTI it is queued in. */
export function takingCall(acquisition: LockAcquisition): ts.Node {
  return (
    (acquisition.mechanism === "redis-set-nx" && ts.isCallExpression(acquisition.call) && queuedIn(acquisition.call)?.exec) ||
    acquisition.call
  );
}

/** A command queued on a MULTI or pipeline before its `exec()`: queuing sends nothing, so it fails for no reason of its own. */
export function isQueuedCommand(call: ts.Node): boolean {
  if (!ts.isCallExpression(call)) return false;
  if (queuedIn(call)) return true;
  // `multi()` itself, when a command queued on it is sent by an `exec()`.
  const access = call.parent;
  const first = access?.parent;
  return (
    QUEUE_OPENER.test(calleeName(call) ?? "") &&
    !!access &&
    ts.isPropertyAccessExpression(access) &&
    !!first &&
    ts.isCallExpression(first) &&
    first.expression === access &&
    queuedIn(first) !== undefined
  );
}

/** A SET NX queued in a MULTI with an EXPIRE (PEXPIRE, EXPIREAT) of the same key after it: the lock is a lease. */
function expiresInQueue(call: ts.CallExpression): boolean {
  const key = call.arguments[0];
  return (
    !!key &&
    !!queuedIn(call)?.after.some(
      (queued) =>
        /^p?expire(at)?$/i.test(calleeName(queued) ?? "") &&
        !!queued.arguments[0] &&
        canonicalKey(queued.arguments[0]) === canonicalKey(key),
    )
  );
}

/**
 * `const [acquired] = await redis.multi().setNX(key, "1").expire(key, 10).exec()`: the reply at the SET NX's position
 * (node-redis), or the reply of its `[error, reply]` pair (ioredis: `const [[, acquired]] = …`).
 */
function queuedReplyBinding(call: ts.CallExpression): ts.BindingName | undefined {
  const queued = queuedIn(call);
  if (!queued) return undefined;
  const declaration = outerExpression(queued.exec).parent;
  if (!declaration || !ts.isVariableDeclaration(declaration) || !ts.isArrayBindingPattern(declaration.name)) return undefined;
  const element = declaration.name.elements[queued.index];
  if (!element || !ts.isBindingElement(element)) return undefined;
  if (ts.isIdentifier(element.name)) return element.name;
  const reply = ts.isArrayBindingPattern(element.name) ? element.name.elements[1] : undefined;
  return reply && ts.isBindingElement(reply) && ts.isIdentifier(reply.name) ? reply.name : undefined;
}

/**
 * A SETNX whose value is its own deadline (a clock reading plus the lease, directly or through a local `const`) and
 * whose function, when the key is taken, reads it back (GET/GETSET) and writes it again (SET/GETSET): the Redis
 * documentation's SETNX lock, whose holder's crash blocks callers only until the deadline passes, not forever.
 */
function takesOverPassedDeadline(call: ts.CallExpression): boolean {
  const fn = enclosingFunction(call);
  const key = call.arguments[0];
  const value = call.arguments[1];
  if (!fn?.body || !key || !value || !readsClock(value, fn, 0)) return false;
  const keyText = canonicalKey(key);
  const later = nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]).filter(
    (c) => c !== call && c.arguments[0] !== undefined && canonicalKey(c.arguments[0]) === keyText && mayRunAfter(call, c),
  );
  const named = (c: ts.CallExpression) => calleeName(c)?.toLowerCase();
  return later.some((c) => named(c) === "get" || named(c) === "getset") && later.some((c) => named(c) === "set" || named(c) === "getset");
}

/** `Date.now() + ttl`, `new Date().getTime()`, or a local `const` of `fn` initialised with one (two levels deep). */
function readsClock(expr: ts.Expression, fn: FunctionLike, depth: number): boolean {
  if (/\bDate\.now\(|\bnew Date\(|\bperformance\.now\(/.test(expr.getText())) return true;
  if (depth > 2) return false;
  const locals = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) locals.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(expr);
  return nodesOfKinds<ts.VariableDeclaration>(fn.body!, [ts.SyntaxKind.VariableDeclaration]).some(
    (d) => ts.isIdentifier(d.name) && locals.has(d.name.text) && !!d.initializer && readsClock(d.initializer, fn, depth + 1),
  );
}

/**
 * `this.getWatermark()` or `getWatermark()`: a call of another method of the same class (or function of the same file)
 * whose own body GETs the key, so its result is the key's value read back.
 */
function getsThroughHelper(call: ts.CallExpression, keyText: string, fn: FunctionLike): boolean {
  const callee = skipParens(call.expression);
  const ofThis = ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword;
  const name = ts.isIdentifier(callee) ? callee.text : ofThis ? callee.name.text : undefined;
  const helper = name === undefined ? undefined : namedFunctionsIn(call.getSourceFile()).get(name);
  if (!helper?.body || helper === fn || (ofThis && helper.parent !== fn.parent)) return false;
  return nodesOfKinds<ts.CallExpression>(helper.body, [ts.SyntaxKind.CallExpression]).some((c) => isGetOf(c, keyText));
}

/** Options of a SET that make it conditional or a read (NX, XX, GET), in any client's spelling. */
const CONDITIONAL_SET = /\b(nx|xx|get)\b/i;

/**
 * See `record` above: a SET NX whose reply nobody reads, storing a record (`JSON.stringify(run)`, `{ url, at }`) under a
 * key not named as a lock, which nothing in the file deletes. No caller acts on whether it won, so it excludes nobody:
 * the first writer's record is kept and later ones are dropped (a first-writer-wins write), not a section guarded.
 */
function isFirstWriterRecord(acquisition: LockAcquisition, fn: FunctionLike): boolean {
  const { call, key } = acquisition;
  if (!ts.isCallExpression(call) || !key || LOCK_LIKE_KEY.test(keyText(key, fn))) return false;
  const holder = outerExpression(call).parent;
  if (!ts.isExpressionStatement(holder) && !ts.isVoidExpression(holder)) return false;
  const value = call.arguments[1] && skipParens(call.arguments[1]);
  const serialised =
    !!value &&
    ts.isCallExpression(value) &&
    ts.isPropertyAccessExpression(value.expression) &&
    ts.isIdentifier(value.expression.expression) &&
    value.expression.expression.text === "JSON" &&
    value.expression.name.text === "stringify";
  return !!value && (serialised || ts.isObjectLiteralExpression(value));
}

/** See `record` above: a plain SET of the same key elsewhere in the file, with another value than the SET NX's. */
export function isOverwrittenInFile(acquisition: LockAcquisition): boolean {
  const { call } = acquisition;
  if (!ts.isCallExpression(call) || !acquisition.expires) return false;
  const value = call.arguments[1]?.getText();
  const client = receiverOf(call)?.getText();
  const taker = enclosingFunction(call);
  return nodesOfKinds<ts.CallExpression>(call.getSourceFile(), [ts.SyntaxKind.CallExpression]).some(
    (set) =>
      set !== call &&
      calleeName(set)?.toLowerCase() === "set" &&
      // The same client, and in another function a key that is more than a parameter's name (p09: two methods whose
      // parameters are both called `key` share nothing; a Map's `set(key, …)` is no Redis write).
      receiverOf(set)?.getText() === client &&
      !(enclosingFunction(set) !== taker && isParameterName(set.arguments[0])) &&
      set.arguments.length >= 2 &&
      isAcquiredKey(set.arguments[0]!, acquisition) &&
      set.arguments[1]!.getText() !== value &&
      !set.arguments.slice(2).some((option) => CONDITIONAL_SET.test(option.getText())),
  );
}

/** A bare name bound by a parameter of the function it is used in. */
function isParameterName(expr: ts.Expression | undefined): boolean {
  const bare = expr && skipParens(expr);
  const fn = bare && ts.isIdentifier(bare) ? enclosingFunction(bare) : undefined;
  return !!fn && fn.parameters.some((p) => boundNames(p.name).some((id) => id.text === (bare as ts.Identifier).text));
}

/** See `window` above: an expiring constant under a key not named as a lock, still held at some `return`. */
function isThrottleWindow(acquisition: LockAcquisition, fn: FunctionLike): boolean {
  const { call, key } = acquisition;
  if (!acquisition.expires || !ts.isCallExpression(call) || !key) return false;
  if (!storesNoToken(call.arguments[1])) return false;
  if (LOCK_LIKE_KEY.test(keyText(key, fn)) || !isResultTested(acquisition, fn)) return false;
  return acquisitionPaths(acquisition).atReturn().held && releasedOnlyAfterFailedWork(acquisition, fn);
}

/**
 * A window is deleted, if at all, only to re-open it when the work it let through did not happen: each release runs on
 * one outcome of a check made after the key was set, with nothing awaited between that check and the release
 * (`if (!(await pull(id))) await redis.del(key)`). A release that awaited work comes before (`if (!job) return; await
 * run(job); await redis.del(key)`) ends a critical section: the key is a lock, and a `return` holding it leaks it.
 */
function releasedOnlyAfterFailedWork(acquisition: LockAcquisition, fn: FunctionLike): boolean {
  const names = acquisitionPaths(acquisition).testedNames;
  const calls = nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression]).filter((c) => enclosingFunction(c) === fn);
  const releases = calls.filter((c) => c !== acquisition.call && mayRunAfter(acquisition.call, c) && isReleaseOf(c, acquisition, names));
  if (releases.length === 0) return true;
  const waits = nodesOfKinds(fn.body!, [ts.SyntaxKind.AwaitExpression]).filter((a) => enclosingFunction(a) === fn);
  const conditions = nodesOfKinds<ts.IfStatement>(fn.body!, [ts.SyntaxKind.IfStatement])
    .filter((statement) => enclosingFunction(statement) === fn && mayRunAfter(acquisition.call, statement.expression))
    .map((statement) => statement.expression);
  return releases.every((release) => {
    const work = waits.filter((a) => !isInside(release, a) && !isInside(a, release));
    return conditions.some(
      (condition) =>
        !isInside(acquisition.call, condition) &&
        decidedBy(condition, release) !== undefined &&
        (work.length === 0 || !mayRunBetween(condition, work, release)),
    );
  });
}

/** A constant, or a record of the event handled (`{ invoiceId, amount, timestamp }`): no owner token to check on release. */
function storesNoToken(stored: ts.Expression | undefined): boolean {
  const value = stored && skipParens(stored);
  if (!value) return false;
  const constant = ts.isStringLiteralLike(value) || ts.isNumericLiteral(value) || value.kind === ts.SyntaxKind.TrueKeyword;
  return constant || ts.isObjectLiteralExpression(value);
}

/**
 * The `window` above taken through a project helper (`await Cache.setIfAbsent("last-seen", id, 60)` over `SET … EX …
 * NX`): the same helper may serve a lock elsewhere, so each call is classified by what its caller does with it. A
 * throttle window when the value the helper stores is a constant (in the helper, or the argument its value parameter
 * is given here), the lease expires, neither the key given nor the helper is named as a lock, the caller leaves when
 * it is taken, and the caller can return still holding it (kept on success; deleted, if at all, on a skip or failure).
 */
export function isThrottleWindowThroughHelper(acquisition: LockAcquisition): boolean {
  const { call, wrapper } = acquisition;
  const fn = enclosingFunction(call);
  if (!wrapper || wrapper.kind !== "acquires" || acquisition.mechanism !== "redis-set-nx" || acquisition.style !== "try") return false;
  if (!acquisition.expires || !fn?.body || !ts.isCallExpression(call)) return false;
  if (!storesNoToken(storedValueOf(acquisition)) || namesLock(acquisition)) return false;
  return isResultTested(acquisition, fn) && acquisitionPaths(acquisition).atReturn().held && releasedOnlyAfterFailedWork(acquisition, fn);
}

/** The value a SET NX stores, seen from this call: through each helper, the argument its value parameter is given. */
function storedValueOf(acquisition: LockAcquisition, depth = 0): ts.Expression | undefined {
  const { call, wrapper } = acquisition;
  if (!ts.isCallExpression(call)) return undefined;
  if (!wrapper) return acquisition.mechanism === "redis-set-nx" ? call.arguments[1] : undefined;
  const source = wrapper.source;
  if (!("inferred" in source) || depth > 4) return undefined;
  const inner = storedValueOf(source.inferred, depth + 1);
  const bare = inner && skipParens(inner);
  if (!bare || !ts.isIdentifier(bare)) return inner;
  const index = wrapper.fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === bare.text);
  return index < 0 ? inner : call.arguments[index];
}

/** Whether the lock's name says it is one: the key given, another argument, the helper's name, or the key inside it. */
function namesLock(acquisition: LockAcquisition, depth = 0): boolean {
  const { call, wrapper } = acquisition;
  const texts = ts.isCallExpression(call) ? call.arguments.filter((a) => !isFunctionLike(skipParens(a))).map((a) => a.getText()) : [];
  if (acquisition.key) texts.push(acquisition.key.getText());
  if (!wrapper) return texts.some((t) => LOCK_LIKE_KEY.test(t));
  texts.push(functionName(wrapper.fn));
  if (texts.some((t) => LOCK_LIKE_KEY.test(t))) return true;
  return "inferred" in wrapper.source && depth < 4 && namesLock(wrapper.source.inferred, depth + 1);
}

/**
 * A lease that only expires: a SET NX of a constant (no owner token to release it by) with an expiry, which nothing
 * in its file releases. It ends only by running out (one refresh a second, one credit a minute per output): a rate
 * limit, not a lock around a section, so a call outlasting it lets in the next taker the expiry was set for.
 */
export function onlyExpires(acquisition: LockAcquisition): boolean {
  const { call } = acquisition;
  if (acquisition.mechanism !== "redis-set-nx" || !acquisition.expires || !ts.isCallExpression(call)) return false;
  const stored = storedValueOf(acquisition);
  const value = stored && skipParens(stored);
  if (!value || !(ts.isStringLiteralLike(value) || ts.isNumericLiteral(value) || value.kind === ts.SyntaxKind.TrueKeyword)) return false;
  const calls = nodesOfKinds<ts.CallExpression>(call.getSourceFile(), [ts.SyntaxKind.CallExpression]);
  return !calls.some((c) => c !== call && isReleaseOf(c, acquisition, NO_NAMES));
}

/** A try-lock whose caller leaves when it is taken by someone else (`if (!acquired) return`): the losers skip, nobody waits. */
export function losersSkip(acquisition: LockAcquisition): boolean {
  const fn = enclosingFunction(acquisition.call);
  return acquisition.style === "try" && !!fn && isResultTested(acquisition, fn);
}

/**
 * Whether the function leaves when the acquisition fails: an `if` on its result (the call in the condition, or a name
 * bound to it) whose branch leaves, so the work runs only for the caller that set the key.
 */
function isResultTested(acquisition: LockAcquisition, fn: FunctionLike): boolean {
  for (let node: ts.Node = acquisition.call; node.parent && node !== fn; node = node.parent)
    if (ts.isIfStatement(node.parent) && node.parent.expression === node) return alwaysExits(node.parent.thenStatement);
  const names = acquisitionPaths(acquisition).testedNames;
  if (names.size === 0 || !fn.body) return false;
  return nodesOfKinds<ts.IfStatement>(fn.body, [ts.SyntaxKind.IfStatement]).some((statement) => {
    if (!alwaysExits(statement.thenStatement)) return false;
    let found = false;
    const visit = (node: ts.Node): void => {
      if (!found && ts.isIdentifier(node) && names.has(node.text)) found = true;
      else if (!found) ts.forEachChild(node, visit);
    };
    visit(statement.expression);
    return found;
  });
}

/** A key's text with a local `const` it names replaced by its initializer, to read what the key is called. */
function keyText(key: ts.Expression, fn: FunctionLike): string {
  const bare = skipParens(key);
  if (!ts.isIdentifier(bare) || !fn.body) return bare.getText();
  const local = nodesOfKinds<ts.VariableDeclaration>(fn.body, [ts.SyntaxKind.VariableDeclaration]).find(
    (d) => ts.isIdentifier(d.name) && d.name.text === bare.text,
  );
  return local?.initializer ? local.initializer.getText() : bare.getText();
}

/** Key names that say the key is a lock (`lease`, but not the `lease` in `release`). */
export const LOCK_LIKE_KEY = /lock|mutex|(?<!re)lease|leader|semaphore/i;

/** `(await redis.get(k)) === token`, or `const v = await redis.get(k)` with `v` compared later. */
function isCompared(read: ts.CallExpression): boolean {
  const outer = outerExpression(read);
  const isEquality = (node: ts.Node) => ts.isBinaryExpression(node) && EQUALITY_OPERATORS.has(node.operatorToken.kind);
  if (isEquality(outer.parent)) return true;
  const declaration = outer.parent;
  if (!ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return false;
  const name = declaration.name.text;
  const scope = enclosingFunction(read);
  return nodesOfKinds<ts.BinaryExpression>(scope ?? read.getSourceFile(), [ts.SyntaxKind.BinaryExpression]).some(
    (b) =>
      isEquality(b) &&
      [b.left, b.right].some((side) => ts.isIdentifier(skipParens(side)) && (skipParens(side) as ts.Identifier).text === name),
  );
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * Whether the lock's key holds a value this call generates fresh (a random id, directly, through a local, or from a
 * project function that makes one): no other call can ask for that key, so nobody ever waits for the lock.
 */
export function isFreshPerCallKey(acquisition: LockAcquisition, checker: ts.TypeChecker): boolean {
  return !!acquisition.key && isFreshPerCallValue(acquisition.key, checker);
}

/** Whether `expr` holds a value its function generates fresh on each call (a random id: `key:${genId()}`). */
export function isFreshPerCallValue(expr: ts.Expression, checker?: ts.TypeChecker): boolean {
  const fn = enclosingFunction(expr);
  return !!fn && holdsFreshRandom(expr, fn, 0, checker);
}

/**
 * A call of a project function (declared in source, not a declaration file) whose every return holds a fresh random
 * value. With a checker, any project function; without one, a function or method of the call's own file called by its
 * plain name or on `this` (so the text alone decides).
 */
function returnsFreshRandom(call: ts.CallExpression, depth: number, checker: ts.TypeChecker | undefined): boolean {
  const callee = checker ? calleeThroughChecker(call, checker) : calleeInFile(call);
  if (!callee || !isFunctionLike(callee) || !callee.body || callee.getSourceFile().isDeclarationFile) return false;
  const results = ts.isBlock(callee.body)
    ? nodesOfKinds<ts.ReturnStatement>(callee.body, [ts.SyntaxKind.ReturnStatement])
        .filter((r) => enclosingFunction(r) === callee)
        .map((r) => r.expression)
    : [callee.body];
  return results.length > 0 && results.every((r) => r !== undefined && holdsFreshRandom(r, callee, depth + 1, checker));
}

function calleeThroughChecker(call: ts.CallExpression, checker: ts.TypeChecker): ts.Node | undefined {
  let symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.valueDeclaration;
  return declaration && ts.isVariableDeclaration(declaration) && declaration.initializer
    ? skipParens(declaration.initializer)
    : declaration;
}

/** `genId()` / `this.genId()`: the function or method of that name the call's own file declares. */
function calleeInFile(call: ts.CallExpression): FunctionLike | undefined {
  const callee = skipParens(call.expression);
  const plain = ts.isIdentifier(callee);
  const onThis = ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword;
  return plain || onThis ? namedFunctionsIn(call.getSourceFile()).get(calleeName(call) ?? "") : undefined;
}

/** Calls that produce a fresh random value: Node's crypto, Math.random, the common id generators. */
const RANDOM_SOURCES = /^(random|randomBytes|randomUUID|randomInt|getRandomValues|uuid|uuidv4|v4|nanoid|cuid|cuid2|createId|ulid)$/;

/**
 * Whether `expr` contains a fresh random value, directly or through a local of `fn` it names, or through a project
 * function it calls that returns one (`genRunId()` over `createId()`; without a checker, one of the file's own).
 */
function holdsFreshRandom(expr: ts.Node, fn: FunctionLike, depth: number, checker?: ts.TypeChecker): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node) && RANDOM_SOURCES.test(calleeName(node) ?? "")) found = true;
    else if (ts.isCallExpression(node) && depth < 4 && returnsFreshRandom(node, depth, checker)) found = true;
    else if (ts.isIdentifier(node) && depth < 3 && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) {
      const local = nodesOfKinds<ts.VariableDeclaration>(fn, [ts.SyntaxKind.VariableDeclaration]).find(
        (d) => ts.isIdentifier(d.name) && d.name.text === node.text,
      );
      if (local?.initializer && holdsFreshRandom(local.initializer, fn, depth + 1, checker)) found = true;
    } else ts.forEachChild(node, visit);
  };
  visit(expr);
  return found;
}

/**
 * A SET NX released only by the file's helper functions (`giveUpClaim(id)`, in another function than the SET) that
 * every call of the project, by their names, makes on a failure path (a catch clause, a `.catch(…)` callback): kept on
 * success and deleted only when the work failed, an idempotency marker (`marker` above, across files). Cached per
 * Program.
 */
export function isFailureOnlyClaim(acquisition: LockAcquisition, program: ts.Program): boolean {
  if (acquisition.mechanism !== "redis-set-nx" || !acquisition.key || !ts.isCallExpression(acquisition.call)) return false;
  const own = enclosingFunction(acquisition.call);
  const releases = deletionsIn(acquisition.call.getSourceFile()).filter((d) => isReleaseOf(d, acquisition, NO_NAMES));
  const helpers = new Set<string>();
  for (const release of releases) {
    if (isOnFailurePath(release, acquisition.call)) continue;
    const helper = enclosingFunction(release);
    const name = helper && helper !== own ? functionName(helper).split(".").pop() : undefined;
    if (!name || name === "<anonymous>" || namedFunctionsIn(release.getSourceFile()).get(name) !== helper) return false;
    helpers.add(name);
  }
  return helpers.size > 0 && [...helpers].every((name) => calledOnFailureOnly(program, name, 1));
}

/**
 * Whether every production call of `name` (tests call anything) is in a failure handler, or, `depth` levels up, in a
 * named function only called so itself (`releaseClaim()` that wraps the release helper in its own try).
 */
function calledOnFailureOnly(program: ts.Program, name: string, depth: number): boolean {
  const calls = callsByName(program, name).filter((call) => !isNonProduction(call.getSourceFile().fileName));
  return (
    calls.length > 0 &&
    calls.every((call) => {
      if (isInFailureHandler(call)) return true;
      const caller = enclosingFunction(call);
      const callerName = caller && functionName(caller).split(".").pop();
      return (
        depth > 0 &&
        !!callerName &&
        callerName !== name &&
        callerName !== "<anonymous>" &&
        calledOnFailureOnly(program, callerName, depth - 1)
      );
    })
  );
}

/** `error` bound as the error element of an `[error, value]` tuple (first, named as an error), tested for truth. */
function testsTupleError(condition: ts.Expression): boolean {
  const test = skipParens(condition);
  if (!ts.isIdentifier(test)) return false;
  const fn = enclosingFunction(test);
  return nodesOfKinds<ts.BindingElement>(fn?.body ?? test.getSourceFile(), [ts.SyntaxKind.BindingElement]).some(
    (element) =>
      ts.isIdentifier(element.name) &&
      element.name.text === test.text &&
      ts.isArrayBindingPattern(element.parent) &&
      element.parent.elements[0] === element &&
      /^(e|err|error)$|(Err|Error)$/.test(test.text),
  );
}

let nonProductionMatcher: ((path: string) => boolean) | undefined;
/** A test, e2e, seed or script file by the default `nonProductionFiles` patterns: its calls are not production calls. */
export function isNonProduction(fileName: string): boolean {
  nonProductionMatcher ??= picomatch(DEFAULT_NON_PRODUCTION_FILES as string[], { dot: true });
  return nonProductionMatcher(fileName);
}

const callsByNameCache = new WeakMap<ts.Program, Map<string, ts.CallExpression[]>>();

/**
 * The calls of the project's files to a function or method of this name, or to a binding imported as it (`import {
 * release as unlock }`): by name, so an unresolved caller counts too.
 */
function callsByName(program: ts.Program, name: string): ts.CallExpression[] {
  let perProgram = callsByNameCache.get(program);
  if (!perProgram) callsByNameCache.set(program, (perProgram = new Map()));
  let calls = perProgram.get(name);
  if (!calls) {
    calls = program
      .getSourceFiles()
      .filter((sf) => !sf.isDeclarationFile && sf.text.includes(name))
      .flatMap((sf) => {
        const names = new Set([name]);
        for (const [local, info] of importsOf(sf)) if (info.imported === name) names.add(local);
        return nodesOfKinds<ts.CallExpression>(sf, [ts.SyntaxKind.CallExpression]).filter((c) => names.has(calleeName(c) ?? ""));
      });
    perProgram.set(name, calls);
  }
  return calls;
}

/**
 * In a catch clause or a `.catch(…)` callback of the function it runs in, or in the branch of `if (error)` on the
 * error of an `[error, value]` result tuple (`const [appendError] = await tryCatch(append())`).
 */
function isInFailureHandler(node: ts.Node): boolean {
  for (let current: ts.Node = node; current.parent; current = current.parent) {
    if (ts.isCatchClause(current.parent)) return true;
    if (ts.isIfStatement(current.parent) && current.parent.thenStatement === current && testsTupleError(current.parent.expression))
      return true;
    if (isFunctionLike(current)) return ts.isCallExpression(current.parent) && calleeName(current.parent) === "catch";
  }
  return false;
}

/** A release that runs only when something after `acquisition` failed: in a catch clause, or a `.catch(…)` callback. */
function isOnFailurePath(release: ts.Node, acquisition: ts.Node): boolean {
  for (let node: ts.Node = release; node.parent && !isInside(acquisition, node.parent); node = node.parent) {
    if (ts.isCatchClause(node.parent)) return true;
    if (isFunctionLike(node) && ts.isCallExpression(node.parent) && calleeName(node.parent) === "catch") return true;
  }
  return false;
}

const deletionsCache = new WeakMap<ts.SourceFile, ts.CallExpression[]>();

/** The calls of a file that can delete a Redis key: DEL, UNLINK, a script (EVAL), a `release…` helper. */
function deletionsIn(sourceFile: ts.SourceFile): ts.CallExpression[] {
  let found = deletionsCache.get(sourceFile);
  if (!found) {
    found = nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression]).filter(
      (c) => receiverOf(c) !== undefined && /^(del|unlink|eval|evalsha|release\w*)$/i.test(calleeName(c) ?? ""),
    );
    deletionsCache.set(sourceFile, found);
  }
  return found;
}

function sqlLockOf(call: ts.CallExpression | ts.TaggedTemplateExpression, sql: string): LockAcquisition | undefined {
  const upper = normalizeSql(sql);
  const advisory = ADVISORY.exec(upper);
  if (advisory) {
    const fn = advisory[1]!;
    const isTry = fn.startsWith("PG_TRY");
    const xact = fn.includes("XACT");
    return {
      call,
      mechanism: "pg-advisory",
      style: isTry ? "try" : "blocking",
      expires: false,
      transactionScoped: xact,
      label: `PostgreSQL advisory lock (\`${fn.toLowerCase()}\`)`,
    };
  }
  if (/\bGET_LOCK\s*\(/.test(upper)) {
    return {
      call,
      mechanism: "mysql-named",
      style: "try",
      expires: false,
      transactionScoped: false,
      label: "MySQL named lock (`GET_LOCK`)",
    };
  }
  return undefined;
}

/** Whether `expr` is the key (or lock object) the acquisition took. */
function isAcquiredKey(expr: ts.Expression, acquisition: LockAcquisition): boolean {
  const acquired = acquisition.key ?? acquisition.lockObject;
  return !!acquired && isAcquiredPart(expr, acquired, acquisition);
}

/**
 * Whether `expr` names `acquired`, a part (key or lock object) of the acquisition: by identity in the function that
 * took the lock and the functions nested in it (identity.ts: `const k = key` is `key`, a callback's own `key` is not);
 * in another function (a helper that releases what a helper took: `claim(id)` / `giveUp(id)`) by canonical key, both
 * in terms of their own parameters.
 */
export function isAcquiredPart(expr: ts.Expression, acquired: ts.Expression, acquisition: LockAcquisition): boolean {
  const taker = enclosingFunction(acquisition.call);
  if (!taker || isInside(expr, taker)) return sameIdentity(expr, acquired);
  return canonicalKey(expr) === canonicalKey(acquired) && !madeDifferently(expr, acquired);
}

/** Two functions' own locals of one name (`const lockKey = …` in each), made from different values: not one key. */
export function madeDifferently(a: ts.Expression, b: ts.Expression): boolean {
  const first = localValueOf(a);
  const second = localValueOf(b);
  return !!first && !!second && first !== second;
}

/**
 * A release on a keyed lock object (`locks.unlock(lockKey)`) is not one of the acquisition's key when it names another
 * function's own local of the key's name made differently; other arguments are in the caller's terms, not compared.
 */
function namesAcquiredKey(call: ts.CallExpression, acquisition: LockAcquisition): boolean {
  const key = acquisition.key;
  return !key || !call.arguments.some((a) => canonicalKey(a) === canonicalKey(key) && madeDifferently(a, key));
}

/** The text a local `const`/`let` named by `expr` was made from (spaces dropped), when `expr` is such a name. */
function localValueOf(expr: ts.Expression): string | undefined {
  const node = skipParens(expr);
  const declaration = ts.isIdentifier(node) ? variableDeclarationOf(node) : undefined;
  if (!declaration?.initializer || !enclosingFunction(declaration) || !ts.isIdentifier(declaration.name)) return undefined;
  return declaration.initializer.getText().replace(/\s+/g, "");
}

/**
 * Names bound to what an acquisition returns: `const release = await m.acquire()`, `const [, release] = ...`,
 * `const lock = await redlock.acquire(...)`, `const ok = await redis.set(...)`.
 */
export function resultBinding(acquisition: LockAcquisition): ts.BindingName | undefined {
  if (acquisition.mechanism === "redis-set-nx" && ts.isCallExpression(acquisition.call)) {
    const reply = queuedReplyBinding(acquisition.call);
    if (reply) return reply;
  }
  const outer = successTest(throughCatch(outerExpression(acquisition.call as ts.Expression)));
  const parent = outer.parent;
  if (parent && ts.isVariableDeclaration(parent) && parent.initializer === outer) return parent.name;
  // `acquired = await redis.set(…)` into a `let` declared before (often outside a `try`).
  if (
    parent &&
    ts.isBinaryExpression(parent) &&
    parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    parent.right === outer &&
    ts.isIdentifier(parent.left)
  )
    return parent.left;
  return errorTuple(acquisition)?.value.name;
}

/**
 * `(await redis.set(key, v, { NX: true })) !== null`, `… === "OK"`: a comparison that is true exactly when the reply
 * says the lock was taken stands for the reply (a `const` of it is truthy when held). A comparison the other way
 * (`=== null`) is left alone.
 */
function successTest(reply: ts.Expression): ts.Expression {
  const parent = reply.parent;
  if (!parent || !ts.isBinaryExpression(parent)) return reply;
  const other = parent.left === reply ? parent.right : parent.right === reply ? parent.left : undefined;
  if (!other) return reply;
  const op = parent.operatorToken.kind;
  const empty = other.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(other) && other.text === "undefined");
  const notEmpty = empty && (op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken);
  const isOk =
    ts.isStringLiteral(other) &&
    other.text === "OK" &&
    (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken);
  return notEmpty || isOk ? outerExpression(parent) : reply;
}

/**
 * `await client.query(…).catch(handler)`: the value is the acquisition's result, or what the handler returns when it
 * fails (a handler that rethrows, or a fallback that reads as "not taken").
 */
function throughCatch(outer: ts.Expression): ts.Expression {
  const access = outer.parent;
  const call = access?.parent;
  return access &&
    ts.isPropertyAccessExpression(access) &&
    access.expression === outer &&
    access.name.text === "catch" &&
    call &&
    ts.isCallExpression(call) &&
    call.expression === access
    ? outerExpression(call)
    : outer;
}

/**
 * `const [error, acquired] = await tryCatch(redis.set(…))` (await-to-js's `to`, `tryCatch` helpers): the acquisition
 * passed alone to a helper whose result is destructured into one error-named element and one value element. The value
 * is the acquisition's result; a truthy error means the acquisition failed and holds nothing.
 */
export function errorTuple(
  acquisition: LockAcquisition,
): { helper: ts.CallExpression; error: ts.BindingElement; value: ts.BindingElement } | undefined {
  const outer = outerExpression(acquisition.call as ts.Expression);
  const helper = outer.parent;
  if (!helper || !ts.isCallExpression(helper) || helper.arguments.length !== 1 || helper.arguments[0] !== outer) return undefined;
  const wrapped = outerExpression(helper);
  const declaration = wrapped.parent;
  if (!declaration || !ts.isVariableDeclaration(declaration) || declaration.initializer !== wrapped) return undefined;
  if (!ts.isArrayBindingPattern(declaration.name)) return undefined;
  const named = declaration.name.elements.filter((e): e is ts.BindingElement => ts.isBindingElement(e) && ts.isIdentifier(e.name));
  const isError = (e: ts.BindingElement) => /^(e|err|error)$|(Err|Error)$/.test((e.name as ts.Identifier).text);
  const errors = named.filter(isError);
  const values = named.filter((e) => !isError(e));
  return named.length === 2 && errors.length === 1 && values.length === 1 ? { helper, error: errors[0]!, value: values[0]! } : undefined;
}

/**
 * Whether `call` releases the lock `acquisition` took. Matches: calling the release function it returned, `.release()`
 * / `.unlock()` on its handle or on the same lock object, Redis DEL/UNLINK (or a compare-and-delete script) of the same
 * key, and the SQL unlock functions.
 */
export function isReleaseOf(
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  acquisition: LockAcquisition,
  resultNames: ReadonlySet<string>,
): boolean {
  if (ts.isCallExpression(call)) {
    const callee = skipParens(call.expression);
    const name = calleeName(call);
    if (ts.isIdentifier(callee) && resultNames.has(callee.text)) return true; // release()
    if (acquisition.wrapper?.releases(call, acquisition, resultNames)) return true; // the project's own lock helper
    if (releasesThroughHelper(call, acquisition)) return true;
    if (ts.isIdentifier(callee)) return false;
    const receiver = receiverOf(call);
    if (!receiver || !name) return false;
    // The lock object by identity: `const m = this.mutex` makes `m.release()` release `this.mutex`, and `const held =
    // lock` makes `held.release()` give back what the acquisition returned.
    if (
      lockMethodNames(LOCK_LIBRARY_MODELS).releasing.has(name) &&
      (resultNames.has(canonicalKey(receiver)) ||
        (acquisition.lockObject && isAcquiredPart(receiver, acquisition.lockObject, acquisition) && namesAcquiredKey(call, acquisition)))
    )
      return true;
    if (acquisition.mechanism === "redis-set-nx") {
      if (
        (name === "del" || name === "unlink" || name === "DEL" || name === "UNLINK") &&
        call.arguments[0] &&
        isAcquiredKey(call.arguments[0], acquisition)
      )
        return true;
      // A script that only reads or sets the key (advances a watermark) gives nothing back.
      if (
        (name === "eval" || name === "evalsha" || name === "EVAL" || /^release/i.test(name)) &&
        call.arguments.some((a) => isAcquiredKey(a, acquisition)) &&
        !isScriptWithoutDelete(call)
      )
        return true;
      if (
        name === "eval" &&
        call.arguments.some((a) => ts.isObjectLiteralExpression(a) && a.getText().includes(acquisition.key!.getText()))
      )
        return true;
    }
  }
  if (acquisition.mechanism === "busy-key" && ts.isCallExpression(call) && calleeName(call) === "delete") {
    const receiver = receiverOf(call);
    return (
      !!receiver &&
      !!acquisition.lockObject &&
      isAcquiredPart(receiver, acquisition.lockObject, acquisition) &&
      call.arguments.length === 1 &&
      isAcquiredKey(call.arguments[0]!, acquisition)
    );
  }
  if (acquisition.mechanism === "busy-key" && ts.isCallExpression(call) && closesOwnConnection(call, acquisition)) return true;
  if (acquisition.mechanism === "lock-table") return isLockTableRelease(call, acquisition);
  if (acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named") {
    const site = sqlSiteOf(call);
    if (!site) return false;
    const upper = normalizeSql(site.sql);
    return acquisition.mechanism === "pg-advisory"
      ? /\bPG_ADVISORY_UNLOCK(_SHARED|_ALL)?\s*\(/.test(upper)
      : /\bRELEASE_(ALL_)?LOCKS?\s*\(/.test(upper);
  }
  return false;
}

/**
 * `giveBack()` / `this.unlock()`: a function of the same file whose own body releases the acquisition's lock object
 * (a module-level or `this.` lock reads the same in both functions) and does not take it. One level deep.
 */
function releasesThroughHelper(call: ts.CallExpression, acquisition: LockAcquisition): boolean {
  const lock = acquisition.lockObject;
  const callee = skipParens(call.expression);
  if (
    !lock ||
    !(ts.isIdentifier(callee) || (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword))
  )
    return false;
  const helper = namedFunctionsIn(call.getSourceFile()).get(ts.isIdentifier(callee) ? callee.text : callee.name.text);
  if (!helper?.body || helper === enclosingFunction(call) || isInside(acquisition.call, helper)) return false;
  const key = canonicalKey(lock);
  const { acquiring, releasing } = lockMethodNames(LOCK_LIBRARY_MODELS);
  const onLock = nodesOfKinds<ts.CallExpression>(helper.body, [ts.SyntaxKind.CallExpression]).filter((inner) => {
    const receiver = receiverOf(inner);
    return !!receiver && enclosingFunction(inner) === helper && canonicalKey(receiver) === key;
  });
  // A helper that takes the lock itself (its own section) gives back only what it took.
  const names = onLock.map((inner) => calleeName(inner) ?? "");
  return names.some((name) => releasing.has(name)) && !names.some((name) => acquiring.has(name));
}

/**
 * Whether `condition` compares the Redis lock's current value with something (the holder's token): true when the
 * condition being true means the key still holds it (`===`, `==`), false when it means another value (`!==`, `!=`);
 * undefined when the condition does not read the key. The value is read by a GET of the lock's key in the condition,
 * or by a name bound to one in the same function (`const current = await redis.get(key)`).
 */
export function ownerComparison(condition: ts.Expression, acquisition: LockAcquisition): boolean | undefined {
  const key = acquisition.key;
  const node = skipParens(condition);
  if (!key || !ts.isBinaryExpression(node) || !EQUALITY_OPERATORS.has(node.operatorToken.kind)) return undefined;
  const keyText = canonicalKey(key);
  const readsKey = (side: ts.Expression): boolean => {
    const value = skipAwait(skipParens(side));
    if (isGetOf(value, keyText)) return true;
    if (!ts.isIdentifier(value)) return false;
    const fn = enclosingFunction(node);
    return nodesOfKinds<ts.VariableDeclaration>(fn?.body ?? node.getSourceFile(), [ts.SyntaxKind.VariableDeclaration]).some(
      (d) =>
        ts.isIdentifier(d.name) &&
        d.name.text === value.text &&
        d.initializer !== undefined &&
        isGetOf(skipAwait(skipParens(d.initializer)), keyText),
    );
  };
  if (!readsKey(node.left) && !readsKey(node.right)) return undefined;
  const op = node.operatorToken.kind;
  return op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
}

/** Whether `node` is a GET of the Redis lock's key: the read of an owner check before its release. */
export function readsLockValue(node: ts.Node, acquisition: LockAcquisition): boolean {
  return acquisition.mechanism === "redis-set-nx" && !!acquisition.key && isGetOf(node, canonicalKey(acquisition.key));
}

function isGetOf(node: ts.Node, keyText: string): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    calleeName(node)?.toLowerCase() === "get" &&
    node.arguments[0] !== undefined &&
    canonicalKey(node.arguments[0]) === keyText
  );
}

const IN_PROCESS = new Set<LockMechanism>(["mutex", "semaphore", "rwlock", "keyed-lock"]);

/**
 * `const mutex = new Mutex()` in the function that takes it, used there only to take and release it: each call makes
 * its own lock, so no other call ever waits for it and it excludes nothing. Not when the function hands it to code that
 * runs concurrently (a callback that takes it, a function it is passed to or returned from). The declaration, or
 * undefined.
 */
export function perCallLock(acquisition: LockAcquisition): ts.VariableDeclaration | undefined {
  const object = acquisition.lockObject && skipParens(acquisition.lockObject);
  const fn = enclosingFunction(acquisition.call);
  if (!object || !ts.isIdentifier(object) || !fn?.body || !IN_PROCESS.has(acquisition.mechanism)) return undefined;
  const declaration = nodesOfKinds<ts.VariableDeclaration>(fn.body, [ts.SyntaxKind.VariableDeclaration]).find(
    (d) => ts.isIdentifier(d.name) && d.name.text === object.text && enclosingFunction(d) === fn,
  );
  const created = declaration?.initializer && skipAwait(skipParens(declaration.initializer));
  if (!declaration || !created || !ts.isNewExpression(created)) return undefined;
  // Every other mention is the receiver of a method call in the function's own code: `mutex.acquire()`, `mutex.release()`.
  const mentions = nodesOfKinds<ts.Identifier>(fn.body, [ts.SyntaxKind.Identifier]).filter(
    (id) => id.text === object.text && id !== declaration.name,
  );
  const onlyTaken = mentions.every(
    (id) =>
      enclosingFunction(id) === fn &&
      ts.isPropertyAccessExpression(id.parent) &&
      id.parent.expression === id &&
      ts.isCallExpression(id.parent.parent) &&
      id.parent.parent.expression === id.parent,
  );
  return onlyTaken ? declaration : undefined;
}

/** True if the acquisition is `await using x = ...` (released by the language at scope exit). */
export function isDisposedByUsing(acquisition: LockAcquisition): boolean {
  return usingStatementOf(acquisition) !== undefined;
}

/** The `using` / `await using` statement that binds the acquisition's result, if any. */
function usingStatementOf(acquisition: LockAcquisition): ts.VariableStatement | undefined {
  const list = resultBinding(acquisition)?.parent?.parent;
  if (!list || !ts.isVariableDeclarationList(list) || (list.flags & ts.NodeFlags.Using) === 0) return undefined;
  return ts.isVariableStatement(list.parent) ? list.parent : undefined;
}

/**
 * For a lock bound by `using` / `await using`: whether `node` is where the binding is in scope — after its statement,
 * in the block that declares it, which disposes of it on every exit (return, break, throw). A node before the
 * statement in a loop's body runs after the previous turn disposed of it. Lexical: the holders combine it with the
 * acquisition's paths (`acquisitionPaths`), which know nothing of the disposal.
 */
export function inUsingScope(acquisition: LockAcquisition, node: ts.Node): boolean {
  const statement = usingStatementOf(acquisition);
  const block = statement?.parent;
  return !!statement && !!block && node.getStart() >= statement.end && node.end <= block.end;
}

const acquisitionsCache = new WeakMap<ts.Program, WeakMap<ts.SourceFile, LockAcquisition[]>>();

/**
 * Every lock acquisition in a file, in source order, computed once per Program and file and shared by all rules
 * (a SourceFile is reused across Programs when unchanged, but what its receivers resolve to may not be).
 */
export function lockAcquisitionsIn(
  sourceFile: ts.SourceFile,
  program: ts.Program,
  realChecker: () => ts.TypeChecker,
): readonly LockAcquisition[] {
  const checker = lockCheckerFor(program, realChecker);
  let perFile = acquisitionsCache.get(program);
  if (!perFile) acquisitionsCache.set(program, (perFile = new WeakMap()));
  let found = perFile.get(sourceFile);
  if (!found) {
    const list: LockAcquisition[] = [];
    for (const node of nodesOfKinds(sourceFile, CALL_KINDS)) {
      // The real checker only for a SETNX through a project helper, whose body says whether it expires.
      const acquisition = lockAcquisitionOf(node, checker, LOCK_LIBRARY_MODELS, { helperChecker: realChecker });
      if (acquisition && !isFailureOnlyClaim(acquisition, program)) list.push(acquisition);
    }
    perFile.set(sourceFile, (found = list));
  }
  return found;
}

const usesLockLibraries = new WeakMap<ts.Program, boolean>();

/**
 * The checker getter to use for `program`: the real one when some project file imports a lock library (async-mutex,
 * redlock, redis-semaphore, async-lock, the runtime), else one that answers undefined — with no lock library in the
 * project no declaration can be a lock object, and such a project never pays for creating the checker here.
 */
/** Whether a file imports one of the modelled lock libraries. */
export function importsLockLibrary(sourceFile: ts.SourceFile): boolean {
  return [...importsOf(sourceFile).values()].some((i) => LOCK_LIBRARY_MODELS.some((m) => isModelModule(m, i.module)));
}

export function lockCheckerFor(program: ts.Program, checker: () => ts.TypeChecker): CheckerGetter {
  // Asked when the checker is, not before: a file whose locks need no type answer needs no other file either (the
  // language server's text-only findings, engine/syntax-lint.ts).
  return () => {
    let uses = usesLockLibraries.get(program);
    if (uses === undefined) {
      uses = program.getSourceFiles().some((sf) => !sf.isDeclarationFile && importsLockLibrary(sf));
      usesLockLibraries.set(program, uses);
    }
    return uses ? checker() : undefined;
  };
}

const failureSignalCache = new WeakMap<ts.SourceFile, RegExp | null>();

/**
 * The lock-failure signals a file can catch: the names the lock libraries it imports throw when a lock is busy, timed
 * out or lost (async-mutex `E_ALREADY_LOCKED`, redlock `ExecutionError`, redis-semaphore `TimeoutError`), as one
 * pattern; undefined when it imports none. A generic name such as `TimeoutError` counts only where its library is
 * imported.
 */
export function lockFailureSignals(sourceFile: ts.SourceFile): RegExp | undefined {
  let pattern = failureSignalCache.get(sourceFile);
  if (pattern === undefined) {
    const modules = [...importsOf(sourceFile).values()].map((i) => i.module);
    const names = LOCK_LIBRARY_MODELS.filter((m) => modules.some((module) => isModelModule(m, module))).flatMap(
      (m) => m.failureSignals ?? [],
    );
    pattern = names.length > 0 ? new RegExp(`\\b(${names.join("|")})\\b`) : null;
    failureSignalCache.set(sourceFile, pattern);
  }
  return pattern ?? undefined;
}

/** Mechanisms whose acquisition throws when it does not get the lock in time, whatever its options. */
const THROWS_WHEN_BUSY: Readonly<Partial<Record<LockMechanism, string>>> = {
  redlock: "redlock gives up after its retries",
  lease: "the lease is busy past its timeout",
  "redis-semaphore": "the semaphore's acquire timeout passes",
};

/** Why a waiting acquisition can fail by throwing, or undefined when it only waits. */
export function acquisitionFailure(acquisition: LockAcquisition): string | undefined {
  if (!ts.isCallExpression(acquisition.call) || acquisition.style !== "blocking") return undefined;
  return (
    THROWS_WHEN_BUSY[acquisition.mechanism] ?? (hasWaitLimit(acquisition.call) ? "its timeout passes or its signal aborts" : undefined)
  );
}

/** An options argument with a timeout or an abort signal: the acquisition rejects when it runs out. */
function hasWaitLimit(call: ts.CallExpression): boolean {
  return call.arguments.some(
    (a) =>
      ts.isObjectLiteralExpression(a) &&
      a.properties.some((p) => p.name !== undefined && /^(timeout|timeoutMs|acquireTimeout|signal)$/.test(p.name.getText())),
  );
}
