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
