// Per-function lock summaries: which locks a function acquires, which calls it makes, and at which of them each lock
// may be held (asked of the core along the function's paths: lock-holding.ts, transactions.ts). Callbacks that run inside the call that receives them (a scoped lock's
// body, `$transaction(async (tx) => ...)`) belong to the enclosing function's summary.
//
// Summaries hold no ts.Nodes (only offsets and strings), so they outlive the Program that produced them: they are
// cached per file content, and an edit re-analyses only the edited file (plus files whose lock declarations it
// named, when those change).
//
// Only functions that acquire a lock themselves are summarised with the file; the others (most of any program) only
// when the composer reaches them, through a call made while a lock is held or a callback passed to a lock helper. The
// cost then follows the lock graph, not the size of the program.
import * as crypto from "node:crypto";
import { ts } from "../../engine/ts";
import { normalizePath } from "../../engine/paths";
import type { DeclaredLocks, Span } from "../../engine/types";
import {
  boundNames,
  CALL_KINDS,
  calleeName,
  FUNCTION_KINDS,
  functionName,
  isFunctionLike,
  isInside,
  nodesOfKinds,
  skipParens,
  spanOf,
  type FunctionLike,
} from "../ast";
import { elementRunning, graphOf } from "../flow/queries";
import { acquisitionPaths } from "../lock-holding";
import { callbackReferenceName, wrapperAcquisitionsIn } from "../lock-wrappers";
import { inUsingScope, isDisposedByUsing, isReleaseOf, lockAcquisitionsIn, resultBinding, type LockAcquisition } from "../locks";
import { sqlSiteOf } from "../sql-text";
import { parseSql } from "../sql";
import { isInsideOrderingBranch, keyRefOf, parameterNames, type KeyRef } from "./keys";
import { lockIdentityOf, type LockClass, type LockIdentity } from "./lock-class";
import { takenInLaterTurnOfSortedLoop } from "./multi-key";
import { ormRowLockOf } from "./orm-rows";
import { heldSince, transactionCallbackOf, transactionScopeOf } from "../transactions";
import { placeholderValue } from "../db";

export interface AcquisitionSummary {
  lockClass: LockClass;
  /** The instance key, in the terms of the function's parameters. */
  key?: KeyRef;
  /** What the key selects by (`id`, `albumid` for row locks): keys of different domains are not two instances. */
  keyDomain?: string;
  /** The acquisition call. */
  span: Span;
  /**
   * Starts of the summary's calls and acquisitions where the lock may be held, along the function's paths: a scoped
   * form's callback; after an explicit acquisition until its release (not on a try-lock's failure branch); after a
   * row lock until its transaction ends. Offsets, not nodes, so that the summary outlives its Program.
   */
  heldAt: number[];
  /** Scoped form whose callback is the held region (`runExclusive`, `lock(key, fn)`): a candidate for `lockAll`. */
  scoped: boolean;
  /** Inside a branch that compares values (`if (a < b)`): the code chose the order itself. */
  orderedByBranch: boolean;
  /** A locking read's result, by the name it is bound to (`const run = await tx…for("update")`): the rows it holds. */
  rows?: string;
}

export interface CallSummary {
  span: Span;
  /** Offset of the name to resolve (`f` in `f()`, `m` in `this.m()`). */
  nameAt: number;
  /** Arguments, in the caller's terms. */
  args: Array<KeyRef | undefined>;
  orderedByBranch: boolean;
  /** The callee is the function's own parameter (`fn()` in `withLock(fn)`): which one. */
  calleeParam?: number;
  /** Function literals passed as arguments (their own summaries, found by start offset in this file). */
  callbacks: Array<{ index: number; start: number }>;
  /**
   * Its promise is dropped (`f();`, `void f()`, `f().catch(log);` as a statement): the caller goes on without waiting
   * for what the call waits for.
   */
  detached?: true;
}

/** A function of a file, before (or without) its summary. */
export interface FunctionInfo {
  /** `file#name` (`file#AccountService.transfer`); `@offset` is appended for anonymous or duplicate names. */
  id: string;
  name: string;
  file: string;
  /** Where the function starts (its declaration): the key the call resolver looks it up by. */
  start: number;
  /** It acquires a lock itself (its summary is computed with the file's). */
  acquiring: boolean;
  /** Names of the functions it passes a function literal to (a superset of its calls with `callbacks`). */
  callbackCallees?: string[];
}

export interface FunctionSummary extends FunctionInfo {
  acquisitions: AcquisitionSummary[];
  calls: CallSummary[];
}

type InlineRole = "lock" | "transaction";

/** The functions of a file. */
export interface FunctionTable {
  /** Every function of the file, in pre-order. */
  functions: FunctionInfo[];
  byStart: Map<number, FunctionInfo>;
  /** Start offsets of the function literals that run inside the call receiving them (part of their caller's summary). */
  inline: Map<number, InlineRole>;
}

export interface FileSummary {
  file: string;
  hash: string;
  /**
   * The file's functions; left out of a file that acquires no lock (`functionTableOf` lists them when the composer
   * reaches one of them).
   */
  table?: FunctionTable;
  /** The summaries computed so far, by start: every acquiring function's, and those `functionSummaryAt` computed. */
  summarised: Map<number, FunctionSummary>;
  /** Other files whose declarations named this file's locks, with the hash they had. */
  dependencies: Map<string, string>;
  /** The locksmith.json `locks` the summary was computed with (as text): other declarations make other acquisitions. */
  declaredKey: string;
  /**
   * Calls resolved so far (by the offset of the callee's name): the function found, with its file's hash then, or
   * null for "not a project function". Filled lazily by the composer; valid while both files are unchanged.
   */
  resolved: Map<number, { file: string; start: number; hash: string } | null>;
}

const hashes = new WeakMap<ts.SourceFile, string>();
export function contentHash(sourceFile: ts.SourceFile): string {
  let hash = hashes.get(sourceFile);
  if (!hash) hashes.set(sourceFile, (hash = crypto.createHash("sha1").update(sourceFile.text).digest("hex")));
  return hash;
}

const cache = new Map<string, FileSummary>();

/** Statistics for tests and profiling: how many file and function summaries were computed (not served from cache). */
export const summaryStats = { computed: 0, functions: 0 };

/** The text a summary's `declaredKey` compares. */
export function declaredLocksKey(declared: DeclaredLocks | undefined): string {
  return declared ? JSON.stringify(declared) : "";
}

/**
 * The summary of `sourceFile`, from cache when its text (and the declarations it used: lock objects of other files,
 * the project's `locks` in locksmith.json) did not change.
 */
export function fileSummary(sourceFile: ts.SourceFile, program: ts.Program, declared?: DeclaredLocks): FileSummary {
  const file = normalizePath(sourceFile.fileName);
  const hash = contentHash(sourceFile);
  const declaredKey = declaredLocksKey(declared);
  const cached = cache.get(file);
  if (
    cached &&
    cached.hash === hash &&
    cached.declaredKey === declaredKey &&
    [...cached.dependencies].every(([dep, depHash]) => {
      const depFile = program.getSourceFile(dep);
      return depFile !== undefined && contentHash(depFile) === depHash;
    })
  ) {
    return cached;
  }
  summaryStats.computed++;
  const summary = summarise(sourceFile, program, declared);
  cache.set(file, summary);
  return summary;
}

function summarise(sourceFile: ts.SourceFile, program: ts.Program, declared: DeclaredLocks | undefined): FileSummary {
  const file = normalizePath(sourceFile.fileName);
  // Created only when a lock is found (or a receiver may be one): most files of most projects have none.
  let checker: ts.TypeChecker | undefined;
  const realChecker = () => (checker ??= program.getTypeChecker());
  // The library acquisitions every lock rule shares (one pass over the file's calls per Program).
  const libraryCalls = new Map<ts.Node, LockAcquisition>(lockAcquisitionsIn(sourceFile, program, realChecker).map((a) => [a.call, a]));
  const dependencies = new Map<string, string>();
  // Calls of the project's lock helpers (`withLock(key, () => …)`, `@WithLock(key)` on a method; inferred or declared)
  // are acquisitions of the lock they take; a decorated method is the held region of its decorator's acquisition.
  const helperCalls = new Map<ts.Node, LockAcquisition>();
  const decorated = new Map<FunctionLike, LockAcquisition[]>();
  for (const acquisition of wrapperAcquisitionsIn(sourceFile, program, realChecker, declared)) {
    if (acquisition.wrapper?.kind !== "decorates") helperCalls.set(acquisition.call, acquisition);
    else if (acquisition.callback) decorated.set(acquisition.callback, [...(decorated.get(acquisition.callback) ?? []), acquisition]);
  }
  const addDependencies = (identity: LockIdentity) => {
    for (const dep of identity.declarationFiles) {
      const depFile = program.getSourceFile(dep);
      if (dep !== file && depFile) dependencies.set(dep, contentHash(depFile));
    }
  };
  const decorations = new Map<FunctionLike, Array<{ acquisition: LockAcquisition; identity: LockIdentity }>>();
  for (const [method, list] of decorated)
    for (const acquisition of list) {
      const identity = lockIdentityOf(acquisition, realChecker());
      if (!identity) continue;
      addDependencies(identity);
      decorations.set(method, [...(decorations.get(method) ?? []), { acquisition, identity }]);
    }
  const summary: FileSummary = {
    file,
    hash: contentHash(sourceFile),
    declaredKey: declaredLocksKey(declared),
    summarised: new Map(),
    dependencies,
    resolved: new Map(),
  };
  // No lock call, and no statement that locks rows (an UPDATE, a SELECT ... FOR UPDATE, an ORM write by key in a
  // transaction): no function here acquires a lock, and the file is not read further unless the composer reaches one
  // of its functions (`functionTableOf` lists them then, as it would have here).
  if (
    libraryCalls.size === 0 &&
    helperCalls.size === 0 &&
    decorations.size === 0 &&
    (!ROW_LOCKING_WORD.test(sourceFile.text) || !nodesOfKinds<SummaryCall>(sourceFile, CALL_KINDS).some(locksRowsAt))
  )
    return summary;
  const identityOf = (acquisition: LockAcquisition) => {
    const identity = lockIdentityOf(acquisition, realChecker());
    if (identity) addDependencies(identity);
    return identity;
  };
  summary.table = scanFunctions(sourceFile, summary, { libraryCalls, helperCalls, decorations, identityOf });
  return summary;
}

type SummaryCall = ts.CallExpression | ts.TaggedTemplateExpression;

/** A statement that locks rows: row-locking SQL (`locksRows`), or an ORM write or locking read of a row (`ormRowLockOf`). */
function locksRowsAt(call: SummaryCall): boolean {
  const site = sqlSiteOf(call);
  return site ? locksRows(parseSql(site.sql)) : ormRowLockOf(call) !== undefined;
}

/** Words of statements that lock rows: SQL UPDATE / FOR UPDATE / DELETE, ORM `update`, `increment`, `decrement`, `upsert`. */
const ROW_LOCKING_WORD = /\b(update|updateMany|increment|decrement|upsert)\b|\bDELETE\s+FROM\b/i;

interface FoundLocks {
  libraryCalls: ReadonlyMap<ts.Node, LockAcquisition>;
  helperCalls: ReadonlyMap<ts.Node, LockAcquisition>;
  decorations: ReadonlyMap<FunctionLike, ReadonlyArray<{ acquisition: LockAcquisition; identity: LockIdentity }>>;
  identityOf(acquisition: LockAcquisition): LockIdentity | undefined;
}

const NO_LOCKS: FoundLocks = { libraryCalls: new Map(), helperCalls: new Map(), decorations: new Map(), identityOf: () => undefined };

/** Lists the functions of a file, and summarises those that acquire a lock (into `summary.summarised`). */
function scanFunctions(sourceFile: ts.SourceFile, summary: FileSummary, found: FoundLocks): FunctionTable {
  const { libraryCalls, helperCalls, decorations } = found;
  const acquisitions = new Map<ts.Node, { acquisition: LockAcquisition; identity: LockIdentity }>();
  /** Function literals that run inside the call receiving them, mapped to whether they are a transaction. */
  const inline = new Map<ts.Node, InlineRole>();
  const units: FunctionLike[] = [];
  /** Calls that make the function they belong to an acquiring one: acquisitions, and statements that lock rows. */
  const acquiringCalls: ts.Node[] = [];
  const callbackCalls: Array<{ call: ts.CallExpression; callee: string }> = [];

  // Calls and functions in pre-order: a call is seen before the function literals passed to it.
  for (const node of nodesOfKinds(sourceFile, SUMMARY_KINDS)) {
    if (isFunctionLike(node)) {
      if (!inline.has(node) && node.body) units.push(node);
      continue;
    }
    const call = node as SummaryCall;
    const acquisition = libraryCalls.get(call) ?? helperCalls.get(call);
    const identity = acquisition && found.identityOf(acquisition);
    if (acquisition && identity) {
      acquisitions.set(call, { acquisition, identity });
      // A literal runs inside the call; a function named by the argument keeps its own summary (a call made under the lock).
      if (acquisition.callback && isInside(acquisition.callback, call)) inline.set(acquisition.callback, "lock");
      acquiringCalls.push(call);
      continue;
    }
    // A transaction opener's callback (models/transaction-libraries.ts) runs inside the call, in one transaction.
    const opener = ts.isCallExpression(call) ? transactionCallbackOf(call) : undefined;
    if (opener) inline.set(opener, "transaction");
    if (locksRowsAt(call)) acquiringCalls.push(call);
    if (ts.isCallExpression(call) && call.arguments.some((arg) => isFunctionLike(skipParens(arg))))
      callbackCalls.push({ call, callee: calleeName(call) ?? "" });
  }

  // The function whose summary a call belongs to: the nearest enclosing one that is not inline.
  const ownerOf = (node: ts.Node): ts.Node | undefined => {
    for (let current = node.parent; current; current = current.parent) if (isFunctionLike(current) && !inline.has(current)) return current;
    return undefined;
  };
  const acquiring = new Set<ts.Node | undefined>([...acquiringCalls.map(ownerOf), ...decorations.keys()]);
  const callbackCallees = new Map<ts.Node, string[]>();
  for (const { call, callee } of callbackCalls) {
    const owner = ownerOf(call);
    if (owner) callbackCallees.set(owner, [...(callbackCallees.get(owner) ?? []), callee]);
  }

  const inlineStarts = new Map<number, InlineRole>();
  for (const [fn, role] of inline) inlineStarts.set(fn.getStart(sourceFile), role);
  const functions: FunctionInfo[] = [];
  const byStart = new Map<number, FunctionInfo>();
  const ids = new Set<string>();
  const file = summary.file;
  for (const unit of units) {
    const name = unitName(unit, inline);
    const start = unit.getStart(sourceFile);
    let id = `${file}#${name}`;
    if (name === "<anonymous>" || ids.has(id)) id = `${id}@${start}`;
    ids.add(id);
    const callees = callbackCallees.get(unit);
    const info: FunctionInfo = { id, name, file, start, acquiring: acquiring.has(unit), ...(callees ? { callbackCallees: callees } : {}) };
    functions.push(info);
    byStart.set(start, info);
    if (info.acquiring)
      summary.summarised.set(
        start,
        summariseFunction(unit, info, sourceFile, acquisitions, (fn) => inline.get(fn), decorations.get(unit)),
      );
  }
  return { functions, byStart, inline: inlineStarts };
}

/** The functions of a file summarised as `summary` (`sourceFile` has its text), listed on first need. */
export function functionTableOf(summary: FileSummary, sourceFile: ts.SourceFile): FunctionTable {
  return (summary.table ??= scanFunctions(sourceFile, summary, NO_LOCKS));
}

const SUMMARY_KINDS = [...CALL_KINDS, ...FUNCTION_KINDS];

/**
 * The summary of the function starting at `start` in a file summarised as `summary` (`sourceFile` has its text),
 * computed on first need for a function that acquires no lock itself: what it calls is all it has.
 */
export function functionSummaryAt(summary: FileSummary, start: number, sourceFile: ts.SourceFile): FunctionSummary | undefined {
  const known = summary.summarised.get(start);
  if (known) return known;
  const table = functionTableOf(summary, sourceFile);
  const info = table.byStart.get(start);
  const unit = info && unitsByStart(sourceFile).get(start);
  if (!info || !unit) return undefined;
  const roleOf = (fn: ts.Node) => table.inline.get(fn.getStart(sourceFile));
  const computed = summariseFunction(unit, info, sourceFile, new Map(), roleOf);
  summary.summarised.set(start, computed);
  return computed;
}

const unitIndexes = new WeakMap<ts.SourceFile, Map<number, FunctionLike>>();

/** The functions with a body of a file, by start offset (the last one wins, as in a summary's `byStart`). */
function unitsByStart(sourceFile: ts.SourceFile): Map<number, FunctionLike> {
  let units = unitIndexes.get(sourceFile);
  if (!units) {
    units = new Map();
    for (const fn of nodesOfKinds<FunctionLike>(sourceFile, FUNCTION_KINDS)) if (fn.body) units.set(fn.getStart(sourceFile), fn);
    unitIndexes.set(sourceFile, units);
  }
  return units;
}

/** A function's name for messages; a function literal passed as an argument is "the callback passed by `f`". */
function unitName(unit: FunctionLike, inline: ReadonlyMap<ts.Node, unknown>): string {
  const own = functionName(unit);
  if (own !== "<anonymous>" || !ts.isCallExpression(unit.parent)) return own;
  for (let current = unit.parent.parent; current; current = current.parent) {
    if (isFunctionLike(current) && !inline.has(current)) return `${CALLBACK_PREFIX}${functionName(current)}`;
  }
  // A handler built at the top of a module is named by what it is stored as: `update: procedure.mutation(async … )`.
  for (let current: ts.Node = unit.parent; !ts.isSourceFile(current); current = current.parent) {
    if ((ts.isPropertyAssignment(current) || ts.isVariableDeclaration(current)) && ts.isIdentifier(current.name)) return current.name.text;
  }
  return own;
}

/** Marks a unit name as "the callback passed by ...". */
export const CALLBACK_PREFIX = "<callback>";

interface Collected {
  acquisitions: Array<{
    node: ts.CallExpression | ts.TaggedTemplateExpression;
    acquisition?: LockAcquisition;
    identity: LockIdentity;
    transactional: boolean;
    /** A `SELECT … FOR UPDATE` (or an ORM's locking read): its result is the rows it locked. */
    lockingRead?: boolean;
  }>;
  calls: ts.CallExpression[];
  /**
   * Functions a lock helper is given by name (`withLock(key, doWork)`, `this.flush.bind(this)`): the helper calls them
   * while it holds its lock, so each is a call, made where the argument is, of the function the name resolves to.
   */
  namedCallbacks: Array<{ argument: ts.Expression; name: ts.Identifier }>;
}

function summariseFunction(
  unit: FunctionLike,
  info: FunctionInfo,
  sourceFile: ts.SourceFile,
  acquisitions: ReadonlyMap<ts.Node, { acquisition: LockAcquisition; identity: LockIdentity }>,
  roleOf: (fn: ts.Node) => InlineRole | undefined,
  decorations: ReadonlyArray<{ acquisition: LockAcquisition; identity: LockIdentity }> = [],
): FunctionSummary {
  summaryStats.functions++;
  const collected: Collected = { acquisitions: [], calls: [], namedCallbacks: [] };
  for (const { acquisition, identity } of decorations)
    collected.acquisitions.push({ node: acquisition.call, acquisition, identity, transactional: false });
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node) && !roleOf(node)) return; // runs at another time: its own summary
    if (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) collectCall(node, acquisitions, collected);
    ts.forEachChild(node, visit);
  };
  if (unit.body) ts.forEachChild(unit.body, visit);

  const params = parameterNames(unit);
  const summaries: AcquisitionSummary[] = [];
  const named = collected.namedCallbacks.map((c) => c.argument);
  const sites = [...collected.calls, ...named, ...collected.acquisitions.map((a) => a.node)];
  const keyAt = new Map<ts.Node, ts.Expression | undefined>(collected.acquisitions.map((a) => [a.node, a.identity.key]));
  for (const entry of collected.acquisitions) {
    const holds = holderOf(entry);
    if (!holds) continue;
    // A lock kept from an earlier turn of a loop over sorted keys is below, in key order, what this turn takes.
    const heldThere = (site: ts.Node) =>
      site !== entry.node && holds(site) && !takenInLaterTurnOfSortedLoop(entry.node, entry.identity.key, site, keyAt.get(site));
    const heldAt = [...new Set(sites.filter(heldThere).map((site) => site.getStart(sourceFile)))];
    summaries.push({
      lockClass: entry.identity.lockClass,
      ...(entry.identity.key ? { key: keyRefOf(entry.identity.key, unit) } : {}),
      ...(entry.identity.keyDomain ? { keyDomain: entry.identity.keyDomain } : {}),
      span: spanOf(entry.node, sourceFile),
      heldAt: heldAt.sort((a, b) => a - b),
      scoped: entry.acquisition?.style === "scoped",
      orderedByBranch: isInsideOrderingBranch(entry.node, unit),
      ...(entry.lockingRead ? rowsBinding(entry.node) : {}),
    });
  }
  const acquisitionCalls = new Set<ts.Node>(collected.acquisitions.map((a) => a.node));
  const calls: CallSummary[] = [];
  for (const call of collected.calls) {
    if (acquisitionCalls.has(call)) continue;
    const callee = skipParens(call.expression);
    const nameNode = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) ? callee.name : undefined;
    if (!nameNode) continue;
    calls.push({
      span: spanOf(call, sourceFile),
      nameAt: nameNode.getStart(sourceFile),
      args: call.arguments.map((arg) => (ts.isSpreadElement(arg) ? undefined : keyRefOf(arg, unit))),
      orderedByBranch: isInsideOrderingBranch(call, unit),
      ...(ts.isIdentifier(callee) && params.has(callee.text) ? { calleeParam: params.get(callee.text)! } : {}),
      ...(isDropped(call) ? { detached: true as const } : {}),
      callbacks: call.arguments.flatMap((arg, index) => {
        const fn = skipParens(arg);
        return isFunctionLike(fn) && !roleOf(fn) && fn.body ? [{ index, start: fn.getStart(sourceFile) }] : [];
      }),
    });
  }
  for (const { argument, name } of collected.namedCallbacks)
    calls.push({
      span: spanOf(argument, sourceFile),
      nameAt: name.getStart(sourceFile),
      // The helper passes its own arguments, if any: none of the caller's keys.
      args: [],
      orderedByBranch: isInsideOrderingBranch(argument, unit),
      callbacks: [],
    });
  return { ...info, acquisitions: summaries, calls };
}

/**
 * A call whose result nobody waits for: the whole of an expression statement or of a `void`, also through the
 * handlers chained on it (`f().catch(log);`, `f().then(done, fail);`). A promise stored or returned may be awaited later.
 */
function isDropped(call: ts.CallExpression): boolean {
  let node: ts.Node = call;
  for (;;) {
    const parent = node.parent;
    if (ts.isParenthesizedExpression(parent)) node = parent;
    else if (
      ts.isPropertyAccessExpression(parent) &&
      parent.expression === node &&
      /^(catch|then|finally)$/.test(parent.name.text) &&
      ts.isCallExpression(parent.parent) &&
      parent.parent.expression === parent
    )
      node = parent.parent;
    else return ts.isExpressionStatement(parent) || ts.isVoidExpression(parent);
  }
}

function collectCall(
  node: ts.CallExpression | ts.TaggedTemplateExpression,
  acquisitions: ReadonlyMap<ts.Node, { acquisition: LockAcquisition; identity: LockIdentity }>,
  collected: Collected,
): void {
  const known = acquisitions.get(node);
  if (known) {
    const transactional = known.acquisition.transactionScoped;
    collected.acquisitions.push({ node, acquisition: known.acquisition, identity: known.identity, transactional });
    const { callback, callbackArgument } = known.acquisition;
    const name = callback && callbackArgument && !isInside(callback, node) ? callbackReferenceName(callbackArgument) : undefined;
    if (name) collected.namedCallbacks.push({ argument: callbackArgument!, name });
    return;
  }
  if (ts.isCallExpression(node)) collected.calls.push(node);
  const site = sqlSiteOf(node);
  if (!site) {
    const identity = ormRowLockOf(node);
    if (identity) collected.acquisitions.push({ node, identity, transactional: true, lockingRead: identity.lockingRead });
    return;
  }
  const statement = parseSql(site.sql);
  const rows = rowLockOf(node, statement);
  if (rows) collected.acquisitions.push({ node, identity: rows, transactional: true, lockingRead: statement.kind === "select" });
}

/**
 * The name a locking read's result is bound to, through the awaits, `.then(…)`, `.limit(…)` and indexing of its chain:
 * `const [run] = await tx.select()…for("update")`, `const { rows: [run] } = await client.query(…)`.
 */
function rowsBinding(node: ts.Node): { rows: string } | Record<string, never> {
  let current = node;
  while (
    ts.isAwaitExpression(current.parent) ||
    ts.isParenthesizedExpression(current.parent) ||
    ts.isAsExpression(current.parent) ||
    ts.isNonNullExpression(current.parent) ||
    ts.isElementAccessExpression(current.parent) ||
    (ts.isPropertyAccessExpression(current.parent) && current.parent.expression === current) ||
    (ts.isCallExpression(current.parent) && current.parent.expression === current)
  )
    current = current.parent;
  const declaration = current.parent;
  if (!ts.isVariableDeclaration(declaration) || declaration.initializer !== current) return {};
  const names = boundNames(declaration.name);
  return names.length === 1 ? { rows: names[0]!.text } : {};
}

/**
 * Rows locked by one statement: `UPDATE t SET ... WHERE col = $1`, `DELETE FROM t WHERE col = $1` or `SELECT ... WHERE
 * col = $1 FOR UPDATE`, with
 * the key the placeholder stands for. `WHERE id = ANY($1) ORDER BY id FOR UPDATE` locks rows in a canonical order:
 * a keyless acquisition of the class.
 */
function rowLockOf(
  node: ts.CallExpression | ts.TaggedTemplateExpression,
  statement: ReturnType<typeof parseSql>,
): LockIdentity | undefined {
  if (!locksRows(statement) || !statement.table) return undefined;
  const lockClass: LockClass = { id: `rows:${statement.table}`, label: `${statement.table} rows`, kind: "row-lock" };
  const equality = statement.conditions.find(
    (c) => c.operator === "=" && c.placeholders.length === 1 && /^(\$\d+|\?|\$\?)$/.test(c.expression.trim()),
  );
  const key = equality && placeholderValue(node, equality.placeholders[0]!);
  return key
    ? { lockClass, key, keyDomain: equality.column.split(".").pop()!.toLowerCase(), declarationFiles: [] }
    : { lockClass, declarationFiles: [] };
}

/**
 * An UPDATE, a DELETE (which holds the rows it removes until the transaction ends, as an UPDATE holds those it
 * changes), or a SELECT ... FOR UPDATE / FOR NO KEY UPDATE, of a named table.
 */
function locksRows(statement: ReturnType<typeof parseSql>): boolean {
  const locks =
    statement.kind === "update" ||
    statement.kind === "delete" ||
    (statement.kind === "select" && (statement.lock === "update" || statement.lock === "no key update"));
  return locks && !!statement.table;
}

/**
 * Where the lock `entry` takes may be held, for nodes of its function (its inline callbacks count where they are
 * created): a scoped form's callback; an explicit acquisition's paths (lock-holding.ts: until a release, a try-lock
 * only where its result says it got the lock; `using` until the end of its block); a row lock or a transaction-level
 * advisory lock from its statement until its transaction ends (transactions.ts, which also decides which transaction
 * the statement runs in by the handle's identity). Undefined for a statement outside any transaction: autocommit
 * releases its locks when it completes.
 */
function holderOf(entry: Collected["acquisitions"][number]): ((node: ts.Node) => boolean) | undefined {
  const { node, acquisition } = entry;
  const callback = acquisition?.callback;
  if (callback?.body) {
    // A function given by name runs where the argument naming it is (its own summary is a call made there).
    const argument = isInside(callback, node) ? undefined : acquisition!.callbackArgument;
    const body = callback.body;
    return argument ? (at) => at === argument : (at) => isInside(at, body);
  }
  if (entry.transactional) {
    const scope = transactionScopeOf(node);
    return scope && heldSince(scope, node);
  }
  if (!acquisition) return undefined;
  const paths = acquisitionPaths(acquisition);
  const graph = graphOf(node);
  const usingBound = isDisposedByUsing(acquisition);
  const binding = resultBinding(acquisition);
  const names = new Set(binding ? boundNames(binding).map((b) => b.text) : []);
  return (at) => {
    const element = elementRunning(graph, at);
    // The release itself is not ordered after the lock: what a release helper takes to let go of it (a readers-count
    // mutex) runs while giving it back, not while using it.
    if (ts.isCallExpression(at) && isReleaseOf(at, acquisition, names)) return false;
    return element !== undefined && (!usingBound || inUsingScope(acquisition, at)) && paths.heldAt(element);
  };
}
