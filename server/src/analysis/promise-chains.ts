// Promise-chain queues: a promise field that every call chains its task onto and stores back, so that tasks run one
// at a time in call order — an in-process mutex written without a library:
//
//   private tail: Promise<unknown> = Promise.resolve();
//   run<T>(task: () => Promise<T>): Promise<T> {
//     const next = this.tail.then(task);
//     this.tail = next.catch(() => undefined);   // keeps the queue alive when a task fails
//     return next;
//   }
//
// lock-wrappers.ts treats such a method as running its parameter under a lock; lock-release-not-guaranteed reports a
// chain stored without recovering from a rejection (`this.tail = this.tail.then(task)`): after one task fails, every
// later `then` skips its task and rejects with the same error, for as long as the process lives.
import { ts } from "../engine/ts";
import { calleeName, enclosingFunction, isInside, nodesOfKinds, receiverOf, skipParens, type FunctionLike } from "./ast";
import { sameIdentity } from "./identity";

export interface PromiseChain {
  /** The method that chains. */
  fn: FunctionLike;
  /** The field, as `this.tail`. */
  field: ts.PropertyAccessExpression;
  /** `this.tail.then(task)`: the task's turn. */
  then: ts.CallExpression;
  /** The assignment that stores the chain back into the field. */
  store: ts.BinaryExpression;
  /** Whether the stored chain survives a rejected task (`.catch(…)`, `.then(ok, failed)`). */
  recovers: boolean;
  /** The parameter the chained task runs: `then(task)` or `then(() => task(…))`. Chains of anything else are not queues. */
  task: number;
}

const cache = new WeakMap<ts.SourceFile, PromiseChain[]>();

/** The promise-chain queues of a file (text tests first: most files have none). */
export function promiseChainsIn(sourceFile: ts.SourceFile): readonly PromiseChain[] {
  let found = cache.get(sourceFile);
  if (found) return found;
  found = [];
  if (sourceFile.text.includes(".then(")) {
    for (const call of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
      const chain = chainAt(call);
      if (chain) found.push(chain);
    }
  }
  cache.set(sourceFile, found);
  return found;
}

/** The promise chain a method builds, if any. */
export function promiseChainOf(fn: FunctionLike): PromiseChain | undefined {
  return promiseChainsIn(fn.getSourceFile()).find((c) => c.fn === fn);
}

function chainAt(call: ts.CallExpression): PromiseChain | undefined {
  if (calleeName(call) !== "then" || call.arguments.length !== 1) return undefined;
  const field = receiverOf(call);
  const fn = enclosingFunction(call);
  if (!field || !fn?.body || !ts.isPropertyAccessExpression(field) || field.expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  const task = parameterRun(call.arguments[0]!, fn);
  if (task === undefined || !isPromiseField(field)) return undefined;
  // Locals holding the chain: `const next = this.tail.then(task)`.
  const locals = new Map<string, ts.Expression>();
  for (const declaration of nodesOfKinds<ts.VariableDeclaration>(fn.body, [ts.SyntaxKind.VariableDeclaration]))
    if (ts.isIdentifier(declaration.name) && declaration.initializer && isInside(call, declaration.initializer))
      locals.set(declaration.name.text, declaration.initializer);
  for (const store of nodesOfKinds<ts.BinaryExpression>(fn.body, [ts.SyntaxKind.BinaryExpression])) {
    if (store.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !sameIdentity(store.left, field)) continue;
    if (!isInside(call, store.right) && !mentionsAny(store.right, locals)) continue;
    const settles = recovers(store.right, locals, 0) || (storesTurn(store.right, call, locals) && neverRejects(call.arguments[0]!));
    return { fn, field, then: call, store, recovers: settles, task };
  }
  return undefined;
}

/** The stored chain is the task's turn itself (`this.tail = this.tail.then(step)`, or a local holding it). */
function storesTurn(expr: ts.Expression, then: ts.CallExpression, locals: ReadonlyMap<string, ts.Expression>): boolean {
  const node = skipParens(expr);
  if (node === then) return true;
  const local = ts.isIdentifier(node) ? locals.get(node.text) : undefined;
  return !!local && skipParens(local) === then;
}

/**
 * A step that settles its turn either way: a function literal whose whole body is one `try` whose `catch` throws
 * nothing (`async () => { try { done.resolve(await task()); } catch (e) { done.reject(e); } }`), so the chain it
 * stores never rejects.
 */
function neverRejects(step: ts.Expression): boolean {
  const node = skipParens(step);
  if ((!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) || !ts.isBlock(node.body)) return false;
  const [only, ...rest] = node.body.statements;
  if (!only || rest.length > 0 || !ts.isTryStatement(only) || !only.catchClause) return false;
  const throws = (block: ts.Block | undefined) =>
    !!block && nodesOfKinds(block, [ts.SyntaxKind.ThrowStatement], { skipFunctions: true }).length > 0;
  return !throws(only.catchClause.block) && !throws(only.finallyBlock);
}

/** The parameter of `fn` that `argument` runs: the parameter itself, or a function literal calling it. */
function parameterRun(argument: ts.Expression, fn: FunctionLike): number | undefined {
  const indexOf = (node: ts.Node) => {
    const bare = skipParens(node as ts.Expression);
    return ts.isIdentifier(bare) ? fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === bare.text) : -1;
  };
  const node = skipParens(argument);
  const direct = indexOf(node);
  if (direct >= 0) return direct;
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return undefined;
  const body = skipParens(node.body as ts.Expression);
  const calls = ts.isCallExpression(body) ? [body] : nodesOfKinds<ts.CallExpression>(node.body, [ts.SyntaxKind.CallExpression]);
  for (const call of calls) {
    const index = indexOf(call.expression);
    if (index >= 0) return index;
  }
  return undefined;
}

/** A field of the class declared as a promise: `= Promise.resolve()` or `: Promise<…>`. */
function isPromiseField(field: ts.PropertyAccessExpression): boolean {
  let cls: ts.Node | undefined = field.parent;
  while (cls && !ts.isClassLike(cls)) cls = cls.parent;
  if (!cls) return false;
  return (cls as ts.ClassLikeDeclaration).members.some((member) => {
    if (!ts.isPropertyDeclaration(member) || !ts.isIdentifier(member.name) || member.name.text !== field.name.text) return false;
    const typed = member.type && ts.isTypeReferenceNode(member.type) && member.type.typeName.getText() === "Promise";
    const init = member.initializer && skipParens(member.initializer);
    return !!typed || (!!init && ts.isCallExpression(init) && /^Promise\.(resolve|all)$/.test(init.expression.getText()));
  });
}

function mentionsAny(expr: ts.Node, locals: ReadonlyMap<string, ts.Expression>): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(node) && locals.has(node.text)) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(expr);
  return found;
}

/**
 * Whether the stored chain settles even when the task rejects: its last step is `.catch(…)` or `.then(ok, failed)`.
 * Anything the code does not show (a helper wrapping the chain) counts as recovering: the report needs certainty.
 */
function recovers(expr: ts.Expression, locals: ReadonlyMap<string, ts.Expression>, depth: number): boolean {
  const node = skipParens(expr);
  if (ts.isIdentifier(node)) return depth < 3 && locals.has(node.text) ? recovers(locals.get(node.text)!, locals, depth + 1) : true;
  if (!ts.isCallExpression(node)) return true;
  const name = calleeName(node);
  if (name === "catch" || (name === "then" && node.arguments.length >= 2)) return true;
  if (name === "then" || name === "finally") return false;
  return true;
}

/**
 * A keyed promise queue: a function given a key and a task that reads the promise stored under the key in a `Map`
 * (`const before = tails.get(key) ?? Promise.resolve()`), stores its own turn under that key (`tails.set(key, tail)`)
 * before it waits for the one it read (`await before`), and only then runs the task: the tasks of one key run one at a
 * time, as under an in-process mutex per key, written without a library.
 */
export interface KeyedPromiseQueue {
  fn: FunctionLike;
  /** The map of turns, as written at the read (`tails`, `this.locks`). */
  map: ts.Expression;
  /** The parameters: the key, and the task run after the wait. */
  key: number;
  task: number;
  /** The read of the previous turn (`tails.get(key)`). */
  read: ts.CallExpression;
  /** A call of the task that runs before the wait (a re-entry shortcut): the task may run without the queue. */
  bypass: boolean;
}

const keyedCache = new WeakMap<FunctionLike, KeyedPromiseQueue | null>();

/** The keyed promise queue `fn` implements, if any. */
export function keyedPromiseQueueOf(fn: FunctionLike): KeyedPromiseQueue | undefined {
  let found = keyedCache.get(fn);
  if (found === undefined) keyedCache.set(fn, (found = keyedQueueIn(fn) ?? null));
  return found ?? undefined;
}

function keyedQueueIn(fn: FunctionLike): KeyedPromiseQueue | undefined {
  const body = fn.body;
  if (!body || !ts.isBlock(body) || !/\.get\(/.test(body.getText()) || !/\.set\(/.test(body.getText())) return undefined;
  const paramIndex = (node: ts.Node | undefined) => {
    const bare = node && skipParens(node as ts.Expression);
    return bare && ts.isIdentifier(bare) ? fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === bare.text) : -1;
  };
  const own = (node: ts.Node) => enclosingFunction(node) === fn;
  for (const declaration of nodesOfKinds<ts.VariableDeclaration>(body, [ts.SyntaxKind.VariableDeclaration])) {
    if (!own(declaration) || !ts.isIdentifier(declaration.name) || !declaration.initializer) continue;
    // `tails.get(key)`, or `tails.get(key) ?? Promise.resolve()`.
    let init = skipParens(declaration.initializer);
    if (ts.isBinaryExpression(init) && init.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) init = skipParens(init.left);
    if (!ts.isCallExpression(init) || calleeName(init) !== "get" || init.arguments.length !== 1) continue;
    const map = receiverOf(init);
    const key = paramIndex(init.arguments[0]);
    if (!map || key < 0 || !isMapDeclared(map)) continue;
    const before = declaration.name.text;
    const wait = nodesOfKinds<ts.AwaitExpression>(body, [ts.SyntaxKind.AwaitExpression]).find(
      (a) => own(a) && ts.isIdentifier(skipParens(a.expression)) && (skipParens(a.expression) as ts.Identifier).text === before,
    );
    if (!wait) continue;
    const calls = nodesOfKinds<ts.CallExpression>(body, [ts.SyntaxKind.CallExpression]);
    const stores = calls.some(
      (c) =>
        own(c) &&
        calleeName(c) === "set" &&
        c.getStart() < wait.getStart() &&
        paramIndex(c.arguments[0]) === key &&
        !!receiverOf(c) &&
        sameIdentity(receiverOf(c)!, map),
    );
    if (!stores) continue;
    // The task: a parameter called in the function (or a closure of it), after the wait.
    const runs = calls.filter((c) => paramIndex(c.expression) >= 0 && paramIndex(c.expression) !== key);
    const after = runs.find((c) => c.getStart() > wait.getEnd());
    if (!after) continue;
    const task = paramIndex(after.expression);
    const bypass = runs.some((c) => paramIndex(c.expression) === task && c.getStart() < wait.getStart());
    return { fn, map, key, task, read: init, bypass };
  }
  return undefined;
}

/** The receiver names a `Map` made in this file: a variable or class field initialised with `new Map(…)`. */
function isMapDeclared(map: ts.Expression): boolean {
  const name = ts.isIdentifier(map) ? map.text : ts.isPropertyAccessExpression(map) ? map.name.text : undefined;
  if (!name) return false;
  return nodesOfKinds<ts.VariableDeclaration | ts.PropertyDeclaration>(map.getSourceFile(), [
    ts.SyntaxKind.VariableDeclaration,
    ts.SyntaxKind.PropertyDeclaration,
  ]).some((d) => {
    if (!ts.isIdentifier(d.name) || d.name.text !== name || !d.initializer) return false;
    const init = skipParens(d.initializer);
    return ts.isNewExpression(init) && init.expression.getText() === "Map";
  });
}
