// unchecked-optimistic-update: an UPDATE guarded by a version / old-value comparison (compare-and-set) whose
// affected-row count never decides what happens next. When a concurrent writer wins, the guarded UPDATE matches no
// row, changes nothing, and the caller carries on as if it had written: the conflict is silently dropped. Zero
// affected rows is how optimistic concurrency control detects a conflict; someone has to look at it and retry or fail.
import {
  CALL_KINDS,
  FUNCTION_KINDS,
  affectedCountCheck,
  affectedCountName,
  writeLabel,
  boundNames,
  calleeName,
  code,
  dbAccessOf,
  defineRule,
  isFunctionLike,
  isLiteral,
  isVersionColumn,
  inUniqueKey,
  columnKey,
  uniqueKeysOf,
  mongooseUniqueFieldSets,
  namesOneRow,
  lineOf,
  mentions,
  nodesOfKinds,
  outerExpression,
  calleeResolver,
  inMigration,
  projectScopeOf,
  readModifyWritesIn,
  skipParens,
  spanOf,
  ts,
  walk,
  type AccessCondition,
  type DbAccess,
  type FunctionLike,
  variableDeclarationOf,
} from "../server/src/rule-kit";

export const uncheckedOptimisticUpdate = defineRule({
  meta: {
    id: "unchecked-optimistic-update",
    description:
      "A compare-and-set UPDATE (WHERE version = old) whose affected-row count is never checked: conflicts are silently dropped.",
    defaultSeverity: "error",
    fixable: true,
    messages: {
      uncheckedAfterRead:
        "{{write}} only writes if {{column}} still has the value read at line {{line}}, but its affected-row count ({{count}}) is never checked: when a concurrent update wins, this one changes nothing and the conflict is silently dropped.",
      unchecked:
        "{{write}} only writes if {{column}} still has the expected value, but its affected-row count ({{count}}) is never checked: when a concurrent update wins, this one changes nothing and the conflict is silently dropped.",
      // A driver whose count has no name of its own (a raw SQL tag): the count is not named twice.
      uncheckedAfterReadUnnamedCount:
        "{{write}} only writes if {{column}} still has the value read at line {{line}}, but its affected-row count is never checked: when a concurrent update wins, this one changes nothing and the conflict is silently dropped.",
      uncheckedUnnamedCount:
        "{{write}} only writes if {{column}} still has the expected value, but its affected-row count is never checked: when a concurrent update wins, this one changes nothing and the conflict is silently dropped.",
    },
  },
  checkFile(context) {
    const seen = new Set<DbAccess>();
    const claims = checkedClaimsIn(context.sourceFile);
    const resolve = calleeResolver(context.program, () => context.checker);
    for (const node of nodesOfKinds<FunctionLike>(context.sourceFile, FUNCTION_KINDS)) {
      const readGuards = new Map<DbAccess, { guards: AccessCondition[]; read?: DbAccess }>();
      for (const flow of readModifyWritesIn(node, resolve))
        if (flow.guards.length > 0) readGuards.set(flow.write, { guards: flow.guards, read: flow.read });
      if (!node.body) continue;
      for (const inner of nodesOfKinds(node.body, CALL_KINDS, { skipFunctions: true })) {
        const write = dbAccessOf(inner);
        if (!write || write.kind !== "write" || seen.has(write)) continue;
        if (write.sql ? write.sql.statement.kind !== "update" : write.assignments.length === 0) continue;
        // A migration is applied once, one at a time (migrations.ts): no concurrent writer wins its conditional update.
        if (inMigration(inner)) continue;
        // Prisma's `update` throws when its where matches nothing: the conflict is not silent.
        if (write.library === "prisma" && calleeName(write.node as ts.CallExpression) !== "updateMany") continue;
        const fromRead = readGuards.get(write);
        const guard = guardsOf(write, fromRead?.guards ?? [], context.program)[0];
        if (!guard || resultIsUsed(write) || releasesClaim(write, claims) || lockedByRead(fromRead?.read, write, resolve)) continue;
        if (fromRead && isBestEffortReplace(write, fromRead.guards, (expr) => readColumnOf(node, resolve, write, expr))) continue;
        if (fromRead && recordsConsequence(write, fromRead.guards, (expr) => readColumnOf(node, resolve, write, expr))) continue;
        seen.add(write);
        const read = fromRead?.read;
        const { fixer } = context;
        const conflict = `throw new ConflictError(${JSON.stringify(`${write.table ?? "row"} changed concurrently`)});`;
        const checkEdits = affectedCountCheck(write, context, (count) => `if (${count} === 0) ${conflict}`);
        const where = {
          help: "Check the count and throw `ConflictError` (or retry with backoff).",
          span: spanOf(write.node, context.sourceFile),
          related: read ? [{ span: spanOf(read.node, context.sourceFile), message: `${guard.column} read here` }] : [],
          fixes: checkEdits ? [fixer.fix(FIX_TITLE, ...checkEdits, fixer.runtimeImport(["ConflictError"]))] : [],
        };
        const count = affectedCountName(write.library);
        const data = { write: guardedWriteLabel(write), column: code(guard.column) };
        const line = read ? lineOf(read.node) : undefined;
        if (line === undefined) {
          if (count) context.report({ messageId: "unchecked", data: { ...data, count }, ...where });
          else context.report({ messageId: "uncheckedUnnamedCount", data, ...where });
        } else if (count) context.report({ messageId: "uncheckedAfterRead", data: { ...data, count, line }, ...where });
        else context.report({ messageId: "uncheckedAfterReadUnnamedCount", data: { ...data, line }, ...where });
      }
    }
  },
});

const FIX_TITLE = "Throw ConflictError when the guarded update changes no row";

/**
 * The column of the read that `expr` (a value the write stores) comes from, in one of `fn`'s flows into this write:
 * `"*"` for the whole row or a column not named, undefined when it does not come from a read.
 */
function readColumnOf(
  fn: FunctionLike,
  resolve: ReturnType<typeof calleeResolver>,
  write: DbAccess,
  expr: ts.Expression,
): string | undefined {
  for (const flow of readModifyWritesIn(fn, resolve)) {
    const origin = flow.write === write ? flow.originOf(expr) : undefined;
    if (origin?.read === flow.read) return origin.column ?? "*";
  }
  return undefined;
}

/**
 * An intended first-writer-wins update: it replaces a column only where it still holds the value read (the guard pins
 * the column it writes), with values not computed from the columns it replaces, as the last step of a `try` whose `catch`
 * neither throws nor returns a value. The code already carries on alike whether the write happened or failed; when a
 * concurrent writer changed the column first, keeping theirs is the point of the guard (a generated title that must
 * not replace one set meanwhile).
 */
function isBestEffortReplace(
  write: DbAccess,
  guards: readonly AccessCondition[],
  readColumn: (expr: ts.Expression) => string | undefined,
): boolean {
  const written = new Set(write.assignments.map((a) => a.column));
  if (!guards.some((g) => written.has(g.column))) return false;
  // A value computed from what it replaces (an append, an increment) is a change that is lost, not superseded.
  const fromReplaced = (expr: ts.Expression) => {
    const column = readColumn(expr);
    return column !== undefined && (column === "*" || written.has(column));
  };
  if (write.assignments.some((a) => !a.value || fromReplaced(a.value))) return false;
  let statement: ts.Node = outerExpression(write.node as ts.Expression).parent;
  if (!ts.isExpressionStatement(statement)) return false;
  for (;;) {
    const parent: ts.Node = statement.parent;
    if (ts.isIfStatement(parent)) {
      statement = parent;
      continue;
    }
    if (!ts.isBlock(parent) || lastStep(parent) !== statement) return false;
    const holder = parent.parent;
    if (ts.isTryStatement(holder) && holder.tryBlock === parent) return !holder.finallyBlock && swallows(holder.catchClause);
    if (!ts.isIfStatement(holder)) return false;
    statement = holder;
  }
}

/**
 * A write that records a consequence of the compared value: it leaves the compared columns (none a version) as they
 * are and stores only values computed from them, with the clock and constants (a cooldown armed for the failure
 * streak read). When a concurrent writer has moved the compared value, what the write would record no longer follows
 * from the row, and skipping it is the guard's purpose: nobody's change is lost.
 */
function recordsConsequence(
  write: DbAccess,
  guards: readonly AccessCondition[],
  readColumn: (expr: ts.Expression) => string | undefined,
): boolean {
  const compared = new Set(guards.map((g) => g.column));
  if (guards.some((g) => isVersionColumn(g.column)) || write.assignments.length === 0) return false;
  if (write.assignments.some((a) => compared.has(a.column))) return false;
  return write.assignments.every((a) => {
    if (!a.value) return false;
    const column = readColumn(a.value);
    return column !== undefined && compared.has(column) && onlyFromRead(a.value, readColumn);
  });
}

/**
 * Every name the value uses (through the locals it is computed in) holds something read, a constant, or the clock: no
 * parameter or other input of the caller's.
 */
function onlyFromRead(value: ts.Expression, readColumn: (expr: ts.Expression) => string | undefined, depth = 0): boolean {
  let ok = true;
  walk(value, (node) => {
    if (!ok || isFunctionLike(node)) return false;
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      if (readColumn(node) !== undefined) return false;
      return true;
    }
    if (!ts.isIdentifier(node) || (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) return true;
    if (readColumn(node) !== undefined || /^(Date|Math|Number|undefined)$/.test(node.text)) return false;
    const declaration = localDeclarationOf(node);
    if (declaration === "constant") return false;
    if (!declaration?.initializer || depth > 3) ok = false;
    else ok = onlyFromRead(declaration.initializer, readColumn, depth + 1);
    return false;
  });
  return ok;
}

/** The `const` a name refers to in its function or file ("constant" for a module constant of a literal), if any. */
function localDeclarationOf(id: ts.Identifier): ts.VariableDeclaration | "constant" | undefined {
  const declaration = variableDeclarationOf(id);
  if (!declaration || !ts.isIdentifier(declaration.name) || !(declaration.parent.flags & ts.NodeFlags.Const)) return undefined;
  return declaration.initializer && isLiteral(declaration.initializer) ? "constant" : declaration;
}

/** The block's last statement, a bare `return;` after it aside. */
function lastStep(block: ts.Block): ts.Statement | undefined {
  const statements = block.statements;
  const last = statements[statements.length - 1];
  return last && ts.isReturnStatement(last) && !last.expression ? statements[statements.length - 2] : last;
}

/** A catch that neither throws nor returns a value: the failure goes no further than, at most, a log line. */
function swallows(clause: ts.CatchClause | undefined): boolean {
  if (!clause) return false;
  let escapes = false;
  walk(clause.block, (node) => {
    if (isFunctionLike(node)) return false;
    if (ts.isThrowStatement(node) || (ts.isReturnStatement(node) && node.expression)) escapes = true;
    return !escapes;
  });
  return !escapes;
}

/**
 * The compared values come from rows read `FOR UPDATE` through the same transaction handle: nobody can change them
 * before the write, so the comparison picks rows, it detects no conflict.
 */
function lockedByRead(read: DbAccess | undefined, write: DbAccess, resolve: ReturnType<typeof calleeResolver>): boolean {
  if (read?.lock !== "update" && read?.lock !== "no key update") return false;
  if (!read.handle || !write.handle || read.handle.getText() !== write.handle.getText()) return false;
  return projectScopeOf(write.node, resolve) !== undefined;
}

/** The write as messages name it; a SQL statement with its WHERE, where the guard is. */
function guardedWriteLabel(write: DbAccess): string {
  if (write.sql) return code(write.sql.text.replace(/\s+/g, " ").trim().slice(0, 90));
  return writeLabel(write);
}

/** Where the write's result goes: checked when anything after it uses it (or the caller gets it). */
function resultIsUsed(write: DbAccess): boolean {
  const outer = outerExpression(write.node as ts.Expression);
  const parent = outer.parent;
  if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) return false;
  if (ts.isVariableDeclaration(parent) && parent.initializer === outer) {
    const names = new Set(boundNames(parent.name).map((n) => n.text));
    const statement = parent.parent.parent;
    const block = statement.parent;
    if (!ts.isBlock(block) && !ts.isSourceFile(block)) return true;
    const after = block.statements.slice(block.statements.indexOf(statement as ts.Statement) + 1);
    return after.some((s) => mentions(s, names));
  }
  // Returned, compared, passed on, awaited inside a condition: the count reaches code that can act on it.
  return true;
}

/**
 * The compare-and-set guards of a write: its WHERE pins the row(s) by an equality (`id = $1`) and compares another
 * column for equality with a value read before (or a version column). A range (`position >= a AND position <= b`,
 * a shift of every row in it) selects rows, it compares nothing: matching none of them is a normal outcome.
 */
function guardsOf(write: DbAccess, readGuards: readonly AccessCondition[], program?: ts.Program): AccessCondition[] {
  // A WHERE that leaves out a row by its own id (`NOT: { id }`, `id <> $1`) updates the other rows of a set (clear the
  // default flag of every other template): the columns it compares pick the set, they are no compare-and-set of a row.
  if (write.conditions.some((c) => OWN_ID.test(c.column) && (c.operator === "<>" || c.operator === "!="))) return [];
  const guards = [...readGuards, ...write.conditions.filter((c) => isVersionColumn(c.column) && !readGuards.includes(c))].filter(
    (c) => isEquality(c) && !namesTheRow(write, c, program),
  );
  // A state filter (`status: "PENDING"`) pins no row: with only such constants besides the compared columns, the
  // update is a clean-up of every row of a set (`invalidate this person's other pending invites`), and changing none
  // of them is a normal outcome.
  // The row's own id pins it whatever the value looks like (`eq("id", card.id)`: a member of the row read, not an enum)
  // when the guard compares a column the write sets (a counter or version moved on: a conflict dropped is a lost
  // change); a guard on another column (a timestamp the ORM keeps) is left to the other cases.
  const guardsWritten = guards.some((g) => write.assignments.some((a) => a.column === g.column));
  const pinned = write.conditions.some(
    (c) => isEquality(c) && !guards.includes(c) && ((guardsWritten && OWN_ID.test(c.column)) || !constantText(c.value)),
  );
  return pinned ? guards : [];
}

/** A row's own identifier column (not a foreign key such as `guestId`, which selects a set of rows). */
const OWN_ID = /^(id|_id|uuid|pk)$/i;

/**
 * The condition is part of the row's identity, not a comparison: the schema's unique key over it and the other columns
 * the WHERE pins (`@@unique([resultId, version])` with `where: { resultId, version }` names one version of a result;
 * likewise a Mongoose schema's `index({ org: 1, docId: 1, version: 1 }, { unique: true })`, and for SQL data layers a
 * unique index the project declares (a migration's `createIndex(t, ["principal", "bond_index"], { unique: true })`
 * with `WHERE principal = $1 AND bond_index = $2`: the row of that participant, looked up by its key).
 */
function namesTheRow(write: DbAccess, condition: AccessCondition, program?: ts.Program): boolean {
  const pinned = write.conditions.filter((c) => c !== condition && isEquality(c)).map((c) => c.column);
  if (write.library === "mongoose" && write.entityClass)
    return namesOneRow(mongooseUniqueFieldSets(write.entityClass) ?? [], pinned, condition.column);
  if (!write.table) return false;
  if (write.library === "prisma") return inUniqueKey(write.table, write.node.getSourceFile().fileName, pinned, condition.column);
  if (!program || NO_DDL.has(write.library)) return false;
  const keys = uniqueKeysOf(program, write.table);
  return !!keys && namesOneRow(keys, pinned.map(columnKey), columnKey(condition.column));
}

/** Stores without declared unique indexes of their own to read (MongoDB's driver, Redis). */
const NO_DDL = new Set(["mongoose", "mongodb", "redis"]);

/**
 * The states checked claims move rows into, per table and column (`"snoozedthread.status"` → `Status.RUNNING`): writes
 * of the file that set a column to a constant and whose result the code looks at (`count === 1`).
 */
function checkedClaimsIn(sourceFile: ts.SourceFile): Map<string, Set<string>> {
  const claims = new Map<string, Set<string>>();
  for (const call of nodesOfKinds(sourceFile, CALL_KINDS)) {
    const write = dbAccessOf(call);
    if (!write || write.kind !== "write" || !resultIsUsed(write)) continue;
    for (const assignment of write.assignments) {
      const value = constantText(assignment.value);
      const key = `${write.table}.${assignment.column}`;
      if (value) claims.set(key, (claims.get(key) ?? new Set()).add(value));
    }
  }
  return claims;
}

/**
 * A release of a checked claim: the write moves a row out of the state a claim of the file moves rows into (its WHERE
 * pins the column to that constant, its data sets another). When it changes nothing, the claim has already passed on
 * to someone else (or been released), which is exactly when it must not be released: the count has nothing to say.
 */
function releasesClaim(write: DbAccess, claims: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  return write.conditions.some((condition) => {
    const held = isEquality(condition) ? constantText(condition.value) : undefined;
    const next = write.assignments.find((a) => a.column === condition.column)?.value;
    // The state it goes back to may be a constant or the one the caller kept from before the claim (a parameter).
    const moves = !!next && constantText(next) !== held;
    return !!held && moves && !!claims.get(`${write.table}.${condition.column}`)?.has(held);
  });
}

/** The text of a constant value: a literal or an enum-like member (`Status.RUNNING`). */
function constantText(value: ts.Expression | undefined): string | undefined {
  if (!value) return undefined;
  if (isLiteral(value)) return value.getText();
  const node = skipParens(value);
  return ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) ? node.getText() : undefined;
}

function isEquality(condition: AccessCondition): boolean {
  return condition.operator === "=" || condition.operator === "IS NOT DISTINCT FROM";
}
