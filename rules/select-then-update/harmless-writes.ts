// select-then-update: shapes where a value read decides a write and still no update can be lost, because the write
// names another row, changes nothing the row does not already hold, stores what every caller computes alike, inserts
// a key a unique index guards, or runs under a lock on the parent row. Each is a rule a reviewer states in one
// sentence; each came from a finding on a real application.
import {
  accessAtCall,
  assignedBefore,
  calleeName,
  calleeResolver,
  canonicalKey,
  dbAccessOf,
  enclosingFunction,
  isFunctionLike,
  isInside,
  isKeyColumn,
  isPrimaryKey,
  isLiteral,
  isNullish,
  decidedBy,
  mayRunAfter,
  mayRunBetween,
  operands,
  readsOnly,
  skipParens,
  isOrderingComparison,
  lookupByDeclaredUniqueKey,
  nullTestSubject,
  ts,
  walk,
  type CalleeResolver,
  type DbAccess,
  type ReadModifyWrite,
  type RowLock,
  variableDeclarationOf,
} from "../../server/src/rule-kit";
import { isRowFound, sqlLiteralValue } from "./written-constants";
import { withoutRedundantNullFallback } from "./null-fallback";

/**
 * The lock (a `FOR UPDATE` or an earlier write in the same transaction) names one row by a key whose value the read
 * filters by: the parent row of the rows read (`UPDATE workflow … WHERE id = $1`, then `… FROM version WHERE
 * workflow_id = $1`). Every transaction that locks the parent first waits for this one to commit.
 */
function locksParentRow(lock: DbAccess, read: DbAccess): boolean {
  const readValues = new Set(read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => canonicalKey(c.value!)));
  return lock.conditions.some((c) => c.operator === "=" && c.value && isKeyColumn(c.column) && readValues.has(canonicalKey(c.value)));
}

/**
 * `locksParentRow` for a lock held in the transaction, also where a project helper called directly by the
 * transaction's code takes it (`await lockItem(tx, itemId)`): its WHERE is read with the call's arguments.
 */
export function locksParentRowAsCalled(lock: RowLock, read: DbAccess, resolve: CalleeResolver): boolean {
  if (!lock.chain) return locksParentRow(lock.access, read);
  const [call] = lock.chain;
  const callee = lock.chain.length === 1 && call ? resolve(call) : undefined;
  return callee !== undefined && locksParentRow(accessAtCall(call!, callee, lock.access), read);
}

/**
 * A lookup by a unique key (Prisma `findUnique`, also beside a `null` filter such as `deletedAt: null`; with the
 * Program, any lookup pinning every column of a unique index the schema catalog declares: a Drizzle `unique().on(…)`,
 * an entity's `@Unique`, SQL DDL) followed by an insert of that same key: of two concurrent callers that both found nothing, the unique index lets one insert through
 * and fails the other; nothing is duplicated.
 */
export function insertsUniqueKeyReadMissing(flow: ReadModifyWrite, program?: ts.Program): boolean {
  const { read, write } = flow;
  const findUnique = ts.isCallExpression(read.node) && /^findUnique(OrThrow)?$/.test(calleeName(read.node) ?? "");
  if (!findUnique && !lookupByDeclaredUniqueKey(read, program)) return false;
  // A `null` filter beside the key (`deletedAt: null`) only hides rows the index still holds: it refuses them too.
  const filters = read.conditions.filter((c) => !(c.operator === "=" && c.value && isNullish(c.value)));
  const keys = filters.filter((c) => c.operator === "=" && c.value);
  return (
    keys.length > 0 &&
    keys.length === filters.length &&
    keys.every((c) => write.assignments.some((a) => a.column === c.column && a.value && canonicalKey(a.value) === canonicalKey(c.value!)))
  );
}

/**
 * The read and the write name their row by the same key column with different values (`WHERE id = $1` with `fromId`,
 * then `WHERE id = $2` with `toId`), or the read leaves out by its key the row the write names (`WHERE id <> $1`, then
 * `WHERE id = $1`: a finished twin of this request found among the others): the write changes another row than the
 * one read.
 */
export function differentRows(flow: ReadModifyWrite): boolean {
  const { read, write } = flow;
  // The values the read looked its row up by (a literal, `deletedAt: null`, filters but names no row).
  const readKeys = read.conditions
    .filter((c) => c.operator === "=" && c.value && !isLiteral(c.value) && !isNullish(c.value))
    .map((c) => canonicalKey(c.value!));
  // The read and the write in one function (or the write in a callback of it, a transaction's): their key values are
  // names of one scope, comparable by text.
  const reader = enclosingFunction(read.node);
  const oneScope = !!reader && isInside(write.node, reader);
  for (const written of write.conditions) {
    if (written.operator !== "=" || !written.value) continue;
    // `WHERE id = row.id` names the row that was read.
    if (flow.originOf(written.value)?.read === read) continue;
    const key = canonicalKey(written.value);
    const sameColumn = read.conditions.find((c) => c.column === written.column && c.operator === "=" && c.value);
    if (sameColumn && canonicalKey(sameColumn.value!) !== key) return true;
    // `WHERE id <> $1` in the read, `WHERE id = $1` in the write: the read looked at every row but the one written.
    const excluded = read.conditions.some(
      (c) => c.column === written.column && (c.operator === "<>" || c.operator === "!=") && c.value && canonicalKey(c.value) === key,
    );
    if (excluded && isKeyColumn(written.column)) return true;
    // `WHERE id = x` after a lookup by a foreign key holding x (`where: { sponsorId: x }`, the rows that point at x):
    // the rows read reference the row written, they are not it.
    if (!sameColumn && isPrimaryKey(written.column) && !read.conditions.some((c) => isPrimaryKey(c.column)) && byForeignKey(read, key))
      return true;
    // A key of its own (`where: { id: legacyId }` after a lookup by email): not a row the read is known to have found.
    if (!sameColumn && oneScope && readKeys.length > 0 && isKeyColumn(written.column) && !readKeys.includes(key)) return true;
  }
  return false;
}

/** The read looked its rows up by a foreign key column (`sponsorId`, `parent_id`) holding the value `key`. */
function byForeignKey(read: DbAccess, key: string): boolean {
  return read.conditions.some(
    (c) => c.operator === "=" && c.value && isKeyColumn(c.column) && !isPrimaryKey(c.column) && canonicalKey(c.value) === key,
  );
}

/**
 * The check skips the write only when the row already holds what it would write, and nothing else is awaited between
 * them: `if (m.role === role) return m;` then `data: { role }`; `if (token.revokedAt) … revokedAt: null`;
 * `if (job.state !== "done") … state: "done"`. Without the check the final row would be the same; concurrent callers
 * write what they would write anyway, and no value read is lost. A check that also guards other work (a charge, an
 * email) before the write stays evidence (`if (order.status !== "paid") { await charge(); … }`), as does one that
 * skips a write that would change the row (`if (status === "pending") … status: "approved"`).
 */
export function isNoChangeShortcut(flow: ReadModifyWrite): boolean {
  const control = flow.control;
  if (!control?.column) return false;
  const written = flow.write.assignments
    .filter((a) => a.column === control.column)
    .map((a) => (a.value ? skipParens(a.value) : sqlLiteralValue(a)))
    .filter((value) => value !== undefined);
  if (written.length !== 1 || awaitsOtherWork(control.condition, flow.write)) return false;
  // `nextOwner || null` after `const nextOwner = ownerId || null` is `nextOwner`.
  const value = withoutRedundantNullFallback(written[0]!);
  const isColumn = (node: ts.Expression) => {
    const n = skipParens(node);
    if (!ts.isIdentifier(n) && !ts.isPropertyAccessExpression(n) && !ts.isElementAccessExpression(n)) return false;
    const origin = flow.originOf(n);
    return origin?.read === flow.read && origin.column === control.column;
  };
  const isNull = (node: ts.Expression) => {
    const n = skipParens(node);
    return n.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(n) && n.text === "undefined");
  };
  // What must hold of the column when the write is skipped: an exit, or the other branch of an `if` whose `else` holds
  // the write, runs when all its `&&` operands hold; a write under `if` is skipped when none of its `||` operands does.
  const branch = ts.isIfStatement(control.statement) && control.statement.expression === control.condition ? control.statement : undefined;
  const allHold = operands(control.condition, ts.SyntaxKind.AmpersandAmpersandToken).map((node) => ({ node, negated: false }));
  const holdsWhenSkipped: Array<{ node: ts.Expression; negated: boolean }> = control.earlyExit
    ? allHold
    : branch && isInside(flow.write.node, branch.thenStatement)
      ? operands(control.condition, ts.SyntaxKind.BarBarToken).map((node) => ({ node, negated: true }))
      : branch?.elseStatement && isInside(flow.write.node, branch.elseStatement)
        ? allHold
        : [];
  // `if (!job || job.status === "CANCELLED" || !job.traceId) return;`: without a row nothing is written anyway, and a
  // test of a column the write leaves alone decides nothing about the column written; the exit is a no-change
  // shortcut when its only tests of the written column say it already holds the value written.
  const orOperands = control.earlyExit ? operands(control.condition, ts.SyntaxKind.BarBarToken) : [];
  const rest = orOperands.filter((node) => !isRowMissing(node, flow) && testsColumn(node));
  if (orOperands.length > 1 && rest.length > 0 && rest.every((node) => impliesWritten({ node, negated: false }))) return true;
  // `if (org && org.flag !== flag) update({ flag })`: the write is skipped when an `&&` operand fails, which without a
  // row writes nothing anyway; a no-change shortcut when each failing test of the written column means it holds the value.
  const andOperands = writtenUnderThen(flow, control) ? operands(control.condition, ts.SyntaxKind.AmpersandAmpersandToken) : [];
  const tested = andOperands.filter((node) => !isRowFound(node, flow) && testsColumn(node));
  if (andOperands.length > 1 && tested.length > 0 && tested.every((node) => impliesWritten({ node, negated: true }))) return true;
  return holdsWhenSkipped.some(impliesWritten);
  /** The test reads the written column, or passes the whole row on (a helper may test it). */
  function testsColumn(node: ts.Expression): boolean {
    let found = false;
    walk(node, (n) => {
      if (found) return false;
      if (ts.isIdentifier(n) || ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n)) {
        const origin = flow.originOf(n);
        if (origin?.read === flow.read) {
          const parent = n.parent;
          // `job.traceId` is a column of the row, not the row passed on.
          const accessed = (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === n;
          found = origin.level === "row" ? !accessed : origin.column === undefined || origin.column === control!.column;
          return false;
        }
      }
      return true;
    });
    return found;
  }
  function impliesWritten({ node, negated }: { node: ts.Expression; negated: boolean }): boolean {
    let test = constTestOf(skipParens(node));
    let holds = !negated;
    while (ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken) {
      test = constTestOf(skipParens(test.operand));
      holds = !holds;
    }
    // Truthiness: skipped while unset (or false), and the write clears it (`null`, or `false` for a flag); or skipped
    // while set, and the write sets the flag (`if (!p.enabled) { p.enabled = true; … }`) where no other test of the
    // row decides the write (a code compared before `verified: true` is a check that can go stale).
    if (isColumn(test))
      return holds
        ? value.kind === ts.SyntaxKind.TrueKeyword && !decidedByAnotherCheck(flow, control!)
        : isNull(value) || value.kind === ts.SyntaxKind.FalseKeyword;
    if (!ts.isBinaryExpression(test)) return false;
    const op = test.operatorToken.kind;
    // A counter reset to 0 only while above 0 (`if (user.strikes > 0) … strikes: 0`): skipped where it holds 0 already.
    const aboveZero =
      (op === ts.SyntaxKind.GreaterThanToken && isColumn(test.left) && isZero(test.right)) ||
      (op === ts.SyntaxKind.LessThanToken && isZero(test.left) && isColumn(test.right));
    if (aboveZero) return !holds && isZero(value);
    const equal = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
    if (!equal && op !== ts.SyntaxKind.ExclamationEqualsEqualsToken && op !== ts.SyntaxKind.ExclamationEqualsToken) return false;
    // Skipped only when the column equals the other side...
    if (equal !== holds) return false;
    // `next - row.quantity === 0` (or a `const delta` of it) holds exactly when the two sides are equal.
    const sides = differenceAgainstZero(test) ?? [test.left, test.right];
    // Dates compare by their time (`row.expiresAt?.getTime() === expiresAt?.getTime()`): the dates themselves.
    const [left, right] = [timeOf(sides[0]), timeOf(sides[1])];
    const other = isColumn(left) ? right : isColumn(right) ? left : undefined;
    // ...which is the value written.
    return !!other && (isNull(other) ? isNull(value) : sameValue(skipParens(other), timeOf(value), flow.write));
  }
}

/**
 * An `if` other than the flow's check, testing a value of the row read (not whether a row was found), decides whether
 * the write runs: the write runs under one of its outcomes only.
 */
function decidedByAnotherCheck(flow: ReadModifyWrite, control: NonNullable<ReadModifyWrite["control"]>): boolean {
  const fn = enclosingFunction(flow.write.node);
  if (!fn?.body) return true;
  const testsRow = (condition: ts.Expression) => {
    let found = false;
    walk(condition, (n) => {
      if (found) return false;
      if ((ts.isIdentifier(n) || ts.isPropertyAccessExpression(n)) && flow.originOf(n)?.read === flow.read) found = true;
      return !found;
    });
    return found;
  };
  let decided = false;
  walk(fn.body, (node) => {
    if (decided || isFunctionLike(node)) return false;
    if (
      ts.isIfStatement(node) &&
      node !== control.statement &&
      !isRowMissing(node.expression, flow) &&
      testsRow(node.expression) &&
      decidedBy(node.expression, flow.write.node) !== undefined
    )
      decided = true;
    return !decided;
  });
  return decided;
}

/** The literal `0`. */
function isZero(node: ts.Expression): boolean {
  const n = skipParens(node);
  return ts.isNumericLiteral(n) && Number(n.text) === 0;
}

/** The write runs in the `then` of the `if` whose condition is the flow's check. */
function writtenUnderThen(flow: ReadModifyWrite, control: NonNullable<ReadModifyWrite["control"]>): boolean {
  const statement = control.statement;
  return ts.isIfStatement(statement) && statement.expression === control.condition && isInside(flow.write.node, statement.thenStatement);
}

/**
 * The test a `const` stands for (`const needsWrite = current !== target; if (needsWrite) …`): a name declared `const`
 * earlier in the same function, initialised with a comparison or negation, always holds what that expression held.
 */
function constTestOf(test: ts.Expression): ts.Expression {
  if (!ts.isIdentifier(test)) return test;
  const init = constInitializerOf(test);
  return init && (ts.isBinaryExpression(init) || ts.isPrefixUnaryExpression(init)) ? init : test;
}

/** The initializer of the `const` `name` refers to, parentheses skipped (see localConstInitializer). */
function constInitializerOf(name: ts.Identifier): ts.Expression | undefined {
  const init = localConstInitializer(name);
  return init && skipParens(init);
}

/** `a - b === 0` / `0 !== a - b` (the difference possibly a `const`): the sides `[a, b]` the test compares. */
function differenceAgainstZero(test: ts.BinaryExpression): [ts.Expression, ts.Expression] | undefined {
  const isZero = (e: ts.Expression) => ts.isNumericLiteral(skipParens(e)) && Number(skipParens(e).getText()) === 0;
  const other = isZero(test.right) ? test.left : isZero(test.left) ? test.right : undefined;
  if (!other) return undefined;
  let difference = skipParens(other);
  if (ts.isIdentifier(difference)) difference = constInitializerOf(difference) ?? difference;
  return ts.isBinaryExpression(difference) && difference.operatorToken.kind === ts.SyntaxKind.MinusToken
    ? [difference.left, difference.right]
    : undefined;
}

/**
 * The same value by text, or a Prisma enum member beside its name as a string (`JobStatus.CANCELLED` and
 * `"CANCELLED"`): Prisma's client enums map each member to its own name.
 */
function sameValue(a: ts.Expression, b: ts.Expression, write: DbAccess): boolean {
  if (canonicalKey(a) === canonicalKey(b)) return true;
  if (write.library !== "prisma") return false;
  const memberNamed = (member: ts.Expression, text: ts.Expression) =>
    ts.isPropertyAccessExpression(member) && ts.isStringLiteralLike(text) && member.name.text === text.text;
  return memberNamed(a, b) || memberNamed(b, a);
}

/** `!job`, `job == null`, `job === undefined`: a test that the read found no row. */
function isRowMissing(node: ts.Expression, flow: ReadModifyWrite): boolean {
  const subject = nullTestSubject(node);
  if (!subject) return false;
  const origin = flow.originOf(subject);
  return origin?.read === flow.read && origin.level === "row";
}

/** `d.getTime()`, `d?.valueOf()`, `+d`, `Number(d)` → `d`: a date compared by its time; anything else as it is. */
function timeOf(expr: ts.Expression): ts.Expression {
  const node = skipParens(expr);
  if (ts.isCallExpression(node) && node.arguments.length === 0 && ts.isPropertyAccessExpression(node.expression))
    return /^(getTime|valueOf)$/.test(node.expression.name.text) ? skipParens(node.expression.expression) : node;
  if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isIdentifier(node.expression) && node.expression.text === "Number")
    return skipParens(node.arguments[0]!);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.PlusToken) return skipParens(node.operand);
  return node;
}

/**
 * Every value the write stores is one that each caller passing the check computes alike: the current time
 * (`lastActivityAt: new Date()`, a sliding expiry), or a function of the values the row was looked up by
 * (`token: hash(apiToken)` after `findFirst({ where: { token: apiToken } })`, a one-way upgrade). Two callers both
 * passing the check write the same row twice with the same values. A constant is not enough (`status: "approved"`
 * after a check of `"pending"` is a state transition another writer can race), nor is other work between them.
 */
export function isSameForEveryCaller(flow: ReadModifyWrite): boolean {
  const { read, write } = flow;
  if (!flow.control || write.assignments.length === 0 || awaitsOtherWork(flow.control.condition, write)) return false;
  const lookup = new Set(read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => canonicalKey(c.value!)));
  return write.assignments.every((assignment) => {
    let value = assignment.value && skipParens(assignment.value);
    if (!value || assignment.sql) return false;
    // `session.expiresAt = new Date(…)`, then `data: { expiresAt: session.expiresAt }`.
    if (ts.isPropertyAccessExpression(value)) value = assignedBefore(value) ?? value;
    let varies = false;
    let alike = false;
    const visit = (node: ts.Node): boolean => {
      if (varies) return false;
      if ((ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) && lookup.has(canonicalKey(node))) {
        alike = true;
        return false;
      }
      if (ts.isIdentifier(node)) {
        const parent = node.parent;
        const named = (ts.isPropertyAccessExpression(parent) || ts.isPropertyAssignment(parent)) && parent.name === node;
        const called = ts.isCallExpression(parent) && parent.expression === node;
        const local = !named && !called ? localConstInitializer(node) : undefined;
        if (node.text === "Date") alike = true;
        // `const hashed = hash(apiToken)`: what the name holds.
        else if (local && depth++ < 4) {
          if (visit(local)) walk(local, visit);
        } else if (!named && !called) varies = true;
      }
      return true;
    };
    let depth = 0;
    if (visit(value)) walk(value, visit);
    return alike && !varies;
  });
}

/** Columns marking a row deleted without removing it: `deletedAt`, `deleted_at`, `isDeleted`, `deleted`. */
const DELETED_MARKER = /^(is_?)?deleted(_?(at|on|date|time))?$/i;

/**
 * A soft delete: the write marks the row deleted (`deletedAt: new Date()`, `isDeleted: true`, `SET deleted_at =
 * NOW()`). An update it overwrites belongs to a row nobody reads any more, so what it carries over from the read (a
 * name suffixed to free it for reuse) loses nothing.
 */
export function softDeletes(write: DbAccess): boolean {
  return write.kind === "write" && !write.insert && write.assignments.some((a) => DELETED_MARKER.test(a.column) && isNowOrTrue(a));
}

export function isNowOrTrue(assignment: DbAccess["assignments"][number]): boolean {
  if (assignment.sql)
    return (
      assignment.sql.placeholders.length === 0 &&
      !assignment.sql.selfRelative &&
      !/^(null|false|0)$/i.test(assignment.sql.expression.trim())
    );
  let value = assignment.value && skipParens(assignment.value);
  if (!value) return false;
  if (value.kind === ts.SyntaxKind.TrueKeyword) return true;
  // `new Date().toISOString()` is `new Date()`.
  if (ts.isCallExpression(value) && value.arguments.length === 0 && ts.isPropertyAccessExpression(value.expression))
    if (ts.isNewExpression(skipParens(value.expression.expression))) value = skipParens(value.expression.expression);
  if (ts.isNewExpression(value)) return ts.isIdentifier(value.expression) && value.expression.text === "Date" && !value.arguments?.length;
  // `Date.now()`, `now()`.
  return ts.isCallExpression(value) && value.arguments.length === 0 && calleeName(value) === "now";
}

/**
 * The initializer of the `const` that `name` refers to (by scope: `variableDeclarationOf`), declared in a function
 * enclosing it or at the top of the module (`const DAY = 24 * 60 * 60 * 1000` is the same for every caller too).
 */
export function localConstInitializer(name: ts.Identifier): ts.Expression | undefined {
  const declaration = variableDeclarationOf(name);
  return declaration && ts.isIdentifier(declaration.name) && declaration.parent.flags & ts.NodeFlags.Const
    ? declaration.initializer
    : undefined;
}

/** An awaited call other than a database statement between the check and the write: work the check guards too. */
const resolveInFile = calleeResolver();

function awaitsOtherWork(check: ts.Expression, write: DbAccess): boolean {
  const fn = enclosingFunction(write.node);
  if (!fn?.body) return true;
  // Work that some path runs after the check and before the write, the check not run again in between: work on a
  // branch that leaves before the write (`if (off) { await cancel(job); return; }`), or that goes back to the top of
  // a loop to check the next row (`continue`), is not done with it; work awaited alongside it
  // (`await Promise.all([sendEmail(), write])`) is.
  const work: ts.Node[] = [];
  let alongside = false;
  walk(fn.body, (node) => {
    if (alongside) return false;
    if (isFunctionLike(node)) return false;
    if (ts.isAwaitExpression(node) && node.expression !== write.node && skipParens(node.expression) !== write.node) {
      const awaited = skipParens(node.expression);
      // A statement, or a project function of the file that only reads (`await loadRule(job.ruleId)`): repeating it
      // does nothing a second caller would regret.
      if (
        !(ts.isCallExpression(awaited) || ts.isTaggedTemplateExpression(awaited)) ||
        !(dbAccessOf(awaited) || readsOnly(awaited, resolveInFile))
      ) {
        if (isInside(write.node, node)) alongside = true;
        else work.push(node);
      }
    }
    return true;
  });
  if (alongside) return true;
  // A check that does not decide the write on the graph's edges (the write runs in a callback): work that may run
  // before the write counts.
  if (decidedBy(check, write.node) === undefined) return work.some((node) => mayRunAfter(node, write.node));
  return work.length > 0 && mayRunBetween(check, work, write.node);
}

/**
 * A cache fill: the exit before the write returns a column of the row while the row has not expired (`if (hit &&
 * hit.expiresAt > Date.now()) return hit.payload;`), and the write stores that column and the expiry again, from
 * nothing read. The work after the exit runs again whenever the entry expires, so two concurrent misses both computing
 * and storing it is what the code does anyway. A lease (the exit returns `false`, not the stored value) stays reported.
 */
export function isCacheFill(flow: ReadModifyWrite): boolean {
  const { control, write } = flow;
  if (flow.data || !control?.earlyExit || !ts.isIfStatement(control.statement)) return false;
  const writes = (column: string | undefined) => column !== undefined && write.assignments.some((a) => a.column === column);
  const returned = returnedValue(control.statement.thenStatement);
  const cached = returned && flow.originOf(returned);
  if (cached?.read !== flow.read || cached.level !== "value" || !writes(cached.column)) return false;
  // The exit's condition compares a column of the row with the current time, and the write renews that column.
  return operands(control.condition, ts.SyntaxKind.AmpersandAmpersandToken).some((test) => {
    const node = skipParens(test);
    if (!isOrderingComparison(node)) return false;
    const [left, right] = [timeOf(node.left), timeOf(node.right)];
    const expiry = isNow(right) ? left : isNow(left) ? right : undefined;
    const origin = expiry && flow.originOf(expiry);
    return origin?.read === flow.read && origin.column !== cached.column && writes(origin.column);
  });
}

/** `return x;` alone, or as the last statement of the block. */
function returnedValue(statement: ts.Statement): ts.Expression | undefined {
  const last = ts.isBlock(statement) ? statement.statements[statement.statements.length - 1] : statement;
  return last && ts.isReturnStatement(last) && last.expression ? skipParens(last.expression) : undefined;
}

/** `new Date()`, `Date.now()`, `now()`. */
function isNow(expr: ts.Expression): boolean {
  const node = skipParens(expr);
  if (ts.isNewExpression(node)) return ts.isIdentifier(node.expression) && node.expression.text === "Date" && !node.arguments?.length;
  return ts.isCallExpression(node) && node.arguments.length === 0 && calleeName(node) === "now";
}
