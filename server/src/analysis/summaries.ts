// Function summaries: what a project function does to the transaction it is given, in terms of its parameters, so a
// call site can apply it without reading the body again. `lockShelf(tx, id)` whose body runs `SELECT … FOR UPDATE`
// through `tx` summarises as "locks rows of Book through parameter 0"; a caller that passes its own transaction then
// holds those row locks after the call. One walk of the body answers every per-parameter question: the row locks, the
// connections it sends BEGIN or COMMIT/ROLLBACK on (transaction-helpers.ts), the transactions it takes
// `pg_advisory_xact_lock` on (advisory-xact-locks.ts). Summaries compose: a helper that calls a locking helper with its
// own parameter locks through that parameter too. They are computed bottom-up: the functions reached through calls
// that pass a parameter on, split into strongly connected components, callees first, each component iterated to a
// fixpoint.
import { ts } from "../engine/ts";
import {
  CALL_KINDS,
  boundNames,
  calleeName,
  importsOf,
  isFunctionLike,
  nodesOfKinds,
  receiverOf,
  skipAwait,
  skipParens,
  type FunctionLike,
} from "./ast";
import { dbAccessOf, type DbAccess } from "./db";
import { canonicalKey, isModuleLevel, sameIdentity } from "./identity";
import { lockAcquisitionOf } from "./locks";
import { endsTransactionMethod } from "./models/transaction-libraries";
import { transactionOpenersOf } from "./transactions";
import { namedFunctionsIn, projectFunctionNames, projectFunctionOf } from "./slow-calls";
import type { RowLockMode } from "./sql";
import { declaredRowLockOf } from "./lock-declarations";
import { solveBottomUp } from "./flow/bottom-up";

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
  /**
   * The parameters it sends BEGIN (or `beginTransaction()`) on, leaving the caller's connection in a transaction, and
   * those it sends COMMIT/ROLLBACK on. A parameter it does both on (a wrapper around a callback) is in neither.
   */
  opens: ReadonlySet<number>;
  ends: ReadonlySet<number>;
  /** The transaction-scoped advisory locks (`pg_advisory_xact_lock`) it takes through a parameter. */
  xactLocks: ParameterXactLock[];
}

/** A transaction-scoped advisory lock a function takes through parameter `parameter` (the transaction). */
export interface ParameterXactLock {
  parameter: number;
  /**
   * The parameters its key is computed from (`hashtext(${id})` in `lockAgent(tx, id)`: [1]); empty for a key of
   * constants only (one lock for every call); undefined when it comes from something else (a local, a field).
   */
  key: number[] | undefined;
}

/** Finds the project function a call invokes (undefined for library calls and calls it cannot resolve). */
export type CalleeResolver = (call: ts.CallExpression) => FunctionLike | undefined;

const NONE: ReadonlySet<number> = new Set();
const EMPTY: FunctionSummary = { rowLocks: [], opens: NONE, ends: NONE, xactLocks: [] };
const noChecker = () => undefined;

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

/**
 * One function's own part of its summary, read once from its body: the statements it runs through its parameters, in
 * order, and the calls of project functions it passes a parameter to (whose summaries it composes).
 */
interface Body {
  fn: FunctionLike;
  steps: Array<{ own: FunctionSummary } | { call: ts.CallExpression; callee: FunctionLike }>;
  /** Which of `fn`'s parameters an argument is, or -1. */
  onParameter: (expr: ts.Expression | undefined) => number;
  /** A lock key's parts in `fn`'s terms: which parameters (named as a whole), undefined if any is something else. */
  keyOf: (parts: readonly ts.Expression[] | undefined) => number[] | undefined;
}

const caches = new WeakMap<CalleeResolver, WeakMap<FunctionLike, FunctionSummary>>();

/**
 * The summary of `fn`, computed bottom-up over the calls that pass a parameter on (`solveBottomUp`). Cached per
 * resolver (one per Program: a summary composed from another file's function is not reused once that file changes)
 * and per function node (a new parse makes new nodes).
 */
export function summaryOf(fn: FunctionLike, resolve: CalleeResolver): FunctionSummary {
  let cache = caches.get(resolve);
  if (!cache) caches.set(resolve, (cache = new WeakMap()));
  const bodies = new Map<FunctionLike, Body>();
  return solveBottomUp(
    fn,
    {
      callees: (f) => {
        const body = bodyOf(f, resolve);
        bodies.set(f, body);
        return body.steps.flatMap((step) => ("callee" in step ? [step.callee] : []));
      },
      compose: (f, summaryAt, recursive) => compose(bodies.get(f)!, summaryAt, resolve, recursive),
      same: sameSummary,
      empty: EMPTY,
    },
    cache,
  );
}

/** `fn`'s steps: its own statements through a parameter, and the project functions it passes a parameter to. */
function bodyOf(fn: FunctionLike, resolve: CalleeResolver): Body {
  const parameters = fn.parameters.map((p) => new Set(boundNames(p.name).map((id) => id.text)));
  const onParameter = (expr: ts.Expression | undefined) => (expr ? parameterOf(expr, parameters) : -1);
  const plainParameters = fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined));
  const keyOf = (parts: readonly ts.Expression[] | undefined): number[] | undefined => {
    const indexes = parts?.map((part) => plainParameters.indexOf(canonicalKey(part)));
    return indexes?.every((i) => i >= 0) ? [...new Set(indexes)] : undefined;
  };
  const steps: Body["steps"] = [];
  // Calls that run before it returns: not those in nested functions. An expression body may itself be the call.
  const calls = fn.body ? nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS, { skipFunctions: true }) : [];
  if (fn.body && (ts.isCallExpression(fn.body) || ts.isTaggedTemplateExpression(fn.body))) calls.unshift(fn.body);
  for (const call of calls) {
    const own = {
      rowLocks: [] as ParameterRowLock[],
      opens: new Set<number>(),
      ends: new Set<number>(),
      xactLocks: [] as ParameterXactLock[],
    };
    const access = dbAccessOf(call);
    const control = ts.isCallExpression(call) ? transactionControlAt(call, access) : undefined;
    const lockedThrough = !control || access ? xactLockHandle(call, access) : undefined;
    if (control) {
      const parameter = onParameter(receiverOf(call as ts.CallExpression));
      if (parameter >= 0) (control === "begin" ? own.opens : own.ends).add(parameter);
    }
    if (lockedThrough) {
      const parameter = onParameter(lockedThrough);
      if (parameter >= 0) own.xactLocks.push({ parameter, key: keyOf(xactLockKeyOf(call, lockedThrough)) });
    }
    if ((!control || access) && (!lockedThrough || access) && access) {
      const mode = lockModeOf(access);
      const parameter = mode ? onParameter(access.transactionOption ?? access.handle) : -1;
      if (mode && parameter >= 0) own.rowLocks.push({ parameter, access, mode, chain: [] });
    }
    if (own.rowLocks.length + own.opens.size + own.ends.size + own.xactLocks.length > 0) steps.push({ own });
    if (control || lockedThrough || access) continue;
    if (!ts.isCallExpression(call) || !call.arguments.some((a) => onParameter(a) >= 0)) continue;
    const callee = resolve(call);
    if (callee && callee !== fn) steps.push({ call, callee });
  }
  return { fn, steps, onParameter, keyOf };
}

/** A function's summary from its steps, each call's callee summarised as `summaryAt` says now. */
function compose(
  body: Body,
  summaryAt: (callee: FunctionLike) => FunctionSummary,
  resolve: CalleeResolver,
  recursive: boolean,
): FunctionSummary {
  const { onParameter, keyOf } = body;
  const rowLocks: ParameterRowLock[] = [];
  const opens = new Set<number>();
  const ends = new Set<number>();
  const xactLocks: ParameterXactLock[] = [];
  // In a recursive component a fact comes back around the cycle: a row lock whose chain runs through one call twice
  // is that lock again, and a transaction lock already stated through the same parameter and key is kept once.
  const addRowLock = (lock: ParameterRowLock) => {
    if (!recursive || new Set(lock.chain).size === lock.chain.length) rowLocks.push(lock);
  };
  const seenXact = new Set<string>();
  const addXactLock = (lock: ParameterXactLock, fromCall: boolean) => {
    const id = `${lock.parameter}:${lock.key?.join(",") ?? "?"}`;
    if (!recursive || !fromCall || !seenXact.has(id)) xactLocks.push(lock);
    seenXact.add(id);
  };
  for (const step of body.steps) {
    if ("own" in step) {
      for (const p of step.own.opens) opens.add(p);
      for (const p of step.own.ends) ends.add(p);
      for (const lock of step.own.xactLocks) addXactLock(lock, false);
      for (const lock of step.own.rowLocks) addRowLock(lock);
      continue;
    }
    const { call, callee } = step;
    const inner = summaryAt(callee);
    // The callee's parameter `index` is the argument the call passes there: which of this function's parameters, if any.
    const passOn = (indexes: ReadonlySet<number>, into: Set<number>) => {
      for (const index of indexes) {
        const parameter = onParameter(call.arguments[index]);
        if (parameter >= 0) into.add(parameter);
      }
    };
    passOn(inner.opens, opens);
    passOn(inner.ends, ends);
    for (const lock of inner.xactLocks) {
      const parameter = onParameter(call.arguments[lock.parameter]);
      if (parameter >= 0) addXactLock({ parameter, key: keyOf(keyInCallTerms(call, lock.key)) }, true);
    }
    for (const lock of rowLocksAtCall(call, callee, resolve, inner)) {
      const parameter = onParameter(call.arguments[lock.parameter]);
      if (parameter >= 0) addRowLock({ ...lock, parameter });
    }
  }
  const summary: FunctionSummary = {
    rowLocks,
    // Opened and ended on one parameter: a wrapper (or open-and-close helper), not an opener.
    opens: new Set([...opens].filter((p) => !ends.has(p))),
    ends: new Set([...ends].filter((p) => !opens.has(p))),
    xactLocks,
  };
  return rowLocks.length + summary.opens.size + summary.ends.size + xactLocks.length === 0 ? EMPTY : summary;
}

const nodeIds = new WeakMap<ts.Node, number>();
let nextNodeId = 0;
function nodeId(node: ts.Node): number {
  let id = nodeIds.get(node);
  if (id === undefined) nodeIds.set(node, (id = nextNodeId++));
  return id;
}

/** Whether two summaries state the same facts (row locks by parameter, statement and chain; the sets; the xact locks). */
function sameSummary(a: FunctionSummary, b: FunctionSummary): boolean {
  if (a === b) return true;
  const locks = (s: FunctionSummary) =>
    s.rowLocks.map((l) => `${l.parameter}:${nodeId(l.access.node)}:${l.chain.map(nodeId).join(".")}:${l.mode}`).join("|");
  const xact = (s: FunctionSummary) => s.xactLocks.map((l) => `${l.parameter}:${l.key?.join(",") ?? "?"}`).join("|");
  const set = (x: ReadonlySet<number>) => [...x].sort().join(",");
  return locks(a) === locks(b) && xact(a) === xact(b) && set(a.opens) === set(b.opens) && set(a.ends) === set(b.ends);
}

/**
 * The row locks a call of project function `callee` takes, each by the argument it goes through (`parameter` is the
 * call's argument index): a declared `row-lock` helper's declaration, which wins over its body, else the row locks of
 * its summary (`inner`, when the caller has it already) with the call put first in each chain. What a summary composes
 * from its callees, and what a transaction holds after a helper call given its handle.
 */
export function rowLocksAtCall(
  call: ts.CallExpression,
  callee: FunctionLike,
  resolve: CalleeResolver,
  inner?: FunctionSummary,
): ParameterRowLock[] {
  const declared = declaredRowLockAt(call, callee, resolve);
  if (declared) return [declared];
  return (inner ?? summaryOf(callee, resolve)).rowLocks.map((lock) => ({ ...lock, chain: [call, ...lock.chain] }));
}

/** `c.query("BEGIN")`, `conn.beginTransaction()`: "begin"; COMMIT, ROLLBACK, `conn.commit()`: "end"; else undefined. */
function transactionControlAt(call: ts.CallExpression, access: DbAccess | undefined): "begin" | "end" | undefined {
  if (access?.kind === "begin" || transactionOpenersOf(call).some(({ opener }) => opener.form === "begin")) return "begin";
  if (access?.kind === "commit" || access?.kind === "rollback" || endsTransactionMethod(calleeName(call) ?? "")) return "end";
  return undefined;
}

/**
 * `h.execute(sql\`select pg_advisory_xact_lock(…)\`)`, `h.query("SELECT pg_advisory_xact_lock($1)", …)`: the handle a
 * blocking transaction-scoped advisory lock is taken through, else undefined.
 */
export function xactLockHandle(
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  access = dbAccessOf(call),
): ts.Expression | undefined {
  const acquisition = lockAcquisitionOf(call, noChecker);
  if (!acquisition?.transactionScoped || acquisition.style !== "blocking") return undefined;
  // `tx.$executeRaw\`…\``: the tag's receiver; Kysely's `sql\`…\`.execute(trx)`: the argument of the chained execute.
  const tag = ts.isTaggedTemplateExpression(call) && ts.isPropertyAccessExpression(call.tag) ? call.tag.expression : undefined;
  const executed = ts.isTaggedTemplateExpression(call) ? executedOn(call) : undefined;
  return access?.transactionOption ?? access?.handle ?? (ts.isCallExpression(call) ? receiverOf(call) : (tag ?? executed));
}

/** `sql\`…\`.execute(trx)`: `trx`. */
function executedOn(template: ts.TaggedTemplateExpression): ts.Expression | undefined {
  const member = template.parent;
  const call = member && ts.isPropertyAccessExpression(member) && member.name.text === "execute" ? member.parent : undefined;
  return call && ts.isCallExpression(call) && call.expression === member ? call.arguments[0] : undefined;
}

/**
 * What the key of the advisory lock taken at `call` through `handle` is computed from: the names and members its
 * statement interpolates or passes as parameters (`hashtext(${`agent:${id}`})`, `[lockId]`), constants of the file and
 * globals left out. Empty for a key of constants only: every call takes the same lock.
 */
export function xactLockKeyOf(call: ts.CallExpression | ts.TaggedTemplateExpression, handle: ts.Expression): ts.Expression[] {
  return keyPartsOf(call).filter((part) => !sameIdentity(part, handle) && !isModuleLevel(part));
}

/**
 * The names and members (`id`, `input.agentId`, `this.key`) an expression computes a value from, as lock keys are
 * compared: not the functions it calls nor the tags of its templates, not what nested functions use.
 */
export function keyPartsOf(expr: ts.Node): ts.Expression[] {
  const parts: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) return;
    if (isReference(node)) {
      parts.push(node);
      return;
    }
    if (ts.isTaggedTemplateExpression(node)) return visit(node.template);
    if (ts.isCallExpression(node)) {
      // `sql\`…\`.execute(trx)`: the receiver is part of the statement; `keys.agent(id)`, `client.query`: a callee.
      const callee = skipParens(node.expression);
      if (ts.isPropertyAccessExpression(callee) && !isReference(callee.expression)) visit(callee.expression);
      for (const argument of node.arguments) visit(argument);
      return;
    }
    if (ts.isPropertyAssignment(node)) return visit(node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(expr);
  return parts;
}

/** A key stated as parameters of the called function, as the parts of the call's arguments there (constants left out). */
export function keyInCallTerms(call: ts.CallExpression, key: readonly number[] | undefined): ts.Expression[] | undefined {
  if (key === undefined || key.some((i) => !call.arguments[i])) return undefined;
  return key.flatMap((i) => keyPartsOf(call.arguments[i]!).filter((part) => !isModuleLevel(part)));
}

/** A name, `this`, or a chain of members of one (`input.agent.id`). */
function isReference(node: ts.Node): node is ts.Expression {
  let current = node;
  while (ts.isPropertyAccessExpression(current)) current = current.expression;
  return ts.isIdentifier(current) || current.kind === ts.SyntaxKind.ThisKeyword;
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
