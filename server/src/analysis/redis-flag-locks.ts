// Redis locks taken in two steps: the key read (`GET`, `EXISTS`) and the caller turned away when it is there, then a
// plain `SET` of it (no NX) before the work and a `DEL` after it — `if (await redis.get(k)) return; await redis.set(k,
// "1"); await work(); await redis.del(k)`, written out or through helpers of the file that send one command each
// (`isLocked(job)`, `lock(job)`, `unlock(job)`). The code means a lock, but the read and the write are two round trips:
// two callers can both read the key absent before either sets it, and both run the work. So does a key set before the
// work and set again after it (an idempotency record marked "processing", then overwritten with the response): the
// first SET marks the work in progress. A SET with NX is a lock of its own (locks.ts), and a key read and set once,
// with no DEL or second SET after the work, is a cache or a record, not a lock.
import { ts } from "../engine/ts";
import { calleeName, isAsync, isInside, mentions, outerExpression, receiverOf, skipAwait, skipParens, type FunctionLike } from "./ast";
import { isRedisClient } from "./db/redis";
import { alwaysExits, mayRunAfter } from "./flow/queries";
import { declarationOf } from "./identity";
import { nodesOfKinds, walkFunctionBody } from "./node-index";
import { isFreshPerCallValue, passesTtl, redisSetFlags } from "./locks";
import { namedFunctionsIn } from "./slow-calls";

export interface RedisFlagLock {
  /** The read that finds the key free (`redis.get(key)`, or the call of a helper sending it). */
  test: ts.CallExpression;
  /** The plain SET that marks it taken (or the call of a helper sending it). */
  set: ts.CallExpression;
  /** A DEL of the key after the work (or the call of a helper sending it): on a path where the work succeeds if one exists. */
  release: ts.CallExpression;
  /**
   * Every such DEL is in a `catch` the work's failure reaches: the key is given back only when the work fails and kept
   * when it succeeds, a "done or in progress" marker rather than a lock released after the section.
   */
  releasedOnlyOnFailure: boolean;
  /** No DEL: the key is set again after the work (the in-progress mark replaced by the finished record), `release`. */
  overwrittenAfterWork: boolean;
  /** The key's text in the terms of the function that takes the lock (a helper's parameters replaced by the arguments). */
  key: string;
  /** The SET gives the key an expiry (`EX`, `PX`, SETEX). */
  expires: boolean;
}

/** One Redis command a statement of the function sends, directly or through a helper of the file. */
interface RedisStep {
  /** The call in the function: the command, or the helper's call. */
  call: ts.CallExpression;
  /** The command sent (`get`, `set`, `del`, lower case), and the call that sends it. */
  command: string;
  sent: ts.CallExpression;
  /** The client and the key, as text in the function's terms (a helper's parameters replaced by the arguments). */
  client: string;
  key: string;
}

const TESTS = new Set(["get", "exists"]);
const SETS = new Set(["set", "setex", "psetex"]);
const RELEASES = new Set(["del", "unlink"]);

const cache = new WeakMap<ts.SourceFile, RedisFlagLock[]>();

/** The two-step Redis locks of a file, one per marking SET. */
export function redisFlagLocksIn(sourceFile: ts.SourceFile): readonly RedisFlagLock[] {
  let found = cache.get(sourceFile);
  if (found) return found;
  found = [];
  // Only files that send a SET of some kind and a DEL have any.
  const text = sourceFile.text;
  if (/\.(set|setex|psetex|setEx|pSetEx)\(/i.test(text) && /\.(del|unlink|get|exists)\(/i.test(text))
    for (const fn of asyncFunctionsIn(sourceFile)) {
      const steps = stepsOf(fn);
      for (const set of steps) {
        const lock = SETS.has(set.command) ? flagLockAt(set, steps, fn) : undefined;
        if (lock) found.push(lock);
      }
    }
  cache.set(sourceFile, found);
  return found;
}

function asyncFunctionsIn(sourceFile: ts.SourceFile): FunctionLike[] {
  const kinds = [
    ts.SyntaxKind.FunctionDeclaration,
    ts.SyntaxKind.MethodDeclaration,
    ts.SyntaxKind.ArrowFunction,
    ts.SyntaxKind.FunctionExpression,
  ];
  return nodesOfKinds<FunctionLike>(sourceFile, kinds).filter((fn) => !!fn.body && isAsync(fn));
}

/** The Redis command a call sends through a client (`redis.get(k)`, node-redis `client.setEx(k, s, v)`), lower case. */
function commandOf(call: ts.CallExpression): string | undefined {
  const name = calleeName(call)?.toLowerCase();
  const receiver = receiverOf(call);
  return name && receiver && call.arguments.length > 0 && isRedisClient(receiver) ? name : undefined;
}

/** The Redis steps of `fn`'s own body, in source order. */
function stepsOf(fn: FunctionLike): RedisStep[] {
  const steps: RedisStep[] = [];
  walkFunctionBody(fn.body!, (node) => {
    if (!ts.isCallExpression(node)) return;
    const step = directStep(node) ?? helperStep(node);
    if (step) steps.push(step);
  });
  return steps;
}

function directStep(call: ts.CallExpression): RedisStep | undefined {
  const command = commandOf(call);
  if (!command) return undefined;
  return { call, command, sent: call, client: receiverOf(call)!.getText(), key: skipParens(call.arguments[0]!).getText() };
}

/**
 * A call of a function of the file (`this.lock(job)`, `unlock(job)`) whose body sends one Redis command and nothing else
 * through a client: that command, its key written in the caller's terms.
 */
function helperStep(call: ts.CallExpression): RedisStep | undefined {
  const name = calleeName(call);
  const callee = name === undefined ? undefined : namedFunctionsIn(call.getSourceFile()).get(name);
  if (!callee?.body || isInside(call, callee)) return undefined;
  const only = onlyCommandOf(callee);
  const key = only && inCallTerms(skipParens(only.arguments[0]!), callee, call);
  return only && key !== undefined ? { call, command: commandOf(only)!, sent: only, client: receiverOf(only)!.getText(), key } : undefined;
}

const onlyCommands = new WeakMap<FunctionLike, ts.CallExpression | null>();

/** The one Redis command a function's body sends, when it sends exactly one. */
function onlyCommandOf(fn: FunctionLike): ts.CallExpression | undefined {
  let only = onlyCommands.get(fn);
  if (only === undefined) {
    const sent: ts.CallExpression[] = [];
    walkFunctionBody(fn.body!, (node) => {
      if (ts.isCallExpression(node) && commandOf(node)) sent.push(node);
    });
    onlyCommands.set(fn, (only = sent.length === 1 ? sent[0]! : null));
  }
  return only ?? undefined;
}

/** `expr`'s text with each of `callee`'s parameters replaced by the argument `call` passes for it; undefined if one is missing. */
function inCallTerms(expr: ts.Expression, callee: FunctionLike, call: ts.CallExpression): string | undefined {
  const text = expr.getSourceFile().text;
  let out = "";
  let at = expr.getStart();
  let missing = false;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) {
      const declaration = declarationOf(node);
      const index = declaration && ts.isParameter(declaration) ? callee.parameters.indexOf(declaration) : -1;
      if (index >= 0) {
        const argument = call.arguments[index];
        if (!argument || ts.isSpreadElement(argument)) missing = true;
        else {
          out += text.slice(at, node.getStart()) + skipParens(argument).getText();
          at = node.getEnd();
        }
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(expr);
  return missing ? undefined : out + text.slice(at, expr.getEnd());
}

function flagLockAt(set: RedisStep, steps: readonly RedisStep[], fn: FunctionLike): RedisFlagLock | undefined {
  const flags = set.command === "set" ? redisSetFlags(set.sent) : undefined;
  if (flags?.nx || flags?.get) return undefined;
  // A key made from a value this call generates (`payment_lock:${genId()}`) is one no other caller can test or set.
  const keyParts = set.call === set.sent ? set.call.arguments.slice(0, 1) : set.call.arguments.filter((a) => set.key.includes(a.getText()));
  if (keyParts.some((part) => isFreshPerCallValue(part))) return undefined;
  const same = (step: RedisStep, commands: ReadonlySet<string>) =>
    commands.has(step.command) && step.client === set.client && step.key === set.key;
  const test = steps.find((step) => same(step, TESTS) && mayRunAfter(step.call, set.call) && turnsAwayWhenPresent(step.call, set.call, fn));
  if (!test) return undefined;
  // A DEL after the work: the key marks work in progress, given back when it ends (or only when it fails).
  const releases = steps.filter(
    (step) => same(step, RELEASES) && mayRunAfter(set.call, step.call) && workBetween(fn, steps, set.call, step.call),
  );
  const onSuccess = releases.find((step) => !inCatchAfter(step.call, set.call, fn));
  // Else a second SET of the key after the work: the mark set before it says the work is in progress.
  const overwrite =
    releases.length === 0
      ? steps.find(
          (step) => step !== set && same(step, SETS) && mayRunAfter(set.call, step.call) && workBetween(fn, steps, set.call, step.call),
        )
      : undefined;
  const release = onSuccess ?? releases[0] ?? overwrite;
  if (!release) return undefined;
  return {
    test: test.call,
    set: set.call,
    release: release.call,
    releasedOnlyOnFailure: !onSuccess && !overwrite,
    overwrittenAfterWork: !!overwrite,
    key: set.key,
    expires: set.command !== "set" || !!flags?.expires || passesTtl(set.sent),
  };
}

/**
 * The read's result decides an `if` before the SET whose branch leaves (`if (held) return`), tested directly or
 * through the `const` it initialises; the SET comes after that `if`, not inside it.
 */
function turnsAwayWhenPresent(test: ts.CallExpression, set: ts.CallExpression, fn: FunctionLike): boolean {
  const value = outerExpression(test);
  const parent = value.parent;
  const name = ts.isVariableDeclaration(parent) && parent.initializer === value && ts.isIdentifier(parent.name) ? parent.name : undefined;
  let decides = false;
  walkFunctionBody(fn.body!, (node) => {
    if (decides) return false;
    if (ts.isIfStatement(node) && node.getEnd() <= set.getStart() && alwaysExits(node.thenStatement)) {
      const condition = node.expression;
      decides = isInside(value, condition) || (!!name && mentions(condition, new Set([name.text])));
    }
    return !decides;
  });
  return decides;
}

/** `release` is in a `catch` clause of `fn` that `set` is not in: it runs only when something after the SET threw. */
function inCatchAfter(release: ts.CallExpression, set: ts.CallExpression, fn: FunctionLike): boolean {
  for (let node: ts.Node = release; node !== fn; node = node.parent) if (ts.isCatchClause(node)) return !isInside(set, node);
  return false;
}

/** Some awaited call other than the Redis steps may run between the SET and the DEL: the work the key marks. */
function workBetween(fn: FunctionLike, steps: readonly RedisStep[], set: ts.CallExpression, release: ts.CallExpression): boolean {
  const redis = new Set(steps.map((step) => step.call));
  let found = false;
  walkFunctionBody(fn.body!, (node) => {
    if (found) return false;
    if (ts.isAwaitExpression(node)) {
      const awaited = skipAwait(node);
      found = ts.isCallExpression(awaited) && !redis.has(awaited) && mayRunAfter(set, awaited) && mayRunAfter(awaited, release);
    }
    return !found;
  });
  return found;
}
