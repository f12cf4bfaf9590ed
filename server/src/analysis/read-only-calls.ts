// Whether an expression only reads shared state: a database or Redis read, `Promise.all` of reads, or a call of a
// project function whose body reads and computes but writes nothing and awaits nothing else (followed to any
// depth). The lock rules ask it of code that runs next to a lock: a read needs no lock, so it neither starts a critical
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
import { solveBottomUp } from "./flow/bottom-up";
import type { CalleeResolver } from "./summaries";

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

export function readsOnly(expr: ts.Expression, resolve: CalleeResolver): boolean {
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
      list.elements.every((element) => !ts.isSpreadElement(element) && readsOnly(element, resolve))
    );
  }
  const fn = resolve(node);
  return !!fn && bodyReadsOnly(fn, resolve);
}

const summaries = new WeakMap<CalleeResolver, WeakMap<FunctionLike, boolean>>();

/**
 * Every statement of the body a call runs is a read, or a call that does not wait (local computation); the project
 * functions it calls likewise, solved bottom-up on the core's fixpoint (`solveBottomUp`), so a chain of any length
 * counts. A function in a recursive cycle starts as "not only reads", so a cycle reads only if every member does
 * without the others' help — never, as for a function calling itself.
 */
function bodyReadsOnly(fn: FunctionLike, resolve: CalleeResolver): boolean {
  let store = summaries.get(resolve);
  if (!store) summaries.set(resolve, (store = new WeakMap()));
  const bodies = new Map<FunctionLike, BodyCalls | undefined>();
  const callsOf = (f: FunctionLike) => {
    if (!bodies.has(f)) bodies.set(f, callsIn(f, resolve));
    return bodies.get(f);
  };
  return solveBottomUp<boolean>(
    fn,
    {
      callees: (f) => callsOf(f)?.flatMap(({ callee }) => (callee ? [callee] : [])) ?? [],
      compose: (f, readsOnlyAt) =>
        callsOf(f)?.every(({ call, callee }) => (callee ? readsOnlyAt(callee) : !waitsOnLibrary(call, f))) ?? false,
      same: (a, b) => a === b,
      empty: false,
    },
    store,
  );
}

type BodyCalls = Array<{ call: ts.CallExpression; callee: FunctionLike | undefined }>;

/**
 * The calls of `fn`'s body other than reads, with the project function each runs; undefined when the body writes
 * to the database (or has no body).
 */
function callsIn(fn: FunctionLike, resolve: CalleeResolver): BodyCalls | undefined {
  if (!fn.body) return undefined;
  const out: BodyCalls = [];
  for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS)) {
    const access = dbAccessOf(call);
    if (access) {
      if (access.kind !== "read") return undefined;
      continue;
    }
    if (!ts.isCallExpression(call) || isRedisRead(call)) continue;
    out.push({ call, callee: resolve(call) });
  }
  return out;
}

/**
 * A library call awaited, or handed back by an async function, may do anything (an HTTP POST); others compute, and
 * so do the language's own (`Object.fromEntries`, `Number`) and `Promise.all`.
 */
function waitsOnLibrary(call: ts.CallExpression, fn: FunctionLike): boolean {
  const awaited =
    ts.isAwaitExpression(call.parent) ||
    (isAsync(enclosingFunction(call) ?? fn) && (ts.isReturnStatement(call.parent) || isFunctionLike(call.parent)) && !isBuiltIn(call));
  return awaited && !COMBINATORS.has(calleeName(call) ?? "");
}
