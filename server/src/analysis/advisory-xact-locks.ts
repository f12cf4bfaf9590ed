// Transaction-scoped advisory locks (`pg_advisory_xact_lock`) that serialise what a transaction does after taking
// them: every caller that takes the same lock waits for the holder's COMMIT/ROLLBACK. Taken by the transaction's own
// code through its handle, by a project helper given the handle (`await lockFleet(tx, id)`, read from its summary:
// summaries.ts `xactLocks`), or by a project wrapper before it runs the callback (`withAgentLock(id, async (trx) =>
// …)`, transaction-wrappers.ts). A lock protects a row only when its key is computed from the row's key (or is a
// constant: one lock for every call): a lock on the tenant does not serialise two updates of one agent by key.
import { ts } from "../engine/ts";
import { CALL_KINDS, enclosingFunction, nodesOfKinds, skipAwait, type FunctionLike } from "./ast";
import { dbAccessOf, type DbAccess } from "./db";
import { isPartOfHandle, sameIdentity } from "./identity";
import { keyInCallTerms, summaryOf, xactLockHandle, xactLockKeyOf, type CalleeResolver } from "./summaries";
import { heldOnEveryPathSince, runsWhileOpen, type TransactionScope } from "./transactions";

const programsTakingLocks = new WeakMap<ts.Program, boolean>();

/** Whether some file of the program mentions `pg_advisory_xact_lock`: a cheap test before asking where one is held. */
export function takesXactLocks(program: ts.Program): boolean {
  let known = programsTakingLocks.get(program);
  if (known === undefined) {
    known = program.getSourceFiles().some((file) => !file.isDeclarationFile && /advisory_xact_lock/i.test(file.text));
    programsTakingLocks.set(program, known);
  }
  return known;
}

/** A transaction-scoped advisory lock held at a point. */
export interface HeldXactLock {
  /** The statement that takes it, the helper's call, or the wrapper's call. */
  takenAt: ts.CallExpression | ts.TaggedTemplateExpression;
  /** The names and members its key is computed from (summaries.ts `xactLockKeyOf`); empty for a constant key; undefined when unknown. */
  key: ts.Expression[] | undefined;
}

/**
 * The transaction-scoped advisory locks taken in `scope` (through its handle, directly or by a project helper given
 * the handle, or by the wrapper that runs it) that are held on every path to `node`.
 */
export function xactAdvisoryLocksAt(node: ts.Node, scope: TransactionScope, resolve: CalleeResolver): HeldXactLock[] {
  const held: HeldXactLock[] = scope.advisoryLock ? [scope.advisoryLock] : [];
  const handle = scope.handle;
  const region =
    scope.callback?.body ?? (ts.isParameter(scope.start) ? (scope.start.parent as FunctionLike) : enclosingFunction(scope.start))?.body;
  if (!handle || !region) return held;
  const through = (expr: ts.Expression | undefined) => expr !== undefined && isPartOfHandle(skipAwait(expr), handle);
  for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(region, CALL_KINDS, { skipFunctions: true })) {
    if (call.getEnd() > node.getStart() || !runsWhileOpen(scope, call)) continue;
    const lockHandle = xactLockHandle(call);
    const keys = through(lockHandle) ? [xactLockKeyOf(call, lockHandle!)] : helperLockKeys(call, through, resolve);
    if (keys.length > 0 && heldOnEveryPathSince(scope, call)(node)) for (const key of keys) held.push({ takenAt: call, key });
  }
  return held;
}

/**
 * Whether a transaction-scoped advisory lock held on every path to `node` in `scope` serialises the row `rowKeys`
 * look up (the values a statement's conditions compare its key columns with): its key is computed from one of them,
 * or is a constant.
 */
export function xactAdvisoryLockHeldAt(
  node: ts.Node,
  scope: TransactionScope,
  resolve: CalleeResolver,
  rowKeys: readonly ts.Expression[],
): boolean {
  return xactAdvisoryLocksAt(node, scope, resolve).some(({ key }) => locksKey(key, rowKeys));
}

/**
 * The transaction-scoped advisory locks held on every path to `node` in `scope` that stand for the rows `row` locks, each
 * named so that the same lock taken by two functions gets the same name: which lock (the project helper that takes it,
 * else its statement with the key left out) and which columns of the row its key is (every part of the key compared
 * by `=` with one column), or `*` for a constant key, which every caller takes. Two transactions that lock one row by
 * the same columns then take the same advisory lock first: the second waits for the first's COMMIT.
 */
export function advisoryLocksOfRow(node: ts.Node, scope: TransactionScope, resolve: CalleeResolver, row: DbAccess): string[] {
  const names: string[] = [];
  for (const { takenAt, key } of xactAdvisoryLocksAt(node, scope, resolve)) {
    if (!key) continue;
    const columns = key.map((part) => row.conditions.find((c) => c.operator === "=" && c.value && sameIdentity(part, skipAwait(c.value))));
    if (columns.some((c) => !c)) continue;
    const lock = ts.isCallExpression(takenAt) && resolve(takenAt) ? helperName(resolve(takenAt)!) : statementName(takenAt, key);
    names.push(`${lock}|${key.length === 0 ? "*" : columns.map((c) => c!.column.split(".").pop()!.toLowerCase()).join(",")}`);
  }
  return names;
}

function helperName(fn: FunctionLike): string {
  return `${fn.getSourceFile().fileName}:${fn.getStart()}`;
}

/** A lock statement's arguments (its template, for a tagged one) with the key's parts left out: `query("…($1)", [?])`. */
function statementName(call: ts.CallExpression | ts.TaggedTemplateExpression, key: readonly ts.Expression[]): string {
  const parts = ts.isCallExpression(call) ? call.arguments : [call.template];
  const text = call.getSourceFile().text;
  const start = parts[0]?.getStart() ?? call.getEnd();
  let name = "";
  let at = start;
  for (const part of [...key].sort((a, b) => a.getStart() - b.getStart())) {
    if (part.getStart() < at || part.getEnd() > call.getEnd()) continue;
    name += `${text.slice(at, part.getStart())}?`;
    at = part.getEnd();
  }
  return (name + text.slice(at, parts[parts.length - 1]?.getEnd() ?? start)).replace(/\s+/g, " ");
}

/** A lock key covers a row: a constant key (every call takes it), or one computed from the row's key. */
function locksKey(key: readonly ts.Expression[] | undefined, rowKeys: readonly ts.Expression[]): boolean {
  return key !== undefined && (key.length === 0 || key.some((part) => rowKeys.some((row) => sameIdentity(part, skipAwait(row)))));
}

/**
 * A project function called with the handle takes locks through it (`await lockFleet(tx, fleetId)`): their keys in this
 * call's terms (the parts of the arguments its key parameters receive).
 */
function helperLockKeys(
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  through: (expr: ts.Expression | undefined) => boolean,
  resolve: CalleeResolver,
): (ts.Expression[] | undefined)[] {
  if (!ts.isCallExpression(call) || dbAccessOf(call) || !call.arguments.some(through)) return [];
  const callee = resolve(call);
  const locks = callee ? summaryOf(callee, resolve).xactLocks.filter((l) => through(call.arguments[l.parameter])) : [];
  return locks.map((lock) => keyInCallTerms(call, lock.key));
}
