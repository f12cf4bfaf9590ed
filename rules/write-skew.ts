// write-skew: a check over a set of rows (a count, an aggregate, an existence or size test) decides an insert, update
// or delete that changes that set, and nothing stops a concurrent caller from checking the same set in between: both
// pass, both write different rows, and together they break what the check enforced (two demotions leave no admin, two
// bookings take the last seat twice). Not select-then-update: no row is written twice, so locking the rows read or a
// compare-and-set on them does not help.
//
// Safe (not reported): a SERIALIZABLE transaction around the write (whether it is retried is select-then-update's
// business); a lock taken before the check and held at it — a row lock of the same transaction (`FOR UPDATE` of the
// parent row, a write), a locking read of the set itself, a transaction-scoped advisory lock, a mutex or lease; an
// insert whose duplicate-key error is handled, an upsert / `ON CONFLICT`; a write that re-checks in SQL (a subquery on
// MySQL or SQLite; not on PostgreSQL); an emptiness test deciding an insert ("at most one" is a unique index's job),
// unless the project's schema shows no unique index over the fields a duplicate check looked up (duplicate-insert.ts:
// the Prisma schema; for other data layers the Drizzle tables, entities and SQL DDL of db/schema-catalog.ts). The one
// suggestion asks the runtime's transaction helper, already around the check and the write, for SERIALIZABLE (it
// retries serialization failures).
import { handlesDuplicateKey } from "./select-then-update";
import {
  FUNCTION_KINDS,
  calleeName,
  calleeResolver,
  code,
  defineRule,
  drizzleSchemaIsSqlite,
  enclosingFunction,
  lineOf,
  lockAcquisitionsIn,
  locksHeldAt,
  nodesOfKinds,
  propertyValue,
  rowLocksHeldAt,
  runsBefore,
  skipParens,
  spanOf,
  ts,
  projectScopeOf,
  writeSkewsIn,
  isOverlapTest,
  type CalleeResolver,
  type DbAccess,
  type DbLibrary,
  type FunctionLike,
  type FileRuleContext,
  type Fix,
  type SkewFlow,
  type TransactionScope,
  type DuplicateInsert,
  duplicateInsertsIn,
  findOrCreateDuplicatesIn,
  settlesConflict,
  inMigration,
  xactAdvisoryLockHeldAt,
} from "../server/src/rule-kit";

export const writeSkew = defineRule({
  meta: {
    id: "write-skew",
    description:
      "A count, aggregate or existence check over a set of rows decides an insert, update or delete of that set with no lock on the set and no SERIALIZABLE (write skew).",
    defaultSeverity: "error",
    fixable: false,
    hasSuggestions: true,
    messages: {
      grows:
        "Two concurrent requests can both pass the check of {{check}} at line {{checkLine}} before either {{verb}} with {{write}} at line {{line}}: both do, and the set ends above the limit the check enforces.",
      shrinks:
        "Two concurrent requests can both pass the check of {{check}} at line {{checkLine}} before either {{verb}} with {{write}} at line {{line}}: both do, and the set ends below the minimum the check enforces.",
      movedUncounted:
        "{{write}} at line {{line}} moves out every row that matches the filter of {{check}} at line {{checkLine}} when it runs, not the rows that check summed: a row that enters the set in between is moved without being counted in the total {{recorder}} writes at line {{recordLine}}.",
      duplicate:
        "Two concurrent requests can both find no row with the same {{fields}} at line {{checkLine}} before either inserts with {{write}} at line {{line}}, and the schema declares no unique index over them: both insert, and the row is duplicated.",
    },
  },
  checkFile(context) {
    const resolve = calleeResolver(context.program, () => context.checker);
    const reported = new Set<ts.Node>();
    for (const fn of nodesOfKinds<FunctionLike>(context.sourceFile, FUNCTION_KINDS)) {
      for (const flow of writeSkewsIn(fn, resolve, () => context.checker)) {
        if (reported.has(flow.write.node) || isSafe(flow, context, resolve)) continue;
        reported.add(flow.write.node);
        const data = {
          check: label(flow.check.read),
          checkLine: lineOf(flow.check.read.node),
          write: label(flow.write),
          line: lineOf(flow.write.node),
        };
        const verb = flow.change === "insert" ? "inserts" : flow.change === "delete" ? "deletes" : "updates";
        if (flow.unindexed) {
          context.report({
            messageId: "duplicate",
            data: { fields: flow.unindexed.map((f) => code(f)).join(", "), checkLine: data.checkLine, write: data.write, line: data.line },
            help: duplicateHelp(flow.unindexed, flow.check.read.library),
            span: spanOf(flow.write.node, context.sourceFile),
            related: [
              {
                span: spanOf(flow.check.read.node, context.sourceFile),
                message: "looked up here, with nothing stopping a concurrent insert",
              },
            ],
          });
          continue;
        }
        context.report({
          ...(flow.recordedBy
            ? { messageId: "movedUncounted", data: { ...data, recorder: label(flow.recordedBy), recordLine: lineOf(flow.recordedBy.node) } }
            : flow.grows
              ? { messageId: "grows", data: { ...data, verb } }
              : { messageId: "shrinks", data: { ...data, verb } }),
          help: HELP[flow.write.library] ?? HELP.sql!,
          suggestions: serializableSuggestion(flow, context.fixer, resolve),
          span: spanOf(flow.write.node, context.sourceFile),
          related: [
            { span: spanOf(flow.check.read.node, context.sourceFile), message: "set checked here, with nothing locking it" },
            ...(flow.check.inner ? [{ span: spanOf(flow.check.inner), message: `the check ${label(flow.check.read)} makes` }] : []),
            ...(flow.writeInner ? [{ span: spanOf(flow.writeInner), message: `the write ${label(flow.write)} makes` }] : []),
          ],
        });
      }
      for (const duplicate of [...duplicateInsertsIn(fn), ...findOrCreateDuplicatesIn(fn, context.program)]) {
        if (reported.has(duplicate.insert.node) || duplicateIsSafe(duplicate, context, resolve)) continue;
        reported.add(duplicate.insert.node);
        context.report({
          messageId: "duplicate",
          data: {
            fields: duplicate.fields.map((f) => code(f)).join(", "),
            checkLine: lineOf(duplicate.check.node),
            write: label(duplicate.insert),
            line: lineOf(duplicate.insert.node),
          },
          help:
            duplicate.insert.library === "prisma"
              ? `Declare a unique index over ${duplicate.fields.map((f) => code(f)).join(", ")} (\`@@unique([${duplicate.fields.join(", ")}])\`) and treat a duplicate-key error (P2002) as "already there", or run the check and the insert in a SERIALIZABLE transaction that is retried.`
              : duplicateHelp(duplicate.fields, duplicate.insert.library),
          span: spanOf(duplicate.insert.node, context.sourceFile),
          related: [
            {
              span: spanOf(duplicate.check.node, context.sourceFile),
              message: "looked up here, with nothing stopping a concurrent insert",
            },
          ],
        });
      }
    }
  },
});

/** A duplicate check made safe: a SERIALIZABLE transaction around both, an application lock held at both, a handled duplicate-key error. */
function duplicateIsSafe(
  { check, insert }: DuplicateInsert,
  context: Pick<FileRuleContext, "program" | "checker">,
  resolve: CalleeResolver,
): boolean {
  const scope = projectScopeOf(insert.node, resolve);
  if (scope?.isolation === "serializable" && scope === projectScopeOf(check.node, resolve)) return true;
  if (handlesDuplicateKey(insert)) return true;
  // A transaction-scoped advisory lock held at the check, in the insert's transaction, keyed by a value the check looks
  // up (or a constant): taken inline, by a project helper given the handle (`lockScope(tx, ownerId)`), or by the wrapper
  // that runs the callback. Every creator of that scope waits for the holder's COMMIT.
  if (scope && scope === projectScopeOf(check.node, resolve) && takesXactLock(check, scope, resolve)) return true;
  return locksHeldAt(check.node, context.program, () => context.checker).some((l) => l.everyPath && l.kind !== "transaction");
}

/**
 * Whether a transaction-scoped advisory lock is held at the check in `scope`, keyed by one of the values the check
 * compares its columns with (or a constant): taken by the transaction's code, a project helper given its handle, or the
 * wrapper that runs the callback.
 */
function takesXactLock(check: DbAccess, scope: TransactionScope, resolve: CalleeResolver): boolean {
  const looked = check.conditions.flatMap((c) => (c.value ? [c.value] : []));
  return looked.length > 0 && xactAdvisoryLockHeldAt(check.node, scope, resolve, looked);
}

/** How to close a check-then-insert race: a unique index over the looked-up fields (MongoDB: on the schema, with an upsert). */
function duplicateHelp(fields: readonly string[], library: DbLibrary): string {
  const list = fields.map((f) => code(f)).join(", ");
  if (library === "mongoose")
    return `Declare a unique index over ${list} on the schema and treat a duplicate-key error (E11000) as "already there", or insert with \`findOneAndUpdate(filter, { $setOnInsert: … }, { upsert: true })\` against that index.`;
  return `Declare a unique index over ${list} and treat a duplicate-key error as "already there" (or insert with \`ON CONFLICT DO NOTHING\`), or run the check and the insert in a SERIALIZABLE transaction that is retried.`;
}

const HELP: Partial<Record<DbLibrary, string>> = {
  pg: 'Lock a parent row (`SELECT … FOR UPDATE`) or take `pg_advisory_xact_lock` keyed by the set before the check, in the same transaction as the write, or run both in a SERIALIZABLE transaction that is retried (`withPgTransaction(pool, fn, { isolation: "serializable" })`).',
  mysql2:
    'Lock a parent row (`SELECT … FOR UPDATE`) before the check, in the same transaction as the write, or run both in a SERIALIZABLE transaction that is retried (`withMySqlTransaction(pool, fn, { isolation: "serializable" })`).',
  sql: "Lock a parent row (`SELECT … FOR UPDATE`) before the check, in the same transaction as the write, or run both in a SERIALIZABLE transaction that is retried.",
  prisma:
    "Lock a parent row (`tx.$queryRaw` `SELECT … FOR UPDATE`) before the check inside an interactive `$transaction`, or run it with `isolationLevel: Prisma.TransactionIsolationLevel.Serializable` and retry P2034.",
  typeorm:
    'Lock a parent row (`lock: { mode: "pessimistic_write" }`) before the check inside a transaction, or run it as `transaction("SERIALIZABLE", …)` and retry serialization failures.',
  sequelize:
    "Lock a parent row (`lock: t.LOCK.UPDATE`, `transaction: t`) before the check, or run the transaction with `isolationLevel: SERIALIZABLE` and retry serialization failures.",
  mongoose:
    "MongoDB has no SERIALIZABLE: take a lock keyed by the set around the check and the write, or keep the count in a parent document and raise it atomically with the bound in the filter (`findOneAndUpdate({ _id, used: { $lt: limit } }, { $inc: { used: 1 } })`) before inserting.",
  mongodb:
    "MongoDB has no SERIALIZABLE: take a lock keyed by the set around the check and the write, or keep the count in a parent document and raise it atomically with the bound in the filter (`findOneAndUpdate({ _id, used: { $lt: limit } }, { $inc: { used: 1 } })`) before inserting.",
  knex: 'Lock a parent row (`.forUpdate()`) before the check inside `knex.transaction`, or run it with `{ isolationLevel: "serializable" }` and retry serialization failures.',
  objection:
    'Lock a parent row (`.forUpdate()` on its `query(trx)`) before the check inside `Model.transaction`, or run it with `{ isolationLevel: "serializable" }` and retry serialization failures.',
};

/**
 * When the check and the write run in one `withPgTransaction` / `withMySqlTransaction` callback: the same call asking
 * for SERIALIZABLE. The helper reruns the callback on a serialization failure, so the request that lost re-counts and
 * is refused; the callback must have no side effects besides its queries (the suggestion's title says so).
 */
function serializableSuggestion(flow: SkewFlow, fixer: FileRuleContext["fixer"], resolve: CalleeResolver): Fix[] {
  const scope = projectScopeOf(flow.write.node, resolve);
  const call = scope?.start;
  if (!scope || scope.form !== "callback" || !call || !ts.isCallExpression(call)) return [];
  if (!/^with(Pg|MySql)Transaction$/.test(calleeName(call) ?? "") || projectScopeOf(flow.check.read.node, resolve) !== scope) return [];
  const title = `Run the transaction SERIALIZABLE (${calleeName(call)} reruns it on a serialization failure; the callback must have no other side effects)`;
  const options = call.arguments[2];
  if (!options && call.arguments.length === 2)
    return [fixer.fix(title, fixer.insertAfter(call.arguments[1]!, `, { isolation: "serializable" }`))];
  const object = options && skipParens(options);
  if (object && ts.isObjectLiteralExpression(object) && !propertyValue(object, "isolation")) {
    const first = object.properties[0];
    return [
      fixer.fix(
        title,
        first ? fixer.insertBefore(first, `isolation: "serializable", `) : fixer.replace(object, `{ isolation: "serializable" }`),
      ),
    ];
  }
  return [];
}

/** The transaction a statement runs in: one opened here, a project wrapper's around its callback, or the caller's. */

const LOCKING = new Set(["update", "no key update", "write"]);

function isSafe(flow: SkewFlow, context: Pick<FileRuleContext, "program" | "checker" | "sourceFile">, resolve: CalleeResolver): boolean {
  const { check, write } = flow;
  // "At most one" (`if (existing) throw; create(…)`) is what a unique index enforces; not judged here. An overlap
  // test is not: no unique index says "no two ranges overlap", whether the write inserts the row or moves one into the
  // range (an update setting the column the check pinned, as a booking confirmed into a room).
  // Nor where the project's schema declares the table with no unique index over the columns the check pins.
  if (flow.grows && flow.emptiness && !(isOverlapTest(check.read) || (flow.change === "insert" && flow.unindexed))) return true;
  // A migration is applied once, one at a time, by its runner: no second copy of its check and write races it.
  if (inMigration(write.node)) return true;
  if (check.read.lock) return true;
  const scope = projectScopeOf(write.node, resolve);
  if (scope?.isolation === "serializable") return true;
  // SQLite runs one writing transaction at a time, and one that read before another's commit fails to write: a check
  // and a write in one transaction on a SQLite Drizzle schema are serialized (select-then-update's "sqlite-write-lock").
  if (scope && write.library === "drizzle" && drizzleSchemaIsSqlite(write.node.getSourceFile(), context.program)) return true;
  // A lock held at the check: a row lock (a parent row's FOR UPDATE, an earlier write) of the write's transaction…
  // (held on every path to the check: one taken in a branch protects only that branch)…
  if (scope && rowLocksHeldAt(check.read.node, scope, resolve).some((l) => l.everyPath && LOCKING.has(l.mode))) return true;
  // … a mutex or lease around both …
  if (locksHeldAt(check.read.node, context.program, () => context.checker).some((l) => l.everyPath && l.kind !== "transaction"))
    return true;
  // … or a transaction-scoped advisory lock taken before it in the same function, on every path to it.
  const fn = enclosingFunction(check.read.node);
  const advisory = lockAcquisitionsIn(context.sourceFile, context.program, () => context.checker)
    .filter((a) => a.transactionScoped && enclosingFunction(a.call) === fn)
    .map((a) => a.call);
  if (advisory.length > 0 && runsBefore(advisory, check.read.node)) return true;
  // … or one a project helper given the handle (or the wrapper) takes, keyed by a value the check looks up.
  if (scope && takesXactLock(check.read, scope, resolve)) return true;
  return closedByWrite(flow) || repeatsTheCheck(flow);
}

/**
 * An UPDATE or DELETE whose WHERE is the check's own filter acts on the whole set the check looked at, not on a member
 * it chose: concurrent callers all end with the same set (the rows moved out or changed alike), so there is no limit
 * for them to break together (`if (count(stuck) > 0) UPDATE … WHERE <the same filter>`). A total recorded from the
 * check (a payout) is another matter, reported as movedUncounted.
 */
function repeatsTheCheck({ check, write, change, recordedBy }: SkewFlow): boolean {
  if (change === "insert" || recordedBy || check.args || check.inner) return false;
  const read = check.read;
  if (read.sql || write.sql)
    return !!read.sql && !!write.sql && ((whereText(read) === whereText(write) && sameConditions(read, write)) || sameFilter(read, write));
  return read.conditions.length > 0 && sameConditions(read, write);
}

/**
 * The same filter written with a join: the count's `JOIN … ON` and `WHERE` conjuncts are the `UPDATE … FROM`'s `WHERE`
 * conjuncts, in any order. Only with no placeholders, whose values the text does not show.
 */
function sameFilter(read: DbAccess, write: DbAccess): boolean {
  const left = conjuncts(read);
  const right = conjuncts(write);
  return left.length > 0 && left.length === right.length && left.every((c, i) => c === right[i]);
}

/** A statement's join and WHERE conditions split at AND, normalised and sorted; none when it has placeholders. */
function conjuncts(access: DbAccess): string[] {
  const { text, statement } = access.sql!;
  if (statement.placeholders.length > 0 || !/\bWHERE\b/i.test(text)) return [];
  const filter = text.slice(0, statement.whereEnd ?? text.length);
  const parts = [...filter.matchAll(/\b(?:ON|WHERE)\b([^]*?)(?=\b(?:(?:INNER|LEFT|RIGHT|FULL|CROSS)\s+)?JOIN\b|\bWHERE\b|$)/gi)];
  return parts
    .flatMap((m) => m[1]!.split(/\bAND\b/i))
    .map((c) => c.replace(/;\s*$/, "").replace(/\s+/g, " ").trim())
    .filter((c) => c.length > 0)
    .sort();
}

/** The conditions, column, operator and value, alike and in any order. */
function sameConditions(a: DbAccess, b: DbAccess): boolean {
  const key = (c: DbAccess["conditions"][number]) => `${c.column} ${c.operator} ${c.value?.getText() ?? ""}`;
  const left = a.conditions.map(key).sort();
  const right = b.conditions.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** A SQL statement's WHERE clause, whitespace collapsed, placeholders left as `?`; undefined without one. */
function whereText(access: DbAccess): string | undefined {
  const { text, statement } = access.sql!;
  const where = /\bWHERE\b/i.exec(text);
  if (!where || statement.whereEnd === undefined) return undefined;
  return text
    .slice(where.index + where[0].length, statement.whereEnd)
    .replace(/\$\d+|\?|:\w+/g, "?")
    .replace(/\s+/g, " ")
    .trim();
}

/** The write itself closes the race: a conflict clause, an atomic re-check in SQL, or a handled duplicate-key error. */
function closedByWrite({ write, grows, unindexed }: SkewFlow): boolean {
  if (write.sql) {
    const text = write.sql.text;
    if (/\bON\s+(CONFLICT|DUPLICATE\s+KEY)\b/i.test(text)) return true;
    // `INSERT … SELECT … WHERE (SELECT count(*) …) < $n`, `UPDATE … WHERE (SELECT count(*) …) > 1`: a re-check only
    // where the statement's read locks what it reads or writers take turns (rechecksAtomically); an INSERT … SELECT
    // with no WHERE (`SELECT … FROM (VALUES …)`) re-checks nothing.
    if (rechecksAtomically(write) && (/\(\s*SELECT\b/i.test(text) || /^\s*INSERT\b[^]*\bSELECT\b[^]*\bWHERE\b/i.test(text))) return true;
    // `UPDATE … SET taken = taken + 1 WHERE … AND taken < quantity`: the statement re-checks the bound of what it sets.
    if (boundsWhatItSets(write.sql.statement)) return true;
  }
  const call = write.node;
  // A duplicate the insert settles itself (`.onConflictDoNothing()`, MySQL `INSERT IGNORE`, SQLite `INSERT OR
  // IGNORE` / `REPLACE`): the second insert of the key does nothing, or replaces the first.
  if (unindexed && ts.isCallExpression(call) && settlesConflict(call)) return true;
  if (unindexed && write.sql && /^\s*(?:INSERT\s+(?:IGNORE|OR\s+(?:IGNORE|REPLACE))|REPLACE)\b/i.test(write.sql.text)) return true;
  if (ts.isCallExpression(call) && calleeName(call) === "createMany" && propertyValue(call.arguments[0], "skipDuplicates")) return true;
  return grows && handlesDuplicateKey(write);
}

/**
 * Whether a set re-checked inside the writing statement is read atomically with the write. MySQL / MariaDB at their
 * default REPEATABLE READ take shared next-key locks on the rows an `INSERT … SELECT` or an `UPDATE … (SELECT …)`
 * reads, so a concurrent writer of the set waits (or deadlocks and is rolled back); SQLite runs one writer at a time.
 * PostgreSQL (READ COMMITTED by default) evaluates the subquery on the statement's snapshot, which misses another
 * transaction's uncommitted insert: both statements see the old count and both write (test/db/write-skew-pg.test.ts).
 * An engine the file does not name is not assumed to be either.
 */
function rechecksAtomically(write: DbAccess): boolean {
  return write.library === "mysql2" || write.library === "better-sqlite3";
}

/** An UPDATE whose WHERE compares (`<`, `>=`, …) a column its SET assigns. */
function boundsWhatItSets(statement: NonNullable<DbAccess["sql"]>["statement"]): boolean {
  const name = (column: string) =>
    column
      .split(".")
      .pop()!
      .replace(/["`[\]]/g, "")
      .toLowerCase();
  const assigned = new Set(statement.assignments.map((a) => name(a.column)));
  return statement.kind === "update" && statement.conditions.some((c) => /^[<>]=?$/.test(c.operator) && assigned.has(name(c.column)));
}

const AGGREGATES = /^(count|countDistinct|sum|max|min|avg)$/;

/** `prisma.user.count(…)`, `db("bookings")….count(…)`, `SELECT count(*) FROM users …`: short enough for a message. */
function label(access: DbAccess): string {
  if (access.sql) {
    const text = access.sql.text.replace(/\s+/g, " ").trim();
    return code(text.length > 70 ? `${text.slice(0, 67)}…` : text);
  }
  const node = access.node;
  if (!ts.isCallExpression(node)) return code(node.getText().slice(0, 60));
  const callee = skipParens(node.expression);
  const text = callee.getText().replace(/\s*\n\s*/g, "");
  if (text.length <= 50) return code(`${text}(…)`);
  // A long builder chain: its first call (which names the table) and its last method.
  let first: ts.Expression = node;
  let method = calleeName(node) ?? "";
  for (let current: ts.Expression = node; ts.isCallExpression(current) || ts.isPropertyAccessExpression(current);) {
    if (ts.isCallExpression(current)) first = current;
    else if (AGGREGATES.test(current.name.text)) method = current.name.text;
    current = skipParens(current.expression);
  }
  return code(`${first.getText().replace(/\s*\n\s*/g, "")}….${method}(…)`);
}
