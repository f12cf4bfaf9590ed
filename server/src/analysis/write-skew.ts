// Write skew: a check over a *set* of rows (a count, an aggregate, an existence or size test of rows read) decides a
// write that changes that set (an insert into it, an update that moves a row out of it, a delete). Two concurrent
// callers both see the set before either writes, both pass, and together they break what the check enforced (no admin
// left, one booking too many). Unlike a lost update, no row is written twice: each caller writes a different row, so
// a lock on the rows read (or a compare-and-set) does not help; only a lock on the set (or its parent row), a lock
// around the whole check-and-write, SERIALIZABLE, or a write that re-checks atomically does.
//
// This file recognises the checks (reusing the read recognisers of db/ for the table and filter), the writes of the
// set, and the control dependence between them; what makes one safe is decided by the rule.
import { ts } from "../engine/ts";
import {
  CALL_KINDS,
  aliasedSymbolAt,
  NodeFacts,
  boundNames,
  calleeName,
  importsOf,
  isFunctionLike,
  isInside,
  isLiteral,
  isNullish,
  mentions,
  nodesOfKinds,
  propertyValue,
  receiverOf,
  skipAwait,
  skipParens,
  type FunctionLike,
} from "./ast";
import { alwaysExits, decidedBy, mayRunAfter } from "./flow/queries";
import { declarationOf, sameIdentity, variableDeclarationOf } from "./identity";
import { dbAccessOf, sameTable, type AccessAssignment, type AccessCondition, type DbAccess } from "./db";
import { isChainLink } from "./db/access";
import { calleeResolver, programOf, type CalleeResolver } from "./summaries";
import { unindexedLookup } from "./duplicate-insert";
import { knexAccess } from "./db/knex";
import { mongooseSetAccess, mongooseUniqueFieldSets, signInSum, totalPipeline } from "./db/mongoose";
import { prismaAccess, prismaUniqueFieldSets } from "./db/prisma";
import { sequelizeAccess } from "./db/sequelize";
import { drizzleWhere } from "./db/drizzle-kysely";
import { chainOf, insertedRow, objectAssignments, promisesAwaitedTogether, propertyName, whereObjectConditions } from "./db/shapes";
import { placeholderValue } from "./db/sql-drivers";
import { maskLiterals } from "./sql";
import { typeormAccess } from "./db/typeorm";
import { transactionScopesOf } from "./transactions";
import { createsRemoteObject, dedupeKeysOf } from "./slow-calls";

/** How a check looks at its set: counts it, aggregates a column of it, asks whether it is empty, or reads its rows. */
export type SetCheckKind = "count" | "aggregate" | "exists" | "rows";

/** A read of a set of rows whose result is used only as a number or an existence test. */
export interface SetCheck {
  /** The read, as the db recognisers describe it (table, filter conditions, handle, lock). */
  read: DbAccess;
  kind: SetCheckKind;
  /** For a check made by a project helper (`await countOwners(orgId)`): its parameters' names → the call's arguments. */
  args?: Arguments;
  /** …and the statement inside it that reads the set. */
  inner?: ts.Node;
  /** A helper returning whether an overlapping row exists (`return rows.length > 0`): its result is the test. */
  truth?: boolean;
}

/** A helper's parameter names → the argument expressions of one call of it. */
type Arguments = ReadonlyMap<string, ts.Expression>;

/** A check whose result decides a write that changes the set it looked at. */
export interface SkewFlow {
  check: SetCheck;
  write: DbAccess;
  /** The condition on the check's result that the write depends on. */
  condition: ts.Expression;
  /** Only whether the set is empty decides (`if (exists) throw`, `count > 0`): an "at most one" check. */
  emptiness: boolean;
  /** What the write is. */
  change: "insert" | "update" | "delete";
  /** The write adds a row to the set (an insert, an update setting a filter column to the checked value); else it removes one. */
  grows: boolean;
  /** For a write made by a project helper: the statement inside it. */
  writeInner?: ts.Node;
  /**
   * The check aggregates the set and another write records its value (a payout's total), while this write moves out
   * every row its filter matches, not the rows summed: a row entering the set in between is moved uncounted.
   */
  recordedBy?: DbAccess;
  /**
   * An emptiness test deciding an insert, where the project's schema declares the table and no unique index of it is
   * made of columns the check pins (duplicate-insert.ts): those columns, which the insert writes with the same values.
   */
  unindexed?: string[];
}

const flowCaches = new WeakMap<CalleeResolver, NodeFacts<FunctionLike, SkewFlow[]>>();

/**
 * The write-skew flows of one function's own body (nested functions are analysed on their own). Checks and writes
 * made by project helpers count at their call sites, resolved with `resolve` (and `checker` for helpers wrapped in a
 * higher-order call, `cache(async (id) => …)`) only where a result already decides a call. Cached per resolver (one
 * per Program) and function.
 */
export function writeSkewsIn(fn: FunctionLike, resolve: CalleeResolver = calleeResolver(), checker?: () => ts.TypeChecker): SkewFlow[] {
  let cache = flowCaches.get(resolve);
  if (!cache) flowCaches.set(resolve, (cache = new NodeFacts()));
  let flows = cache.get(fn);
  if (!flows) cache.set(fn, (flows = computeFlows(fn, { resolve, checker })));
  return flows;
}

interface Resolution {
  resolve: CalleeResolver;
  checker: (() => ts.TypeChecker) | undefined;
}

interface Held {
  /** The check; undefined while a helper call's result is not known to be one (resolved on demand). */
  check: SetCheck | undefined;
  /** The helper call whose result is held, until resolved. */
  pending?: ts.CallExpression;
  /** An awaited helper call tested as a truth value where it is made (`if (await slotTaken(…))`). */
  truth?: boolean;
  /** Local names holding the result or values derived from it. */
  names: Set<string>;
  /** The names the result itself is bound to (the others are computed from it). */
  bound?: ReadonlySet<string>;
  /** Those of `names` that fall as the result grows (`const free = stock - held`). */
  inverted?: Set<string>;
  /** Where this function makes the check: the read, or the helper call (the read itself may be in another file). */
  at: ts.Node;
  /** Rows read: whether nothing but their number or existence is used (computed once). */
  sizeOnly?: boolean;
}

/** The held check, resolving a helper call the first time it matters. */
function heldCheck(h: Held, resolution: Resolution): SetCheck | undefined {
  if (h.pending) {
    h.check = helperCheck(h.pending, resolution);
    delete h.pending;
  }
  return h.check;
}

function computeFlows(fn: FunctionLike, resolution: Resolution): SkewFlow[] {
  const body = fn.body;
  if (!body) return [];
  const held: Held[] = [];
  const hold = (name: ts.BindingName, initializer: ts.Expression): void => {
    // `const clash = rows.some((b) => b.start < end && b.end > start)`: whether an overlapping row was read.
    const overlap = overlapAmongRows(initializer, held);
    if (overlap) {
      const names = new Set(boundNames(name).map((n) => n.text));
      held.push({ check: overlap, names, bound: new Set(names), at: initializer });
      return;
    }
    const check = checkAt(initializer);
    const names = new Set(boundNames(name).map((n) => n.text));
    // A method of a held result (`rows.reduce(…)`) computes that result's value; a call that is only given one
    // (`countFiles(share.id)`) is a helper's read of its own.
    const called = skipAwait(initializer);
    const derived = !check && ts.isCallExpression(called) && held.some((h) => mentions(called.expression, h.names));
    const helper = check || derived ? undefined : helperCallAt(initializer);
    if (check) held.push({ check, names, bound: new Set(names), at: initializer });
    else if (helper) held.push({ check: undefined, pending: helper, names, at: initializer });
    // A value computed from a result carries it (`const n = Number(rows[0].n)`, `const full = n >= capacity`).
    else
      for (const h of held) {
        if (!mentions(initializer, h.names)) continue;
        const falls = polarity(initializer, h) === -1;
        for (const n of names) {
          h.names.add(n);
          if (falls) (h.inverted ??= new Set()).add(n);
        }
      }
  };
  for (const node of nodesOfKinds(body, [ts.SyntaxKind.VariableDeclaration, ...CALL_KINDS], { skipFunctions: true })) {
    if (!ts.isVariableDeclaration(node)) {
      // A check written inside a condition (`if ((await prisma.x.count(…)) >= n)`) holds no name.
      const check = checkAt(node as ts.Expression, true);
      if (isBound(node) || !enclosingCondition(node)) continue;
      if (check) held.push({ check, names: new Set(), at: node });
      // A helper answering yes or no (`if (await venueTaken(…)) throw`): a check when it returns an overlap's existence.
      else if (ts.isCallExpression(node) && ts.isAwaitExpression(node.parent) && helperCallAt(node))
        held.push({ check: undefined, pending: node, truth: true, names: new Set(), at: node });
      continue;
    }
    if (!node.initializer) continue;
    // `const [members, invites] = await Promise.all([countMembers(), countInvites()])`: each name holds its own promise's value.
    const together = ts.isArrayBindingPattern(node.name) ? promisesAwaitedTogether(node.initializer) : undefined;
    if (together && ts.isArrayBindingPattern(node.name))
      node.name.elements.forEach((element, i) => {
        if (!ts.isOmittedExpression(element) && !element.dotDotDotToken && together[i]) hold(element.name, together[i]!);
      });
    else hold(node.name, node.initializer);
  }
  const out: SkewFlow[] = [];
  // A helper's result counts only when a name holding it is compared as a number (`n >= limit`, `n === 0`): a truth
  // test (`if (!user)`) guards most code and is rarely a count. Checked once per function before anything resolves.
  const numeric = held.some((h) => h.pending && !h.truth) ? numericOperands(body) : undefined;
  let calls: Array<ts.CallExpression | ts.TaggedTemplateExpression> | undefined;
  let inCallbacks: Map<ts.CallExpression | ts.TaggedTemplateExpression, ts.CallExpression> | undefined;
  for (const h of held) {
    if (h.pending && !h.truth && ![...h.names].some((name) => numeric!.has(name))) continue;
    // A yes-or-no helper counts only as the overlap test it makes.
    if (h.truth && !heldCheck(h, resolution)?.truth) continue;
    // Syntax first: only calls that a condition on the result decides are worth resolving.
    for (const condition of conditionsOnCheck(body, h)) {
      const large = trueWhenLarge(condition, h);
      if (large === undefined) continue;
      for (const call of (calls ??= [...callsIn([body]), ...(inCallbacks ??= transactionCallbackCalls(fn)).keys()])) {
        // A statement in a transaction's callback runs where the transaction is opened.
        const at = inCallbacks?.get(call) ?? call;
        // `if (rows.length > 0 && rows[0].body === body) return`: where the set is empty the exit is not taken and the
        // write runs, whatever the rest of the test decides where it is not; for a duplicate check that is enough.
        const partial = decidedBy(condition, at) === undefined && runsWhereLeftFails(condition, at);
        const runsWhen = partial ? false : decidedBy(condition, at);
        // Which way the check guards decides which writes can matter; an emptiness test guarding growth is a
        // uniqueness check (left to unique indexes), so nothing under it is resolved — unless it tests for an overlap,
        // or the project's schema shows no unique index over the columns it pins (then the row it found may be used).
        if (runsWhen === undefined) continue;
        // A helper's check (`const n = await ballotsToday(placeId, dinerId)`) is resolved for this as well.
        const emptiness = large !== runsWhen && isEmptinessTest(condition, h);
        const checked = emptiness ? (h.check ?? heldCheck(h, resolution)) : undefined;
        const uniqueness = emptiness && !(checked && isOverlapTest(checked.read));
        const unindexed = uniqueness && checked ? unindexedLookup(checked.read, programOf(resolution.resolve)) : undefined;
        if (uniqueness && !unindexed) continue;
        if (partial && !(uniqueness && unindexed)) continue;
        const control = { condition, runsWhen };
        const check = heldCheck(h, resolution);
        if (!check) break;
        // Rows used for more than their number are select-then-update's, except under a duplicate check of a declared
        // table: where the lookup found nothing the insert runs, whatever the other branch does with the row it found
        // (updates it, returns its id — an upsert written by hand).
        if (check.kind === "rows" && !unindexed && !(h.sizeOnly ??= usedOnlyAsSize(h, body))) continue;
        // Only a write that can run after the check (later in the text is not the question: a loop's next turn is).
        if (!mayRunAfter(h.at, at) || checkAt(call as ts.Expression, true)) continue;
        for (const write of writesAt(call, resolution)) {
          if (!sameTable(check.read.table, write.access.table)) continue;
          if (savesRowCreatedEarlier(write, call, body, resolution)) continue;
          if (unindexed && (write.change !== "insert" || !insertsEveryKey(check, write))) continue;
          if (unindexed && !unindexedLookup(check.read, programOf(resolution.resolve), columnsFromCaller(write.access, resolution.checker)))
            continue;
          const flow = flowOf(h, check, write, control, () => recordingWrite(body, h, write.access));
          if (flow) out.push(unindexed ? { ...flow, unindexed } : flow);
        }
      }
    }
  }
  return out;
}

/**
 * `condition` is the left side of an `&&` that is the whole test of an `if` with no `else` whose branch leaves
 * (`if (found && same) return`), and `at` runs only where that test fails: so it runs wherever `condition` is falsy.
 */
function runsWhereLeftFails(condition: ts.Expression, at: ts.Node): boolean {
  let both: ts.Node = condition.parent;
  if (!ts.isBinaryExpression(both) || both.operatorToken.kind !== ts.SyntaxKind.AmpersandAmpersandToken || both.left !== condition)
    return false;
  while (ts.isParenthesizedExpression(both.parent)) both = both.parent;
  const test = both.parent;
  if (!ts.isIfStatement(test) || test.expression !== both || test.elseStatement || !alwaysExits(test.thenStatement)) return false;
  return decidedBy(test.expression, at) === false;
}

/** The calls in `nodes` (and nodes that are calls themselves), nested functions left out. */
function* callsIn(nodes: readonly ts.Node[]): Generator<ts.CallExpression | ts.TaggedTemplateExpression> {
  for (const node of nodes) {
    if (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) yield node;
    yield* nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(node, CALL_KINDS, { skipFunctions: true });
  }
}

/**
 * The calls in the callbacks of transactions `fn` opens itself (`prisma.$transaction(async (tx) => …)`), each with the
 * call that opens it: a callback runs in place, once, so a check before that call decides the statements in it as it
 * decides those after it.
 */
function transactionCallbackCalls(fn: FunctionLike): Map<ts.CallExpression | ts.TaggedTemplateExpression, ts.CallExpression> {
  // Each call in a callback → the call that opens its transaction (where, in `fn`'s flow, it runs).
  const calls = new Map<ts.CallExpression | ts.TaggedTemplateExpression, ts.CallExpression>();
  for (const scope of transactionScopesOf(fn.getSourceFile())) {
    const callback = scope.form === "callback" ? scope.callback : undefined;
    const opener = callback?.parent;
    if (!callback?.body || !opener || !ts.isCallExpression(opener) || enclosingFunctionOf(callback) !== fn) continue;
    for (const call of callsIn([callback.body])) calls.set(call, opener);
  }
  return calls;
}

/** The function `node` is nested in, directly (its own body's function is not `node` itself). */
function enclosingFunctionOf(node: ts.Node): ts.Node | undefined {
  for (let current = node.parent; current; current = current.parent) if (isFunctionLike(current)) return current;
  return undefined;
}

/**
 * The flow from a check to a write it controls, when the write changes the set in the direction the check guards
 * against: an insert (or an update that moves a row in) that runs when the set is small (a limit), a delete (or an
 * update that moves a row out) that runs when it is large (a minimum). A delete that runs only when the set is empty
 * breaks nothing the check enforced, nor does one that runs only because the set is not empty.
 */
function flowOf(h: Held, check: SetCheck, write: SetWrite, control: Control, recording: () => DbAccess | undefined): SkewFlow | undefined {
  if (pinsOneRow(check.read)) return undefined;
  const change = directionOf(check, write);
  if (!change) return undefined;
  const large = trueWhenLarge(control.condition, h);
  if (large === undefined) return undefined;
  const runsWhenLarge = large === control.runsWhen;
  if ((change === "grows") === runsWhenLarge) return undefined;
  // A removal that runs because rows exist and removes exactly the rows it found (a one-time token consumed, a row
  // soft-deleted) keeps no minimum: only a threshold above zero (`count > 1`), or rows other than the ones removed,
  // can be broken.
  // A total of those rows written elsewhere is another matter: the write moves what matches then, not what was summed.
  let recordedBy: DbAccess | undefined;
  if (
    change !== "grows" &&
    write.change !== "insert" &&
    isEmptinessTest(control.condition, h) &&
    (removesRowsFound(check, write) || sameStatementForEveryCaller(check, write))
  ) {
    recordedBy = check.kind === "aggregate" && write.change === "update" ? recording() : undefined;
    if (!recordedBy) return undefined;
  }
  return {
    check,
    write: write.access,
    condition: control.condition,
    emptiness: isEmptinessTest(control.condition, h),
    change: write.change,
    grows: change === "grows",
    ...(write.inner ? { writeInner: write.inner } : {}),
    ...(recordedBy ? { recordedBy } : {}),
  };
}

/**
 * Rows a check read, tested in JavaScript by `some` or `find` with a predicate that bounds one column of the row from
 * above and another from below (`(b) => b.startsAt < endsAt && b.endsAt > startsAt`): the overlap test the same filter
 * in the query would make (`isOverlapTest`), of the rows the read returned. Its result says whether an overlapping row
 * exists, as `rows.length > 0` of an overlap read does.
 */
function overlapAmongRows(initializer: ts.Expression, held: readonly Held[]): SetCheck | undefined {
  const call = skipParens(initializer);
  if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression)) return undefined;
  if (!["some", "find"].includes(call.expression.name.text)) return undefined;
  const rows = skipParens(call.expression.expression);
  const source = ts.isIdentifier(rows) ? held.find((h) => h.check?.kind === "rows" && h.bound?.has(rows.text)) : undefined;
  const predicate = call.arguments[0] && skipParens(call.arguments[0]);
  if (!source?.check || !predicate || !(ts.isArrowFunction(predicate) || ts.isFunctionExpression(predicate))) return undefined;
  const param = predicate.parameters[0]?.name;
  if (!param || !ts.isIdentifier(param)) return undefined;
  const body = ts.isBlock(predicate.body) ? returnedExpression(predicate.body) : predicate.body;
  const conditions = body ? rowBounds(body, param.text) : undefined;
  if (!conditions) return undefined;
  const read = { ...source.check.read, conditions: [...source.check.read.conditions, ...conditions] };
  return isOverlapTest(read) ? { read, kind: "exists" } : undefined;
}

/** The expression of a block's only statement when it is a `return`. */
function returnedExpression(block: ts.Block): ts.Expression | undefined {
  const only = block.statements.length === 1 ? block.statements[0] : undefined;
  return only && ts.isReturnStatement(only) ? only.expression : undefined;
}

/**
 * The comparisons a conjunction makes between a column of the row (`b.endsAt`) and a value not taken from it, as the
 * row's conditions (`endsAt > startsAt`); undefined when it is anything else (an `||`, a call, a test of two columns).
 */
function rowBounds(expr: ts.Expression, row: string): AccessCondition[] | undefined {
  const node = skipParens(expr);
  if (!ts.isBinaryExpression(node)) return undefined;
  const op = node.operatorToken.kind;
  if (op === ts.SyntaxKind.AmpersandAmpersandToken) {
    const [left, right] = [rowBounds(node.left, row), rowBounds(node.right, row)];
    return left && right ? [...left, ...right] : undefined;
  }
  const turned: Partial<Record<ts.SyntaxKind, string>> = {
    [ts.SyntaxKind.LessThanToken]: ">",
    [ts.SyntaxKind.LessThanEqualsToken]: ">=",
    [ts.SyntaxKind.GreaterThanToken]: "<",
    [ts.SyntaxKind.GreaterThanEqualsToken]: "<=",
  };
  const operator = turned[op];
  if (!operator) return undefined;
  const columnOf = (side: ts.Expression) => {
    const inner = skipParens(side);
    return ts.isPropertyAccessExpression(inner) && ts.isIdentifier(inner.expression) && inner.expression.text === row
      ? inner.name.text
      : undefined;
  };
  const fromRow = (side: ts.Expression) => mentions(side, new Set([row]));
  const [left, right] = [columnOf(node.left), columnOf(node.right)];
  // The row's column on the left keeps the operator (`b.start < end`); on the right it is turned round (`end > b.start`).
  if (left && !fromRow(node.right)) return [{ column: left, operator: node.operatorToken.getText(), value: node.right }];
  if (right && !fromRow(node.left)) return [{ column: right, operator, value: node.left }];
  return undefined;
}

/**
 * An overlap test: the filter bounds one column from above and another from below by values (`startTime < end`,
 * `endTime > start`: a booking that overlaps the new one). What it keeps out of the set is a range, not a key, and no
 * unique index says "no two ranges overlap", so an emptiness test of it before an insert is write skew.
 */
export function isOverlapTest(read: DbAccess): boolean {
  const bounded = (ops: readonly string[]) => read.conditions.filter((c) => c.value && ops.includes(c.operator)).map((c) => c.column);
  const below = bounded(["<", "<="]);
  return bounded([">", ">="]).some((column) => below.some((other) => other.toLowerCase() !== column.toLowerCase()));
}

/**
 * The check's filter compares every column of a unique index of its model with a value (Prisma schema): its set is one
 * row at most, so two callers cannot each write a different row of it (a second insert breaks the index, two removals
 * remove the same row). `count({ where: { organizationId, userId } })` under `@@unique([organizationId, userId])`.
 */
function pinsOneRow(read: DbAccess): boolean {
  if (!read.table) return false;
  const pinned = read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => c.column);
  // A Mongoose model declared with its schema in the file (`schema.index({ … }, { unique: true })`, `unique: true`).
  const model = read.library === "mongoose" && read.entityClass && ts.isIdentifier(read.entityClass) ? read.entityClass : undefined;
  if (read.library !== "prisma" && !model) return false;
  const uniques = model ? mongooseUniqueFieldSets(model) : prismaUniqueFieldSets(read.table, read.node.getSourceFile().fileName);
  return !!uniques && uniques.some((set) => set.length > 0 && set.every((f) => pinned.includes(f)));
}

/** Another write in `body` that stores a value computed from the held result (`totalCents: net` of a payout row). */
function recordingWrite(body: ts.Node, h: Held, setWrite: DbAccess): DbAccess | undefined {
  for (const call of callsIn([body])) {
    const access = dbAccessOf(call);
    if (access?.kind !== "write" || access.node === setWrite.node) continue;
    if (access.assignments.some((a) => a.value && mentions(a.value, h.names))) return access;
  }
  return undefined;
}

/**
 * The delete (or the update moving rows out) changes rows of the set the check found, and only those: its filter is
 * some of the check's equalities (`deleteMany({ where: { identifier } })` after `findFirst({ where: { identifier,
 * token, expires } })`: every row found), or all of them and more (`where: { provider, specHash, imageRef }` after
 * `where: { provider, specHash }`: some of the rows found); the check excludes nothing (`id <> $1` would make it a test
 * of other rows).
 */
function removesRowsFound(check: SetCheck, write: SetWrite): boolean {
  if (check.args || write.args) return false;
  const checked = check.read.conditions;
  if (checked.some((c) => /^(<>|!=|NOT)/i.test(c.operator))) return false;
  const removed = write.access.conditions;
  // `app_id IS NULL` in SQL and `.is("app_id", null)` / `{ appId: null }` in a client are one test.
  const isNullTest = (c: AccessCondition) =>
    c.operator === "IS NULL" || (c.operator === "=" && !!c.value && skipParens(c.value).kind === ts.SyntaxKind.NullKeyword);
  const among = (some: readonly AccessCondition[], all: readonly AccessCondition[]) =>
    some.every((r) =>
      isNullTest(r)
        ? all.some((c) => isNullTest(c) && sameColumn(c.column, r.column))
        : r.operator === "=" &&
          r.value &&
          all.some((c) => c.operator === "=" && c.column === r.column && c.value && sameValue(c.value, r.value!)),
    );
  return removed.length > 0 && (among(removed, checked) || (checked.length > 0 && among(checked, removed)));
}

/**
 * The removal binds no value of its caller, and the check excludes no row the caller names: SQL with no placeholder or
 * named parameter (`UPDATE … SET "deletedAt" = NOW() WHERE "deletedAt" IS NULL AND …`, a consistency script's repair),
 * or an ORM filter of literals only (`deleteMany({ where: { revoked: true } })`). Every concurrent run sends the same
 * statement, which moves out the rows matching when it runs: no run removes a member another counted on.
 */
function sameStatementForEveryCaller(check: SetCheck, write: SetWrite): boolean {
  if (check.args || write.args) return false;
  const callerValue = (c: AccessCondition) => !!c.value && !isLiteral(c.value);
  if (check.read.conditions.some((c) => /^(<>|!=|NOT)/i.test(c.operator) && callerValue(c))) return false;
  const { sql, conditions, node } = write.access;
  if (sql) {
    // `$1`, `?`, `${…}` are placeholders; `:name`, `$name`, `@name` a driver's named parameters (`::` is a cast).
    const text = maskLiterals(sql.text).replace(/::/g, "  ");
    return sql.statement.placeholders.length === 0 && !/[:$@][A-Za-z_]/.test(text);
  }
  return conditions.length > 0 && !conditions.some(callerValue) && ts.isCallExpression(node) && node.arguments.every(holdsOnlyLiterals);
}

/** An argument made of object and array literals whose values are literals (names of properties aside). */
function holdsOnlyLiterals(argument: ts.Expression): boolean {
  let only = true;
  const visit = (node: ts.Node): void => {
    if (!only) return;
    if (ts.isPropertyAssignment(node)) return visit(node.initializer);
    if (ts.isObjectLiteralExpression(node) || ts.isArrayLiteralExpression(node)) return ts.forEachChild(node, visit);
    if (!(ts.isExpression(node) && (isLiteral(node) || isNullish(node)))) only = false;
  };
  visit(argument);
  return only;
}

/** The call's result is bound to a name (then the declaration loop follows it). */
function isBound(node: ts.Node): boolean {
  let outer: ts.Node = node;
  while (ts.isAwaitExpression(outer.parent) || ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  return ts.isVariableDeclaration(outer.parent);
}

// ---------------------------------------------------------------------------------------------------------------
// Checks.

const COUNT_METHODS: Record<string, { as: string; kind: SetCheckKind }> = {
  // Prisma model methods, read with findMany's recogniser (the same `where`).
  count: { as: "findMany", kind: "count" },
  aggregate: { as: "findMany", kind: "aggregate" },
  // TypeORM repository / manager methods, read with findOne's / findOneBy's.
  countBy: { as: "findOneBy", kind: "count" },
  exists: { as: "findOne", kind: "exists" },
  existsBy: { as: "findOneBy", kind: "exists" },
  sum: { as: "findOneBy", kind: "aggregate" },
};

// An aggregate, also wrapped in a default for an empty set (`COALESCE(SUM(units), 0)`).
const SQL_AGGREGATE = /^\s*SELECT\s+(?:(?:COALESCE|IFNULL|ISNULL|NVL)\s*\(\s*)*(?:(COUNT)|(EXISTS)|(?:SUM|MAX|MIN|AVG))\s*\(/i;

/**
 * The set check `expr` runs (through `await` and parentheses), if any. With `direct`, only the call itself (a check
 * written inside a condition).
 */
function checkAt(expr: ts.Expression, direct = false): SetCheck | undefined {
  const node = direct ? expr : skipAwait(expr);
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return undefined;
  return checkCache(node);
}

const checks = new NodeFacts<ts.Node, SetCheck | null>();

function checkCache(node: ts.CallExpression | ts.TaggedTemplateExpression): SetCheck | undefined {
  let check = checks.get(node);
  if (check === undefined) checks.set(node, (check = recogniseCheck(node) ?? null));
  return check ?? undefined;
}

function recogniseCheck(node: ts.CallExpression | ts.TaggedTemplateExpression): SetCheck | undefined {
  // Mongoose `Model.countDocuments(filter)`: MongoDB has no SERIALIZABLE, so only a lock or an index closes the race.
  const mongoose = ts.isCallExpression(node) ? mongooseSetAccess(node) : undefined;
  // `Model.find(filter)`: the rows of the set, a check only where their number alone is used (`members.length >= n`).
  if (mongoose)
    return mongoose.operation === "count" || mongoose.operation === "aggregate" || mongoose.operation === "rows"
      ? { read: mongoose.access, kind: mongoose.operation }
      : undefined;
  const access = dbAccessOf(node);
  if (access) {
    if (access.kind !== "read" || !access.table || access.library === "redis") return undefined;
    if (access.sql) {
      const match = SQL_AGGREGATE.exec(access.sql.text);
      return { read: access, kind: match ? (match[1] ? "count" : match[2] ? "exists" : "aggregate") : "rows" };
    }
    const terminal = ts.isCallExpression(node) ? calleeName(node) : undefined;
    // TypeORM's query builder `getCount()`, Objection's `resultSize()`: the number of matching rows.
    if (terminal === "getCount" || (access.library === "objection" && terminal === "resultSize")) return { read: access, kind: "count" };
    const projected =
      access.library === "drizzle" && ts.isCallExpression(node)
        ? drizzleAggregate(node)
        : access.library === "kysely" && ts.isCallExpression(node)
          ? kyselyAggregate(node)
          : undefined;
    if (projected) return { read: access, kind: projected };
    if (terminal === "getExists") return { read: access, kind: "exists" };
    // Supabase `select("*", { count: "exact", head: true })` returns the number of matching rows and no rows.
    if (access.library === "supabase" && ts.isCallExpression(node) && countsOnly(node)) return { read: access, kind: "count" };
    // A row read by its primary key is one row, not a set.
    if (access.conditions.some((c) => c.operator === "=" && /^(id|uuid|pk|_id)$/i.test(c.column))) return undefined;
    return { read: access, kind: "rows" };
  }
  if (!ts.isCallExpression(node)) return undefined;
  const name = calleeName(node);
  const receiver = receiverOf(node);
  if (!name || !receiver) return knexCount(node);
  const method = COUNT_METHODS[name] ?? (name === "count" ? { as: "findOne", kind: "count" as const } : undefined);
  if (!method) return knexCount(node);
  // The library is told by the file's imports (a repository's `count` looks like a Prisma model's); Prisma otherwise.
  const modules = new Set([...importsOf(node.getSourceFile()).values()].map((i) => i.module));
  let read: DbAccess | undefined;
  if (modules.has("typeorm")) read = typeormAccess(node, name === "count" ? "findOne" : method.as, receiver);
  else if (isSequelize(modules)) read = name === "count" ? sequelizeAccess(node, "findOne", receiver) : undefined;
  else if (name === "count" || name === "aggregate") read = prismaAccess(node, "findMany");
  if (!read) return knexCount(node);
  return { read: { ...read, node, kind: "read" }, kind: name === "count" ? "count" : method.kind };
}

const DRIZZLE_AGGREGATES: Readonly<Record<string, SetCheckKind>> = {
  count: "count",
  countDistinct: "count",
  sum: "aggregate",
  sumDistinct: "aggregate",
  avg: "aggregate",
  avgDistinct: "aggregate",
  max: "aggregate",
  min: "aggregate",
};

/**
 * A Drizzle select whose every selected field is an aggregate of the set, `db.select({ total: count() })` or
 * ``{ n: sql`count(*)` }``: what it reads is the set's size or total, not rows.
 */
function drizzleAggregate(call: ts.CallExpression): SetCheckKind | undefined {
  const fields = chainOf(call).links[0]?.call?.arguments[0];
  const object = fields && skipParens(fields);
  if (!object || !ts.isObjectLiteralExpression(object) || object.properties.length === 0) return undefined;
  let kind: SetCheckKind | undefined;
  for (const property of object.properties) {
    if (!ts.isPropertyAssignment(property)) return undefined;
    const value = skipParens(property.initializer);
    let field: SetCheckKind | undefined;
    if (ts.isCallExpression(value) && ts.isIdentifier(value.expression)) field = DRIZZLE_AGGREGATES[value.expression.text];
    else if (ts.isTaggedTemplateExpression(value) && ts.isIdentifier(value.tag) && value.tag.text === "sql") {
      const match = SQL_AGGREGATE.exec(`SELECT ${value.template.getText().slice(1, -1)}`);
      field = match ? (match[1] ? "count" : match[2] ? "exists" : "aggregate") : undefined;
    }
    if (!field) return undefined;
    kind = kind === undefined || kind === field ? field : "aggregate";
  }
  return kind;
}

/**
 * A Kysely select whose every selection is an aggregate of the set, `select((eb) => eb.fn.countAll().as("n"))`,
 * `select([db.fn.sum("amount").as("total")])` or ``select(sql`count(*)`.as("n"))``: what it reads is the set's size or
 * total, not rows.
 */
function kyselyAggregate(call: ts.CallExpression): SetCheckKind | undefined {
  const selects = chainOf(call).links.filter((l) => l.name === "select" && l.call);
  if (selects.length === 0) return undefined;
  const selections: ts.Expression[] = [];
  for (const link of selects)
    for (const argument of link.call!.arguments) {
      let value = skipParens(argument);
      if ((ts.isArrowFunction(value) || ts.isFunctionExpression(value)) && !ts.isBlock(value.body)) value = skipParens(value.body);
      if (ts.isArrayLiteralExpression(value)) selections.push(...value.elements);
      else selections.push(value);
    }
  let kind: SetCheckKind | undefined;
  for (const selection of selections) {
    let value = skipParens(selection);
    // `….as("alias")`: the aliased expression.
    if (ts.isCallExpression(value) && ts.isPropertyAccessExpression(value.expression) && value.expression.name.text === "as")
      value = skipParens(value.expression.expression);
    let field: SetCheckKind | undefined;
    if (ts.isCallExpression(value) && ts.isPropertyAccessExpression(value.expression)) {
      const owner = skipParens(value.expression.expression);
      const name = value.expression.name.text;
      // `eb.fn.count(…)`, `db.fn.countAll()`: an aggregate function of the builder's `fn` module.
      if (ts.isPropertyAccessExpression(owner) && owner.name.text === "fn")
        field = name === "countAll" ? "count" : DRIZZLE_AGGREGATES[name];
    } else if (ts.isTaggedTemplateExpression(value) && ts.isIdentifier(value.tag) && value.tag.text === "sql") {
      const match = SQL_AGGREGATE.exec(`SELECT ${value.template.getText().slice(1, -1)}`);
      field = match ? (match[1] ? "count" : match[2] ? "exists" : "aggregate") : undefined;
    }
    if (!field) return undefined;
    kind = kind === undefined || kind === field ? field : "aggregate";
  }
  return kind;
}

/**
 * The columns an aggregate check sums, where the code names them: Prisma `_sum: { amount: true }`, SQL `SUM(amount)`,
 * knex `.sum("amount")`, TypeORM `sum("amount", where)`, Drizzle `sum(ledger.amount)`. Empty when not known.
 */
function summedColumns(check: SetCheck): string[] {
  const node = check.inner && ts.isCallExpression(check.inner) ? check.inner : check.read.node;
  if (check.read.sql) return [...check.read.sql.text.matchAll(/\bSUM\s*\(\s*(?:[\w"`]+\.)?["`]?(\w+)["`]?\s*\)/gi)].map((m) => m[1]!);
  if (!ts.isCallExpression(node)) return [];
  // A Mongo pipeline's `$sum: "$amount"` (also inside `$cond` / `$multiply`): the fields named with `$`.
  const sums = pipelineSums(check);
  if (sums.length > 0)
    return sums.flatMap((sum) =>
      (ts.isStringLiteral(sum) ? [sum] : nodesOfKinds<ts.StringLiteral>(sum, [ts.SyntaxKind.StringLiteral]))
        .filter((literal) => literal.text.startsWith("$") && !comparedIn(literal))
        .map((literal) => literal.text.slice(1)),
    );
  const prismaSum = propertyValue(node.arguments[0], "_sum");
  if (prismaSum) {
    const object = skipParens(prismaSum);
    return ts.isObjectLiteralExpression(object) ? object.properties.map(propertyName).filter((n): n is string => n !== undefined) : [];
  }
  const out: string[] = [];
  for (const link of [...chainOf(node).links.map((l) => l.call), node]) {
    if (!link || calleeName(link) !== "sum") continue;
    const first = link.arguments[0] && skipParens(link.arguments[0]);
    if (first && ts.isStringLiteralLike(first)) out.push(first.text.split(/\s/)[0]!);
  }
  const fields = chainOf(node).links[0]?.call?.arguments[0];
  const object = fields && skipParens(fields);
  if (check.read.library === "drizzle" && object && ts.isObjectLiteralExpression(object))
    for (const property of object.properties) {
      const value = ts.isPropertyAssignment(property) ? skipParens(property.initializer) : undefined;
      const column = value && ts.isCallExpression(value) && calleeName(value) === "sum" ? value.arguments[0] : undefined;
      if (column && ts.isPropertyAccessExpression(column)) out.push(column.name.text);
    }
  return out;
}

/** A field compared inside a pipeline expression (`$eq: ["$kind", "deposit"]`): a condition, not a summed value. */
function comparedIn(literal: ts.StringLiteral): boolean {
  const list = literal.parent;
  const property = list && ts.isArrayLiteralExpression(list) ? list.parent : undefined;
  return !!property && ts.isPropertyAssignment(property) && /^\$(eq|ne|gt|gte|lt|lte|in)$/.test(propertyName(property) ?? "");
}

/** A Mongo aggregate check's `$sum` operands. */
function pipelineSums(check: SetCheck): ts.Expression[] {
  const node = check.inner && ts.isCallExpression(check.inner) ? check.inner : check.read.node;
  if ((check.read.library !== "mongoose" && check.read.library !== "mongodb") || !ts.isCallExpression(node)) return [];
  const aggregate = chainOf(node).links.find((l) => l.name === "aggregate" && l.call)?.call;
  return totalPipeline(aggregate?.arguments[0] && skipParens(aggregate.arguments[0]))?.sums ?? [];
}

/**
 * The rows the check read are folded into a total (`rows.reduce((sum, r) => sum + (r.kind === "IN" ? r.amount :
 * -r.amount), 0)`) in which a row with the inserted literal fields counts negatively.
 */
function foldsNegatively(check: SetCheck, fields: ReadonlyMap<string, ts.Expression>): boolean {
  let holder: ts.Node = check.read.node;
  while (ts.isAwaitExpression(holder.parent) || ts.isParenthesizedExpression(holder.parent)) holder = holder.parent;
  const declaration = holder.parent;
  if (!ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return false;
  const rows = declaration.name.text;
  const fn = enclosingFunctionBody(declaration);
  if (!fn) return false;
  return nodesOfKinds<ts.CallExpression>(fn, [ts.SyntaxKind.CallExpression], { skipFunctions: true }).some((call) => {
    const callee = call.expression;
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "reduce" || !isNumericFold(callee)) return false;
    if (!ts.isIdentifier(callee.expression) || callee.expression.text !== rows) return false;
    const fold = skipParens(call.arguments[0]!) as ts.ArrowFunction;
    const row = fold.parameters[1]?.name;
    const sum = skipParens(fold.body as ts.Expression) as ts.BinaryExpression;
    return !!row && ts.isIdentifier(row) && signOfRow(sum.right, row.text, fields) === -1;
  });
}

/** The sign of a row's term in a fold: `r.amount` adds, `-r.amount` subtracts, `r.kind === "IN" ? a : b` picks. */
function signOfRow(term: ts.Expression, row: string, fields: ReadonlyMap<string, ts.Expression>): 1 | -1 | undefined {
  const node = skipParens(term);
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === row) {
    const written = fields.get(node.name.text);
    return written && isNegated(written) ? -1 : 1;
  }
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
    const inner = signOfRow(node.operand, row, fields);
    return inner === undefined ? undefined : inner === 1 ? -1 : 1;
  }
  if (!ts.isConditionalExpression(node)) return undefined;
  const test = skipParens(node.condition);
  if (!ts.isBinaryExpression(test)) return undefined;
  const op = test.operatorToken.kind;
  const equal = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
  const unequal = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
  const [field, literal] = [skipParens(test.left), skipParens(test.right)];
  if ((!equal && !unequal) || !ts.isPropertyAccessExpression(field) || !isLiteral(literal)) return undefined;
  if (!ts.isIdentifier(field.expression) || field.expression.text !== row) return undefined;
  const written = fields.get(field.name.text);
  const value = written && skipParens(written);
  if (!value || !isLiteral(value)) return undefined;
  const same =
    ts.isStringLiteralLike(value) && ts.isStringLiteralLike(literal) ? value.text === literal.text : value.getText() === literal.getText();
  return signOfRow(same === equal ? node.whenTrue : node.whenFalse, row, fields);
}

/** `-1`, `-amount`, `-(cost * n)`: a value written negated. */
function isNegated(value: ts.Expression): boolean {
  const node = skipParens(value);
  return ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken;
}

function isSequelize(modules: ReadonlySet<string>): boolean {
  return modules.has("sequelize") || modules.has("sequelize-typescript") || modules.has("@sequelize/core");
}

/** knex: `db("bookings").where({ event_id }).count("* as n").first()` — the builder read without its aggregate link. */
function knexCount(call: ts.CallExpression): SetCheck | undefined {
  const { root, links } = chainOf(call);
  const aggregate = links.find((l, i) => i > 0 && /^(count|countDistinct|sum|max|min|avg)$/.test(l.name));
  if (!aggregate) return undefined;
  const rest = links.filter((l) => l !== aggregate);
  if (rest[rest.length - 1] === links[0]) rest.push({ name: "select" });
  const read = knexAccess(root, rest.length > 1 ? rest : [...rest, { name: "first" }], call);
  if (!read || read.kind !== "read") return undefined;
  return { read, kind: aggregate.name.startsWith("count") ? "count" : "aggregate" };
}

/**
 * Rows read (`findMany`, `SELECT id …`) make a set check only when nothing but their number or existence is used:
 * `rows.length`, `rowCount`, `!row`, `row == null`. Any other use (a field, passing them on) means the rows themselves
 * matter, which is select-then-update's business.
 */
function usedOnlyAsSize(h: Held, body: ts.Node): boolean {
  let ok = true;
  const visit = (node: ts.Node): void => {
    if (!ok) return;
    // `if (clashes.length > 0) return { ok: false, clashes: clashes.map((c) => c.id) }`: rows shown in the refusal the
    // check makes (a lone `return` or `throw` under a test of their size) are still only the check's.
    if (ts.isIfStatement(node) && !node.elseStatement && isRefusal(node.thenStatement)) {
      visit(node.expression);
      if (ok && mentionsOnlyAsSize(node.expression, h)) return;
    }
    // A name computed from a size use (`const total = rows.reduce(…)`) is a number: the rows' own names are checked.
    if (ts.isIdentifier(node) && (h.bound ?? h.names).has(node.text) && !isDeclarationName(node)) {
      if (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) return;
      if (!isSizeUse(node)) ok = false;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
  return ok;
}

/** A branch that only leaves: one `return` or `throw` (alone or in a block), writing nothing on its way out. */
function isRefusal(branch: ts.Statement): boolean {
  const statement = ts.isBlock(branch) && branch.statements.length === 1 ? branch.statements[0]! : branch;
  if (!ts.isReturnStatement(statement) && !ts.isThrowStatement(statement)) return false;
  const value = statement.expression && skipParens(statement.expression);
  return !value || (!ts.isAwaitExpression(value) && !nodesOfKinds(value, [ts.SyntaxKind.AwaitExpression]).length);
}

/** The condition names the rows, and only as a size (`clashes.length > 0`, `!rows.length`). */
function mentionsOnlyAsSize(condition: ts.Expression, h: Held): boolean {
  let named = false;
  let sizeOnly = true;
  const look = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && (h.bound ?? h.names).has(node.text)) {
      named = true;
      if (!isSizeUse(node)) sizeOnly = false;
      return;
    }
    ts.forEachChild(node, look);
  };
  look(condition);
  return named && sizeOnly;
}

function isDeclarationName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (ts.isVariableDeclaration(parent) || ts.isBindingElement(parent)) && parent.name === node;
}

const SIZE_PROPERTIES = new Set(["length", "rowCount", "affectedRows", "size", "count"]);

function isSizeUse(name: ts.Identifier): boolean {
  // `rows!.length`, `(rows ?? []).length`: the rows seen through an assertion or an empty fallback are still only sized.
  const node = throughEmptyFallback(name);
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.expression === node)
    return SIZE_PROPERTIES.has(parent.name.text) || isNumericFold(parent);
  if (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (ts.isBinaryExpression(parent)) {
    const other = parent.left === node ? parent.right : parent.left;
    const op = parent.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) return isConditionPosition(parent);
    return isEqualityOperator(op) && isNullish(other);
  }
  return isConditionPosition(node);
}

/**
 * The outermost of `rows!`, `(rows)`, `rows ?? []` and `rows || []` around a name holding rows: an empty list in place
 * of none has the same size and fold as no rows, so what the result is used for is asked of the whole expression.
 */
function throughEmptyFallback(name: ts.Identifier): ts.Expression {
  let node: ts.Expression = name;
  for (;;) {
    const parent = node.parent;
    if (ts.isNonNullExpression(parent) || ts.isParenthesizedExpression(parent)) node = parent;
    else if (
      ts.isBinaryExpression(parent) &&
      parent.left === node &&
      (parent.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || parent.operatorToken.kind === ts.SyntaxKind.BarBarToken) &&
      ts.isArrayLiteralExpression(skipParens(parent.right)) &&
      (skipParens(parent.right) as ts.ArrayLiteralExpression).elements.length === 0
    )
      node = parent;
    else return node;
  }
}

/** A Supabase read whose `select` asks for the count and no rows (`{ count: "exact", head: true }`). */
function countsOnly(call: ts.CallExpression): boolean {
  const select = chainOf(call).links.find((l) => l.name === "select" && l.call);
  const options = select?.call?.arguments[1] && skipParens(select.call.arguments[1]);
  if (!options || !ts.isObjectLiteralExpression(options)) return false;
  const head = propertyValue(options, "head");
  return !!propertyValue(options, "count") && !!head && head.kind === ts.SyntaxKind.TrueKeyword;
}

/** `rows.reduce((sum, r) => sum + r.amount, 0)`: the rows folded into a number, a total of the set. */
function isNumericFold(access: ts.PropertyAccessExpression): boolean {
  const call = access.parent;
  if (access.name.text !== "reduce" || !ts.isCallExpression(call) || call.expression !== access || call.arguments.length !== 2)
    return false;
  const [fold, initial] = call.arguments.map((a) => skipParens(a!));
  if (!ts.isNumericLiteral(initial!) || !ts.isArrowFunction(fold!) || ts.isBlock(fold.body)) return false;
  const result = skipParens(fold.body);
  return ts.isBinaryExpression(result) && result.operatorToken.kind === ts.SyntaxKind.PlusToken;
}

function isConditionPosition(node: ts.Node): boolean {
  const parent = node.parent;
  return (
    (ts.isIfStatement(parent) && parent.expression === node) ||
    (ts.isConditionalExpression(parent) && parent.condition === node) ||
    (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) ||
    (ts.isBinaryExpression(parent) &&
      (parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || parent.operatorToken.kind === ts.SyntaxKind.BarBarToken) &&
      isConditionPosition(parent))
  );
}

function isEqualityOperator(op: ts.SyntaxKind): boolean {
  return (
    op === ts.SyntaxKind.EqualsEqualsToken ||
    op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
    op === ts.SyntaxKind.ExclamationEqualsToken ||
    op === ts.SyntaxKind.ExclamationEqualsEqualsToken
  );
}

/**
 * Whether the condition only asks if the set is empty: the result used as a truth value, or compared with 0 (or
 * `>= 1` / `< 1`). That is an "at most one" / "at least one" test, not a bound such as `count < capacity`.
 */
function isEmptinessTest(condition: ts.Expression, h: Held): boolean {
  let emptiness = true;
  const visit = (node: ts.Node): void => {
    if (!emptiness) return;
    if (ts.isBinaryExpression(node) && isComparison(node.operatorToken.kind)) {
      const sides = [node.left, node.right];
      const checked = sides.find((s) => refersToCheck(s, h));
      if (checked) {
        const other = skipParens(sides.find((s) => s !== checked)!);
        const n = ts.isNumericLiteral(other) ? Number(other.text) : undefined;
        const op = node.operatorToken.kind;
        const lowerOne =
          n === 1 &&
          ((checked === node.left && (op === ts.SyntaxKind.GreaterThanEqualsToken || op === ts.SyntaxKind.LessThanToken)) ||
            (checked === node.right && (op === ts.SyntaxKind.LessThanEqualsToken || op === ts.SyntaxKind.GreaterThanToken)));
        if (!(n === 0 || lowerOne || isNullish(other))) emptiness = false;
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(condition);
  return emptiness;
}

/** Names compared as numbers in `body`: an operand of `<`/`<=`/`>`/`>=`, or of an equality with a number literal. */
function numericOperands(body: ts.Node): Set<string> {
  const names = new Set<string>();
  const operand = (node: ts.Expression): void => {
    let inner = skipParens(node);
    if (ts.isCallExpression(inner) && ts.isIdentifier(inner.expression) && inner.expression.text === "Number" && inner.arguments[0])
      inner = skipParens(inner.arguments[0]);
    if (ts.isIdentifier(inner)) names.add(inner.text);
  };
  for (const node of nodesOfKinds<ts.BinaryExpression>(body, [ts.SyntaxKind.BinaryExpression], { skipFunctions: true })) {
    const op = node.operatorToken.kind;
    if (!isComparison(op)) continue;
    if (isEqualityOperator(op) && !ts.isNumericLiteral(skipParens(node.left)) && !ts.isNumericLiteral(skipParens(node.right))) continue;
    operand(node.left);
    operand(node.right);
  }
  return names;
}

function isComparison(op: ts.SyntaxKind): boolean {
  return (
    isEqualityOperator(op) ||
    op === ts.SyntaxKind.LessThanToken ||
    op === ts.SyntaxKind.LessThanEqualsToken ||
    op === ts.SyntaxKind.GreaterThanToken ||
    op === ts.SyntaxKind.GreaterThanEqualsToken
  );
}

function refersToCheck(node: ts.Node, h: Held): boolean {
  if (mentions(node, h.names)) return true;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n)) return;
    if (n === h.check?.read.node || (h.truth && n === h.at)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Control dependence.

/** A condition on the check's result that decides whether a write runs, and on which of its outcomes it runs. */
interface Control {
  condition: ts.Expression;
  runsWhen: boolean;
}

/**
 * The conditions on the check's result that can decide whether a write runs: the tests of `if` and `?:`, and the left
 * side of `&&` / `||`. Which code each decides, and on which outcome, is a question about paths (`decidedBy`): the
 * branches, and everything after a guard that throws, returns, breaks or continues.
 */
function conditionsOnCheck(body: ts.Node, h: Held): ts.Expression[] {
  const out: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) return;
    if (ts.isIfStatement(node) && refersToCheck(node.expression, h)) out.push(node.expression);
    else if (ts.isConditionalExpression(node) && refersToCheck(node.condition, h)) out.push(node.condition);
    else if (
      ts.isBinaryExpression(node) &&
      (node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken) &&
      refersToCheck(node.left, h)
    )
      out.push(node.left);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return out;
}

/**
 * Whether `condition` is true when the set is large (`count > 1`, `exists`, `rows.length`) or when it is small
 * (`count < limit`, `!existing`, `count === 0`), from the first comparison of the check's result in it; undefined
 * when that cannot be told.
 */
function trueWhenLarge(condition: ts.Expression, h: Held): boolean | undefined {
  const node = skipParens(condition);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = trueWhenLarge(node.operand, h);
    return inner === undefined ? undefined : !inner;
  }
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      const sides = [node.left, node.right].filter((s) => refersToCheck(s, h));
      return sides.length === 1 ? trueWhenLarge(sides[0]!, h) : undefined;
    }
    if (!isComparison(op)) return undefined;
    const checkedLeft = refersToCheck(node.left, h);
    const other = skipParens(checkedLeft ? node.right : node.left);
    if (!checkedLeft && !refersToCheck(node.right, h)) return undefined;
    // `x === 0`, `x == null`: true when empty; `x !== 0`, `x != null`: true when not. `x === 1` reads as `x <= 1`:
    // the last owner (a limit written `x === max` is left alone: it grows the set, which this reading does not flag).
    // A value that falls as the set grows (`capacity - taken`) reads the other way round.
    const falls = polarity(checkedLeft ? node.left : node.right, h) === -1;
    if (isEqualityOperator(op)) {
      const bound = isNullish(other) || ts.isNumericLiteral(other);
      if (!bound || falls) return undefined;
      return op === ts.SyntaxKind.ExclamationEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken;
    }
    const greater = op === ts.SyntaxKind.GreaterThanToken || op === ts.SyntaxKind.GreaterThanEqualsToken;
    return (checkedLeft ? greater : !greater) !== falls;
  }
  // The result itself as a truth value: a count, an existence flag, a row, `rows.length`.
  return refersToCheck(node, h) && polarity(node, h) !== -1 ? true : undefined;
}

/**
 * How `expr` moves as the checked result grows: 1 with it (`held`, `Number(rows[0].n) + 1`), -1 against it
 * (`stock - held`, `capacity - taken`); undefined when that cannot be told (a product, a call).
 */
function polarity(expr: ts.Expression, h: Held): 1 | -1 | undefined {
  const node = skipParens(expr);
  if (node === h.check?.read.node) return 1;
  if (ts.isIdentifier(node)) return h.names.has(node.text) ? (h.inverted?.has(node.text) ? -1 : 1) : undefined;
  if (ts.isAwaitExpression(node) || ts.isNonNullExpression(node) || ts.isAsExpression(node)) return polarity(node.expression, h);
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) return polarity(node.expression, h);
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && /^(Number|parseInt|parseFloat|BigInt)$/.test(node.expression.text))
    return node.arguments[0] ? polarity(node.arguments[0], h) : undefined;
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
    const inner = polarity(node.operand, h);
    return inner && (-inner as 1 | -1);
  }
  if (!ts.isBinaryExpression(node)) return undefined;
  const op = node.operatorToken.kind;
  const left = refersToCheck(node.left, h);
  const right = refersToCheck(node.right, h);
  if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) return left ? polarity(node.left, h) : undefined;
  if (left === right || (op !== ts.SyntaxKind.PlusToken && op !== ts.SyntaxKind.MinusToken)) return undefined;
  if (left) return polarity(node.left, h);
  const inner = polarity(node.right, h);
  return inner && op === ts.SyntaxKind.MinusToken ? (-inner as 1 | -1) : inner;
}

/** The `if` / `?:` / `while` condition a call written inline sits in. */
function enclosingCondition(node: ts.Node): ts.Expression | undefined {
  for (
    let child: ts.Node = node, parent = node.parent;
    parent && !isFunctionLike(parent) && !ts.isStatement(child);
    child = parent, parent = parent.parent
  ) {
    if (ts.isIfStatement(parent) && parent.expression === child) return parent.expression;
    if (ts.isConditionalExpression(parent) && parent.condition === child) return parent.condition;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Writes of the set.

interface SetWrite {
  access: DbAccess;
  change: "insert" | "update" | "delete";
  /** For a write made by a project helper: its parameters' names → the call's arguments. */
  args?: Arguments;
  /** …and the statement inside it that writes. */
  inner?: ts.Node;
}

const writes = new NodeFacts<ts.Node, SetWrite | null>();

/** A write that can change a set: an insert, an update (of its filter columns) or a delete. */
export function setWriteOf(node: ts.CallExpression | ts.TaggedTemplateExpression): SetWrite | undefined {
  let write = writes.get(node);
  if (write === undefined) writes.set(node, (write = recogniseWrite(node) ?? null));
  return write ?? undefined;
}

function recogniseWrite(node: ts.CallExpression | ts.TaggedTemplateExpression): SetWrite | undefined {
  // Mongoose `Model.create(doc)` / `insertMany` and `deleteOne` / `deleteMany`, which change no document read.
  const mongoose = ts.isCallExpression(node) ? mongooseSetAccess(node) : undefined;
  if (mongoose && (mongoose.operation === "insert" || mongoose.operation === "delete"))
    return { access: mongoose.access, change: mongoose.operation };
  const access = dbAccessOf(node);
  if (access) {
    if (access.kind !== "write" || access.library === "redis") return undefined;
    const name = ts.isCallExpression(node) ? calleeName(node) : undefined;
    if (access.sql) {
      const kind = access.sql.statement.kind;
      return kind === "insert" || kind === "update" || kind === "delete" ? { access, change: kind } : undefined;
    }
    if (access.insert) return { access, change: "insert" };
    if (name && /^(delete|deleteMany|del|destroy|remove)$/.test(name)) return { access, change: "delete" };
    if (name === "upsert") return undefined;
    if (access.entity) return entityWrite(access);
    return { access, change: "update" };
  }
  return ts.isCallExpression(node) ? ormWrite(node) : undefined;
}

/**
 * Sequelize `Model.create(values)` / `Model.destroy({ where })` and TypeORM `repo.insert(values)` /
 * `repo.delete(criteria)`, which the lost-update recognisers leave out (they change no row that was read).
 */
function ormWrite(call: ts.CallExpression): SetWrite | undefined {
  const name = calleeName(call);
  const receiver = receiverOf(call);
  const modules = new Set([...importsOf(call.getSourceFile()).values()].map((i) => i.module));
  if ([...modules].some((m) => m.startsWith("drizzle-orm"))) return drizzleWrite(call);
  if (!name || !receiver || !/^(create|bulkCreate|destroy|insert|delete|softDelete)$/.test(name)) return undefined;
  const sequelize = isSequelize(modules);
  const first = call.arguments[0];
  if (sequelize && /^(create|bulkCreate|destroy)$/.test(name)) {
    const read = sequelizeAccess(call, "findOne", receiver);
    if (!read) return undefined;
    const base = { ...read, node: call, kind: "write" as const };
    if (name === "destroy")
      return { access: { ...base, conditions: whereObjectConditions(propertyValue(first, "where")) }, change: "delete" };
    return { access: { ...base, insert: true, conditions: [], assignments: objectAssignments(first, () => false) }, change: "insert" };
  }
  if (modules.has("typeorm") && /^(insert|delete|softDelete)$/.test(name)) {
    const read = typeormAccess(call, "findOneBy", receiver);
    if (!read) return undefined;
    const entityFirst = call.arguments.length >= 2 && first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text);
    const arg = entityFirst ? call.arguments[1] : first;
    const base = { ...read, node: call, kind: "write" as const };
    if (name === "insert")
      return { access: { ...base, insert: true, conditions: [], assignments: objectAssignments(arg, () => false) }, change: "insert" };
    return { access: { ...base, conditions: whereObjectConditions(arg) }, change: "delete" };
  }
  return undefined;
}

/** Drizzle `db.delete(t).where(…)` and `db.insert(t).values({ … })` (a `Map`'s or `Set`'s `delete(key)` has no `where`). */
function drizzleWrite(call: ts.CallExpression): SetWrite | undefined {
  // The statement is the whole chain: `delete(t).where(…)` inside `delete(t).where(…).returning()` is not a second one.
  if (isChainLink(call)) return undefined;
  const { root, links } = chainOf(call);
  const [first] = links;
  const tableArg = first?.call?.arguments[0] && skipParens(first.call.arguments[0]);
  if (!first || !tableArg || !ts.isIdentifier(tableArg) || (first.name !== "delete" && first.name !== "insert")) return undefined;
  const base = { node: call, library: "drizzle" as const, kind: "write" as const, table: tableArg.text.toLowerCase(), handle: root };
  if (first.name === "delete") {
    if (!links.some((l) => l.name === "where")) return undefined;
    return { access: { ...base, assignments: [], conditions: drizzleWhere(links) }, change: "delete" };
  }
  const values = links.find((l) => l.name === "values" && l.call)?.call?.arguments[0];
  if (!values) return undefined;
  return {
    access: { ...base, insert: true, conditions: [], assignments: objectAssignments(insertedRow(values), () => false) },
    change: "insert",
  };
}

/**
 * `repo.save({ … })` / `repo.save(repo.create({ … }))` inserts; `user.role = "member"; await repo.save(user)` updates
 * `role` (a field set that some path runs before the save: not one in a branch that does not reach it).
 */
function entityWrite(access: DbAccess): SetWrite | undefined {
  const entity = skipParens(access.entity!);
  if (ts.isObjectLiteralExpression(entity))
    return { access: { ...access, insert: true, assignments: objectAssignments(entity, () => false) }, change: "insert" };
  if (ts.isCallExpression(entity)) return insertOfCreate(entity, access);
  if (!ts.isIdentifier(entity)) return undefined;
  const created = createdEntity(entity, access);
  if (created) return created;
  const fn = enclosingFunctionBody(access.node);
  const assignments: AccessAssignment[] = [];
  if (fn)
    for (const node of nodesOfKinds<ts.BinaryExpression>(fn, [ts.SyntaxKind.BinaryExpression], { skipFunctions: true })) {
      const left = skipParens(node.left);
      if (
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(left) &&
        ts.isIdentifier(left.expression) &&
        left.expression.text === entity.text &&
        mayRunAfter(node, access.node)
      )
        assignments.push({ column: left.name.text, value: node.right, atomic: false });
    }
  return assignments.length > 0 ? { access: { ...access, assignments }, change: "update" } : undefined;
}

/**
 * `const capture = em.create(ChargeCapture, { … })` (or `repo.create({ … })`) earlier in the function, then the saved
 * entity is `capture`: an insert of those fields, into the created entity's table when the call names it. A `let`
 * counts as much as a `const` when a create is the last value a path gives it before the save: the find-or-create
 * `let user = await repo.findOneBy(…); if (!user) { user = repo.create({ … }); await repo.save(user); }` inserts.
 */
function createdEntity(entity: ts.Identifier, access: DbAccess): SetWrite | undefined {
  const body = enclosingFunctionBody(access.node);
  const d = variableDeclarationOf(entity);
  if (!body || !d || !ts.isIdentifier(d.name) || enclosingFunctionBody(d) !== body) return undefined;
  if ((d.parent.flags & ts.NodeFlags.Const) !== 0) return d.initializer ? insertOfCreate(skipAwait(d.initializer), access) : undefined;
  const values: Array<{ at: ts.Node; value: ts.Expression }> = d.initializer ? [{ at: d.initializer, value: d.initializer }] : [];
  for (const node of nodesOfKinds<ts.BinaryExpression>(body, [ts.SyntaxKind.BinaryExpression], { skipFunctions: true })) {
    const left = skipParens(node.left);
    if (node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(left) && variableDeclarationOf(left) === d)
      values.push({ at: node, value: node.right });
  }
  // A create that reaches the save with no other value given to the variable on the way.
  for (const created of values) {
    const write = mayRunAfter(created.at, access.node) && insertOfCreate(skipAwait(created.value), access);
    if (!write) continue;
    const overwritten = values.some(
      (other) => other !== created && mayRunAfter(created.at, other.at) && mayRunAfter(other.at, access.node),
    );
    if (!overwritten) return write;
  }
  return undefined;
}

/**
 * `repo.create({ … })`, `em.create(ChargeCapture, { … })` (MikroORM names the entity first): an insert of the object's
 * fields, into the named entity's table when there is one.
 */
function insertOfCreate(create: ts.Expression, access: DbAccess): SetWrite | undefined {
  if (!ts.isCallExpression(create) || calleeName(create) !== "create") return undefined;
  const [first, second] = create.arguments.map((a) => skipParens(a));
  const named = first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text) ? first : undefined;
  const literal = named ? second : first;
  const assignments =
    literal && ts.isObjectLiteralExpression(literal)
      ? objectAssignments(literal, () => false)
      : literal && ts.isIdentifier(literal)
        ? fieldsReadOff(literal)
        : [];
  if (assignments.length === 0) return undefined;
  const table = named ? named.text.toLowerCase() : access.table;
  return { access: { ...access, ...(table ? { table } : {}), insert: true, assignments }, change: "insert" };
}

/**
 * An entity created from a whole object (`repo.create(command)`) has that object's fields: each property the function
 * reads off the same object (`command.offerId` in the lookup) is a column of the new row, with that value.
 */
function fieldsReadOff(object: ts.Identifier): AccessAssignment[] {
  const body = enclosingFunctionBody(object);
  const declaration = declarationOf(object);
  if (!body || !declaration) return [];
  const fields = new Map<string, AccessAssignment>();
  for (const node of nodesOfKinds<ts.PropertyAccessExpression>(body, [ts.SyntaxKind.PropertyAccessExpression], { skipFunctions: true })) {
    const holder = skipParens(node.expression);
    if (ts.isIdentifier(holder) && holder.text === object.text && declarationOf(holder) === declaration && !fields.has(node.name.text))
      fields.set(node.name.text, { column: node.name.text, value: node, atomic: false });
  }
  return [...fields.values()];
}

function enclosingFunctionBody(node: ts.Node): ts.Node | undefined {
  for (let current = node.parent; current; current = current.parent) if (isFunctionLike(current)) return current.body;
  return undefined;
}

/**
 * How the write changes the set the check looked at: an insert of a row that joins it (it sets a filter column to the
 * value the check filtered by, or the check has no filter) grows it; an update that sets a filter column grows it when
 * it sets the checked value, else moves a row out; an update of an aggregated column changes it either way (treated
 * as moving out: a sum kept above a minimum); a delete of a row of it shrinks it. Undefined: the write does not touch
 * the set, as far as the code shows.
 */
const RANGE_OPERATORS: ReadonlySet<string> = new Set(["<", "<=", ">", ">="]);

function directionOf(check: SetCheck, write: SetWrite): "grows" | "shrinks" | undefined {
  const filters = check.read.conditions;
  const access = write.access;
  const same = (checked: ts.Expression | undefined, written: ts.Expression | undefined) => {
    const a = checked && atCaller(checked, check.args);
    const b = written && atCaller(written, write.args);
    if (!a || !b) return false;
    if (sameValue(a, b)) return true;
    // The id of a row read by that id is the id (`count({ raffleId })`, then `raffleId: raffle.id` after
    // `const raffle = await findById(raffleId)`).
    const key = keyReadBy(b) ?? keyReadBy(a);
    return !!key && (sameValue(a, key) || sameValue(key, b));
  };
  if (write.change === "insert") {
    const keyed = filters.filter((c) => c.operator === "=" && c.value && atCaller(c.value, check.args));
    // A check with no filter read the whole table: every insert joins it (rows read for their number only, as the
    // caller has made sure: `(await db.select().from(users)).length >= limit`).
    if (keyed.length === 0) return filters.length === 0 ? "grows" : undefined;
    const inserted = insertedValues(access);
    const joins = keyed.some((c) =>
      inserted.some((v) => same(c.value, v.value) && (v.column === undefined || sameColumn(v.column, c.column))),
    );
    if (!joins) return undefined;
    // A ledger row carrying a negated amount of the summed column (`change: -1`, `amount: -cost`) lowers the total,
    // as does one a pipeline's `$sum` or a `reduce` of the rows counts negatively (a branch on its `kind`, negated).
    const summed = check.kind === "aggregate" ? summedColumns(check) : [];
    const fields = new Map(inserted.flatMap((v) => (v.column ? [[v.column, v.value] as const] : [])));
    const lowers =
      inserted.some((v) => v.column !== undefined && summed.some((c) => sameColumn(c, v.column!)) && isNegated(v.value)) ||
      pipelineSums(check).some((sum) => signInSum(sum, fields) === -1) ||
      foldsNegatively(check, fields);
    return lowers ? "shrinks" : "grows";
  }
  if (write.change === "update") {
    const moved = access.assignments.filter((a) => filters.some((c) => sameColumn(a.column, c.column)));
    if (moved.length === 0) return check.kind === "aggregate" && access.assignments.length > 0 ? "shrinks" : undefined;
    const into = moved.some(
      (a) =>
        filters.some(
          (c) =>
            sameColumn(a.column, c.column) &&
            ((c.operator === "=" && same(c.value, a.value)) ||
              (c.operator === "<>" && !!c.value && isNullish(c.value) && neverNull(a.value))),
        ) || setsCheckedLiteral(check.read, a),
    );
    return into ? "grows" : "shrinks";
  }
  // A delete names rows of the set: by their key, or by the check's own filter value.
  if (access.conditions.length === 0) return undefined;
  // A delete that also bounds a column by a range (`createdAt < now`, `clock <= seen`) removes whatever the range
  // holds, however many rows the check counted: a cleanup the count triggers (compaction), not a removal it keeps a
  // floor for; two runs remove the same rows.
  if (access.conditions.some((w) => RANGE_OPERATORS.has(w.operator))) return undefined;
  const named = access.conditions.some(
    (w) => /^(id|uuid|pk|_id)$/i.test(w.column) || filters.some((c) => sameColumn(c.column, w.column) && same(c.value, w.value)),
  );
  return named ? "shrinks" : undefined;
}

/**
 * A value that cannot be null: a literal, or the key of a row the function created (`placeholder._id` after `const
 * placeholder = await Folder.create(…)`). Set to a column the check requires not to be null, it keeps the row in the set.
 */
function neverNull(value: ts.Expression | undefined): boolean {
  const node = value && skipParens(value);
  if (!node) return false;
  if (isLiteral(node)) return node.kind !== ts.SyntaxKind.NullKeyword;
  if (!ts.isPropertyAccessExpression(node) || !/^_?id$/.test(node.name.text) || !ts.isIdentifier(node.expression)) return false;
  const declaration = variableDeclarationOf(node.expression);
  if (!declaration?.initializer || !ts.isIdentifier(declaration.name) || !ts.isVariableDeclarationList(declaration.parent)) return false;
  if ((declaration.parent.flags & ts.NodeFlags.Const) === 0) return false;
  const created = skipAwait(declaration.initializer);
  return ts.isCallExpression(created) && (!!dbAccessOf(created)?.insert || setWriteOf(created)?.change === "insert");
}

/**
 * Raw SQL: the assignment sets a column to the literal the check's WHERE compares it with (`SELECT … WHERE label =
 * 'Other'`, then `UPDATE … SET label = 'Other'`): the row joins (or stays in) the set the check looked at.
 */
function setsCheckedLiteral(read: DbAccess, assignment: AccessAssignment): boolean {
  const written = assignment.sql?.expression.trim();
  if (!written || !/^('[^']*'|-?\d+(\.\d+)?)$/.test(written)) return false;
  return !!read.sql?.statement.conditions.some(
    (c) => c.operator === "=" && sameColumn(c.column, assignment.column) && c.expression.trim() === written,
  );
}

/**
 * For `row.id` / `row._id` where `const row = await <read by id>(key)`: `key`. A read by id is a call named
 * `findById` / `findByPk` / `findOneById` / `getById` (an ORM's, or a project service's of that name) or a recognised
 * read whose filter is the key column (`findOne({ _id: key })`, `findUnique({ where: { id: key } })`).
 */
function keyReadBy(expr: ts.Expression): ts.Expression | undefined {
  const node = skipParens(expr);
  if (!ts.isPropertyAccessExpression(node) || !/^_?id$/.test(node.name.text) || !ts.isIdentifier(node.expression)) return undefined;
  const name = node.expression.text;
  const body = enclosingFunctionBody(node);
  if (!body) return undefined;
  for (const d of nodesOfKinds<ts.VariableDeclaration>(body, [ts.SyntaxKind.VariableDeclaration], { skipFunctions: true })) {
    if (!ts.isIdentifier(d.name) || d.name.text !== name || !d.initializer) continue;
    if (!ts.isVariableDeclarationList(d.parent) || (d.parent.flags & ts.NodeFlags.Const) === 0) return undefined;
    const read = skipAwait(d.initializer);
    if (!ts.isCallExpression(read)) return undefined;
    if (/^(findById|findByPk|findOneById|getById)$/.test(calleeName(read) ?? "") && read.arguments.length === 1) return read.arguments[0];
    const access = dbAccessOf(read);
    if (access?.kind !== "read") return undefined;
    const byKey = access.conditions.filter((c) => c.operator === "=" && /^(id|_id)$/.test(c.column) && c.value);
    return byKey.length === 1 && access.conditions.length === 1 ? byKey[0]!.value : undefined;
  }
  return undefined;
}

/** Columns and values an insert writes; for raw SQL only the values (column lists are not parsed). */
function insertedValues(write: DbAccess): Array<{ column?: string; value: ts.Expression }> {
  if (write.sql) {
    const values: Array<{ value: ts.Expression }> = [];
    for (const placeholder of write.sql.statement.placeholders) {
      const value = placeholderValue(write, placeholder);
      if (value) values.push({ value });
    }
    return values;
  }
  const out: Array<{ column?: string; value: ts.Expression }> = [];
  // knex `.insert({ … })`: the recogniser keeps no assignments for inserts.
  const values = write.assignments.length > 0 || !ts.isCallExpression(write.node) ? write.assignments : knexInserted(write.node);
  for (const a of values) {
    if (!a.value) continue;
    // Prisma relation links: `event: { connect: { id: eventId } }` sets `eventId`.
    const connected = propertyValue(propertyValue(a.value, "connect"), "id");
    if (connected) out.push({ column: `${a.column}Id`, value: connected });
    else out.push({ column: a.column, value: a.value });
  }
  return out;
}

function knexInserted(call: ts.CallExpression): AccessAssignment[] {
  const insert = chainOf(call).links.find((l) => l.name === "insert" && l.call);
  return objectAssignments(insert?.call?.arguments[0], () => false);
}

/**
 * The insert writes every column the check pins by equality with the value the check compared it with (as a literal
 * too): the new row is one the check would have found, a duplicate of its key.
 */
function insertsEveryKey(check: SetCheck, write: SetWrite): boolean {
  const keyed = check.read.conditions.filter((c) => c.operator === "=" && c.value);
  const inserted = insertedValues(write.access);
  // A helper's values are compared as the caller passes them (`ballotsToday(placeId, dinerId)` pins its parameters).
  const same = (checked: ts.Expression, written: ts.Expression) => {
    const a = atCaller(checked, check.args);
    const b = atCaller(written, write.args);
    return !!a && !!b && (sameValue(a, b) || (isLiteral(a) && isLiteral(b) && a.getText() === b.getText()));
  };
  return (
    keyed.length > 0 &&
    keyed.every((c) => inserted.some((v) => same(c.value!, v.value) && (v.column === undefined || sameColumn(v.column, c.column))))
  );
}

/**
 * The columns an insert sets from values of the code (a name, a property, a literal), not made fresh for the row (a
 * call: `randomUUID()`, `new Date()`; SQL `DEFAULT`, `now()`; the id of an object a payment-provider `create…` call
 * or a queue's `add` just made); for raw SQL, the columns listed against a placeholder bound to such a value.
 */
function columnsFromCaller(write: DbAccess, checker?: () => ts.TypeChecker): string[] {
  // A placeholder whose value is not known (`?`, `:name`) is the caller's.
  const fromCaller = (value: ts.Expression | undefined) => !value || (!mayBeNull(value) && !madeForRow(value, checker));
  if (write.sql)
    return write.sql.statement.assignments
      .filter((a) => /^(\$\d+|\?|:\w+)$/.test(a.expression) && fromCaller(numberedValue(write, a.expression)))
      .map((a) => a.column);
  return insertedValues(write)
    .filter((v) => v.column !== undefined && fromCaller(v.value))
    .map((v) => v.column!);
}

/**
 * A value made for the row being inserted: a call (`randomUUID()`), or a field of what an awaited call that makes a
 * new remote object returned (`const endpoint = await stripe.webhookEndpoints.create(…)`, then `endpoint.id`). Each
 * concurrent caller gets its own, so a unique index over its column refuses no second row. A call given an
 * idempotency key (Stripe's `idempotencyKey`, a queue job's `jobId`) is not one: every caller sending the same key gets
 * the first caller's object back.
 */
function madeForRow(value: ts.Expression, checker: (() => ts.TypeChecker) | undefined): boolean {
  if (makesValue(value)) return true;
  let root = skipParens(value);
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipParens(root.expression);
  const declaration = checker && ts.isIdentifier(root) ? variableDeclarationOf(root) : undefined;
  const made = declaration?.initializer && skipParens(skipAwait(declaration.initializer));
  return !!made && createsRemoteObject(made, checker!) && dedupeKeysOf(made).length === 0;
}

/** The value bound to a numbered placeholder (`$4`) of a raw SQL write. */
function numberedValue(write: DbAccess, placeholder: string): ts.Expression | undefined {
  const n = /^\$(\d+)$/.exec(placeholder);
  return n ? placeholderValue(write, { style: "numbered", index: Number(n[1]) - 1, offset: 0 }) : undefined;
}

/**
 * A value that is null on some path (`null`, `prior?.id ?? null`, `x || null`): a unique index over its column refuses no
 * second row there, since unique indexes treat NULLs as distinct, so it does not close a duplicate insert.
 */
function mayBeNull(value: ts.Expression | undefined): boolean {
  const node = value && skipParens(value);
  if (!node) return false;
  if (isNullish(node)) return true;
  return (
    ts.isBinaryExpression(node) &&
    (node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken) &&
    isNullish(skipParens(node.right))
  );
}

/** The expression calls something (`randomUUID()`, `new Date()`, a `sql` template): a value made for this row. */
function makesValue(node: ts.Node): boolean {
  if (ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isTaggedTemplateExpression(node)) return true;
  return !isFunctionLike(node) && (ts.forEachChild(node, (child) => makesValue(child) || undefined) ?? false);
}

function sameColumn(a: string, b: string): boolean {
  return a.replace(/_/g, "").toLowerCase() === b.replace(/_/g, "").toLowerCase();
}

/** The same value by identity: `const id = workspaceId` is `workspaceId`, and each name is the same declaration (identity.ts). */
function sameValue(a: ts.Expression, b: ts.Expression): boolean {
  return sameIdentity(skipParens(a), skipParens(b));
}

// ---------------------------------------------------------------------------------------------------------------
// Project helpers: `const owners = await countOwners(orgId)` is a check and `await removeMember(orgId, userId)` a write
// when the helper's body makes one, with its parameters standing for the call's arguments.

/** The project-looking call whose result `expr` is (`await getOwnerCount(id)`), a candidate to resolve later. */
function helperCallAt(expr: ts.Expression): ts.CallExpression | undefined {
  const node = skipAwait(expr);
  return ts.isCallExpression(node) && !dbAccessOf(node) && node.arguments.length > 0 ? node : undefined;
}

/** The function a call runs: resolved by `resolve`, or the function a higher-order call wraps (`cache(async (id) => …)`). */
function helperOf(call: ts.CallExpression, { resolve, checker }: Resolution): FunctionLike | undefined {
  const direct = resolve(call);
  if (direct?.body) return direct;
  // Only plain names: a method's symbol needs its receiver's type, which costs a type check per call.
  const name = skipParens(call.expression);
  if (!checker || !ts.isIdentifier(name)) return undefined;
  const symbol = aliasedSymbolAt(name, checker);
  for (const declaration of symbol?.declarations ?? []) {
    if (declaration.getSourceFile().isDeclarationFile || !ts.isVariableDeclaration(declaration) || !declaration.initializer) continue;
    const init = skipParens(declaration.initializer);
    const wrapped = ts.isCallExpression(init) ? init.arguments.find((a) => isFunctionLike(skipParens(a))) : undefined;
    if (wrapped) return skipParens(wrapped) as FunctionLike;
  }
  return undefined;
}

/** Parameter names of `fn` → the arguments `call` passes (plain identifier parameters only). */
function argumentsOf(fn: FunctionLike, call: ts.CallExpression): Arguments {
  const args = new Map<string, ts.Expression>();
  fn.parameters.forEach((parameter, i) => {
    const argument = call.arguments[i];
    if (ts.isIdentifier(parameter.name) && argument && !ts.isSpreadElement(argument)) args.set(parameter.name.text, argument);
  });
  return args;
}

const returnedChecks = new NodeFacts<FunctionLike, SetCheck | null>();

/** The check a helper returns the result of (`return prisma.x.count(…)`, `const n = await …; return n`). */
function returnedCheck(fn: FunctionLike): SetCheck | undefined {
  let check = returnedChecks.get(fn);
  if (check === undefined) {
    check = null;
    const body = fn.body;
    const returned: ts.Expression[] = [];
    if (body && !ts.isBlock(body)) returned.push(body);
    else if (body)
      for (const r of nodesOfKinds<ts.ReturnStatement>(body, [ts.SyntaxKind.ReturnStatement], { skipFunctions: true }))
        if (r.expression) returned.push(r.expression);
    for (const expr of returned) {
      let found = checkAt(expr);
      const value = skipAwait(expr);
      if (!found && ts.isIdentifier(value) && body)
        for (const d of nodesOfKinds<ts.VariableDeclaration>(body, [ts.SyntaxKind.VariableDeclaration], { skipFunctions: true }))
          if (ts.isIdentifier(d.name) && d.name.text === value.text && d.initializer) found = checkAt(d.initializer);
      // Rows handed back are used by the caller in ways not seen here.
      if (found && found.kind !== "rows") check = found;
      else if (!found && body) check = returnedOverlapTest(expr, body) ?? returnedFloorTest(expr, body) ?? check;
    }
    returnedChecks.set(fn, check);
  }
  return check ?? undefined;
}

/**
 * `return rows.length > 0` (or `!== 0`, `!!row`, `row != null`) of rows an overlap read returned in the helper's body:
 * the helper answers whether an overlapping row exists.
 */
function returnedOverlapTest(returned: ts.Expression, body: ts.Node): SetCheck | undefined {
  const test = skipParens(returned);
  let subject: ts.Expression | undefined;
  if (ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = skipParens(test.operand);
    if (ts.isPrefixUnaryExpression(inner) && inner.operator === ts.SyntaxKind.ExclamationToken) subject = inner.operand;
  } else if (ts.isBinaryExpression(test)) {
    const op = test.operatorToken.kind;
    const right = skipParens(test.right);
    const nonEmpty =
      (op === ts.SyntaxKind.GreaterThanToken && ts.isNumericLiteral(right) && right.text === "0") ||
      ((op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) &&
        ((ts.isNumericLiteral(right) && right.text === "0") || isNullish(right)));
    if (nonEmpty) subject = test.left;
  }
  let node = subject && skipParens(subject);
  if (node && ts.isPropertyAccessExpression(node) && SIZE_PROPERTIES.has(node.name.text)) node = skipParens(node.expression);
  if (!node || !ts.isIdentifier(node)) return undefined;
  const read = checkBoundIn(body, node.text);
  return read?.kind === "rows" && isOverlapTest(read.read) ? { ...read, kind: "exists", truth: true } : undefined;
}

/** The set check whose result the helper's body binds to `name` (`const agg = await prisma.x.aggregate(…)`). */
function checkBoundIn(body: ts.Node, name: string): SetCheck | undefined {
  for (const d of nodesOfKinds<ts.VariableDeclaration>(body, [ts.SyntaxKind.VariableDeclaration], { skipFunctions: true })) {
    const read = d.initializer && boundNames(d.name).some((n) => n.text === name) ? checkAt(d.initializer) : undefined;
    if (read) return read;
  }
  return undefined;
}

/**
 * `return (balance._sum.amount ?? 0) > 0` (or `>=`, `total >= cost`) of a count or aggregate read in the helper's body:
 * the helper answers whether the set's value is still above a floor, so its result is true when the value is large.
 */
function returnedFloorTest(returned: ts.Expression, body: ts.Node): SetCheck | undefined {
  const test = skipParens(returned);
  if (!ts.isBinaryExpression(test)) return undefined;
  const op = test.operatorToken.kind;
  const subject =
    op === ts.SyntaxKind.GreaterThanToken || op === ts.SyntaxKind.GreaterThanEqualsToken
      ? test.left
      : op === ts.SyntaxKind.LessThanToken || op === ts.SyntaxKind.LessThanEqualsToken
        ? test.right
        : undefined;
  let node = subject && skipParens(subject);
  // Down to the name holding the read: through a default (`?? 0`), `Number(…)`, and properties (`_sum.amount`).
  while (node && !ts.isIdentifier(node)) {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) node = skipParens(node.left);
    else if (ts.isPropertyAccessExpression(node) || ts.isNonNullExpression(node)) node = skipParens(node.expression);
    else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && /^(Number|parseInt|parseFloat)$/.test(node.expression.text))
      node = node.arguments[0] && skipParens(node.arguments[0]);
    else node = undefined;
  }
  const read = node && checkBoundIn(body, node.text);
  return read && (read.kind === "aggregate" || read.kind === "count") ? { ...read, truth: true } : undefined;
}

function helperCheck(call: ts.CallExpression, resolution: Resolution): SetCheck | undefined {
  const fn = helperOf(call, resolution);
  const check = fn && returnedCheck(fn);
  return check && fn
    ? {
        read: { ...check.read, node: call },
        kind: check.kind,
        args: argumentsOf(fn, call),
        inner: check.read.node,
        ...(check.truth ? { truth: true } : {}),
      }
    : undefined;
}

const helperWrites = new NodeFacts<FunctionLike, SetWrite[]>();

/** The set writes at a call: the statement itself, or those the helper it calls makes (its callbacks included). */
function writesAt(call: ts.CallExpression | ts.TaggedTemplateExpression, resolution: Resolution): SetWrite[] {
  const direct = setWriteOf(call);
  if (direct) return [direct];
  if (!ts.isCallExpression(call) || dbAccessOf(call) || call.arguments.length === 0) return [];
  const fn = helperOf(call, resolution);
  if (!fn?.body) return [];
  let writes = helperWrites.get(fn);
  if (!writes) {
    writes = [];
    for (const node of nodesOfKinds(fn.body, CALL_KINDS)) {
      const write = setWriteOf(node as ts.CallExpression | ts.TaggedTemplateExpression);
      if (write) writes.push(write);
    }
    helperWrites.set(fn, writes);
  }
  const args = argumentsOf(fn, call);
  return writes.map(
    (w) => passedDocument(w, fn, call) ?? { access: { ...w.access, node: call }, change: w.change, args, inner: w.access.node },
  );
}

/**
 * A helper that inserts the document it is given (`add(entry) { return this.entries.create(entry) }`) inserts the
 * object literal its caller passes: its fields, as written at the call (so no parameter is translated).
 */
function passedDocument(write: SetWrite, fn: FunctionLike, call: ts.CallExpression): SetWrite | undefined {
  if (write.change !== "insert" || !ts.isCallExpression(write.access.node) || write.access.assignments.length > 0) return undefined;
  const document = write.access.node.arguments[0] && skipParens(write.access.node.arguments[0]);
  if (!document || !ts.isIdentifier(document)) return undefined;
  const index = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === document.text);
  const passed = index >= 0 ? call.arguments[index] && skipParens(call.arguments[index]) : undefined;
  if (!passed || !ts.isObjectLiteralExpression(passed)) return undefined;
  const assignments = objectAssignments(passed, () => false);
  return { access: { ...write.access, node: call, assignments }, change: "insert", inner: write.access.node };
}

/**
 * A TypeORM `save()` whose entity carries, as its primary key, the key of a row an earlier insert of the same table in
 * this function returned (`const task = await saveTask(…)`, then `saveTask(owner, { id: task.id, state })`) updates
 * that row: it adds no row to the set. Also through a helper spreading its parameter into the saved object.
 */
function savesRowCreatedEarlier(
  write: SetWrite,
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  body: ts.Node,
  resolution: Resolution,
): boolean {
  const entity = write.access.entity && skipParens(write.access.entity);
  if (write.change !== "insert" || write.access.library !== "typeorm" || !entity || !ts.isObjectLiteralExpression(entity)) return false;
  const key = savedKey(entity, write.args);
  if (!key || !ts.isPropertyAccessExpression(key) || !/^(id|uuid|_id)$/.test(key.name.text)) return false;
  const holder = skipParens(key.expression);
  if (!ts.isIdentifier(holder)) return false;
  // The name holding the row an earlier call of this function created.
  const declaration = variableDeclarationOf(holder);
  const created = declaration?.initializer && isInside(declaration, body) ? skipAwait(declaration.initializer) : undefined;
  if (!created || !ts.isCallExpression(created) || !mayRunAfter(created, call)) return false;
  return writesAt(created, resolution).some((w) => w.change === "insert" && sameTable(w.access.table, write.access.table));
}

/** The value of the primary key an object literal saves: its own `id`, or that of the caller's object it spreads. */
function savedKey(literal: ts.ObjectLiteralExpression, args: Arguments | undefined): ts.Expression | undefined {
  for (const property of literal.properties) {
    if (ts.isPropertyAssignment(property) && /^(id|uuid|_id)$/.test(property.name.getText())) {
      const value = atCallerValue(property.initializer, args);
      return value && skipParens(value);
    }
    if (ts.isSpreadAssignment(property)) {
      const spread = atCallerValue(property.expression, args);
      const object = spread && skipParens(spread);
      if (object && ts.isObjectLiteralExpression(object) && object !== literal) {
        const inner = savedKey(object, undefined);
        if (inner) return inner;
      }
    }
  }
  return undefined;
}

/** A helper's parameter is the call's argument; anything else is itself (a caller's own expression). */
function atCallerValue(value: ts.Expression, args: Arguments | undefined): ts.Expression | undefined {
  const node = skipParens(value);
  if (!args) return node;
  return ts.isIdentifier(node) ? args.get(node.text) : undefined;
}

/**
 * What a value stands for at the caller: a helper's parameter is the call's argument; a literal is itself; any other
 * value computed inside a helper matches nothing outside it.
 */
function atCaller(value: ts.Expression, args: Arguments | undefined): ts.Expression | undefined {
  if (!args) return value;
  const node = skipParens(value);
  if (ts.isIdentifier(node)) return args.get(node.text);
  return ts.isStringLiteralLike(node) || ts.isNumericLiteral(node) ? node : undefined;
}
