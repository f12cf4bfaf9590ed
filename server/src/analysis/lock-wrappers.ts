// Locks the project wraps itself, inferred from the wrappers' bodies with the same lock recognisers and path analysis
// as everything else, and found at call sites through the checker, across files:
// - "runs-callback": a function that runs one of its function parameters while holding a lock — `withLock(key, fn)`
//   over async-mutex or redlock, a service method `run(work)` that acquires, awaits `work()` and releases in
//   `finally`, a wrapper of such a wrapper. A call passing a function literal is a scoped acquisition there.
// - "acquires": a function that returns with the lock held and has a partner that releases it — a lock service's
//   `acquire(key)` / `release(key)` over Redis SET NX, a helper returning a release function. A call to it is an
//   acquisition (a try-lock when the helper can also return without the lock), released by calling the partner on
//   the same receiver and key, so the release, held-region and unchecked-acquisition rules apply in the caller.
// A declaration in locksmith.json (`locks`, engine settings `declaredLocks`) or a `@locksmith` JSDoc tag on the function
// (lock-annotations.ts) says the same of a function and wins over inference (a helper whose body Locksmith cannot read,
// or reads wrong); `lockDeclarationProblems` reports tags it cannot read and declarations their bodies contradict.
import type { DeclaredLocks, LockDeclaration } from "../engine/types";
import { ts } from "../engine/ts";
import {
  CALL_KINDS,
  boundNames,
  calleeName,
  code,
  constInitializerIn,
  inlineCode,
  enclosingFunction,
  functionName,
  importsOf,
  isFunctionLike,
  isInside,
  mentions,
  nodesOfKinds,
  skipParens,
  type FunctionLike,
} from "./ast";
import { canonicalKey } from "./identity";
import { lockAnnotationOf, mayHaveLockAnnotations } from "./lock-annotations";
import {
  compileDeclarations,
  isDeclared,
  lastSegment,
  parameterLabel,
  type CompiledDeclaration,
  type DeclarationOrigin,
} from "./lock-declarations";
import { acquisitionPaths } from "./lock-holding";
import { mayInsertLockRow } from "./lock-tables";
import { keyedPromiseQueueOf, promiseChainOf } from "./promise-chains";
import { LOCK_LIBRARY_MODELS, lockMethodNames } from "./models/lock-libraries";
import {
  constructedLockKey,
  importsLockLibrary,
  madeDifferently,
  isReleaseOf,
  keyedLockSource,
  labelOf,
  isFailureOnlyClaim,
  isOverwrittenInFile,
  isThrottleWindowThroughHelper,
  lockAcquisitionOf,
  lockAcquisitionsIn,
  lockCheckerFor,
  resultBinding,
  returnsHolder,
  type LockAcquisition,
} from "./locks";
import { solveBottomUp } from "./flow/bottom-up";
import { mayRunAfter } from "./flow/queries";
import type { CalleeResolver } from "./summaries";
import { namedFunctionsIn, projectAliasNames, projectFunctionNames, projectFunctionOf, projectFunctionsByName } from "./slow-calls";

/** A project function that runs its function parameter `callbackParam` under a lock, or returns holding one. */
export interface LockWrapper {
  /** "decorates": a method decorator factory whose replacement runs the decorated method under the lock. */
  kind: "runs-callback" | "acquires" | "decorates";
  fn: FunctionLike;
  /** For "runs-callback". */
  callbackParam?: number;
  /** Whether a call releases what a call of this wrapper (`acquisition`) took (locks.ts `isReleaseOf` asks). */
  releases(call: ts.CallExpression, acquisition: LockAcquisition, resultNames: ReadonlySet<string>): boolean;
  /** The parameter the lock's key comes from, when it is passed straight through. */
  keyParam?: number;
  /** The lock: its mechanism, whether it expires, whether taking it may fail (a try-lock), its name in messages. */
  mechanism: LockAcquisition["mechanism"];
  expires: boolean;
  /** An expiring lease the wrapper renews on a timer while it is held (so `expires` is false). */
  renewed?: boolean;
  style: "blocking" | "try";
  lockLabel: string;
  /**
   * Inferred "runs-callback" and "decorates" helpers that also run the callback (or the decorated method) on a path
   * without the lock: a re-entry shortcut (`if (held) return fn()`), a feature flag. Such a helper may be reentrant,
   * so it takes no part in lock order or re-entry.
   */
  bypass?: boolean;
  /** Where the wrapper's facts come from: its body (with the acquisition inside), or a declaration (config or JSDoc). */
  source: { inferred: LockAcquisition } | { promiseChain: ts.CallExpression } | { declared: LockDeclaration; origin: DeclarationOrigin };
}

export type { DeclarationOrigin };

interface ProgramState {
  program: ts.Program;
  names: ReadonlySet<string>;
  /** Names of the project functions that may be lock wrappers (contain a lock acquisition, or call such a function). */
  candidates?: ReadonlySet<string>;
  lockChecker: ReturnType<typeof lockCheckerFor>;
  checker: () => ts.TypeChecker;
  wrappers: Map<FunctionLike, LockWrapper | undefined>;
  decorators: Map<FunctionLike, LockWrapper | undefined>;
  files: WeakMap<ts.SourceFile, LockAcquisition[]>;
  declared: readonly CompiledDeclaration[];
  /** Names a package's lock helper may be called by (libraryDeclaredNames). */
  libraryNames?: ReadonlySet<string>;
  /** How many wrappers are being inferred now (their verdicts, and those of the functions they call, are not final). */
  inferring: number;
}

/** Per Program and declarations: the same function is a helper or not, and another one, under other declarations. */
const states = new WeakMap<ts.Program, Map<DeclaredLocks | undefined, ProgramState>>();

function stateOf(program: ts.Program, checker: () => ts.TypeChecker, declared?: DeclaredLocks): ProgramState {
  let perProgram = states.get(program);
  if (!perProgram) states.set(program, (perProgram = new Map()));
  let state = perProgram.get(declared);
  if (!state)
    perProgram.set(
      declared,
      (state = {
        program,
        names: projectFunctionNames(program),
        lockChecker: lockCheckerFor(program, checker),
        checker,
        wrappers: new Map(),
        decorators: new Map(),
        files: new WeakMap(),
        declared: compileDeclarations(declared),
        inferring: 0,
      }),
    );
  return state;
}

/** A library acquisition inside a function that may wrap it (a claim released only on failure is no lock to wrap). */
function libraryAcquisitionOf(call: ts.CallExpression, state: ProgramState): LockAcquisition | undefined {
  const acquisition = lockAcquisitionOf(call, state.lockChecker, undefined, { callbackReference: true });
  return acquisition && !isFailureOnlyClaim(acquisition, state.program) ? acquisition : undefined;
}

/** Every lock acquisition of a file: library calls (locks.ts) and calls of the project's own lock wrappers, in source order. */
export function allLockAcquisitionsIn(
  sourceFile: ts.SourceFile,
  program: ts.Program,
  checker: () => ts.TypeChecker,
  declared?: DeclaredLocks,
): LockAcquisition[] {
  const wrapped = wrapperAcquisitionsIn(sourceFile, program, checker, declared);
  const direct = lockAcquisitionsIn(sourceFile, program, checker);
  return wrapped.length === 0 ? [...direct] : [...direct, ...wrapped].sort((a, b) => a.call.pos - b.call.pos);
}

/** The calls of a file to lock wrappers that pass a function literal as the critical section, as scoped acquisitions. Cached per Program and file. */
export function wrapperAcquisitionsIn(
  sourceFile: ts.SourceFile,
  program: ts.Program,
  checker: () => ts.TypeChecker,
  declared?: DeclaredLocks,
): LockAcquisition[] {
  const state = stateOf(program, checker, declared);
  let found = state.files.get(sourceFile);
  if (found) return found;
  found = [];
  for (const call of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    const acquisition = wrapperAcquisitionAt(call, state);
    // A scoped call counts where it passes the critical section: a literal, or a function of the file it names.
    if (acquisition && (acquisition.style !== "scoped" || acquisition.callback)) found.push(acquisition);
  }
  for (const decorator of nodesOfKinds<ts.Decorator>(sourceFile, [ts.SyntaxKind.Decorator])) {
    const acquisition = decoratorAcquisitionAt(decorator, state);
    if (acquisition) found.push(acquisition);
  }
  if (found.length > 1) found.sort((a, b) => a.call.pos - b.call.pos);
  state.files.set(sourceFile, found);
  return found;
}

/** Which project function is a lock wrapper: its summary, or while wrappers are summarised, the summary so far. */
type WrapperOf = (fn: FunctionLike) => LockWrapper | undefined;

/** A call of a lock wrapper as an acquisition: scoped (with the argument it runs under the lock) or not. */
function wrapperAcquisitionAt(
  call: ts.CallExpression,
  state: ProgramState,
  wrapperOf: WrapperOf = (fn) => lockWrapperOf(fn, state),
): LockAcquisition | undefined {
  const callee = skipParens(call.expression);
  // Only the name of a function that takes a lock (or calls one that does) is worth the checker.
  const name = wrapperCallName(call, state);
  if (!name || !mayCallWrapper(call, name, state, (fn) => wrapperOf(fn) !== undefined)) return undefined;
  const fn = resolve(call, state);
  const wrapper = fn && wrapperOf(fn);
  if (!wrapper) return undefined;
  const key = wrapper.keyParam === undefined ? undefined : call.arguments[wrapper.keyParam];
  const wrapperName = inlineCode(labelOf(callee));
  // In the caller's terms: the wrapper and the key it is given (the inner lock's own key is a parameter name).
  const label = key ? `the lock ${wrapperName} takes for ${inlineCode(labelOf(key))}` : `${wrapper.lockLabel} (taken by ${wrapperName})`;
  const common = {
    call,
    mechanism: wrapper.mechanism,
    ...(key ? { key } : {}),
    expires: wrapper.expires,
    transactionScoped: false,
    label,
    wrapper,
  };
  if (wrapper.kind === "acquires") {
    const receiver = ts.isPropertyAccessExpression(callee) ? callee.expression : undefined;
    const acquisition: LockAcquisition = { ...common, style: wrapper.style, ...(receiver ? { lockObject: receiver } : {}) };
    // A set-if-absent helper is a lock where its caller uses it as one: a throttle window it opens is no acquisition,
    // nor is an expiring claim the file then replaces through the same service with a plain SET of another value (the
    // work's result: an idempotency record, as a direct SET NX overwritten so is).
    if (acquisition.mechanism === "redis-set-nx" && isOverwrittenInFile(acquisition)) return undefined;
    return isThrottleWindowThroughHelper(acquisition) ? undefined : acquisition;
  }
  const argument = call.arguments[wrapper.callbackParam!];
  if (!argument) return undefined;
  const literal = skipParens(argument);
  const callback = isFunctionLike(literal) ? literal : functionNamedBy(literal, call, state);
  return { ...common, style: "scoped", ...(callback ? { callback } : {}), callbackArgument: argument };
}

/**
 * The function of the call's own file an argument names (`withLock(key, syncAccount)`, `this.flush`, either bound with
 * `.bind(…)`): its body runs under the lock as a literal's would. Not one that contains the call (it would hold the
 * lock over its own call), and not another file's (its body is held only where it is passed; regions are per file).
 */
function functionNamedBy(argument: ts.Expression, call: ts.CallExpression, state: ProgramState): FunctionLike | undefined {
  const name = callbackReferenceName(argument);
  if (!name) return undefined;
  const declarations = state.checker().getSymbolAtLocation(name)?.declarations ?? [];
  const found = declarations.length === 1 ? declarations[0]! : undefined;
  const fn =
    found && (ts.isFunctionDeclaration(found) || ts.isMethodDeclaration(found))
      ? found
      : found &&
          ts.isVariableDeclaration(found) &&
          ts.getCombinedNodeFlags(found) & ts.NodeFlags.Const &&
          found.initializer &&
          isFunctionLike(skipParens(found.initializer))
        ? (skipParens(found.initializer) as FunctionLike)
        : undefined;
  return fn?.body && fn.getSourceFile() === call.getSourceFile() && !isInside(call, fn) ? fn : undefined;
}

/**
 * The name by which a lock helper's callback argument names a function instead of being one: `doWork`, `this.doWork`,
 * or either with `.bind(…)` (the name that resolves to the function's declaration).
 */
export function callbackReferenceName(argument: ts.Expression): ts.Identifier | undefined {
  let node = skipParens(argument);
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "bind")
    node = skipParens(node.expression.expression);
  if (ts.isIdentifier(node)) return node;
  return ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword && ts.isIdentifier(node.name)
    ? node.name
    : undefined;
}

/**
 * `@WithLock(key)` on a method whose body the decorator's replacement runs under a lock: a scoped acquisition whose
 * critical section is the decorated method. Only the call form (a decorator factory): the key is its argument.
 */
function decoratorAcquisitionAt(decorator: ts.Decorator, state: ProgramState): LockAcquisition | undefined {
  const method = decorator.parent;
  const call = skipParens(decorator.expression);
  if (!ts.isMethodDeclaration(method) || !method.body || !ts.isCallExpression(call)) return undefined;
  const callee = skipParens(call.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  // Framework decorators (`@Get()`, `@Injectable()`) are not project functions: no checker for them.
  if (!name || !state.names.has(name)) return undefined;
  if (!mayCallWrapper(call, name, state, (fn) => decoratorWrapperOf(fn, state) !== undefined)) return undefined;
  const factory = resolve(call, state);
  const wrapper = factory && decoratorWrapperOf(factory, state);
  if (!wrapper) return undefined;
  const argument = wrapper.keyParam === undefined ? undefined : call.arguments[wrapper.keyParam];
  // `@Lock((id) => \`order:${id}\`)`: the key is computed per call from the method's arguments, unknown here.
  const key = argument && !isFunctionLike(skipParens(argument)) ? argument : undefined;
  const wrapperName = inlineCode(labelOf(callee));
  return {
    call,
    mechanism: wrapper.mechanism,
    ...(key ? { key } : {}),
    expires: wrapper.expires,
    transactionScoped: false,
    label: key ? `the lock ${wrapperName} takes for ${inlineCode(labelOf(key))}` : `${wrapper.lockLabel} (taken by ${wrapperName})`,
    wrapper,
    style: "scoped",
    callback: method,
  };
}

/**
 * Whether a decorator factory replaces the method with a function that calls the original (`original.apply(this,
 * args)`, `original.call(this, …)`; the original read from `descriptor.value`, or the TC39 decorator's method
 * parameter) while holding a lock it takes: in a scoped lock's callback, or between an acquisition and its release.
 */
function decoratorWrapperOf(factory: FunctionLike, state: ProgramState): LockWrapper | undefined {
  if (state.decorators.has(factory)) return state.decorators.get(factory);
  state.decorators.set(factory, undefined);
  state.inferring++;
  try {
    const wrapper = inferDecorator(factory, state);
    state.decorators.set(factory, wrapper);
    return wrapper;
  } finally {
    state.inferring--;
  }
}

function inferDecorator(factory: FunctionLike, state: ProgramState): LockWrapper | undefined {
  if (!factory.body) return undefined;
  const calls = nodesOfKinds<ts.CallExpression>(factory.body, [ts.SyntaxKind.CallExpression]);
  for (const invocation of calls) {
    const replacement = originalMethodCallIn(invocation, factory);
    if (!replacement) continue;
    for (const call of calls) {
      if (!isInside(call, replacement) || call === invocation) continue;
      const inner = libraryAcquisitionOf(call, state) ?? wrapperAcquisitionAt(call, state);
      if (!inner || inner.transactionScoped) continue;
      const held =
        inner.style === "scoped"
          ? !!inner.callback && isInside(invocation, inner.callback)
          : enclosingFunction(inner.call) === enclosingFunction(invocation) && acquisitionPaths(inner).heldAt(invocation);
      if (!held) continue;
      const params = new Map<string, number>();
      factory.parameters.forEach((p, i) => ts.isIdentifier(p.name) && params.set(p.name.text, i));
      const key = lockKeyOf(inner);
      const keyParam = key ? parameterIn(key, params, factory) : undefined;
      const original = skipParens((skipParens(invocation.expression) as ts.PropertyAccessExpression).expression) as ts.Identifier;
      const bypass = runsWithoutLock(original.text, replacement, inner);
      return {
        kind: "decorates",
        fn: factory,
        ...(keyParam !== undefined ? { keyParam } : {}),
        ...(bypass ? { bypass } : {}),
        releases: () => false,
        mechanism: inner.mechanism,
        expires: inner.expires,
        style: inner.style === "try" ? "try" : "blocking",
        lockLabel: inner.wrapper?.lockLabel ?? inner.label,
        source: { inferred: inner },
      };
    }
  }
  return undefined;
}

/**
 * The replacement method a call of the decorated original runs in: `original.apply(this, …)` / `original.call(this, …)`
 * where `original` is a parameter of a function of the factory other than the replacement (TC39: `(method, context)`)
 * or a constant read from a descriptor's `value` (legacy: `const original = descriptor.value`).
 */
function originalMethodCallIn(invocation: ts.CallExpression, factory: FunctionLike): FunctionLike | undefined {
  const callee = skipParens(invocation.expression);
  if (!ts.isPropertyAccessExpression(callee) || (callee.name.text !== "apply" && callee.name.text !== "call")) return undefined;
  const original = skipParens(callee.expression);
  const self = invocation.arguments[0] && skipParens(invocation.arguments[0]);
  if (!ts.isIdentifier(original) || !self) return undefined;
  // The function whose `this` is passed: the replacement (arrows inside it share its `this`).
  let replacement = enclosingFunction(invocation);
  while (replacement && ts.isArrowFunction(replacement)) replacement = enclosingFunction(replacement);
  if (!replacement || replacement === factory || !isInside(replacement, factory)) return undefined;
  if (self.kind !== ts.SyntaxKind.ThisKeyword && !(ts.isIdentifier(self) && isAliasOfThis(self.text, replacement))) return undefined;
  for (let scope = enclosingFunction(replacement); scope && isInside(scope, factory); scope = enclosingFunction(scope)) {
    if (scope.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === original.text)) return replacement;
    if (!scope.body) continue;
    for (const declaration of nodesOfKinds<ts.VariableDeclaration>(scope.body, [ts.SyntaxKind.VariableDeclaration])) {
      const init = declaration.initializer && skipParens(declaration.initializer);
      if (
        ts.isIdentifier(declaration.name) &&
        declaration.name.text === original.text &&
        init &&
        ts.isPropertyAccessExpression(init) &&
        init.name.text === "value"
      )
        return replacement;
    }
    if (scope === factory) break;
  }
  return undefined;
}

/**
 * Whether `fn` runs the function named `name` (calls it, `.apply`/`.call`s it, or passes it on) somewhere the lock
 * `inner` takes is not held: outside a scoped acquisition's call, or where the explicit acquisition's lock is free.
 */
function runsWithoutLock(name: string, fn: FunctionLike, inner: LockAcquisition): boolean {
  const paths = inner.style === "scoped" ? undefined : acquisitionPaths(inner);
  return nodesOfKinds<ts.Identifier>(fn.body!, [ts.SyntaxKind.Identifier]).some((ref) => {
    if (ref.text !== name) return false;
    const parent = ref.parent;
    const runs =
      (ts.isCallExpression(parent) && (parent.expression === ref || parent.arguments.includes(ref))) ||
      (ts.isPropertyAccessExpression(parent) && parent.expression === ref && /^(apply|call|bind)$/.test(parent.name.text));
    if (!runs) return false;
    if (!paths) return !isInside(ref, inner.call);
    // Inside a closure the scoped callback of the acquisition runs in, or at a point of `fn` where the lock is held.
    return enclosingFunction(ref) === enclosingFunction(inner.call) ? !paths.heldAt(ref) : !isInside(ref, inner.call);
  });
}

/** `const that = this` in `fn`. */
function isAliasOfThis(name: string, fn: FunctionLike): boolean {
  return nodesOfKinds<ts.VariableDeclaration>(fn.body!, [ts.SyntaxKind.VariableDeclaration]).some(
    (d) => ts.isIdentifier(d.name) && d.name.text === name && d.initializer?.kind === ts.SyntaxKind.ThisKeyword,
  );
}

/**
 * How many levels of wrappers of wrappers the candidate names cover: by name, each level takes in every caller of a
 * name, so the set is kept to the depth real helpers have (a function and a helper or two around it).
 */
const CANDIDATE_LEVELS = 3;

/**
 * The names of project functions that may take a lock (a call by a lock method name, Redis SET, or SQL naming a lock
 * function), then of those calling one of these names, and so on: a cheap, syntactic superset of the wrappers,
 * combined per Program from facts cached per file (an unchanged file is not read again after an edit elsewhere).
 */
function candidateNames(state: ProgramState): ReadonlySet<string> {
  if (state.candidates) return state.candidates;
  const facts = state.program
    .getSourceFiles()
    .filter((f) => !f.isDeclarationFile && !f.fileName.includes("/node_modules/"))
    .map(callFactsOf);
  const names = new Set<string>();
  for (const file of facts) for (const name of file.locking) names.add(name);
  for (let level = 1; level < CANDIDATE_LEVELS && names.size > 0; level++) {
    const before = names.size;
    for (const file of facts)
      for (const [caller, callees] of file.calls) if (!names.has(caller) && [...callees].some((c) => names.has(c))) names.add(caller);
    if (names.size === before) break;
  }
  return (state.candidates = names);
}

interface CallFacts {
  /** Functions of the file with a call that may take a lock. */
  locking: Set<string>;
  /** Per function of the file, the names it calls. */
  calls: Map<string, Set<string>>;
}

const callFacts = new WeakMap<ts.SourceFile, CallFacts>();
const GENERIC_LOCK_METHODS = new Set(["run", "read", "write"]);

/** `"NX"`, `{ NX: true }`, `{ condition: "NX" }`: the flag that makes a Redis SET a set-if-absent. */
function isNxFlag(argument: ts.Expression): boolean {
  if (ts.isStringLiteralLike(argument)) return argument.text.toUpperCase() === "NX";
  return ts.isObjectLiteralExpression(argument) && /\bNX\b/i.test(argument.getText());
}
const LOCK_SQL = /advisory_(xact_)?lock|get_lock/i;

function callFactsOf(file: ts.SourceFile): CallFacts {
  let facts = callFacts.get(file);
  if (facts) return facts;
  facts = { locking: new Set(), calls: new Map() };
  const lockNames = lockMethodNames(LOCK_LIBRARY_MODELS);
  // Generic method names (`run`, `read`, `write`) count only where a lock library is imported.
  const withLockLibrary = importsLockLibrary(file);
  for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(file, CALL_KINDS)) {
    const fn = enclosingFunction(call);
    const full = fn ? functionName(fn) : "<anonymous>";
    if (full === "<anonymous>") continue;
    const caller = full.slice(full.lastIndexOf(".") + 1);
    const first = ts.isCallExpression(call) ? call.arguments[0] : call.template;
    const callee = ts.isCallExpression(call) ? skipParens(call.expression) : undefined;
    const name = !callee
      ? undefined
      : ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : undefined;
    if (
      (name &&
        (((withLockLibrary || !GENERIC_LOCK_METHODS.has(name)) && (lockNames.acquiring.has(name) || lockNames.functions.has(name))) ||
          /^setnx$/i.test(name) ||
          (/^set$/i.test(name) && ts.isCallExpression(call) && call.arguments.some(isNxFlag)))) ||
      (first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first)) && LOCK_SQL.test(first.getText(file))) ||
      mayInsertLockRow(call)
    )
      facts.locking.add(caller);
    // `this.tail.then(task)`, or `tails.set(key, tail)`: maybe a promise-chain queue (promise-chains.ts decides).
    if (name === "then" && callee && ts.isPropertyAccessExpression(callee) && /^this\.\w+$/.test(callee.expression.getText(file)))
      facts.locking.add(caller);
    if (name === "set" && ts.isCallExpression(call) && call.arguments.length === 2 && fn && keyedPromiseQueueOf(fn))
      facts.locking.add(caller);
    if (name) {
      let callees = facts.calls.get(caller);
      if (!callees) facts.calls.set(caller, (callees = new Set()));
      callees.add(name);
    }
  }
  if (mayHaveLockAnnotations(file))
    for (const [name, fn] of namedFunctionsIn(file)) if (lockAnnotationOf(fn)?.verb === "declares") facts.locking.add(lastSegment(name));
  callFacts.set(file, facts);
  return facts;
}

function resolve(call: ts.CallExpression, state: ProgramState): FunctionLike | undefined {
  try {
    return projectFunctionOf(call, state.checker(), state.names) ?? libraryFunctionOf(call, state);
  } catch {
    return undefined;
  }
}

/**
 * The function of a package (a declaration file, or a file under node_modules) a call invokes, when a locksmith.json
 * entry or a `@locksmith` tag the package ships may name it: a library's lock helper, whose facts are all declared (it
 * has no body to infer them from).
 */
function libraryFunctionOf(call: ts.CallExpression, state: ProgramState): FunctionLike | undefined {
  const callee = skipParens(call.expression);
  const nameNode = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : undefined;
  if (!nameNode || !libraryDeclaredNames(state).has(nameNode.text)) return undefined;
  const checker = state.checker();
  let symbol = checker.getSymbolAtLocation(nameNode);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol?.declarations?.find(
    (d): d is ts.FunctionDeclaration | ts.MethodDeclaration =>
      (ts.isFunctionDeclaration(d) || ts.isMethodDeclaration(d)) && isLibraryFile(d.getSourceFile()),
  );
}

function isLibraryFile(sourceFile: ts.SourceFile): boolean {
  return sourceFile.isDeclarationFile || sourceFile.fileName.includes("/node_modules/");
}

/** The functions and methods a package's file declares, with a body or not. */
function libraryFunctionsIn(sourceFile: ts.SourceFile): Array<ts.FunctionDeclaration | ts.MethodDeclaration> {
  return nodesOfKinds(sourceFile, [ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.MethodDeclaration]);
}

/**
 * The names a declared lock helper (or its releaser) of a package may be called by: the functions of locksmith.json
 * entries and their `releasedBy`, and functions a package's own files tag `@locksmith` (TypeScript's lib files aside).
 */
function libraryDeclaredNames(state: ProgramState): ReadonlySet<string> {
  if (state.libraryNames) return state.libraryNames;
  const names = new Set<string>();
  for (const { entry } of state.declared) {
    names.add(lastSegment(entry.function));
    if (entry.releasedBy) names.add(lastSegment(entry.releasedBy));
  }
  for (const sourceFile of state.program.getSourceFiles())
    if (isLibraryFile(sourceFile) && mayHaveLockAnnotations(sourceFile) && !state.program.isSourceFileDefaultLibrary(sourceFile))
      for (const fn of libraryFunctionsIn(sourceFile)) if (lockAnnotationOf(fn)) names.add(lastSegment(functionName(fn)));
  return (state.libraryNames = names);
}

/**
 * Whether `call` releases what the wrapper call `acquisition` took: it calls one of the wrapper's releasers on the
 * same receiver, passing the same key (or what the acquisition returned) when there is one.
 */
function releasesWrapperLock(
  call: ts.CallExpression,
  acquisition: LockAcquisition,
  resultNames: ReadonlySet<string>,
  state: ProgramState,
  isReleaser: (fn: FunctionLike) => boolean,
): boolean {
  // The same lock object and key by canonical key (identity.ts: `const locks = this.locks` is `this.locks`).
  const callee = skipParens(call.expression);
  const receiver = ts.isPropertyAccessExpression(callee) ? canonicalKey(callee.expression) : undefined;
  const acquiredOn = acquisition.lockObject ? canonicalKey(acquisition.lockObject) : undefined;
  if (receiver !== acquiredOn) return false;
  const args = call.arguments.map((a) => canonicalKey(a));
  const key = acquisition.key;
  if (key && !args.includes(canonicalKey(key)) && !args.some((a) => resultNames.has(a))) return false;
  // Another function's own local of the key's name, made differently, is another key.
  if (key && call.arguments.some((a) => canonicalKey(a) === canonicalKey(key) && madeDifferently(a, key))) return false;
  const fn = resolve(call, state);
  return fn !== undefined && isReleaser(fn);
}

/**
 * Whether `fn` runs one of its function parameters under a lock: passes it (or a literal that calls it) to a scoped
 * lock call or to another wrapper, or calls it where a lock it acquired may be held. Cached per Program.
 */
function lockWrapperOf(fn: FunctionLike, state: ProgramState): LockWrapper | undefined {
  if (state.wrappers.has(fn)) return state.wrappers.get(fn);
  state.inferring++;
  try {
    // A package's function has no body: it is a wrapper only by a declaration.
    if (!fn.body) {
      const declared = declaredWrapper(fn, state);
      state.wrappers.set(fn, declared);
      return declared;
    }
    // Bottom-up on the core's fixpoint (flow/bottom-up.ts `solveBottomUp`): wrappers of wrappers as deep as the candidate
    // names reach, and the same verdict for a function whichever of its callers was asked about first.
    const wrapper = solveBottomUp<LockWrapper | null>(
      fn,
      {
        callees: (f) =>
          nodesOfKinds<ts.CallExpression>(f.body!, [ts.SyntaxKind.CallExpression]).flatMap((call) => {
            const callee = wrapperCallName(call, state) ? resolve(call, state) : undefined;
            return callee ? [callee] : [];
          }),
        compose: (f, wrapperAt) =>
          declaredWrapper(f, state) ??
          inferWrapper(f, state, (g) => (g.body ? (wrapperAt(g) ?? undefined) : lockWrapperOf(g, state))) ??
          null,
        same: sameWrapper,
        empty: null,
      },
      {
        get: (f) => (state.wrappers.has(f) ? (state.wrappers.get(f) ?? null) : undefined),
        set: (f, summary) => state.wrappers.set(f, summary ?? undefined),
      },
    );
    return wrapper ?? undefined;
  } finally {
    state.inferring--;
  }
}

/** Two iterates of a recursive component's wrapper say the same. */
function sameWrapper(a: LockWrapper | null, b: LockWrapper | null): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.kind === b.kind &&
    a.callbackParam === b.callbackParam &&
    a.keyParam === b.keyParam &&
    a.mechanism === b.mechanism &&
    a.expires === b.expires &&
    a.style === b.style &&
    a.lockLabel === b.lockLabel &&
    a.bypass === b.bypass
  );
}

/** The name a call is made by, when a function of that name may take a lock or is a package's declared lock helper. */
function wrapperCallName(call: ts.CallExpression, state: ProgramState): string | undefined {
  const callee = skipParens(call.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  return name !== undefined && (candidateNames(state).has(name) || libraryDeclaredNames(state).has(name)) ? name : undefined;
}

/**
 * Whether a call of `name` may be of a lock wrapper, answered without the checker where it can be: not when no project
 * function of that name is one. Only while no wrapper is being inferred (each function's verdict is then final, as the
 * checker's answer would find it); a name a function may be called by besides its own (a package's lock helper, a
 * renamed import or export, a factory's value) is always resolved.
 */
function mayCallWrapper(call: ts.CallExpression, name: string, state: ProgramState, isWrapper: (fn: FunctionLike) => boolean): boolean {
  if (state.inferring > 0 || libraryDeclaredNames(state).has(name) || projectAliasNames(state.program).has(name)) return true;
  const callee = skipParens(call.expression);
  if (ts.isIdentifier(callee) && (importsOf(call.getSourceFile()).get(name)?.imported ?? name) !== name) return true;
  return (projectFunctionsByName(state.program).get(name) ?? []).some(isWrapper);
}

const DECLARED_MECHANISMS = { mutex: "mutex", rw: "rwlock", lease: "lease", semaphore: "semaphore" } as const;

function declaredWrapper(fn: FunctionLike, state: ProgramState): LockWrapper | undefined {
  const declared = state.declared.find((d) => isDeclared(fn, d, d.entry.function));
  if (declared) {
    const { entry } = declared;
    // A row lock is no lock helper: the transaction dataflow counts it (lock-declarations.ts).
    if (entry.kind === "row-lock") return undefined;
    const isReleaser = (other: FunctionLike) => entry.releasedBy !== undefined && isDeclared(other, declared, entry.releasedBy);
    return fromDeclaration(fn, entry, "locksmith.json", state, isReleaser);
  }
  const annotation = lockAnnotationOf(fn);
  if (annotation?.verb !== "declares" || annotation.declaration.kind === "row-lock") return undefined;
  const entry = annotation.declaration;
  // Released by the function `releasedBy` names, or by those tagged `@locksmith releases`, in the same class or file.
  const isReleaser = (other: FunctionLike) =>
    sameOwner(fn, other) &&
    (entry.releasedBy !== undefined
      ? lastSegment(functionName(other)) === lastSegment(entry.releasedBy)
      : lockAnnotationOf(other)?.verb === "releases");
  return fromDeclaration(fn, entry, "JSDoc", state, isReleaser);
}

function sameOwner(a: FunctionLike, b: FunctionLike): boolean {
  const classOf = (fn: FunctionLike) => (ts.isClassLike(fn.parent) ? fn.parent : undefined);
  return classOf(a) ? classOf(a) === classOf(b) : a.getSourceFile() === b.getSourceFile();
}

function fromDeclaration(
  fn: FunctionLike,
  entry: LockDeclaration,
  origin: DeclarationOrigin,
  state: ProgramState,
  isReleaser: (fn: FunctionLike) => boolean,
): LockWrapper {
  return {
    kind: entry.callback !== undefined ? "runs-callback" : "acquires",
    fn,
    ...(entry.callback !== undefined ? { callbackParam: entry.callback } : {}),
    ...(entry.key !== undefined ? { keyParam: entry.key } : {}),
    releases: (call, acquisition, names) => releasesWrapperLock(call, acquisition, names, state, isReleaser),
    // declaredWrapper leaves row locks to the transaction dataflow.
    mechanism: DECLARED_MECHANISMS[entry.kind as Exclude<LockDeclaration["kind"], "row-lock">],
    expires: entry.kind === "lease",
    style: entry.acquires === "try" ? "try" : "blocking",
    lockLabel: code(entry.function),
    source: { declared: entry, origin },
  };
}

/** Where a node is, for explanations: `file:line` with the file as `relative` shows it. */
export type PlaceLabel = (node: ts.Node) => string;

/** Why Locksmith treats `wrapper` as a lock helper, in words: "inferred from its acquisition at src/locks.ts:12". */
export function lockHelperReason(wrapper: LockWrapper, placeOf: PlaceLabel): string {
  const source = wrapper.source;
  if ("declared" in source) return `declared in ${source.origin}`;
  if ("promiseChain" in source) return `inferred from its promise chain at ${placeOf(source.promiseChain)}`;
  const inner = source.inferred;
  return `inferred from ${inner.wrapper ? `its call of ${functionName(inner.wrapper.fn)}` : "its acquisition"} at ${placeOf(inner.call)}`;
}

/** What a call of `wrapper` does, in words: "runs its callback (argument 2) while holding … (a lease that expires)". */
export function lockHelperEffect(wrapper: LockWrapper): string {
  const lock = `${wrapper.lockLabel} (${wrapper.expires ? "a lease that expires" : "held until released"})`;
  const key = wrapper.keyParam === undefined ? "" : `, keyed by argument ${wrapper.keyParam + 1}`;
  if (wrapper.kind === "decorates") return `runs the decorated method while holding ${lock}${key}`;
  if (wrapper.kind === "runs-callback") return `runs its callback (argument ${wrapper.callbackParam! + 1}) while holding ${lock}${key}`;
  return `${wrapper.style === "try" ? "tries to take" : "takes"} ${lock}${key} and returns holding it`;
}

/** A problem with a lock declaration, reported once: a tag Locksmith cannot read, or a body that contradicts it. */
export interface LockDeclarationProblem {
  /** The function; none for a locksmith.json entry that names no function. */
  node?: ts.Node;
  /** For an entry that names no function: the configuration file it is in. */
  configFile?: string;
  message: string;
}

/** `lockDeclarationProblems` of each configuration, over the files it applies to (`declaredFor` says which). */
export function lockDeclarationProblemsByConfig(
  sourceFiles: readonly ts.SourceFile[],
  program: ts.Program,
  checker: () => ts.TypeChecker,
  declaredFor: (fileName: string) => DeclaredLocks | undefined,
): LockDeclarationProblem[] {
  const groups = new Map<DeclaredLocks | undefined, ts.SourceFile[]>();
  for (const sourceFile of sourceFiles) {
    const declared = declaredFor(sourceFile.fileName);
    groups.set(declared, [...(groups.get(declared) ?? []), sourceFile]);
  }
  return [...groups].flatMap(([declared, files]) => lockDeclarationProblems(files, program, checker, declared));
}

/**
 * The problems of the project's lock declarations: `@locksmith` tags that do not parse, declarations (config or JSDoc)
 * whose body Locksmith reads as a different lock (another kind of wrapper, another callback, expiring or not), and
 * locksmith.json entries that name no function of the project.
 */
export function lockDeclarationProblems(
  sourceFiles: readonly ts.SourceFile[],
  program: ts.Program,
  checker: () => ts.TypeChecker,
  declared?: DeclaredLocks,
): LockDeclarationProblem[] {
  const state = stateOf(program, checker, declared);
  const problems: LockDeclarationProblem[] = [];
  const matched = new Set<CompiledDeclaration>();
  for (const sourceFile of sourceFiles) {
    const annotated = mayHaveLockAnnotations(sourceFile);
    if (!annotated && state.declared.length === 0) continue;
    for (const fn of namedFunctionsIn(sourceFile).values()) {
      const annotation = annotated ? lockAnnotationOf(fn) : undefined;
      if (annotation?.verb === "invalid") problems.push({ node: fn, message: `${annotation.problem} (the tag is ignored)` });
      const config = state.declared.find((d) => isDeclared(fn, d, d.entry.function));
      if (config) matched.add(config);
      if (!config && annotation?.verb !== "declares") continue;
      const wrapper = lockWrapperOf(fn, state);
      const inferred = inferWrapper(fn, state);
      const contradiction = wrapper && inferred && contradictionBetween(wrapper, inferred);
      if (contradiction && "declared" in wrapper.source)
        problems.push({
          node: fn,
          message: `${functionName(fn)} is declared in ${wrapper.source.origin} as ${describeWrapper(wrapper)}, but its body ${contradiction}: the declaration is used; check it`,
        });
    }
  }
  for (const d of state.declared)
    if (!matched.has(d) && sourceFiles.length > 0 && !declaresLibraryFunction(d, state))
      problems.push({
        ...(declared?.file ? { configFile: declared.file } : {}),
        message: `locksmith.json "locks" declares ${d.entry.function}${d.entry.file ? ` in ${d.entry.file}` : ""}, but no function of the project has that name`,
      });
  return problems;
}

/** Whether a locksmith.json entry names a function or method of a package (its declaration file, or its source). */
function declaresLibraryFunction(declared: CompiledDeclaration, state: ProgramState): boolean {
  return state.program
    .getSourceFiles()
    .some(
      (f) =>
        isLibraryFile(f) &&
        f.text.includes(declared.name) &&
        libraryFunctionsIn(f).some((fn) => isDeclared(fn, declared, declared.entry.function)),
    );
}

function describeWrapper(wrapper: LockWrapper): string {
  const lock = wrapper.expires ? "a lease" : "a lock that does not expire";
  return wrapper.kind === "runs-callback"
    ? `running ${parameterLabel(wrapper.fn, wrapper.callbackParam!)} under ${lock}`
    : `returning holding ${lock}${wrapper.style === "try" ? " (or not, by its result)" : ""}`;
}

/** How the body's lock differs from the declared one, in words; undefined when they agree. */
function contradictionBetween(declared: LockWrapper, inferred: LockWrapper): string | undefined {
  const source = inferred.source;
  const where = "inferred" in source ? source.inferred.call : "promiseChain" in source ? source.promiseChain : undefined;
  const at = where ? ` (line ${where.getSourceFile().getLineAndCharacterOfPosition(where.getStart()).line + 1})` : "";
  if (declared.kind !== inferred.kind || declared.callbackParam !== inferred.callbackParam) return `is ${describeWrapper(inferred)}${at}`;
  if (declared.expires !== inferred.expires)
    return inferred.expires ? `takes a lock that expires${at}` : `takes a lock that never expires${at}`;
  return undefined;
}

function inferWrapper(
  fn: FunctionLike,
  state: ProgramState,
  wrapperOf: WrapperOf = (f) => lockWrapperOf(f, state),
): LockWrapper | undefined {
  if (!fn.body) return undefined;
  const params = new Map<string, number>();
  fn.parameters.forEach((p, i) => ts.isIdentifier(p.name) && params.set(p.name.text, i));
  const paramOf = (node: ts.Node | undefined): number | undefined => {
    const bare = node && skipParens(node as ts.Expression);
    return bare && ts.isIdentifier(bare) ? params.get(bare.text) : undefined;
  };
  const calls = nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]);
  const acquisitions = calls.flatMap((call) => {
    const acquisition = libraryAcquisitionOf(call, state) ?? wrapperAcquisitionAt(call, state, wrapperOf);
    return acquisition && !acquisition.transactionScoped ? [acquisition] : [];
  });
  const chain = promiseChainOf(fn);
  const keyed = chain ? undefined : keyedPromiseQueueOf(fn);
  if (acquisitions.length === 0 && !chain && !keyed) return undefined;
  const base = (inner: LockAcquisition, isReleaser?: (fn: FunctionLike) => boolean) => ({
    fn,
    releases: (call: ts.CallExpression, acquisition: LockAcquisition, names: ReadonlySet<string>) =>
      !!isReleaser && releasesWrapperLock(call, acquisition, names, state, isReleaser),
    mechanism: inner.mechanism,
    // A lease the wrapper keeps renewing while it is held does not expire under a slow holder; nor one it takes through
    // a helper that renews it (`waitLock` retrying `acquireLock`).
    ...(inner.expires && renewsWhileHeld(fn)
      ? { expires: false, renewed: true }
      : { expires: inner.expires, ...(inner.wrapper?.renewed ? { renewed: true } : {}) }),
    style: inner.style === "try" ? ("try" as const) : ("blocking" as const),
    lockLabel: inner.wrapper?.lockLabel ?? inner.label,
    source: { inferred: inner },
  });

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
  const runsCallback = (inner: LockAcquisition, callbackParam: number): LockWrapper => {
    const keyParam = paramOf(lockKeyOf(inner) ?? containerKeyOf(inner.lockObject, fn));
    const name = fn.parameters[callbackParam]!.name;
    const bypass = ts.isIdentifier(name) && runsWithoutLock(name.text, fn, inner);
    return {
      ...base(inner),
      kind: "runs-callback",
      callbackParam,
      ...(keyParam !== undefined ? { keyParam } : {}),
      ...(bypass ? { bypass } : {}),
    };
  };
  // A promise-chain queue (a promise field) or a keyed one (a `Map` of turns per key): each call's task runs after the
  // previous one's, as under an in-process mutex (one per key for the keyed queue).
  const queue: { task: number; label: string; at: ts.CallExpression; key?: number; bypass?: boolean } | undefined = chain
    ? { task: chain.task, label: `the promise chain ${code(labelOf(chain.field))}`, at: chain.then }
    : keyed && {
        task: keyed.task,
        label: `the promise queue ${code(labelOf(keyed.map))}`,
        at: keyed.read,
        key: keyed.key,
        bypass: keyed.bypass,
      };
  if (queue)
    return {
      kind: "runs-callback",
      fn,
      callbackParam: queue.task,
      ...(queue.key !== undefined ? { keyParam: queue.key } : {}),
      ...(queue.bypass ? { bypass: true } : {}),
      releases: () => false,
      mechanism: "mutex",
      expires: false,
      style: "blocking",
      lockLabel: queue.label,
      source: { promiseChain: queue.at },
    };
  for (const inner of acquisitions) {
    if (inner.style === "scoped") {
      const callbackParam = runParam(inner.callbackArgument);
      if (callbackParam !== undefined) return runsCallback(inner, callbackParam);
      continue;
    }
    // acquire … `await work()` … release: the parameter is called where the lock may be held.
    if (enclosingFunction(inner.call) !== fn) continue;
    const paths = acquisitionPaths(inner);
    for (const invocation of calls) {
      const callbackParam = paramOf(invocation.expression);
      if (callbackParam !== undefined && paths.heldAt(invocation)) return runsCallback(inner, callbackParam);
    }
  }

  // Returns holding the lock, and something else releases it: the acquiring half of a lock helper.
  for (const inner of acquisitions) {
    // A SET … NX GET hands back the key's holder: its callers route by owner (forward to the holder, or go on as it),
    // and a helper that returns it is an owner lookup, not a try-lock whose callers must test for success.
    if (returnsHolder(inner)) continue;
    const atReturn = inner.style === "scoped" || enclosingFunction(inner.call) !== fn ? undefined : acquisitionPaths(inner).atReturn();
    if (!atReturn?.held) continue;
    const releasers = releasersOf(inner, fn);
    if (
      releasers.size === 0 ||
      releasesInOwnFinally(inner, fn, releasers) ||
      runsWorkThatReleases(inner, fn) ||
      storesWorkThatReleases(inner, fn)
    )
      continue;
    const key = lockKeyOf(inner);
    const keyParam = key ? parameterIn(key, params, fn) : undefined;
    // A try-lock retried until it succeeds (`while ((await redis.set(…, "NX")) !== "OK") await sleep(…)`) waits.
    // …and so does one that hands its try-acquisition's outcome back (`return rowCount === 1`).
    const style = atReturn.free || returnsOutcome(inner, fn) ? base(inner).style : ("blocking" as const);
    return { ...base(inner, (f) => releasers.has(f)), style, kind: "acquires", ...(keyParam !== undefined ? { keyParam } : {}) };
  }
  return undefined;
}

/**
 * Whether `fn` calls a releaser of its lock in a `finally` that runs while the lock may be held (`finally { await
 * this.unlock(token) }`): then it gives the lock back before returning, a self-contained critical section rather than an
 * acquiring helper. A `finally` on the path where a try-lock failed only (the success branch returned first) gives
 * nothing back.
 */
function releasesInOwnFinally(inner: LockAcquisition, fn: FunctionLike, releasers: ReadonlySet<FunctionLike>): boolean {
  const names = new Set([...releasers].map((r) => lastSegment(functionName(r))));
  const paths = acquisitionPaths(inner);
  return nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression]).some((call) => {
    if (enclosingFunction(call) !== fn) return false;
    const callee = skipParens(call.expression);
    const name = ts.isIdentifier(callee)
      ? callee.text
      : ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword
        ? callee.name.text
        : undefined;
    if (!name || !names.has(name)) return false;
    for (let node: ts.Node = call; node !== fn; node = node.parent)
      if (ts.isBlock(node) && ts.isTryStatement(node.parent) && node.parent.finallyBlock === node) return paths.heldAt(call);
    return false;
  });
}

/**
 * Whether `fn` runs, itself, a closure it creates that releases its lock in that closure's own `finally`
 * (`const connecting = (async () => { try { … } finally { this.connecting.delete(key) } })()`, stored under the key
 * to de-duplicate concurrent connects): the work gives the key back however it ends, so callers hold nothing.
 */
function runsWorkThatReleases(inner: LockAcquisition, fn: FunctionLike): boolean {
  const noNames = new Set<string>();
  return nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression]).some((release) => {
    const closure = enclosingFunction(release);
    if (!closure || closure === fn || enclosingFunction(closure) !== fn || !isReleaseOf(release, inner, noNames)) return false;
    let inFinally = false;
    for (let node: ts.Node = release; node !== closure; node = node.parent)
      if (ts.isBlock(node) && ts.isTryStatement(node.parent) && node.parent.finallyBlock === node) inFinally = true;
    return inFinally && isRunBy(closure, fn);
  });
}

/**
 * Whether the busy key `inner` marks is stored with the work's promise as its value, and that promise runs a release
 * of the key in a `.finally()` on its chain (`const job = purge(id).finally(() => this.purging.delete(id));
 * this.purging.set(id, job)`): the key is given back when the work settles, however it ends, so callers hold nothing.
 * A release in `.then()` alone, or a `.finally()` on a promise the key's value is not, guarantees nothing.
 */
function storesWorkThatReleases(inner: LockAcquisition, fn: FunctionLike): boolean {
  if (inner.mechanism !== "busy-key" || !ts.isCallExpression(inner.call) || calleeName(inner.call) !== "set") return false;
  let value: ts.Expression | undefined = inner.call.arguments[1] && skipParens(inner.call.arguments[1]);
  if (value && ts.isIdentifier(value)) value = constInitializerIn(value.text, fn.body!);
  const noNames = new Set<string>();
  // Down the chain the value is (`work().catch(…).finally(…)`): any `.finally()` on it runs whatever the work does.
  for (let link = value && skipParens(value); link && ts.isCallExpression(link);) {
    const callee = skipParens(link.expression);
    if (!ts.isPropertyAccessExpression(callee)) break;
    const handler = link.arguments[0] && skipParens(link.arguments[0]);
    if (
      callee.name.text === "finally" &&
      handler &&
      isFunctionLike(handler) &&
      nodesOfKinds<ts.CallExpression>(handler, [ts.SyntaxKind.CallExpression]).some((call) => isReleaseOf(call, inner, noNames))
    )
      return true;
    link = skipParens(callee.expression);
  }
  return false;
}

/** `(async () => { … })()`, or a `const` of `fn` holding the closure that `fn` calls. */
function isRunBy(closure: FunctionLike, fn: FunctionLike): boolean {
  let outer: ts.Node = closure;
  while (ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  if (ts.isCallExpression(outer.parent) && outer.parent.expression === outer) return true;
  const holder = outer.parent;
  if (!ts.isVariableDeclaration(holder) || !ts.isIdentifier(holder.name)) return false;
  const name = holder.name.text;
  return nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression]).some((call) => {
    const callee = skipParens(call.expression);
    return enclosingFunction(call) === fn && ts.isIdentifier(callee) && callee.text === name;
  });
}

/** Whether `fn` returns what its try-acquisition `inner` says (`return rowCount === 1`, `return ok === "OK"`). */
function returnsOutcome(inner: LockAcquisition, fn: FunctionLike): boolean {
  if (inner.style !== "try") return false;
  const binding = resultBinding(inner);
  const names = new Set(binding ? boundNames(binding).map((id) => id.text) : []);
  return nodesOfKinds<ts.ReturnStatement>(fn.body!, [ts.SyntaxKind.ReturnStatement]).some(
    (statement) =>
      enclosingFunction(statement) === fn &&
      !!statement.expression &&
      (isInside(inner.call, statement.expression) || mentions(statement.expression, names)),
  );
}

/** The expression naming which lock `acquisition` takes: its key, or the value a lock table's row is keyed by. */
function lockKeyOf(acquisition: LockAcquisition): ts.Expression | undefined {
  const row = acquisition.lockTable?.key;
  return acquisition.key ?? (row && "value" in row ? row.value : undefined) ?? constructedLockKey(acquisition);
}

/** The key a lock object was taken out of a keyed container by: `let mutex = this.mutexes.get(key)` gives `key`. */
function containerKeyOf(lockObject: ts.Expression | undefined, fn: FunctionLike): ts.Expression | undefined {
  const node = lockObject && skipParens(lockObject);
  if (!node) return undefined;
  const direct = keyedLockSource(node);
  if (direct || !ts.isIdentifier(node) || !fn.body) return direct?.key;
  for (const declaration of nodesOfKinds<ts.VariableDeclaration>(fn.body, [ts.SyntaxKind.VariableDeclaration]))
    if (ts.isIdentifier(declaration.name) && declaration.name.text === node.text && declaration.initializer)
      return keyedLockSource(declaration.initializer)?.key;
  return undefined;
}

/** The one parameter a key is built from (`key`, `` `lock:${orderId}` ``, or a local const holding such), if exactly one. */
function parameterIn(key: ts.Expression, params: ReadonlyMap<string, number>, fn: FunctionLike): number | undefined {
  const locals = new Map<string, ts.Expression>();
  for (const declaration of nodesOfKinds<ts.VariableDeclaration>(fn.body!, [ts.SyntaxKind.VariableDeclaration]))
    if (ts.isIdentifier(declaration.name) && declaration.initializer && ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)
      locals.set(declaration.name.text, declaration.initializer);
  const found = new Set<number>();
  const seen = new Set<string>();
  const look = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) {
      if (params.has(node.text)) found.add(params.get(node.text)!);
      else if (locals.has(node.text) && !seen.has(node.text)) {
        seen.add(node.text);
        look(locals.get(node.text)!);
      }
    }
    ts.forEachChild(node, look);
  };
  look(key);
  return found.size === 1 ? [...found][0] : undefined;
}

/**
 * The functions that release what `inner` (in `fn`) acquires: closures `fn` creates, other methods of its class, or
 * other functions of its file, with a release of the same lock (same key expression or lock object) in their body.
 */
function releasersOf(inner: LockAcquisition, fn: FunctionLike): Set<FunctionLike> {
  const candidates: FunctionLike[] = [];
  const cls = ts.isMethodDeclaration(fn) && ts.isClassLike(fn.parent) ? fn.parent : undefined;
  if (cls) for (const member of cls.members) if (ts.isMethodDeclaration(member) && member !== fn) candidates.push(member);
  if (!cls) for (const other of namedFunctionsIn(fn.getSourceFile()).values()) if (other !== fn) candidates.push(other);
  const releasers = new Set<FunctionLike>();
  const noNames = new Set<string>();
  for (const call of nodesOfKinds<ts.CallExpression>(fn.body!, [ts.SyntaxKind.CallExpression])) {
    const closure = enclosingFunction(call);
    if (closure && closure !== fn && isReleaseOf(call, inner, noNames)) releasers.add(closure);
  }
  for (const candidate of candidates) {
    if (!candidate.body) continue;
    if (nodesOfKinds<ts.CallExpression>(candidate.body, [ts.SyntaxKind.CallExpression]).some((call) => isReleaseOf(call, inner, noNames)))
      releasers.add(candidate);
  }
  return releasers;
}

/**
 * The function starts a timer whose callback extends the lease (`setInterval(() => this.extendLock(key, token, ttl),
 * ttl / 2)`, a `PEXPIRE`, a `renew()`): the watchdog redlock's `using` and Redisson keep.
 */
function renewsWhileHeld(fn: FunctionLike, resolve?: CalleeResolver): boolean {
  if (!fn.body) return false;
  return nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]).some((call) => isRenewalTimer(call, resolve));
}

/**
 * `setInterval(() => …, ms)` whose callback extends a lease: a call named so, or (given a resolver) a project function
 * whose own body sends EXPIRE / PEXPIRE, also inside a script (`this.refreshLock(token)` running a compare-and-expire).
 */
function isRenewalTimer(call: ts.CallExpression, resolve?: CalleeResolver): boolean {
  const timer = skipParens(call.expression);
  if (!ts.isIdentifier(timer) || !/^set(Interval|Timeout)$/.test(timer.text)) return false;
  const callback = call.arguments[0] && skipParens(call.arguments[0]);
  if (!callback || !isFunctionLike(callback)) return false;
  return nodesOfKinds<ts.CallExpression>(callback, [ts.SyntaxKind.CallExpression]).some((inner) => {
    if (/extend|renew|p?expire|keepAlive|heartbeat/i.test(calleeName(inner) ?? "")) return true;
    const target = resolve?.(inner);
    return !!target?.body && /\bp?expire\b/i.test(target.body.getText());
  });
}

/**
 * An expiring lease its taker keeps renewing while it holds it: after the acquisition, the same function starts a
 * renewal timer, itself or through a project function it calls (`lockHeartbeat = this.startLockHeartbeat(token)`).
 * It does not expire under a slow holder.
 */
export function renewedByTaker(acquisition: LockAcquisition, resolve: CalleeResolver): boolean {
  const fn = enclosingFunction(acquisition.call);
  if (!fn?.body || !acquisition.expires) return false;
  return nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression], { skipFunctions: true }).some((call) => {
    if (call === acquisition.call || !mayRunAfter(acquisition.call, call)) return false;
    if (isRenewalTimer(call, resolve)) return true;
    const helper = resolve(call);
    return !!helper && helper !== fn && renewsWhileHeld(helper, resolve);
  });
}
