// Locks the project wraps itself: a function that runs one of its function parameters while holding a lock —
// `withLock(key, fn)` over async-mutex or redlock, a service method `run(work)` that acquires, awaits `work()` and
// releases in `finally`, a wrapper of such a wrapper. A call to one that passes a function literal is a scoped
// acquisition of that lock at the call site (the literal is the critical section), so the held-region rules see
// inside the caller's callback. Inferred from the wrapper's body with the same lock recognisers and path analysis as
// everything else; found through the checker, across files.
import { ts } from "../engine/ts";
import { code, enclosingFunction, isFunctionLike, nodesOfKinds, skipParens, type FunctionLike } from "./ast";
import { acquisitionPaths } from "./lock-holding";
import { lockAcquisitionOf, lockCheckerFor, type LockAcquisition } from "./locks";
import { projectFunctionNames, projectFunctionOf } from "./slow-calls";

/** A project function that runs its function parameter `callbackParam` while holding the lock `inner` takes. */
export interface LockWrapper {
  fn: FunctionLike;
  callbackParam: number;
  /** The parameter the lock's key comes from, when it is passed straight through. */
  keyParam?: number;
  /** The acquisition in the wrapper's body (itself a wrapper call for a wrapper of a wrapper). */
  inner: LockAcquisition;
}

/** How deep wrappers of wrappers are followed. */
const MAX_DEPTH = 4;

interface ProgramState {
  names: ReadonlySet<string>;
  lockChecker: ReturnType<typeof lockCheckerFor>;
  checker: () => ts.TypeChecker;
  wrappers: Map<FunctionLike, LockWrapper | undefined>;
  files: WeakMap<ts.SourceFile, LockAcquisition[]>;
}

const states = new WeakMap<ts.Program, ProgramState>();

function stateOf(program: ts.Program, checker: () => ts.TypeChecker): ProgramState {
  let state = states.get(program);
  if (!state)
    states.set(
      program,
      (state = {
        names: projectFunctionNames(program),
        lockChecker: lockCheckerFor(program, checker),
        checker,
        wrappers: new Map(),
        files: new WeakMap(),
      }),
    );
  return state;
}

/** The calls of a file to lock wrappers that pass a function literal as the critical section, as scoped acquisitions. Cached per Program and file. */
export function wrapperAcquisitionsIn(sourceFile: ts.SourceFile, program: ts.Program, checker: () => ts.TypeChecker): LockAcquisition[] {
  const state = stateOf(program, checker);
  let found = state.files.get(sourceFile);
  if (found) return found;
  found = [];
  for (const call of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    const acquisition = wrapperAcquisitionAt(call, state, 0);
    if (acquisition?.callback) found.push(acquisition);
  }
  state.files.set(sourceFile, found);
  return found;
}

/** A call of a lock wrapper, with the argument it runs under the lock (a function literal, or a name for wrappers of wrappers). */
function wrapperAcquisitionAt(call: ts.CallExpression, state: ProgramState, depth: number): LockAcquisition | undefined {
  if (depth > MAX_DEPTH || !call.arguments.some((a) => isFunctionArgument(skipParens(a)))) return undefined;
  const callee = skipParens(call.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  // Only a name some project function has is worth the checker.
  if (!name || !state.names.has(name)) return undefined;
  let fn: FunctionLike | undefined;
  try {
    fn = projectFunctionOf(call, state.checker(), state.names);
  } catch {
    return undefined;
  }
  const wrapper = fn && lockWrapperOf(fn, state, depth + 1);
  const argument = wrapper && call.arguments[wrapper.callbackParam];
  if (!wrapper || !argument) return undefined;
  const callback = skipParens(argument);
  const key = wrapper.keyParam === undefined ? undefined : call.arguments[wrapper.keyParam];
  const wrapperName = code(oneLine(callee.getText()));
  let innermost = wrapper.inner;
  while (innermost.wrapper) innermost = innermost.wrapper.inner;
  // In the caller's terms: the wrapper and the key it is given (the inner lock's own key is a parameter name).
  const label = key ? `the lock ${wrapperName} takes for ${code(oneLine(key.getText()))}` : `${innermost.label} (taken by ${wrapperName})`;
  return {
    call,
    mechanism: wrapper.inner.mechanism,
    style: "scoped",
    ...(key ? { key } : {}),
    ...(isFunctionLike(callback) ? { callback } : {}),
    callbackArgument: argument,
    expires: wrapper.inner.expires,
    transactionScoped: false,
    label,
    wrapper,
  };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

function isFunctionArgument(node: ts.Expression): boolean {
  return isFunctionLike(node) || ts.isIdentifier(node) || ts.isPropertyAccessExpression(node);
}

/**
 * Whether `fn` runs one of its function parameters under a lock: passes it (or a literal that calls it) to a scoped
 * lock call or to another wrapper, or calls it where a lock it acquired may be held. Cached per Program.
 */
function lockWrapperOf(fn: FunctionLike, state: ProgramState, depth: number): LockWrapper | undefined {
  if (state.wrappers.has(fn)) return state.wrappers.get(fn);
  state.wrappers.set(fn, undefined); // a cycle finds no wrapper
  const wrapper = inferWrapper(fn, state, depth);
  state.wrappers.set(fn, wrapper);
  return wrapper;
}

function inferWrapper(fn: FunctionLike, state: ProgramState, depth: number): LockWrapper | undefined {
  if (!fn.body) return undefined;
  const params = new Map<string, number>();
  fn.parameters.forEach((p, i) => ts.isIdentifier(p.name) && params.set(p.name.text, i));
  if (params.size === 0) return undefined;
  const paramOf = (node: ts.Node | undefined): number | undefined => {
    const bare = node && skipParens(node as ts.Expression);
    return bare && ts.isIdentifier(bare) ? params.get(bare.text) : undefined;
  };
  const calls = nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]);
  /** The parameter a function argument runs: named directly, or called inside a literal. */
  const runParam = (argument: ts.Expression | undefined): number | undefined => {
    if (!argument) return undefined;
    const direct = paramOf(argument);
    if (direct !== undefined) return direct;
    const literal = skipParens(argument);
    if (!isFunctionLike(literal)) return undefined;
    for (const call of calls)
      if (enclosingFunction(call) === literal && paramOf(call.expression) !== undefined) return paramOf(call.expression);
    return undefined;
  };
  const wrapperWith = (inner: LockAcquisition, callbackParam: number, keyParam: number | undefined): LockWrapper => ({
    fn,
    callbackParam,
    ...(keyParam !== undefined ? { keyParam } : {}),
    inner,
  });
  for (const call of calls) {
    const acquisition =
      lockAcquisitionOf(call, state.lockChecker, undefined, { callbackReference: true }) ?? wrapperAcquisitionAt(call, state, depth);
    if (!acquisition || acquisition.transactionScoped) continue;
    if (acquisition.style === "scoped") {
      const callbackParam = runParam(acquisition.callbackArgument);
      if (callbackParam !== undefined) return wrapperWith(acquisition, callbackParam, paramOf(acquisition.key));
      continue;
    }
    // acquire … `await work()` … release: the parameter is called where the lock may be held.
    if (enclosingFunction(call) !== fn) continue;
    const paths = acquisitionPaths(acquisition);
    for (const invocation of calls) {
      const callbackParam = paramOf(invocation.expression);
      if (callbackParam !== undefined && paths.heldAt(invocation)) return wrapperWith(acquisition, callbackParam, paramOf(acquisition.key));
    }
  }
  return undefined;
}
