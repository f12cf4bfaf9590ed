// Where a lock is held inside a function: the callback of a scoped form (`runExclusive(fn)`, `redlock.using`,
// `withLease`), the code between an acquisition and the release that runs before it on every path, and the part of a
// database transaction after its first row lock (FOR UPDATE, UPDATE, an ORM lock option) until COMMIT/ROLLBACK. Also
// which DEL/UNLINK/EVAL calls of a file release which SET NX lock. Built on locks.ts and transactions.ts, so "what is
// a lock" and "what is a transaction" mean the same thing as everywhere else.
import { ts } from "../engine/ts";
import {
  CALL_KINDS,
  boundNames,
  calleeName,
  code,
  enclosingFunction,
  expressionKey,
  isFunctionLike,
  isInside,
  lineOf,
  nodesOfKinds,
  receiverOf,
  skipAwait,
  skipParens,
  stringValue,
  type FunctionLike,
} from "./ast";
import { alwaysExits } from "./control-flow";
import { isDisposedByUsing, isReleaseOf, lockAcquisitionsIn, resultBinding, type LockAcquisition } from "./locks";
import { calleeResolver } from "./summaries";
import { rowLocksHeldAt, transactionScopeOf, type RowLock, type TransactionScope } from "./transactions";

/** A Redis SET NX / SETNX lock of one file with the calls that release its key. */
export interface RedisNxLock {
  acquisition: LockAcquisition & { call: ts.CallExpression; key: ts.Expression };
  /**
   * DEL / UNLINK / EVAL calls of the same key (same function or class, or same file when the key is not a bare name).
   * Each release is listed under one lock only: the nearest acquisition before it in its function.
   */
  releases: ts.CallExpression[];
}

const LOCK_LIKE_KEY = /lock|mutex|lease|leader|semaphore/i;
const redisLockCache = new WeakMap<ts.Program, WeakMap<ts.SourceFile, RedisNxLock[]>>();

/** A cache per Program and file: an unchanged SourceFile is reused by the next Program, but what its names resolve to may change. */
function cacheFor<T>(cache: WeakMap<ts.Program, WeakMap<ts.SourceFile, T>>, program: ts.Program): WeakMap<ts.SourceFile, T> {
  let perFile = cache.get(program);
  if (!perFile) cache.set(program, (perFile = new WeakMap()));
  return perFile;
}

/**
 * The SET NX / SETNX calls of a file that take a lock, each with its releases. A SET NX counts as a lock when it is
 * released somewhere in the file or its key says it is one (`lock:order:${id}`); a set-once marker
 * (`processed:${id}`) that is never deleted is not a lock.
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
  const places = new Map<ts.Node, { fn: FunctionLike | undefined; cls: ts.Node | undefined }>();
  const placeOf = (call: ts.Node) => {
    let place = places.get(call);
    if (!place) places.set(call, (place = { fn: enclosingFunction(call), cls: classOf(call) }));
    return place;
  };
  const matching = (acquisition: RedisNxLock["acquisition"]) => {
    const names = new Set((resultBinding(acquisition) ? boundNames(resultBinding(acquisition)!) : []).map((id) => id.text));
    // A bare name (`key`) means the same key only in the same function, or in methods of one lock helper class.
    const here = ts.isIdentifier(skipParens(acquisition.key)) ? placeOf(acquisition.call) : undefined;
    return deletions.filter((call) => {
      if (here) {
        const there = placeOf(call);
        if (there.fn !== here.fn && (here.cls === undefined || there.cls !== here.cls)) return false;
      }
      return isReleaseOf(call, acquisition, names);
    });
  };
  const candidates = acquisitions.map((acquisition) => ({ acquisition, releases: matching(acquisition) }));
  // Each release belongs to one lock: the nearest acquisition before it in the same function, else the file's first.
  const owner = new Map<ts.CallExpression, RedisNxLock["acquisition"]>();
  for (const { acquisition, releases } of candidates) {
    for (const release of releases) {
      const current = owner.get(release);
      const local = placeOf(release).fn === placeOf(acquisition.call).fn && acquisition.call.end <= release.pos;
      const currentLocal = current !== undefined && placeOf(release).fn === placeOf(current.call).fn && current.call.end <= release.pos;
      if (!current || (local && (!currentLocal || current.call.pos < acquisition.call.pos))) owner.set(release, acquisition);
    }
  }
  const locks: RedisNxLock[] = [];
  for (const { acquisition, releases } of candidates) {
    if (releases.length > 0 || LOCK_LIKE_KEY.test(acquisition.key.getText(sourceFile)))
      locks.push({ acquisition, releases: releases.filter((r) => owner.get(r) === acquisition) });
  }
  cache.set(sourceFile, locks);
  return locks;
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
    expressionKey(call.arguments[0]) === expressionKey(key)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Held regions.

/** What is held: an in-process lock, a distributed lease (Redis, advisory, named), or a transaction's row locks. */
export type HeldKind = "mutex" | "lease" | "transaction";

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
  /** For transactions: the scope and the row locks held at the node asked about. */
  transaction?: { scope: TransactionScope; rowLocks: RowLock[] };
  /** For mutexes and leases: whether another node of the same function runs while it is held. */
  holds?: (node: ts.Node) => boolean;
}

const LEASE_MECHANISMS = new Set(["redis-set-nx", "redlock", "redis-semaphore", "lease", "pg-advisory", "mysql-named"]);
const MUTEX_MECHANISMS = new Set(["mutex", "rwlock", "keyed-lock"]);

interface Region {
  lock: HeldLock;
  /** The function whose own code (not nested functions') the lock is held over: a cheap first test for `contains`. */
  scope: ts.Node;
  contains(node: ts.Node): boolean;
}

const regionCache = new WeakMap<ts.Program, WeakMap<ts.SourceFile, Region[]>>();

/** The mutexes and leases of a file with the code each is held over. Semaphores are left out: they bound concurrency
 * on purpose (holding a permit across a slow call is what they are for). Cached per file. */
function lockRegionsOf(sourceFile: ts.SourceFile, program: ts.Program, checker: () => ts.TypeChecker): Region[] {
  const cache = cacheFor(regionCache, program);
  const cached = cache.get(sourceFile);
  if (cached) return cached;
  const regions: Region[] = [];
  const acquisitions = lockAcquisitionsIn(sourceFile, program, checker).filter(
    (a) => LEASE_MECHANISMS.has(a.mechanism) || MUTEX_MECHANISMS.has(a.mechanism),
  );
  const calls = acquisitions.length > 0 ? nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(sourceFile, CALL_KINDS) : [];
  for (const acquisition of acquisitions) {
    const lock: HeldLock = {
      kind: LEASE_MECHANISMS.has(acquisition.mechanism) ? "lease" : "mutex",
      label: acquisition.label,
      expires: acquisition.expires,
      takenAt: acquisition.call,
      acquisition,
    };
    if (acquisition.style === "scoped") {
      const callback = acquisition.callback;
      if (!callback) continue;
      lock.callback = callback;
      regions.push({ lock, scope: callback, contains: (node) => enclosingFunction(node) === callback });
      continue;
    }
    if (acquisition.transactionScoped) continue; // held until COMMIT: covered by the transaction's own region
    const fn = enclosingFunction(acquisition.call) ?? sourceFile;
    const binding = resultBinding(acquisition);
    const names = new Set(binding ? boundNames(binding).map((id) => id.text) : []);
    const releases = isDisposedByUsing(acquisition)
      ? []
      : callsBetween(calls, acquisition.call.end, fn.end).filter(
          (call) => (enclosingFunction(call) ?? sourceFile) === fn && isReleaseOf(call, acquisition, names),
        );
    const usingBlock = isDisposedByUsing(acquisition) ? outerBlock(acquisition.call) : undefined;
    regions.push({
      lock,
      scope: fn,
      contains: (node) =>
        (enclosingFunction(node) ?? sourceFile) === fn &&
        runsAfter(acquisition.call, node) &&
        !onlyWhenAcquisitionFailed(acquisition.call, node) &&
        (acquisition.style !== "try" || acquiredOnPathTo(acquisition, names, node)) &&
        (!usingBlock || isInside(node, usingBlock)) &&
        !releases.some((release) => runsAfter(release, node)),
    });
  }
  for (const region of regions) region.lock.holds = region.contains;
  cache.set(sourceFile, regions);
  return regions;
}

/**
 * True if `node` is in the catch clause of a try block where nothing after the acquisition can throw (`try { return
 * await lock.acquire() } catch { … }`, or `const l = await lock.acquire(); return l;`): that catch runs only when the
 * acquisition failed, so no lock is held in it.
 */
function onlyWhenAcquisitionFailed(call: ts.Node, node: ts.Node): boolean {
  for (let child: ts.Node = call, parent = call.parent; parent && !isFunctionLike(parent); child = parent, parent = parent.parent) {
    if (!ts.isTryStatement(parent) || child !== parent.tryBlock) continue;
    if (!parent.catchClause || !isInside(node, parent.catchClause)) return false;
    const statements = parent.tryBlock.statements;
    const index = statements.findIndex((statement) => isInside(call, statement));
    return index >= 0 && endsWith(statements[index]!, call) && statements.slice(index + 1).every(cannotThrow);
  }
  return false;
}

/** `return`, `return name`, `break`, `continue`: statements that cannot throw. */
function cannotThrow(statement: ts.Statement): boolean {
  if (ts.isBreakStatement(statement) || ts.isContinueStatement(statement)) return true;
  return ts.isReturnStatement(statement) && (!statement.expression || ts.isIdentifier(statement.expression));
}

/** The statement does nothing after `call`: `await call;`, `return await call;`, `const x = await call;`, `x = await call;`. */
function endsWith(statement: ts.Statement, call: ts.Node): boolean {
  const expression = ts.isReturnStatement(statement) || ts.isExpressionStatement(statement) ? statement.expression : undefined;
  const declaration = ts.isVariableStatement(statement) ? statement.declarationList.declarations : undefined;
  let value = expression ?? (declaration?.length === 1 ? declaration[0]!.initializer : undefined);
  while (value) {
    if (ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.EqualsToken) value = value.right;
    else if (ts.isAsExpression(value) || ts.isNonNullExpression(value) || ts.isSatisfiesExpression(value)) value = value.expression;
    else if (ts.isParenthesizedExpression(value) || ts.isAwaitExpression(value)) value = value.expression;
    else return value === call;
  }
  return false;
}

function outerBlock(node: ts.Node): ts.Node | undefined {
  for (let current = node.parent; current; current = current.parent) if (ts.isBlock(current) || ts.isSourceFile(current)) return current;
  return undefined;
}

/**
 * True if `before` has run, on every path, by the time `node` runs: it ends earlier in source order, and the way up
 * from `before` to the statement list that also contains `node` crosses no branch, loop body or catch clause.
 * Straight-line approximation: a loop's next iteration is not considered.
 */
export function runsAfter(before: ts.Node, node: ts.Node): boolean {
  if (before.getEnd() > node.getStart()) return false;
  let child: ts.Node = before;
  for (let parent = before.parent; parent; child = parent, parent = parent.parent) {
    if (isInside(node, parent)) return child.getEnd() <= node.getStart();
    if (ts.isFunctionLike(parent)) return false;
    if (ts.isIfStatement(parent) && child !== parent.expression) return false;
    if (ts.isConditionalExpression(parent) && child !== parent.condition) return false;
    if (ts.isBinaryExpression(parent) && child === parent.right && isShortCircuit(parent.operatorToken.kind)) return false;
    if (
      (ts.isWhileStatement(parent) || ts.isForStatement(parent) || ts.isForOfStatement(parent) || ts.isForInStatement(parent)) &&
      child === parent.statement
    )
      return false;
    if (ts.isCatchClause(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent)) return false;
  }
  return false;
}

function isShortCircuit(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.AmpersandAmpersandToken || kind === ts.SyntaxKind.BarBarToken || kind === ts.SyntaxKind.QuestionQuestionToken
  );
}

/**
 * For a try-style acquisition (SET NX, pg_try_advisory_lock): whether `node` runs only when it succeeded. The node
 * must not sit in the failure branch of a test of the result (`if (!ok) { await sleep(50) }`, a spin loop's body),
 * nor after a success branch that leaves (`if (ok) break;`). A test whose polarity cannot be read counts as failure.
 */
function acquiredOnPathTo(acquisition: LockAcquisition, names: ReadonlySet<string>, node: ts.Node): boolean {
  const call = acquisition.call;
  for (let child: ts.Node = node, parent = node.parent; parent && !ts.isFunctionLike(child); child = parent, parent = parent.parent) {
    const condition =
      ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)
        ? parent.expression
        : ts.isForStatement(parent) || ts.isConditionalExpression(parent)
          ? parent.condition
          : undefined;
    if (condition && child !== condition && testsAcquisition(condition, call, names)) {
      const truthMeansAcquired = acquiredWhenTrue(condition, call, names);
      const inTrueBranch = ts.isIfStatement(parent)
        ? child === parent.thenStatement
        : ts.isConditionalExpression(parent)
          ? child === parent.whenTrue
          : true;
      if (truthMeansAcquired === undefined || truthMeansAcquired !== inTrueBranch) return false;
    }
    // `if (ok) break;` before `node` in the same block: what follows runs only on failure.
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      for (const statement of parent.statements) {
        if (statement.getEnd() > node.getStart() || !ts.isIfStatement(statement) || !testsAcquisition(statement.expression, call, names))
          continue;
        const truth = acquiredWhenTrue(statement.expression, call, names);
        const successBranch = truth === undefined ? undefined : truth ? statement.thenStatement : statement.elseStatement;
        if (truth === undefined || alwaysExits(successBranch)) return false;
      }
    }
  }
  return true;
}

function testsAcquisition(condition: ts.Expression, call: ts.Node, names: ReadonlySet<string>): boolean {
  if (isInside(call, condition)) return true;
  let found = false;
  const look = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && names.has(n.text)) found = true;
    if (!found) ts.forEachChild(n, look);
  };
  look(condition);
  return found;
}

/** Whether `condition` being true means the lock was acquired; undefined when that cannot be read. */
function acquiredWhenTrue(condition: ts.Expression, call: ts.Node, names: ReadonlySet<string>): boolean | undefined {
  const node = skipAwait(condition);
  if (node === call || (ts.isIdentifier(node) && names.has(node.text))) return true;
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = acquiredWhenTrue(node.operand, call, names);
    return inner === undefined ? undefined : !inner;
  }
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken)
      return acquiredWhenTrue(node.left, call, names) === true || acquiredWhenTrue(node.right, call, names) === true ? true : undefined;
    const equality =
      op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken
        ? true
        : op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken
          ? false
          : undefined;
    if (equality === undefined) return undefined;
    const [subject, other] =
      acquiredWhenTrue(node.left, call, names) === true
        ? [node.left, node.right]
        : acquiredWhenTrue(node.right, call, names) === true
          ? [node.right, node.left]
          : [undefined, undefined];
    if (!subject || !other) return undefined;
    const value = skipParens(other);
    const success =
      stringValue(value) === "OK" || value.kind === ts.SyntaxKind.TrueKeyword || (ts.isNumericLiteral(value) && value.text === "1");
    const failure =
      value.kind === ts.SyntaxKind.NullKeyword ||
      value.kind === ts.SyntaxKind.FalseKeyword ||
      (ts.isIdentifier(value) && value.text === "undefined") ||
      (ts.isNumericLiteral(value) && value.text === "0");
    if (!success && !failure) return undefined;
    return success === equality;
  }
  return undefined;
}

/** Label of a transaction for messages. */
function transactionLabel(scope: TransactionScope): string {
  return scope.handle ? `the transaction on ${code(scope.handle)}` : "the transaction";
}

/** The calls (in document order) that start in [from, to): a binary search, as a file can have thousands. */
function callsBetween<T extends ts.Node>(calls: readonly T[], from: number, to: number): T[] {
  let low = 0;
  for (let high = calls.length; low < high;) {
    const mid = (low + high) >>> 1;
    if (calls[mid]!.pos < from) low = mid + 1;
    else high = mid;
  }
  const out: T[] = [];
  for (let i = low; i < calls.length && calls[i]!.pos < to; i++) out.push(calls[i]!);
  return out;
}

/**
 * The locks held while `node` runs, innermost first: mutexes and leases whose critical section contains it (in the
 * same function: code in a nested function runs at another time), and its transaction when that holds row locks by
 * then.
 */
export function locksHeldAt(node: ts.Node, program: ts.Program, checker: () => ts.TypeChecker): HeldLock[] {
  const sourceFile = node.getSourceFile();
  const runsIn = enclosingFunction(node) ?? sourceFile;
  const held = lockRegionsOf(sourceFile, program, checker)
    .filter((region) => region.scope === runsIn && region.contains(node))
    .map((region) => region.lock)
    .sort((a, b) => b.takenAt.getStart() - a.takenAt.getStart());
  const scope = transactionScopeOf(node);
  if (scope && (scope.callback ? enclosingFunction(node) === scope.callback : enclosingFunction(node) === enclosingFunction(scope.start))) {
    const rowLocks = rowLocksHeldAt(node, scope, calleeResolver(program, checker));
    if (rowLocks.length > 0)
      held.push({
        kind: "transaction",
        label: transactionLabel(scope),
        expires: false,
        takenAt: rowLocks[0]!.chain?.[0] ?? rowLocks[0]!.access.node,
        transaction: { scope, rowLocks },
      });
  }
  return held;
}

/** "SELECT … FOR UPDATE at line 12", for messages. */
export function rowLockDescription(rowLock: RowLock): string {
  const what = rowLock.mode === "write" ? "a write" : `a locking read (FOR ${rowLock.mode.toUpperCase()})`;
  const table = rowLock.access.table ? ` of ${code(rowLock.access.table)}` : "";
  const call = rowLock.chain?.[0];
  if (call) return `${what}${table} in ${code(calleeName(call) ?? "a helper")} called at line ${lineOf(call)}`;
  return `${what}${table} at line ${lineOf(rowLock.access.node)}`;
}
