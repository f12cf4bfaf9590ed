// Whether an expression only reads shared state: a database or Redis read, `Promise.all` of reads, or a call of a
// project function whose body reads and computes but writes nothing and awaits nothing else (followed a few calls
// deep). The lock rules ask it of code that runs next to a lock: a read needs no lock, so it neither starts a critical
// section before the acquisition's result is checked nor runs unprotected when the lock is released before it settles.
import { ts } from "../engine/ts";
import {
  CALL_KINDS,
  calleeName,
  enclosingFunction,
  isAsync,
  isFunctionLike,
  nodesOfKinds,
  receiverOf,
  skipAwait,
  type FunctionLike,
} from "./ast";
import { dbAccessOf } from "./db";
import { isRedisClient } from "./db/redis";
import type { CalleeResolver } from "./summaries";

const MAX_DEPTH = 3;
const COMBINATORS = new Set(["all", "allSettled"]);
/** Redis commands that only read (beyond GET / HGET, which `dbAccessOf` knows). */
const REDIS_READ_COMMANDS =
  /^(get|mget|hget|hgetall|hmget|hkeys|hvals|hlen|hexists|exists|ttl|pttl|strlen|lrange|llen|lindex|smembers|sismember|scard|zrange|zrangebyscore|zrevrange|zscore|zcard|zcount|xrange|xlen)$/i;

const BUILT_INS = /^(Object|Array|JSON|Math|Number|String|Boolean|Date|BigInt|parseInt|parseFloat)$/;

/** A call of the language's own functions (`Object.entries(…)`, `Number(x)`, `JSON.parse(…).map(…)`). */
function isBuiltIn(call: ts.CallExpression): boolean {
  let root: ts.Expression = call.expression;
  while (ts.isPropertyAccessExpression(root) || ts.isCallExpression(root))
    root = ts.isPropertyAccessExpression(root) ? root.expression : root.expression;
  return ts.isIdentifier(root) && BUILT_INS.test(root.text);
}

/** A read-only Redis command on a Redis client. */
function isRedisRead(call: ts.CallExpression): boolean {
  const receiver = receiverOf(call);
  return !!receiver && REDIS_READ_COMMANDS.test(calleeName(call) ?? "") && isRedisClient(receiver);
}

export function readsOnly(expr: ts.Expression, resolve: CalleeResolver, depth = 0): boolean {
  const node = skipAwait(expr);
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return false;
  const access = dbAccessOf(node);
  if (access) return access.kind === "read";
  if (!ts.isCallExpression(node)) return false;
  if (isRedisRead(node)) return true;
  // `Promise.all([read(a), read(b)])`.
  const callee = node.expression;
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Promise") {
    const list = node.arguments[0];
    return (
      COMBINATORS.has(callee.name.text) &&
      !!list &&
      ts.isArrayLiteralExpression(list) &&
      list.elements.every((element) => !ts.isSpreadElement(element) && readsOnly(element, resolve, depth))
    );
  }
  const fn = depth < MAX_DEPTH ? resolve(node) : undefined;
  return !!fn && bodyReadsOnly(fn, resolve, depth + 1);
}

/** Every statement of the body a call runs is a read, or a call that does not wait (local computation). */
function bodyReadsOnly(fn: FunctionLike, resolve: CalleeResolver, depth: number): boolean {
  if (!fn.body) return false;
  const calls = nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS);
  for (const call of calls) {
    const access = dbAccessOf(call);
    if (access) {
      if (access.kind !== "read") return false;
      continue;
    }
    if (!ts.isCallExpression(call) || isRedisRead(call)) continue;
    // A library call awaited, or handed back by an async function, may do anything (an HTTP POST); others compute,
    // and so do the language's own (`Object.fromEntries`, `Number`).
    const awaited =
      ts.isAwaitExpression(call.parent) ||
      (isAsync(enclosingFunction(call) ?? fn) && (ts.isReturnStatement(call.parent) || isFunctionLike(call.parent)) && !isBuiltIn(call));
    const callee = resolve(call);
    if (callee ? depth >= MAX_DEPTH || !bodyReadsOnly(callee, resolve, depth + 1) : awaited && !COMBINATORS.has(calleeName(call) ?? ""))
      return false;
  }
  return true;
}
