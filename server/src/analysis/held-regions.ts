// Where a lock is held inside a function: the callback of a scoped form (`runExclusive(fn)`, `redlock.using`,
// `withLease`), the code an acquisition reaches before a release (lock-holding.ts), and the part of a database
// transaction after a row lock (FOR UPDATE, UPDATE, an ORM lock option) until COMMIT/ROLLBACK (rowLocksHeldAt), each
// along paths: held on some path to a node, and whether on every path (what "is this protected?" asks). Also
// which DEL/UNLINK/EVAL calls of a file release which SET NX lock. Built on locks.ts and transactions.ts, so "what is
// a lock" and "what is a transaction" mean the same thing as everywhere else.
import type { DeclaredLocks } from "../engine/types";
import { ts } from "../engine/ts";
import {
  boundNames,
  calleeName,
  code,
  enclosingFunction,
  functionName,
  isInside,
  lineOf,
  mentions,
  nodesOfKinds,
  receiverOf,
  skipParens,
  type FunctionLike,
} from "./ast";
import { mayRunAfter } from "./flow/queries";
import { canonicalKey } from "./identity";
import { acquisitionPaths } from "./lock-holding";
import { busyKeyFlagLock, flagLocksIn } from "./flag-locks";
import { allLockAcquisitionsIn } from "./lock-wrappers";
import {
  LOCK_LIKE_KEY,
  inUsingScope,
  isDisposedByUsing,
  isReleaseOf,
  lockAcquisitionsIn,
  perCallLock,
  resultBinding,
  type LockAcquisition,
} from "./locks";
import { calleeResolver } from "./summaries";
import { takesXactLocks, xactAdvisoryLocksAt, type HeldXactLock } from "./advisory-xact-locks";
import { dbAccessOf } from "./db";
import { projectScopeOf } from "./transaction-wrappers";
import { rowLocksHeldAt, transactionScopeOf, type RowLock, type TransactionScope } from "./transactions";

/** A Redis SET NX / SETNX lock of one file with the calls that release its key. */
export interface RedisNxLock {
  acquisition: LockAcquisition & { call: ts.CallExpression; key: ts.Expression };
  /**
   * DEL / UNLINK / EVAL calls of the same key: in the same function, or anywhere in the file for a key that is not a
   * local name (a constant, a field, a template). Each release is listed under one lock only: one of its function
   * that may be held when it runs (else the file's first lock it matches).
   */
  releases: ts.CallExpression[];
}

const redisLockCache = new WeakMap<ts.Program, WeakMap<ts.SourceFile, RedisNxLock[]>>();

/** A cache per Program and file: an unchanged SourceFile is reused by the next Program, but what its names resolve to may change. */
function cacheFor<T>(cache: WeakMap<ts.Program, WeakMap<ts.SourceFile, T>>, program: ts.Program): WeakMap<ts.SourceFile, T> {
  let perFile = cache.get(program);
  if (!perFile) cache.set(program, (perFile = new WeakMap()));
  return perFile;
}

/**
 * The SET NX / SETNX calls of a file that take a lock, each with its releases. A SET NX counts as a lock when it is
 * released somewhere in the file, its key says it is one (`lock:order:${id}`), or it claims work (`isWorkClaim`); a set-once marker
 * (`processed:${id}`) that is never deleted is not a lock, nor are the SET NX uses `setIfAbsentRole` tells apart.
 */
export function redisNxLocks(sourceFile: ts.SourceFile, program: ts.Program, checker: () => ts.TypeChecker): RedisNxLock[] {
  const cache = cacheFor(redisLockCache, program);
  const cached = cache.get(sourceFile);
  if (cached) return cached;
  const acquisitions = lockAcquisitionsIn(sourceFile, program, checker).filter(
    (a): a is RedisNxLock["acquisition"] => a.mechanism === "redis-set-nx" && a.key !== undefined && ts.isCallExpression(a.call),
  );
  const deletions: ts.CallExpression[] = [];
  if (acquisitions.length > 0) {
    for (const node of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
      const name = calleeName(node)?.toLowerCase();
      if ((name === "del" || name === "unlink" || name === "eval" || name === "evalsha") && receiverOf(node)) deletions.push(node);
    }
  }
  // Where each call runs, computed once: a file can have a hundred locks and as many deletions.
  const places = new Map<ts.Node, Place>();
  const placeOf = (call: ts.Node) => {
    let place = places.get(call);
    if (!place) places.set(call, (place = { fn: enclosingFunction(call), cls: classOf(call) }));
    return place;
  };
  const matching = (acquisition: RedisNxLock["acquisition"]) => {
    const names = new Set((resultBinding(acquisition) ? boundNames(resultBinding(acquisition)!) : []).map((id) => id.text));
    const key = skipParens(acquisition.key);
    const here = placeOf(acquisition.call);
    return deletions.filter((call) => {
      const there = placeOf(call);
      if (ts.isIdentifier(key) && there.fn !== here.fn && !sameValueIn(key.text, here, there, call)) return false;
      if (!isReleaseOf(call, acquisition, names)) return false;
      return !isGenericDelete(call, here, there) || deletesALockWhereCalled(there.fn!, program, checker);
    });
  };
  const candidates = acquisitions.map((acquisition) => ({ acquisition, releases: matching(acquisition) }));
  // Each release belongs to one lock, chosen along paths: of the acquisitions in its function whose lock may be held
  // when it runs (lock-holding.ts; a DEL before a second SET NX of the key is not that one's), one held there on every
  // path first, then the first in the file; a release no acquisition of its function reaches belongs to the file's
  // first acquisition it matches (a key shared by functions).
  const owner = new Map<ts.CallExpression, { acquisition: RedisNxLock["acquisition"]; rank: number }>();
  for (const { acquisition, releases } of candidates)
    for (const release of releases) {
      const local = placeOf(release).fn === placeOf(acquisition.call).fn;
      const paths = local ? acquisitionPaths(acquisition) : undefined;
      const rank = paths?.heldOnEveryPath(release) ? 2 : paths?.heldAt(release) ? 1 : 0;
      if (!owner.has(release) || rank > owner.get(release)!.rank) owner.set(release, { acquisition, rank });
    }
  const locks: RedisNxLock[] = [];
  for (const { acquisition, releases } of candidates) {
    if (releases.length > 0 || LOCK_LIKE_KEY.test(acquisition.key.getText(sourceFile)) || isWorkClaim(acquisition))
      locks.push({ acquisition, releases: releases.filter((r) => owner.get(r)!.acquisition === acquisition) });
  }
  cache.set(sourceFile, locks);
  return locks;
}

/** Key names that say work is under way, not done: the key marks a holder, not a fact. */
const IN_PROGRESS_KEY = /running|processing|in[-_:]?progress|in[-_:]?flight|pending|busy|claim|working/i;

/**
 * A claim: a SET NX whose result decides whether this caller does the work, and whose key marks the work as under way
 * — named so (`job:${id}:running`), or overwritten with the outcome later in the same function
 * (`set(key, "done")`), or given an expiry by a later command (`setnx` then `expire`). Its holder can die mid-work,
 * so it is a lock. A set-once marker that records a fact
 * (`processed:${id}`, never deleted nor overwritten) is not: it says the work happened, at most once by design.
 */
function isWorkClaim(acquisition: RedisNxLock["acquisition"]): boolean {
  const { call, key } = acquisition;
  if (!decidesWork(call)) return false;
  if (IN_PROGRESS_KEY.test(key.getText())) return true;
  const fn = enclosingFunction(call);
  const keyText = canonicalKey(key);
  return (
    !!fn &&
    nodesOfKinds<ts.CallExpression>(fn, [ts.SyntaxKind.CallExpression]).some(
      (c) =>
        // A claim its taker then gives an expiry (`setnx(key)` then `expire(key, ttl)`): the key marks a holder that
        // is meant to lapse, not a fact kept for good.
        (isExpiryOf(c, key) && mayRunAfter(call, c)) ||
        (/^set$/i.test(calleeName(c) ?? "") &&
          c.arguments[0] !== undefined &&
          canonicalKey(c.arguments[0]) === keyText &&
          mayRunAfter(call, c)),
    )
  );
}

/** The SET NX's result is a condition: `if (!(await redis.set(...)))`, `ok === "OK"`, or a const tested by an `if`. */
function decidesWork(call: ts.CallExpression): boolean {
  let node: ts.Node = call;
  while (
    ts.isAwaitExpression(node.parent) ||
    ts.isParenthesizedExpression(node.parent) ||
    (ts.isPrefixUnaryExpression(node.parent) && node.parent.operator === ts.SyntaxKind.ExclamationToken) ||
    (ts.isBinaryExpression(node.parent) && node.parent.operatorToken.kind !== ts.SyntaxKind.EqualsToken)
  )
    node = node.parent;
  const parent = node.parent;
  if (ts.isIfStatement(parent)) return parent.expression === node;
  if (ts.isConditionalExpression(parent)) return parent.condition === node;
  if (!ts.isVariableDeclaration(parent) || !ts.isIdentifier(parent.name)) return false;
  const name = parent.name.text;
  const fn = enclosingFunction(call);
  return (
    !!fn &&
    nodesOfKinds<ts.IfStatement>(fn, [ts.SyntaxKind.IfStatement]).some(
      (i) => mentions(i.expression, new Set([name])) && mayRunAfter(call, i.expression),
    )
  );
}

/**
 * Whether the bare name `name`, the key of an acquisition at `here`, means the same value at a call in another
 * function (`there`): in a closure inside the acquiring function (`.finally(() => redis.del(key))`), for a constant
 * both use, and for the key a lock helper class's release method (or a release function of the file's top level,
 * beside the acquiring one) is given back (`release(key)` after `acquire(key)`). Two parameters that merely share a name (`putIfAbsent(key)`, `dropGroup(key)`) are different keys.
 */
function sameValueIn(name: string, here: Place, there: Place, call: ts.Node): boolean {
  if (declaresLocally(there.fn, name)) {
    if (here.cls) return there.cls === here.cls && isReleaseMethod(there.fn);
    // A module's lock helpers: `releaseLock(key)` beside `acquireLock(key)`, both functions of the file's top level.
    return isModuleFunction(here.fn) && isModuleFunction(there.fn) && isReleaseFunction(there.fn);
  }
  if (!declaresLocally(here.fn, name)) {
    // Both closures see the name from outside: the same value only if it is bound by the same enclosing function (two
    // factories' `name` parameters, `makeSlot(name)` and `makeMutex(name)`, are two values).
    const outer = (fn: FunctionLike | undefined) => (fn ? enclosingBinder(fn, name) : undefined);
    return outer(here.fn) === outer(there.fn);
  }
  return here.fn !== undefined && isInside(call, here.fn);
}

/** The nearest function around `fn` (not `fn` itself) whose parameters or locals bind `name`; undefined at module level. */
function enclosingBinder(fn: FunctionLike, name: string): FunctionLike | undefined {
  for (let outer = enclosingFunction(fn); outer; outer = enclosingFunction(outer)) if (declaresLocally(outer, name)) return outer;
  return undefined;
}

interface Place {
  fn: FunctionLike | undefined;
  cls: ts.Node | undefined;
}

/**
 * A DEL in another function than the SET NX, keyed only by that function's own parameters (`deleteKey(namespace, key)`
 * deleting `${namespace}-${key}`): it deletes whatever key its callers give, so the two share a key only by the names
 * of their parameters, not by value. A lock helper class's own release method (`release(key)`) is the exception.
 */
function isGenericDelete(call: ts.CallExpression, here: Place, there: Place): boolean {
  const fn = there.fn;
  const key = call.arguments[0];
  if (!fn || !key || fn === here.fn || (here.fn && isInside(fn, here.fn))) return false;
  if (here.cls && there.cls === here.cls && isReleaseMethod(fn)) return false;
  const params = new Set(fn.parameters.flatMap((p) => boundNames(p.name).map((id) => id.text)));
  const names: string[] = [];
  let literalText = "";
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) names.push(node.text);
    else if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) literalText += node.text;
    else ts.forEachChild(node, visit);
  };
  visit(key);
  // Only separators between the parameters: a key with words of its own (`lock:job:${id}`) names one kind of key.
  return names.length > 0 && names.every((name) => params.has(name)) && !/[A-Za-z0-9]/.test(literalText);
}

const deletesALockCache = new WeakMap<ts.Program, Map<FunctionLike, boolean>>();

/**
 * Whether a generic delete helper is called somewhere to release a lock: at a call of it by name, an acquisition of
 * that call's file (through the project's set-if-absent helper, or direct) counts it as its release; the command inside
 * the helper that shares its name (`del` wrapping DEL) is not such a call. A helper only
 * called to re-open throttle windows, or to drop cache entries, releases no lock.
 */
function deletesALockWhereCalled(helper: FunctionLike, program: ts.Program, checker: () => ts.TypeChecker): boolean {
  let perProgram = deletesALockCache.get(program);
  if (!perProgram) deletesALockCache.set(program, (perProgram = new Map()));
  const cached = perProgram.get(helper);
  if (cached !== undefined) return cached;
  perProgram.set(helper, true); // a cycle keeps the release
  const name = functionName(helper).split(".").pop()!;
  const found =
    name === "<anonymous>" ||
    program
      .getSourceFiles()
      .filter((file) => !file.isDeclarationFile && file.text.includes(name))
      .some((file) => {
        // The Redis command the helper wraps (`del(key) { return this.client.del(key) }`) is not a call of the helper.
        const calls = nodesOfKinds<ts.CallExpression>(file, [ts.SyntaxKind.CallExpression]).filter(
          (c) => calleeName(c) === name && !isInside(c, helper),
        );
        if (calls.length === 0) return false;
        const acquisitions = allLockAcquisitionsIn(file, program, checker);
        return calls.some((c) =>
          acquisitions.some((a) => {
            const binding = resultBinding(a);
            return isReleaseOf(c, a, new Set(binding ? boundNames(binding).map((id) => id.text) : []));
          }),
        );
      });
  perProgram.set(helper, found);
  return found;
}

const localNames = new WeakMap<FunctionLike, ReadonlySet<string>>();

/** Whether `fn` has its own parameter or local named `name` (the names computed once per function: asked per lock and release pair). */
function declaresLocally(fn: FunctionLike | undefined, name: string): boolean {
  if (!fn) return false;
  let names = localNames.get(fn);
  if (!names) {
    const declarations = nodesOfKinds<ts.ParameterDeclaration | ts.VariableDeclaration>(fn, [
      ts.SyntaxKind.Parameter,
      ts.SyntaxKind.VariableDeclaration,
    ]);
    localNames.set(fn, (names = new Set(declarations.flatMap((d) => boundNames(d.name).map((id) => id.text)))));
  }
  return names.has(name);
}

/** A method named as a lock release (`release`, `unlock`, `releaseLock`). */
function isReleaseMethod(fn: FunctionLike | undefined): boolean {
  return !!fn && ts.isMethodDeclaration(fn) && /^(release|unlock)/i.test(fn.name.getText());
}

/** A function declared at the file's top level (`async function releaseLock(key) { … }`). */
function isModuleFunction(fn: FunctionLike | undefined): boolean {
  return !!fn && ts.isFunctionDeclaration(fn) && ts.isSourceFile(fn.parent);
}

/** A function named as a lock release (`releaseLock`, `unlockJob`). */
function isReleaseFunction(fn: FunctionLike | undefined): boolean {
  return !!fn && ts.isFunctionDeclaration(fn) && !!fn.name && /^(release|unlock)/i.test(fn.name.text);
}

/** The class whose method `node` is in (a lock helper class with `acquire(key)` and `release(key)`). */
function classOf(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  const fn = enclosingFunction(node);
  return fn && ts.isMethodDeclaration(fn) && ts.isClassLike(fn.parent) ? fn.parent : undefined;
}

/** Redis commands that (re)set a key's expiry. */
export function isExpiryOf(call: ts.CallExpression, key: ts.Expression): boolean {
  const name = calleeName(call)?.toLowerCase();
  return (
    (name === "pexpire" || name === "expire" || name === "pexpireat" || name === "expireat") &&
    call.arguments[0] !== undefined &&
    canonicalKey(call.arguments[0]) === canonicalKey(key)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Held regions.

/**
 * What is held: an in-process lock, a distributed lease (Redis, advisory, named), a transaction's row locks, or an
 * in-process try-lock made of a flag or a busy key (flag-locks.ts), whose losers turn away instead of waiting.
 */
export type HeldKind = "mutex" | "lease" | "transaction" | "flag";

export interface HeldLock {
  kind: HeldKind;
  /** For messages: "`this.accountsLock`", "Redis lock `lock:order:${id}`", "the transaction on `trx`". */
  label: string;
  /** Whether the lock expires by itself (leases): a slow holder can lose it mid-section. */
  expires: boolean;
  /** Where it was taken: the acquisition call, or the transaction's first row-locking statement. */
  takenAt: ts.Node;
  acquisition?: LockAcquisition;
  /** For scoped forms: the callback that is the critical section. */
  callback?: FunctionLike;
  /**
   * For transactions: the scope and the row locks held at the node asked about; when it holds none, the
   * transaction-scoped advisory lock it holds there.
   */
  transaction?: { scope: TransactionScope; rowLocks: RowLock[]; advisoryLock?: HeldXactLock };
  /** For mutexes and leases: whether another node of the same function may run while it is held. */
  holds?: (node: ts.Node) => boolean;
  /**
   * From locksHeldAt: whether it is held on every path to the node asked about. A lock released in one branch only,
   * or a transaction whose row locks are taken in one branch only, is held on some paths to the code after the merge.
   */
  everyPath: boolean;
}

const LEASE_MECHANISMS = new Set(["redis-set-nx", "redlock", "redis-semaphore", "lease", "pg-advisory", "mysql-named", "lock-table"]);
const MUTEX_MECHANISMS = new Set(["mutex", "rwlock", "keyed-lock"]);

interface Region {
  lock: HeldLock;
  /** The function whose own code (not nested functions') the lock is held over: a cheap first test for `contains`. */
  scope: ts.Node;
  /** Held on some path to `node`. */
  contains(node: ts.Node): boolean;
  /** Held on every path to `node`. */
  containsOnEveryPath(node: ts.Node): boolean;
}

const regionCache = new WeakMap<ts.Program, WeakMap<ts.SourceFile, Region[]>>();

/** The mutexes and leases of a file with the code each is held over. Semaphores are left out: they bound concurrency
 * on purpose (holding a permit across a slow call is what they are for). Cached per file. */
function lockRegionsOf(sourceFile: ts.SourceFile, program: ts.Program, checker: () => ts.TypeChecker, declared?: DeclaredLocks): Region[] {
  const cache = cacheFor(regionCache, program);
  const cached = cache.get(sourceFile);
  if (cached) return cached;
  const regions: Region[] = [];
  const acquisitions = allLockAcquisitionsIn(sourceFile, program, checker, declared).filter(
    // A lock each call makes for itself holds nobody off (lock-across-await reports it).
    (a) => (LEASE_MECHANISMS.has(a.mechanism) || MUTEX_MECHANISMS.has(a.mechanism)) && !perCallLock(a),
  );
  for (const acquisition of acquisitions) {
    const lock: HeldLock = {
      kind: LEASE_MECHANISMS.has(acquisition.mechanism) ? "lease" : "mutex",
      label: acquisition.label,
      expires: acquisition.expires,
      takenAt: acquisition.call,
      acquisition,
      everyPath: true,
    };
    if (acquisition.style === "scoped") {
      const callback = acquisition.callback;
      if (!callback) continue;
      lock.callback = callback;
      const contains = (node: ts.Node) => enclosingFunction(node) === callback;
      regions.push({ lock, scope: callback, contains, containsOnEveryPath: contains });
      continue;
    }
    if (acquisition.transactionScoped) continue; // held until COMMIT: covered by the transaction's own region
    const fn = enclosingFunction(acquisition.call) ?? sourceFile;
    const paths = acquisitionPaths(acquisition);
    // `using lock = …`: held along the paths from the acquisition, until its block is left.
    const scoped = isDisposedByUsing(acquisition) ? (node: ts.Node) => inUsingScope(acquisition, node) : () => true;
    regions.push({
      lock,
      scope: fn,
      contains: (node) => scoped(node) && paths.heldAt(node),
      containsOnEveryPath: (node) => scoped(node) && paths.heldOnEveryPath(node),
    });
  }
  const busyKeys = allLockAcquisitionsIn(sourceFile, program, checker, declared).filter((a) => a.mechanism === "busy-key");
  for (const flag of [...flagLocksIn(sourceFile), ...busyKeys.map(busyKeyFlagLock)]) {
    if (!flag) continue;
    const lock: HeldLock = { kind: "flag", label: flag.label, expires: false, takenAt: flag.takenAt, everyPath: true };
    regions.push({ lock, scope: flag.fn, contains: flag.heldAt, containsOnEveryPath: flag.heldOnEveryPath });
  }
  for (const region of regions) region.lock.holds = region.contains;
  cache.set(sourceFile, regions);
  return regions;
}

/** Label of a transaction for messages. */
function transactionLabel(scope: TransactionScope): string {
  return scope.handle ? `the transaction on ${code(scope.handle.key)}` : "the transaction";
}

/**
 * The locks that may be held while `node` runs, innermost first: mutexes and leases held on some path to it (in the
 * same function: code in a nested function runs at another time), and its transaction when that holds row locks by
 * then; each says whether it is held on every path (`everyPath`). A rule that asks "is this protected?" wants
 * `everyPath`; one that asks "can this run while the lock is held?" (lock-across-await) takes them all.
 */
export function locksHeldAt(node: ts.Node, program: ts.Program, checker: () => ts.TypeChecker, declared?: DeclaredLocks): HeldLock[] {
  const sourceFile = node.getSourceFile();
  const runsIn = enclosingFunction(node) ?? sourceFile;
  const held = lockRegionsOf(sourceFile, program, checker, declared)
    .filter((region) => region.scope === runsIn && region.contains(node))
    .map((region) => ({ ...region.lock, everyPath: region.containsOnEveryPath(node) }))
    .sort((a, b) => b.takenAt.getStart() - a.takenAt.getStart());
  const runsDirectlyIn = (scope: TransactionScope) =>
    scope.callback ? enclosingFunction(node) === scope.callback : enclosingFunction(node) === enclosingFunction(scope.start);
  const scope = transactionScopeOf(node);
  if (scope && runsDirectlyIn(scope)) {
    const rowLocks = rowLocksHeldAt(node, scope, calleeResolver(program, checker));
    // Named by a lock held on every path when there is one.
    const first = rowLocks.find((lock) => lock.everyPath) ?? rowLocks[0];
    if (first)
      held.push({
        kind: "transaction",
        label: transactionLabel(scope),
        expires: false,
        takenAt: first.chain?.[0] ?? first.access.node,
        transaction: { scope, rowLocks },
        everyPath: rowLocks.some((lock) => lock.everyPath),
      });
  }
  if (held.some((lock) => lock.kind === "transaction") || !takesXactLocks(program)) return held;
  // Else a transaction-scoped advisory lock its transaction holds (also one a project wrapper took before running
  // this callback): every transaction taking it waits until COMMIT.
  const resolve = calleeResolver(program, checker);
  const project = projectScopeOf(node, resolve);
  const advisoryLock = project && runsDirectlyIn(project) ? xactAdvisoryLocksAt(node, project, resolve)[0] : undefined;
  if (project && advisoryLock)
    held.push({
      kind: "transaction",
      label: transactionLabel(project),
      expires: false,
      takenAt: advisoryLock.takenAt,
      transaction: { scope: project, rowLocks: [], advisoryLock },
      everyPath: true,
    });
  return held;
}

/** "the PostgreSQL advisory lock (`pg_advisory_xact_lock`) `withAgentLock` takes at line 12", for messages. */
export function xactLockDescription(lock: HeldXactLock): string {
  const by =
    ts.isCallExpression(lock.takenAt) && !dbAccessOf(lock.takenAt) ? ` ${code(calleeName(lock.takenAt) ?? "a helper")} takes` : " taken";
  return `the PostgreSQL advisory lock (\`pg_advisory_xact_lock\`)${by} at line ${lineOf(lock.takenAt)}`;
}

/** "SELECT … FOR UPDATE at line 12", for messages. */
export function rowLockDescription(rowLock: RowLock): string {
  const table = rowLock.access.table ? ` of ${code(rowLock.access.table)}` : "";
  if (rowLock.declared) return `the row lock${table} ${code(rowLock.declared)} is declared to take, at line ${lineOf(rowLock.access.node)}`;
  const what = rowLock.mode === "write" ? "a write" : `a locking read (FOR ${rowLock.mode.toUpperCase()})`;
  const call = rowLock.chain?.[0];
  if (call) return `${what}${table} in ${code(calleeName(call) ?? "a helper")} called at line ${lineOf(call)}`;
  return `${what}${table} at line ${lineOf(rowLock.access.node)}`;
}
