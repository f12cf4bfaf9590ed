// Where a lock is held inside a function: the callback of a scoped form (`runExclusive(fn)`, `redlock.using`,
// `withLease`), the statements between an acquisition and its release, and (for SET NX locks) which DEL/UNLINK/EVAL
// calls of the file release which key. Built on locks.ts, so "what is a lock" means the same thing as everywhere else.
import { ts } from "../engine/ts";
import { boundNames, calleeName, enclosingFunction, expressionKey, receiverOf, skipParens, walk } from "./ast";
import { isReleaseOf, lockAcquisitionOf, resultBinding, type LockAcquisition } from "./locks";

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
const redisLockCache = new WeakMap<ts.SourceFile, RedisNxLock[]>();

/**
 * The SET NX / SETNX calls of a file that take a lock, each with its releases. A SET NX counts as a lock when it is
 * released somewhere in the file or its key says it is one (`lock:order:${id}`); a set-once marker
 * (`processed:${id}`) that is never deleted is not a lock.
 */
export function redisNxLocks(sourceFile: ts.SourceFile, checker: () => ts.TypeChecker): RedisNxLock[] {
  const cached = redisLockCache.get(sourceFile);
  if (cached) return cached;
  const acquisitions: Array<RedisNxLock["acquisition"]> = [];
  const deletions: ts.CallExpression[] = [];
  walk(sourceFile, (node) => {
    if (!ts.isCallExpression(node)) return;
    const name = calleeName(node)?.toLowerCase();
    if (name === "set" || name === "setnx") {
      const acquisition = lockAcquisitionOf(node, checker);
      if (acquisition?.mechanism === "redis-set-nx" && acquisition.key) acquisitions.push(acquisition as RedisNxLock["acquisition"]);
    } else if ((name === "del" || name === "unlink" || name === "eval" || name === "evalsha") && receiverOf(node)) {
      deletions.push(node);
    }
  });
  const matching = (acquisition: RedisNxLock["acquisition"]) => {
    const names = new Set((resultBinding(acquisition) ? boundNames(resultBinding(acquisition)!) : []).map((id) => id.text));
    const bareKey = ts.isIdentifier(skipParens(acquisition.key));
    return deletions.filter((call) => isReleaseOf(call, acquisition, names) && (!bareKey || enclosingFunction(call) === enclosingFunction(acquisition.call) || sameClass(call, acquisition.call)));
  };
  const candidates = acquisitions.map((acquisition) => ({ acquisition, releases: matching(acquisition) }));
  // Each release belongs to one lock: the nearest acquisition before it in the same function, else the file's first.
  const owner = new Map<ts.CallExpression, RedisNxLock["acquisition"]>();
  for (const { acquisition, releases } of candidates) {
    for (const release of releases) {
      const current = owner.get(release);
      const local = enclosingFunction(release) === enclosingFunction(acquisition.call) && acquisition.call.end <= release.pos;
      const currentLocal = current !== undefined && enclosingFunction(release) === enclosingFunction(current.call) && current.call.end <= release.pos;
      if (!current || (local && (!currentLocal || current.call.pos < acquisition.call.pos))) owner.set(release, acquisition);
    }
  }
  const locks: RedisNxLock[] = [];
  for (const { acquisition, releases } of candidates) {
    if (releases.length > 0 || LOCK_LIKE_KEY.test(acquisition.key.getText(sourceFile))) locks.push({ acquisition, releases: releases.filter((r) => owner.get(r) === acquisition) });
  }
  redisLockCache.set(sourceFile, locks);
  return locks;
}

/** Both nodes are in methods of one class (a lock helper class with `acquire(key)` and `release(key)`). */
function sameClass(a: ts.Node, b: ts.Node): boolean {
  const classOf = (node: ts.Node) => {
    const fn = enclosingFunction(node);
    return fn && ts.isMethodDeclaration(fn) && ts.isClassLike(fn.parent) ? fn.parent : undefined;
  };
  const cls = classOf(a);
  return cls !== undefined && cls === classOf(b);
}

/** Redis commands that (re)set a key's expiry. */
export function isExpiryOf(call: ts.CallExpression, key: ts.Expression): boolean {
  const name = calleeName(call)?.toLowerCase();
  return (name === "pexpire" || name === "expire" || name === "pexpireat" || name === "expireat") && call.arguments[0] !== undefined && expressionKey(call.arguments[0]) === expressionKey(key);
}
