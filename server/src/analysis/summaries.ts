// Function summaries: what a project function does to the transaction it is given, in terms of its parameters, so a
// call site can apply it without reading the body again. `lockShelf(tx, id)` whose body runs `SELECT … FOR UPDATE`
// through `tx` summarises as "locks rows of Book through parameter 0"; a caller that passes its own transaction then
// holds those row locks after the call. Summaries compose: a helper that calls a locking helper with its own
// parameter locks through that parameter too (bounded depth; a cycle contributes nothing while it is being computed).
import { ts } from "../engine/ts";
import { CALL_KINDS, boundNames, calleeName, importsOf, nodesOfKinds, skipAwait, skipParens, type FunctionLike } from "./ast";
import { dbAccessOf, type DbAccess } from "./db";
import { canonicalKey } from "./identity";
import { namedFunctionsIn, projectFunctionNames, projectFunctionOf } from "./slow-calls";
import type { RowLockMode } from "./sql";
import { declaredRowLockOf } from "./lock-declarations";

/** A row lock a function takes through one of its parameters: statement `access` runs through parameter `parameter`. */
export interface ParameterRowLock {
  parameter: number;
  access: DbAccess;
  mode: RowLockMode | "write";
  /** The calls from the summarised function down to `access` (empty when the function runs it itself). */
  chain: ts.CallExpression[];
  /** A `row-lock` helper's call (declaredRowLockAt): the function declared, by name. */
  declared?: string;
}

export interface FunctionSummary {
  rowLocks: ParameterRowLock[];
}

/** Finds the project function a call invokes (undefined for library calls and calls it cannot resolve). */
export type CalleeResolver = (call: ts.CallExpression) => FunctionLike | undefined;

const MAX_DEPTH = 4;
const EMPTY: FunctionSummary = { rowLocks: [] };

const programResolvers = new WeakMap<ts.Program, CalleeResolver>();

/** Same-file resolution: a function, method or function-valued variable of the called name in the call's file. */
const sameFileResolver: CalleeResolver = (call) => {
  const name = calleeName(call);
  return name === undefined ? undefined : namedFunctionsIn(call.getSourceFile()).get(name);
};

/**
 * Resolves calls through the checker when a program is given (across files, following imports), otherwise to a
 * function of the same name declared in the call's own file. One resolver per Program, so that summaries (cached per
 * resolver) never outlive the Program whose files they were computed from.
 */
export function calleeResolver(program?: ts.Program, checker?: () => ts.TypeChecker): CalleeResolver {
  if (!program || !checker) return sameFileResolver;
  let resolver = programResolvers.get(program);
  if (!resolver) {
    const names = projectFunctionNames(program);
    resolver = (call) => {
      // A method no project function is named after resolves to nothing: no need to create the checker for it.
      const callee = skipParens(call.expression);
      if (ts.isPropertyAccessExpression(callee) && !names.has(callee.name.text)) return undefined;
      if (ts.isIdentifier(callee) && !names.has(callee.text) && !importedUnderAnotherName(callee)) return undefined;
      // A function of the file itself, by a name no import shadows.
      const local = ts.isIdentifier(callee) && !importedUnderAnotherName(callee) ? sameFileResolver(call) : undefined;
      if (local) return local;
      try {
        return projectFunctionOf(call, checker(), names);
      } catch {
        return undefined;
      }
    };
    programResolvers.set(program, resolver);
    resolverPrograms.set(resolver, program);
  }
  return resolver;
}

const resolverPrograms = new WeakMap<CalleeResolver, ts.Program>();

/** The Program a resolver resolves calls in (undefined for the same-file resolver). */
export function programOf(resolve: CalleeResolver): ts.Program | undefined {
  return resolverPrograms.get(resolve);
}

/** `b` of `import { a as b }`, `import b from`, `import * as b`: a binding whose declared name may differ. */
function importedUnderAnotherName(name: ts.Identifier): boolean {
  const imported = importsOf(name.getSourceFile()).get(name.text)?.imported;
  return imported !== undefined && imported !== name.text;
}

/** The functions being summarised on the current call path, and how many times a cycle or the depth bound cut it. */
interface SummaryWalk {
  active: Set<FunctionLike>;
  cuts: number;
}

const caches = new WeakMap<CalleeResolver, WeakMap<FunctionLike, FunctionSummary>>();

/**
 * The summary of `fn`. Cached per resolver (one per Program: a summary composed from another file's function is not
 * reused once that file changes) and per function node (a new parse makes new nodes).
 */
export function summaryOf(fn: FunctionLike, resolve: CalleeResolver, walk: SummaryWalk = { active: new Set(), cuts: 0 }): FunctionSummary {
  let cache = caches.get(resolve);
  if (!cache) caches.set(resolve, (cache = new WeakMap()));
  const cached = cache.get(fn);
  if (cached) return cached;
  if (!fn.body) return EMPTY;
  if (walk.active.size >= MAX_DEPTH || walk.active.has(fn)) {
    walk.cuts++;
    return EMPTY;
  }
  const cutsBefore = walk.cuts;
  walk.active.add(fn);
  const parameters = fn.parameters.map((p) => new Set(boundNames(p.name).map((id) => id.text)));
  const rowLocks: ParameterRowLock[] = [];
  // Calls that run before it returns: not those in nested functions. An expression body may itself be the call.
  const calls = nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS, { skipFunctions: true });
  if (ts.isCallExpression(fn.body) || ts.isTaggedTemplateExpression(fn.body)) calls.unshift(fn.body);
  for (const call of calls) {
    const access = dbAccessOf(call);
    if (access) {
      const mode = lockModeOf(access);
      const through = access.transactionOption ?? access.handle;
      const parameter = mode && through ? parameterOf(through, parameters) : -1;
      if (mode && parameter >= 0) rowLocks.push({ parameter, access, mode, chain: [] });
      continue;
    }
    if (!ts.isCallExpression(call) || !call.arguments.some((a) => parameterOf(a, parameters) >= 0)) continue;
    const callee = resolve(call);
    if (!callee || callee === fn) continue;
    const declared = declaredRowLockAt(call, callee, resolve);
    if (declared) {
      const parameter = parameterOf(call.arguments[declared.parameter]!, parameters);
      if (parameter >= 0) rowLocks.push({ ...declared, parameter });
      continue;
    }
    for (const lock of summaryOf(callee, resolve, walk).rowLocks) {
      const argument = call.arguments[lock.parameter];
      const parameter = argument ? parameterOf(argument, parameters) : -1;
      if (parameter >= 0) rowLocks.push({ ...lock, parameter, chain: [call, ...lock.chain] });
    }
  }
  walk.active.delete(fn);
  const summary = rowLocks.length > 0 ? { rowLocks } : EMPTY;
  // A summary that met a cycle or the depth bound is partial: used for this question, not kept.
  if (walk.cuts === cutsBefore) cache.set(fn, summary);
  return summary;
}

/**
 * The row lock a call of a declared `row-lock` helper takes (`lockAccount(tx, accountId)`), as if the call were the
 * locking statement itself: `SELECT … FROM <table> WHERE id = <key argument> FOR UPDATE` through the transaction
 * argument. A declaration wins over the helper's body. Undefined when `callee` is not declared so, or the call does not
 * pass the transaction argument.
 */
export function declaredRowLockAt(call: ts.CallExpression, callee: FunctionLike, resolve: CalleeResolver): ParameterRowLock | undefined {
  const declaration = declaredRowLockOf(callee, programOf(resolve), call.getSourceFile().fileName);
  const handle = declaration?.transaction !== undefined ? call.arguments[declaration.transaction] : undefined;
  if (!declaration || !handle || call.arguments.some(ts.isSpreadElement)) return undefined;
  const key = declaration.key !== undefined ? call.arguments[declaration.key] : undefined;
  const access: DbAccess = {
    node: call,
    library: "sql",
    kind: "read",
    handle,
    lock: "update",
    assignments: [],
    conditions: key ? [{ column: "id", operator: "=", value: key }] : [],
    ...(declaration.table ? { table: declaration.table.toLowerCase() } : {}),
  };
  return { parameter: declaration.transaction!, access, mode: "update", chain: [], declared: declaration.function };
}

/** A locking read holds its lock mode; a write (not Redis) holds a write lock on the rows it changes. */
export function lockModeOf(access: DbAccess): RowLockMode | "write" | undefined {
  if (access.kind === "read" && access.lock) return access.lock;
  if (access.kind === "write" && access.library !== "redis") return "write";
  return undefined;
}

/** Which parameter `expr` is (`tx`, `tx.manager`, `t` after `const t = tx`, `options.transaction`), or -1. */
export function parameterOf(expr: ts.Expression, parameters: ReadonlyArray<ReadonlySet<string>>): number {
  const root = /^[\w$]+/.exec(canonicalKey(skipAwait(expr)))?.[0];
  return root === undefined ? -1 : parameters.findIndex((names) => names.has(root));
}
