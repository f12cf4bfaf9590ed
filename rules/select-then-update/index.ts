// select-then-update: a value read from a row decides what a later write of the same table writes (or whether it
// runs), and nothing stops a concurrent caller from reading the same value in between: the classic lost update (both
// callers read a balance of 100, and the second write overwrites the first).
//
// Safe (not reported): the read locks the row (FOR UPDATE / ORM lock) in the same transaction as the write; the write
// compares against the read value (compare-and-set: unchecked-optimistic-update's business); the write is atomic and
// does not use the read value, with any check on the written column repeated in its WHERE; the transaction is
// SERIALIZABLE (or REPEATABLE READ on PostgreSQL, which aborts the second writer) and retried. A SERIALIZABLE
// transaction opened in the same function (or by a project wrapper for its callback) with no visible retry gets its
// own finding: no update is lost, but the aborted call fails. Not evidence at all (read-modify-write.ts): a value read
// that only chooses how the input is written, the row's id, a relation link, a new row that does not join the rows
// read, a field a change-tracking ORM's save writes only with the request's value (`row.x = input.x ?? row.x`, a
// related row merged with the request by a helper: db/change-tracking.ts); also safe: a set-once write, an insert whose duplicate-key error is handled, and the shapes of
// harmless-writes.ts (another row, a no-change shortcut, values every caller computes alike, a unique key, a parent
// row lock), a transaction-scoped advisory lock taken before the read (also by a helper given the transaction), and a
// row this call has just inserted (fresh-row.ts). Not linted: migrations and an operator's commands (a command-line
// handler, a function only scripts call: operator-commands.ts). The fixes live beside this file, one per strategy.
import { claimedBeforeRead, workBeforeClaim, workClaimedByWrite } from "./claims";
import {
  drizzleSchemaIsSqlite,
  writeLabel,
  FUNCTION_KINDS,
  aliasedSymbolAt,
  calleeName,
  code,
  dbAccessOf,
  defineRule,
  enclosingFunction,
  isRetried,
  isSetOnceWrite,
  pinsAndBumpsVersion,
  isFunctionLike,
  isAwaited,
  isInside,
  lineOf,
  nodesOfKinds,
  readModifyWritesIn,
  locksHeldAt,
  rowLocksHeldAt,
  runsBetween,
  runsBetweenAndReturn,
  sameTable,
  inMigration,
  skipParens,
  spanOf,
  stepsThrough,
  ts,
  walk,
  writeSkewsIn,
  projectScopeOf,
  xactAdvisoryLockHeldAt,
  type DbAccess,
  type DbLibrary,
  type FunctionLike,
  type ReadModifyWrite,
  type Fix,
  type RelatedLocation,
  type Span,
  type TransactionScope,
  calleeResolver,
  sameIdentity,
  lockedByEveryCaller,
  runsInEveryCallersTransaction,
  describeWriter,
  otherWritersOf,
  writersKnown,
  writtenOnlyWithin,
  replacedParts,
  type CalleeResolver,
  type ColumnWrite,
  insertRefusedByUniqueKey,
} from "../../server/src/rule-kit";
import { arithmeticUpdate, atomicUpdateFix } from "./atomic-update";
import { savesWholeArrayVersioned } from "./mongoose-versions";
import {
  differentRows,
  isCacheFill,
  insertsUniqueKeyReadMissing,
  isNoChangeShortcut,
  isSameForEveryCaller,
  locksParentRowAsCalled,
  softDeletes,
} from "./harmless-writes";
import { rowLockSuggestion } from "./row-lock";
import { readsRowJustInserted } from "./fresh-row";
import { renamesWithFreshToken } from "./fresh-token-rename";
import { upsertsFromMissingRowDefault } from "./absent-row";
import { isEarlierStepOfPath } from "./same-path-writers";
import { awaitedOpenerAround, isSessionLock } from "./callback-locks";
import { refillsCache } from "./cache-refill";
import { diffsSubmittedChildren, diffsSubmittedList } from "./whole-list";
import { constantsAfterRefusals } from "./constant-after-check";
import { keepsCheckedPresence } from "./presence-kept";
import { onlyLinksReadRow } from "./relation-link";
import { runsOneAtATime } from "./self-scheduled";
import { runsInSerialQueue } from "./serial-queue";
import { fillsFromSource } from "./source-fill";
import { getsOrCreates } from "./get-or-create";
import { runsAsOperatorCommand } from "./operator-commands";
import { runsUnderCallersLock } from "./caller-single-flight";
import { optimisticRetrySuggestion } from "./optimistic-retry";

export const selectThenUpdate = defineRule({
  meta: {
    id: "select-then-update",
    description:
      "A value read from a row decides a later write of the same table without a row lock, an atomic update or a version check (lost update).",
    defaultSeverity: "error",
    fixable: true,
    hasSuggestions: true,
    messages: {
      lostUpdate:
        "{{write}} writes a value computed from {{column}} read at line {{line}} without a row lock: two concurrent calls both read the same value, both write their result, and one update is lost.",
      sharedColumnLostUpdate:
        "{{write}} writes {{column}} back as read at line {{line}} wherever this call does not change it, without a row lock: {{column}} is also written by {{writer}}, and a change that saves in between is undone.",
      maybeSharedColumnLostUpdate:
        "{{write}} writes {{column}} back as read at line {{line}} wherever this call does not change it, without a row lock: {{writer}} also writes this row (its columns are not visible in the code; it may write {{column}}), and such a change saved in between would be undone.",
      insertFromRead:
        "{{write}} inserts a value computed from {{column}} read at line {{line}} without a row lock: two concurrent calls both read the same value and both insert the same result (a duplicate number or position).",
      lostUpdateDespiteLock:
        "{{write}} writes a value computed from {{column}} read at line {{line}} without a row lock (the {{lock}} at line {{line}} does not help: {{why}}): two concurrent calls both read the same value, both write their result, and one update is lost.",
      checkThenWrite:
        "{{write}} runs only because the check of {{column}} read at line {{line}} passed, but nothing locks the row: two concurrent calls can both pass the check and both write, where run one after the other the second might have failed it.",
      filterThenWrite:
        "{{write}} changes {{column}}, which the read at line {{line}} required to be {{required}} to find the row, but nothing locks the row: two concurrent calls can both find it and both write, where run one after the other the second would not have found it.",
      checkThenWriteDespiteLock:
        "{{write}} runs only because the check of {{column}} read at line {{line}} passed, but nothing locks the row (the {{lock}} at line {{line}} does not help: {{why}}): two concurrent calls can both pass the check and both write, where run one after the other the second might have failed it.",
      collectionLostUpdate:
        "{{write}} saves {{column}} as loaded at line {{line}} plus this call's change: a change another call saved in between is undone (rows it added are detached, rows it removed come back).",
      documentLostUpdate:
        "{{write}} writes a value computed from {{column}} read at line {{line}}, and nothing detects a concurrent change of the document: two concurrent calls both read the same value, both write their result, and one update is lost.",
      sharedFieldLostUpdate:
        "{{write}} writes {{column}} back as read at line {{line}} wherever this call does not change it, and nothing detects a concurrent change of the document: {{column}} is also written by {{writer}}, and a change that saves in between is undone.",
      maybeSharedFieldLostUpdate:
        "{{write}} writes {{column}} back as read at line {{line}} wherever this call does not change it, and nothing detects a concurrent change of the document: {{writer}} also writes this collection (its fields are not visible in the code; it may write {{column}}), and such a change saved in between would be undone.",
      documentCheckThenWrite:
        "{{write}} runs only because the check of {{column}} read at line {{line}} passed, and the update's filter does not repeat it: two concurrent calls can both pass the check and both write.",
      redisLostUpdate:
        "{{write}} writes a value computed from {{key}} read at line {{line}} without `WATCH`/`MULTI` or a Lua script: two concurrent calls both read the same value, both write their result, and one update is lost.",
      redisCheckThenWrite:
        "{{write}} runs only because the check of {{key}} read at line {{line}} passed, without `WATCH`/`MULTI` or a Lua script: two concurrent calls can both pass the check and both write.",
      unretried:
        "{{write}} depends on {{column}} read at line {{line}} inside a {{isolation}} transaction that nothing here retries: when two calls overlap, the database aborts one of them (serialization failure 40001, or deadlock) instead of losing an update, and that call fails unless every caller runs it again.",
    },
  },
  checkFile(context) {
    const reported = new Set<DbAccess>();
    const spanIn = (node: ts.Node) => spanOf(node, context.sourceFile);
    const resolve = calleeResolver(context.program, () => context.checker);
    for (const node of nodesOfKinds<FunctionLike>(context.sourceFile, FUNCTION_KINDS)) {
      // A migration is applied once, one at a time: no second run of it reads the same rows concurrently.
      if (inMigration(node)) continue;
      const flows = readModifyWritesIn(node, resolve);
      // An operator's command runs one invocation at a time (asked only where there is a flow: it looks for callers).
      if (flows.length > 0 && runsAsOperatorCommand(node, resolve)) continue;
      // Every production call of the function is awaited under one application lock its caller holds: one run at a time.
      const singleFlight = flows.length > 0 && runsUnderCallersLock(node, resolve, context.program, () => context.checker);
      const findings = new FindingsByRead<Parameters<typeof context.report>[0]>();
      for (const flow of flows) {
        if (reported.has(flow.write)) continue;
        // One run at a time loses nothing only where no other code writes what it writes.
        if (singleFlight && writtenOnlyWithin(context.program, flow.write, node)) continue;
        const protection = protectionOf(flow, () => context.checker, resolve, context.program);
        const unretried = protection === "aborts-on-conflict" ? unretriedTransaction(flow, resolve) : undefined;
        if (unretried) {
          reported.add(flow.write);
          const isolation = (unretried.isolation ?? "serializable").toUpperCase();
          context.report({
            ...unretriedMessage(flow, isolation),
            span: spanIn(flow.write.node),
            related: [
              { span: spanIn(flow.read.node), message: "value read here" },
              { span: spanIn(unretried.start), message: `${isolation} transaction opened here, not retried` },
            ],
          });
        }
        if (protection || heldUnderAppLock(flow, context.program, () => context.checker, resolve)) continue;
        const shared = sharedColumnOf(flow, context.program, resolve);
        if (shared === "single-writer") continue;
        reported.add(flow.write);
        // A write a project function runs is rewritten there, not at this call: no fix from here.
        const atomic = flow.write.through ? undefined : atomicUpdateFix(flow, context);
        const suggestions = flow.write.through ? [] : [rowLockSuggestion(flow, context), optimisticRetrySuggestion(flow, context)];
        const checked = flow.control && !flow.data ? ` and checked at line ${lineOf(flow.control.condition)}` : "";
        // Reads and writes through project functions show the chain down to the statement.
        const chain = [...stepsThrough(flow.read, "row read"), ...stepsThrough(flow.write, "row written")];
        findings.add(flow, {
          ...lostUpdateMessage(flow, context.checker, resolve, shared),
          span: spanIn(flow.write.node),
          related: [
            { span: spanIn(flow.read.node), message: `value read here${checked}` },
            ...chain.map((step) => ({ span: spanOf(step.node), message: step.message })),
          ],
          fixes: atomic ? [atomic] : [],
          suggestions: suggestions.filter((s) => s !== undefined),
        });
      }
      for (const finding of findings.reports(spanIn)) context.report(finding);
    }
  },
});

/**
 * One read deciding several writes of one table in a function is one race, fixed once (lock the row at the read, or
 * make the writes conditional): it is reported at one write, the first that writes a value computed from the read (else
 * the first), with the other writes as related locations, and without a safe fix (one write's fix leaves the others).
 */
class FindingsByRead<Report extends { related?: RelatedLocation[]; fixes?: Fix[] }> {
  private readonly groups = new Map<string, Array<{ flow: ReadModifyWrite; report: Report }>>();

  add(flow: ReadModifyWrite, report: Report): void {
    // Writes of no known table are not grouped: nothing says they write the row that was read.
    const key = flow.write.table ? `${flow.read.node.pos}\0${flow.write.table}` : `write\0${flow.write.node.pos}`;
    const group = this.groups.get(key) ?? [];
    group.push({ flow, report });
    this.groups.set(key, group);
  }

  *reports(spanIn: (node: ts.Node) => Span): Iterable<Report> {
    for (const group of this.groups.values()) {
      group.sort((a, b) => a.flow.write.node.pos - b.flow.write.node.pos);
      const primary = group.find((g) => g.flow.data) ?? group[0]!;
      const others = group.filter((g) => g !== primary);
      yield {
        ...primary.report,
        // A safe fix rewrites one write; the others from the same read would still race, so none is offered here.
        ...(others.length > 0 ? { fixes: [] } : {}),
        related: [
          ...(primary.report.related ?? []),
          ...others.map((g) => ({ span: spanIn(g.flow.write.node), message: "also written from the same read here" })),
        ],
      };
    }
  }
}

/** Another writer of a column the flow writes back with its own parts replaced. */
interface SharedColumn {
  column: string;
  writer: ColumnWrite;
  /** The writer's columns are not visible: it may write the column. */
  unknown: boolean;
}

/**
 * For a write that puts a column back as read with a fixed set of parts replaced (a settings form, a JSON merge under
 * keys named in the code: replacedParts), the project's other writer of that column: one code path racing with itself
 * is last-writer-wins by design ("single-writer"), another path's change is lost. Undefined for any other write.
 */
function sharedColumnOf(flow: ReadModifyWrite, program: ts.Program, resolve: CalleeResolver): SharedColumn | "single-writer" | undefined {
  // A nested write that diffs the submitted children against those read writes nothing read back (whole-list.ts).
  const columns = replacedParts(flow, (assignment) => diffsSubmittedChildren(flow, assignment));
  if (!columns || !writersKnown(program, flow.write)) return undefined;
  // A writer called only by this function, before its read, is a step of this same path (same-path-writers.ts).
  const concurrent = (writes: readonly ColumnWrite[]) => writes.filter((w) => !isEarlierStepOfPath(w, flow, program, resolve));
  const writers = columns.map((column) => {
    const { known, unknown } = otherWritersOf(program, flow.write, column);
    return { column, known: concurrent(known), unknown: concurrent(unknown) };
  });
  const known = writers.find((w) => w.known.length > 0);
  if (known) return { column: known.column, writer: known.known[0]!, unknown: false };
  const unknown = writers.find((w) => w.unknown.length > 0);
  if (unknown) return { column: unknown.column, writer: unknown.unknown[0]!, unknown: true };
  return "single-writer";
}

/** Where a write runs: a flush nobody calls runs at the end of its body, not at the call or decorator reported. */
function pointOf(write: DbAccess): ts.Node {
  return write.implicitFlush ?? write.node;
}

/** Why a flow cannot lose an update. */
type Protection =
  /** The write compares what it read (whether the count is checked is unchecked-optimistic-update's business). */
  | "compare-and-set"
  /** The write names another row than the one read (same key column, another value). */
  | "another-row"
  /** Redis `WATCH` + `MULTI`: EXEC fails if the key changed. */
  | "watched-transaction"
  /** The read locks the row inside the write's transaction. */
  | "row-lock"
  /** A transaction-scoped advisory lock (`pg_advisory_xact_lock`, also taken by a helper given the transaction) held before the read. */
  | "advisory-lock"
  /** SERIALIZABLE (or REPEATABLE READ on PostgreSQL): nothing is lost, but the aborted call fails unless retried. */
  | "aborts-on-conflict"
  /** Only the decision depends on the read, and the write does not change the checked column. */
  | "unrelated-check"
  /** The check only skips a write of the value the column already holds (`if (m.role === role) return`). */
  | "no-change-shortcut"
  /** Every caller that passes the check writes the same thing: the current time, or values of the row's lookup key. */
  | "same-for-every-caller"
  /**
   * Only a check decides the write, and the read or the write is a project function's: a check through a helper (an
   * item found in a list it returns, a password verified) was dismissed in the field; a value computed from it is not.
   */
  | "check-through-helper"
  /** The write's WHERE repeats the check against the database's current value. */
  | "conditional-update"
  /** An insert whose duplicate-key error is handled: the unique index lets one of two concurrent inserts through. */
  | "unique-index"
  /** A set-once write (`if (msg.openedAt) return; … openedAt: new Date()`): every caller writes an equivalent value. */
  | "set-once"
  /** A check that the column is set, before a write that sets it again: no later call can fail it. */
  | "presence-kept"
  /** A soft delete: what a concurrent update wrote goes with the row. */
  | "soft-delete"
  /** The column written back as read with only a fresh random or clock token added (a rename freeing a unique value). */
  | "fresh-token-rename"
  /** The row read is one this call inserted just before (read back by the key its insert returned): no other call knows it. */
  | "fresh-row"
  /**
   * A transaction on SQLite: one write lock for the whole database, taken at BEGIN (libSQL's default "write" mode
   * sends BEGIN IMMEDIATE) or refused with SQLITE_BUSY when a reader tries to write; no update is lost.
   */
  | "sqlite-write-lock"
  /** A get-or-create: the row found is returned, else one with the lookup's values is inserted; two misses give a duplicate. */
  | "get-or-create"
  /** The same condition also checks the set the write changes (`role === OWNER && owners === 1`): write-skew reports it. */
  | "write-skew"
  /** A claim taken before the read (a delete, a conditional update, its count checked) lets one caller per key through. */
  | "claimed"
  /** A cache fill: the exit returns the stored value while it is fresh; concurrent misses store a fresh value each. */
  | "cache-fill"
  /** A whole-list save: the submitted children are created, updated or deleted by diffing them against those read. */
  | "whole-list-save"
  /** Constants written behind checks that only refuse a no-op or check the caller's input against the row. */
  | "constants-after-refusals"
  /** The read row is only assigned whole to a field of the entity saved: a relation link stores its key, no value of it. */
  | "relation-link"
  /** Empty columns filled with what a source-reading call returned for the row: every filler writes the same answer. */
  | "source-fill"
  /**
   * The function is started once and then only by the timer it sets after its pass, or is a task of a module's one
   * serial queue (serial-queue.ts): no two calls overlap.
   */
  | "one-at-a-time";

/**
 * The read and the write both run while one application lock (a mutex, a lease, a SET NX lock) is held on every path
 * to them: callers that take it run the read-modify-write one at a time (as write-skew credits such a lock).
 */
function heldUnderAppLock(flow: ReadModifyWrite, program: ts.Program, checker: () => ts.TypeChecker, resolve: CalleeResolver): boolean {
  const appLocks = (node: ts.Node) => {
    // A lock held at the awaited transaction call is held in its callback too (callback-locks.ts), except a database
    // session lock: the transaction runs on a connection of its own, not the session holding it.
    const opener = awaitedOpenerAround(node, resolve);
    const outer = opener ? locksHeldAt(opener, program, checker).filter((l) => !isSessionLock(l)) : [];
    return [...locksHeldAt(node, program, checker), ...outer].filter((l) => l.everyPath && l.kind !== "transaction");
  };
  const atWrite = new Set(appLocks(flow.write.node).map((l) => l.takenAt));
  return appLocks(flow.read.node).some((l) => atWrite.has(l.takenAt));
}

function protectionOf(
  flow: ReadModifyWrite,
  checker: () => ts.TypeChecker,
  resolve: CalleeResolver,
  program?: ts.Program,
): Protection | undefined {
  const { read, write } = flow;
  if (flow.guards.length > 0 || pinsAndBumpsVersion(write)) return "compare-and-set";
  // The WHERE pins the column written to a value (`where: { startTime: start }` to put back what this call moved):
  // if a concurrent write changed it, nothing matches.
  const written = flow.data?.assignment.column;
  if (written && write.conditions.some((c) => c.column === written && c.operator === "=" && c.value)) return "compare-and-set";
  if (differentRows(flow)) return "another-row";
  if (write.library === "sequelize" && write.entity && read.handle && hasSequelizeVersion(read.handle, checker)) return "compare-and-set";
  if (read.optimistic || versionCheckedSave(flow, checker)) return "compare-and-set";
  const relock = lockAfterRead(flow);
  if (relock === "optimistic") return "compare-and-set";
  // MikroORM refuses a pessimistic lock outside a transaction (ValidationError), so a locking read that runs is in
  // one, opened where it is not visible here (a caller's `em.transactional`, `@Transactional()`).
  if (
    read.library === "mikro-orm" &&
    write.library === "mikro-orm" &&
    (isWriteLock(read.lock) || relock) &&
    !projectScopeOf(read.node, resolve)
  )
    return "row-lock";
  if (write.library === "redis" && isWatchedTransaction(write)) return "watched-transaction";
  // A read-through cache fill stores the value read unchanged or one recomputed without it: nothing read is merged.
  if (refillsCache(flow)) return "cache-fill";
  const scope = projectScopeOf(pointOf(write), resolve);
  const sameHandle = () => {
    const [r, w] = [read.transactionOption ?? read.handle, write.transactionOption ?? write.handle];
    return !!r && !!w && sameIdentity(r, w);
  };
  // A locking read and the write through a handle the function is given, which every caller passes from a transaction
  // it has open (a `PoolClient` after the caller's BEGIN): the lock lasts until the caller commits.
  if (
    !scope &&
    isWriteLock(read.lock) &&
    !projectScopeOf(read.node, resolve) &&
    sameHandle() &&
    runsInEveryCallersTransaction(read, resolve, (node) => projectScopeOf(node, resolve))
  )
    return "row-lock";
  if (scope && scope === projectScopeOf(read.node, resolve)) {
    if ((isWriteLock(read.lock) && !upsertsFromMissingRowDefault(flow)) || relock) return "row-lock";
    const locking = (mode: string) => mode === "write" || mode === "update" || mode === "no key update";
    // Held on every path to the read: a lock taken in one branch leaves the other path unprotected.
    // Only paths that go on to the write count: a lock taken under `if (c)` covers a write under the same `if (c)`.
    const held = rowLocksHeldAt(read.node, scope, resolve, pointOf(write)).filter((l) => l.everyPath && locking(l.mode));
    if (held.some((l) => sameTable(l.access.table, read.table) || locksParentRowAsCalled(l, read, resolve))) return "row-lock";
    // An advisory lock serialises this row only when its key is computed from the row's key (or is a constant).
    const rowKeys = [...read.conditions, ...write.conditions].flatMap((c) => (c.value ? [c.value] : []));
    if (xactAdvisoryLockHeldAt(read.node, scope, resolve, rowKeys)) return "advisory-lock";
    if (scope.isolation === "serializable") return "aborts-on-conflict";
    if (scope.isolation === "repeatable read" && write.library === "pg") return "aborts-on-conflict";
    // A MongoDB transaction's write of a document changed since its read fails with a WriteConflict.
    if (scope.abortsOnWriteConflict) return "aborts-on-conflict";
    if (write.library === "drizzle" && drizzleSchemaIsSqlite(write.node.getSourceFile(), program)) return "sqlite-write-lock";
  }
  const writer = enclosingFunction(write.node);
  if (
    writer === enclosingFunction(read.node) &&
    (runsOneAtATime(writer, program) || runsInSerialQueue(writer, checker)) &&
    (!program || (!!writer && writtenOnlyWithin(program, write, writer)))
  )
    return "one-at-a-time";
  if (softDeletes(write)) return "soft-delete";
  if (renamesWithFreshToken(flow)) return "fresh-token-rename";
  // A whole-list save diffs the submitted children against those read: nothing read is written back.
  if (diffsSubmittedList(flow)) return "whole-list-save";
  if (readsRowJustInserted(flow)) return "fresh-row";
  // An entity read only to be linked (`comment.member = member`) gives the write its key, which nothing changes.
  if (!flow.control && onlyLinksReadRow(flow)) return "relation-link";
  if (claimedBeforeRead(flow)) return "claimed";
  if (write.insert && (handlesDuplicateKey(write, resolve) || insertsUniqueKeyReadMissing(flow, program))) return "unique-index";
  // A next number inserted under a unique key over it: the second of two concurrent inserts fails, none duplicates.
  if (flow.data && insertRefusedByUniqueKey(write, flow.data.assignment.column, program)) return "unique-index";
  // A checked flag set before work the check guards is a claim on that work: not a harmless set-once or no-change write.
  // So is one set after such work, done between the check and the write by every caller that passed the check.
  const claimsWork =
    !!flow.control &&
    write.assignments.some((a) => a.column === flow.control!.column) &&
    (!!workClaimedByWrite(flow, resolve) || !!workBeforeClaim(flow, resolve, checker));
  if (isSetOnceWrite(flow) && !claimsWork) return "set-once";
  // A fill of an empty column from its source (`fetchBody(…, row.uid)`) writes what every concurrent filler fetches.
  if (!claimsWork && fillsFromSource(flow)) return "source-fill";
  if (!flow.data && (read.through || write.through)) return "check-through-helper";
  if (!flow.data) {
    // Only the decision depends on the read. The write is safe unless the check was on a column it changes and the
    // check is not repeated in its WHERE (then two callers both pass the check: two sales of the last item).
    const checked = flow.control?.column;
    // A relation link or a nested update of related rows (`revisions: { update: … }`) leaves this row's column alone.
    if (!write.assignments.some((a) => a.column === checked && !a.relation)) return "unrelated-check";
    // A get-or-create inserts the row looked up where the check did not return it: a duplicate at worst (write-skew's).
    if (getsOrCreates(flow)) return "get-or-create";
    if (write.conditions.some((c) => c.column === checked)) return "conditional-update";
    // A check that the column is set, before a write setting it again: a later call passes it all the same.
    if (keepsCheckedPresence(flow)) return "presence-kept";
    if (isNoChangeShortcut(flow) && !claimsWork) return "no-change-shortcut";
    // Constants written behind checks that only refuse a no-op or authenticate the caller: two calls end as one.
    if (constantsAfterRefusals(flow, resolve)) return "constants-after-refusals";
    if (decidesWriteSkew(flow, resolve, checker)) return "write-skew";
    if (isSameForEveryCaller(flow)) return "same-for-every-caller";
    if (isCacheFill(flow)) return "cache-fill";
  }
  // The read and the write run through a transaction the function is given, and every caller locked the row first.
  if ((!scope || scope.form === "caller") && sameHandle() && lockedByEveryCaller(read, resolve, (node) => projectScopeOf(node, resolve)))
    return "row-lock";
  return undefined;
}

/**
 * The condition that decides the write also tests a count or existence of the set the write changes: the race is two
 * callers both passing the set check (write-skew's finding), not a second one about the row.
 */
function decidesWriteSkew(flow: ReadModifyWrite, resolve: CalleeResolver, checker: () => ts.TypeChecker): boolean {
  const fn = enclosingFunction(pointOf(flow.write));
  const condition = flow.control?.condition;
  if (!fn || !condition) return false;
  return writeSkewsIn(fn, resolve, checker).some(
    (skew) => skew.write.node === flow.write.node && (isInside(skew.condition, condition) || isInside(condition, skew.condition)),
  );
}

function isWriteLock(mode: string | undefined): boolean {
  return mode === "update" || mode === "no key update";
}

/**
 * MikroORM `em.lock(entity, LockMode.…)` on the entity the flow read, on every path from the read to the write
 * (flow/queries.ts `runsBetween`): "update" for a pessimistic write lock, "optimistic" for a version check (which
 * throws OptimisticLockError on a changed row). A lock in one branch only leaves the other path unprotected.
 */
function lockAfterRead(flow: ReadModifyWrite): "update" | "optimistic" | undefined {
  const { read, write } = flow;
  if (read.library !== "mikro-orm") return undefined;
  const point = pointOf(write);
  const body = enclosingFunction(point)?.body;
  const optimistic: ts.Node[] = [];
  const update: ts.Node[] = [];
  if (body)
    walk(body, (node) => {
      if (isFunctionLike(node)) return false;
      const access = ts.isCallExpression(node) ? dbAccessOf(node) : undefined;
      if (access?.library === "mikro-orm" && access.kind === "read" && access.entity && access.node !== read.node) {
        const origin = flow.originOf(access.entity);
        if (origin?.read === read && origin.level === "row") {
          if (access.optimistic) optimistic.push(node);
          else if (isWriteLock(access.lock)) update.push(node);
        }
      }
      return true;
    });
  // A flush MikroORM runs when the body ends has no statement of its own in the graph: a lock on every path from the
  // read to the end of the body counts.
  const between = (nodes: ts.Node[]) =>
    point === write.node ? runsBetween(read.node, nodes, write.node) : runsBetweenAndReturn(read.node, nodes);
  if (optimistic.length > 0 && between(optimistic)) return "optimistic";
  if (update.length > 0 && between(update)) return "update";
  return undefined;
}

/**
 * A save that checks the version itself: a MikroORM entity with `@Property({ version: true })` (flush adds `WHERE
 * version = <read>` and throws OptimisticLockError), a Mongoose model whose schema sets `optimisticConcurrency: true`
 * (`save()` throws VersionError), or a Mongoose save that sets a whole array field (mongoose-versions.ts). Found in
 * the declarations of the entity class or model the read names.
 */
function versionCheckedSave(flow: ReadModifyWrite, checker: () => ts.TypeChecker): boolean {
  const { read, write } = flow;
  const entityClass = read.entityClass;
  if (!entityClass || !(write.entity || write.flush)) return false;
  const pattern =
    read.library === "mikro-orm" && write.library === "mikro-orm"
      ? /\bversion\s*:\s*true\b/
      : read.library === "mongoose" && write.library === "mongoose"
        ? /\boptimisticConcurrency\s*:\s*true\b/
        : undefined;
  if (!pattern) return false;
  const symbol = aliasedSymbolAt(entityClass, checker);
  // A class holds its own decorators; a Mongoose model is made from a schema (`model("User", UserSchema)`).
  const declarations = (symbol?.declarations ?? []).map((d) => (ts.isClassLike(d) ? d : (schemaOf(d) ?? d.getSourceFile())));
  if (declarations.some((d) => pattern.test(d.getText()))) return true;
  // The schema's options may sit apart from it (`schema.set("versionKey", false)`): its whole file is asked too.
  const schemaTexts = declarations.flatMap((d) => [d.getText(), d.getSourceFile().getText()]);
  return savesWholeArrayVersioned(flow, schemaTexts, checker);
}

/** `const User = model("User", UserSchema)` → the declaration of `UserSchema` in that file (or the inline schema). */
function schemaOf(declaration: ts.Declaration): ts.Node | undefined {
  const init = ts.isVariableDeclaration(declaration) && declaration.initializer ? skipParens(declaration.initializer) : undefined;
  const schema = init && ts.isCallExpression(init) && calleeName(init) === "model" ? init.arguments[1] : undefined;
  if (!schema || !ts.isIdentifier(skipParens(schema))) return schema;
  const name = (skipParens(schema) as ts.Identifier).text;
  return declaration
    .getSourceFile()
    .statements.filter(ts.isVariableStatement)
    .flatMap((statement) => [...statement.declarationList.declarations])
    .find((d) => ts.isIdentifier(d.name) && d.name.text === name);
}

/** Error tests that mean "that row already exists": SQLSTATE 23505, MySQL 1062, Prisma P2002, SQLite, ORM error names. */
const DUPLICATE_KEY =
  /P2002|23505|ER_DUP_ENTRY|\b1062\b|SQLITE_CONSTRAINT|UniqueConstraint|unique[ _-]?(violation|constraint)|duplicate[ _-]?(key|entry)/i;

/**
 * The insert's duplicate-key error is caught and tested by the `catch` of the `try` around it: the unique index lets
 * one of two concurrent inserts through, and a check before it only gives the friendlier error first. With `resolve`,
 * also where the insert is one of a batch (`const ops = [prisma.x.create(…)]` run by `prisma.$transaction(ops)` in the
 * `try`), and where the `catch` tests the error through a project function (`if (isVersionConflict(error))`).
 */
export function handlesDuplicateKey(write: DbAccess, resolve?: CalleeResolver): boolean {
  const runs = [write.node, ...(resolve ? batchRunsOf(write.node) : [])];
  return runs.some((node) => {
    for (let child: ts.Node = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
      if (isFunctionLike(parent)) {
        // A callback the try awaits (`await db.$transaction(async (tx) => …)`): its error rejects that call's promise.
        const runner = awaitedCallOf(parent);
        if (!runner) return false;
        parent = runner;
        continue;
      }
      if (
        ts.isTryStatement(parent) &&
        child === parent.tryBlock &&
        parent.catchClause &&
        testsDuplicateKey(parent.catchClause.block, resolve)
      )
        return true;
    }
    return false;
  });
}

/**
 * The call `fn` is passed to, when that call is awaited: `await runner(…, fn)`. (A promise returned from inside a `try`
 * without `await` rejects after the `try` is left: its `catch` never sees the error.)
 */
function awaitedCallOf(fn: ts.Node): ts.CallExpression | undefined {
  let call: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(call)) call = call.parent;
  return ts.isCallExpression(call) && call.arguments.some((a) => skipParens(a) === fn) && isAwaited(call) ? call : undefined;
}

function testsDuplicateKey(block: ts.Block, resolve: CalleeResolver | undefined): boolean {
  if (DUPLICATE_KEY.test(block.getText())) return true;
  if (!resolve) return false;
  return nodesOfKinds<ts.CallExpression>(block, [ts.SyntaxKind.CallExpression]).some((call) => {
    const body = resolve(call)?.body;
    return body !== undefined && DUPLICATE_KEY.test(body.getText());
  });
}

/** `const ops = [prisma.x.create(…), …]` then `prisma.$transaction(ops)`: the batch calls that run the statement. */
function batchRunsOf(node: ts.Node): ts.CallExpression[] {
  const array = node.parent;
  const declaration = array && ts.isArrayLiteralExpression(array) ? array.parent : undefined;
  if (!declaration || !ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return [];
  const name = declaration.name.text;
  const body = enclosingFunction(node)?.body;
  if (!body) return [];
  return nodesOfKinds<ts.CallExpression>(body, [ts.SyntaxKind.CallExpression]).filter(
    (call) =>
      calleeName(call) === "$transaction" &&
      call.arguments.some((a) => {
        const arg = skipParens(a);
        return ts.isIdentifier(arg) && arg.text === name;
      }),
  );
}

/**
 * A Sequelize model declared with `version: true` (in `Model.init`, `sequelize.define` or `@Table`): its instances'
 * `save()`/`update()` add `WHERE version = <read>` and throw `OptimisticLockError` on conflict.
 */
function hasSequelizeVersion(model: ts.Expression, checker: () => ts.TypeChecker): boolean {
  const symbol = aliasedSymbolAt(model, checker);
  const name = model.getText();
  const options = new RegExp(String.raw`(\b${name}\.init\s*\(|define\s*\(\s*["'\`]${name}["'\`]|@Table\s*\()[^]*?\bversion\s*:\s*true`);
  return (symbol?.declarations ?? []).some((declaration) => options.test(declaration.getSourceFile().text));
}

/** `redis.multi().set(k, v).exec()` after `redis.watch(k)` in the same function: EXEC fails if the key changed. */
function isWatchedTransaction(write: DbAccess): boolean {
  if (!/\.multi\(\)/.test(write.handle?.getText() ?? "")) return false;
  const body = enclosingFunction(write.node)?.body;
  let watched = false;
  if (body)
    walk(body, (node) => {
      if (ts.isCallExpression(node) && /^watch$/i.test(calleeName(node) ?? "")) watched = true;
      return !watched;
    });
  return watched;
}

/**
 * The SERIALIZABLE (or PostgreSQL REPEATABLE READ) transaction the flow runs in, when it is opened in the flow's own
 * function and no retry of it is visible there. A transaction opened by a caller, or a function whose callers may
 * retry it, is not judged: that is not knowable from here.
 */
function unretriedTransaction(flow: ReadModifyWrite, resolve: CalleeResolver): TransactionScope | undefined {
  const scope = projectScopeOf(pointOf(flow.write), resolve);
  const fn = enclosingFunction(pointOf(flow.write));
  if (!scope || !fn || (scope.callback !== fn && enclosingFunction(scope.start) !== fn)) return undefined;
  return isRetried(scope) ? undefined : scope;
}

/** The key a Redis read-modify-write reads: the read call's first argument, else (a project helper taking none) the write's. */
function redisKeyLabel(read: ts.Node, write: ts.Node): string {
  for (const call of [read, write]) {
    const key = ts.isCallExpression(call) ? call.arguments[0] : undefined;
    if (key) return code(key.getText());
  }
  return "the key";
}

/**
 * The headline of a lost update (what races with what) and its help (what to do about it). An atomic update is
 * offered only for `col ± n` arithmetic; any other value (a date, a string, JSON, a relation) needs a lock or a
 * compare-and-set.
 */
function lostUpdateMessage(flow: ReadModifyWrite, checker: ts.TypeChecker, resolve: CalleeResolver, shared?: SharedColumn) {
  const { read, write } = flow;
  const line = lineOf(read.node);
  const arithmetic = flow.data && arithmeticUpdate(flow, checker);
  if (write.library === "redis") {
    // A field of an HGETALL's reply: the hash field read and written back.
    const field = read.hashFields ? flow.data?.column : undefined;
    const key = redisKeyLabel(read.node, write.node);
    const data = { write: writeLabel(write), key: field ? `field ${code(field)} of ${key}` : key, line };
    if (!flow.data) return { messageId: "redisCheckThenWrite", data, help: `Use ${LOCK_HINT.redis}.` } as const;
    const increment = field ? "`HINCRBY`" : arithmetic?.operator === "+" ? "`INCRBY`" : "`DECRBY`";
    const help = arithmetic ? `Update atomically (${increment}) or use ${LOCK_HINT.redis}.` : `Use ${LOCK_HINT.redis}.`;
    return { messageId: "redisLostUpdate", data, help } as const;
  }
  const column = flow.data?.column ?? flow.control?.column;
  const data = { write: writeLabel(write), column: column ? code(column) : "the row", line };
  const lock = LOCK_HINT[write.library];
  if (write.library === "mongoose" || write.library === "mongodb") {
    // MongoDB has no row lock to take: the update computes the value itself, or carries the check in its filter.
    const atomic = arithmetic ? `update atomically (${atomicHint(write.library, arithmetic.column, arithmetic.operator)})` : undefined;
    const guard = "put the check (or the value read, or a version) in the update's filter and check `matchedCount`";
    // The schema's version check guards `doc.save()`, not a document written back through `updateOne`.
    const saved = write.entity && ts.isCallExpression(write.node) && calleeName(write.node) === "save";
    const schema = write.library === "mongoose" && saved ? ` or set ${lock}` : "";
    const help = `${capitalise([atomic, guard].filter(Boolean).join(", or "))}${schema}.`;
    if (shared) {
      const sharedData = {
        ...data,
        column: code(shared.column),
        writer: describeWriter(shared.writer, write.node.getSourceFile().fileName),
      };
      return { messageId: shared.unknown ? "maybeSharedFieldLostUpdate" : "sharedFieldLostUpdate", data: sharedData, help } as const;
    }
    return { messageId: flow.data ? "documentLostUpdate" : "documentCheckThenWrite", data, help } as const;
  }
  if (flow.data?.collectionChange)
    return {
      messageId: "collectionLostUpdate",
      data,
      help: `Lock the row (${lock}) before loading it, or add / remove the related rows themselves (\`relation(…).of(entity).add(item)\`, or save the new row with its foreign key) instead of saving the loaded collection.`,
    } as const;
  if (flow.data && write.insert && !read.lock)
    return {
      messageId: "insertFromRead",
      data,
      help: `Lock the rows read (${lock}) or make the column unique and retry on a duplicate-key error.`,
    } as const;
  const help = !flow.data
    ? `Lock the row (${lock}) or repeat the check in the write's WHERE and check the affected-row count.`
    : arithmetic
      ? `Lock the row (${lock}) or update atomically (${atomicHint(write.library, arithmetic.column, arithmetic.operator)}).`
      : `Lock the row (${lock}) or write only if the row is unchanged (the value read, or a version column, in the write's WHERE; retry on a conflict).`;
  const scope = projectScopeOf(read.node, resolve);
  const oneBranch = read.lockOnlyIf;
  if (oneBranch && (!read.lock || !scope)) {
    // The lock option is set on one branch only: name the condition under which the read takes no lock.
    const condition = code(oneBranch.condition.getText());
    const when = oneBranch.negated ? `${condition} is false` : `${condition} holds`;
    const without = oneBranch.negated ? `when ${condition} holds` : `when it does not`;
    // `lock: t ? t.LOCK.UPDATE : undefined` with `transaction: t`: no transaction, no lock.
    const why = read.lock
      ? `it is asked for only when ${condition} is set, and without it the read runs outside a transaction and locks nothing`
      : `it is asked for only when ${when}; ${without}, the read locks nothing`;
    const despite = { ...data, lock: code(`FOR ${oneBranch.mode.toUpperCase()}`), why };
    return { messageId: flow.data ? "lostUpdateDespiteLock" : "checkThenWriteDespiteLock", data: despite, help } as const;
  }
  if (read.lock && flow.data && scope && upsertsFromMissingRowDefault(flow)) {
    // The lock exists only where the row does: a first write finds nothing to lock and upserts from the default.
    const why = "where no row exists yet it finds none and locks nothing, and the upsert writes what was computed from the default";
    return { messageId: "lostUpdateDespiteLock", data: { ...data, lock: code(`FOR ${read.lock.toUpperCase()}`), why }, help } as const;
  }
  if (read.lock && (!scope || scope !== projectScopeOf(pointOf(write), resolve))) {
    // The read locks the row, but the lock is gone (or held by another transaction) by the time the write runs.
    const why = scope ? "the write runs outside its transaction" : "outside a transaction the lock is released when that statement ends";
    const despite = { ...data, lock: code(`FOR ${read.lock.toUpperCase()}`), why };
    if (!flow.data) return { messageId: "checkThenWriteDespiteLock", data: despite, help } as const;
    return { messageId: "lostUpdateDespiteLock", data: despite, help } as const;
  }
  const required = flow.control?.required;
  if (!flow.data && required) return { messageId: "filterThenWrite", data: { ...data, required: code(required) }, help } as const;
  if (!flow.data) return { messageId: "checkThenWrite", data, help } as const;
  if (shared) {
    // What races with what: the other writer of the column this call writes back.
    const sharedData = { ...data, column: code(shared.column), writer: describeWriter(shared.writer, write.node.getSourceFile().fileName) };
    return { messageId: shared.unknown ? "maybeSharedColumnLostUpdate" : "sharedColumnLostUpdate", data: sharedData, help } as const;
  }
  return { messageId: "lostUpdate", data, help } as const;
}

/** The headline and help of a read-modify-write in an aborting transaction that nothing retries. */
function unretriedMessage(flow: ReadModifyWrite, isolation: string) {
  const { read, write } = flow;
  const column = flow.data?.column ?? flow.control?.column;
  const retrying = RETRYING_TRANSACTION[write.library] ?? "wrap the whole transaction in the runtime's `retry`";
  return {
    messageId: "unretried",
    data: { write: writeLabel(write), column: column ? code(column) : "the row", line: lineOf(read.node), isolation },
    help: `Retry the transaction with backoff (${retrying}) or lock the row at READ COMMITTED (${LOCK_HINT[write.library]}), where the second call waits instead of failing.`,
  } as const;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const LOCK_HINT: Record<DbLibrary, string> = {
  pg: "`SELECT … FOR UPDATE` in the same transaction",
  mysql2: "`SELECT … FOR UPDATE` in the same transaction",
  "better-sqlite3": "`BEGIN IMMEDIATE` around the read and the write",
  sql: "`SELECT … FOR UPDATE` in the same transaction",
  knex: "`.forUpdate()` on the read inside `knex.transaction`",
  objection: "`.forUpdate()` on the read's `query(trx)` inside `Model.transaction(async (trx) => …)`",
  prisma: "`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`",
  typeorm: '`lock: { mode: "pessimistic_write" }` inside a transaction',
  sequelize: "`lock: t.LOCK.UPDATE` with `transaction: t`",
  "mikro-orm": "`lockMode: LockMode.PESSIMISTIC_WRITE` on the read inside `em.transactional`",
  mongoose: "`optimisticConcurrency: true` on the schema, so that `save()` fails on a concurrent change",
  mongodb: "the value read, or a version field, in the update's filter, with `matchedCount` checked",
  drizzle: '`.for("update")` on the read inside `db.transaction`',
  kysely: "`.forUpdate()` on the read inside `db.transaction()`",
  supabase: "a database function called with `.rpc()` that reads the row `FOR UPDATE` and writes it in one transaction",
  redis: "`WATCH`/`MULTI` or a Lua script",
};

const RETRYING_TRANSACTION: Partial<Record<DbLibrary, string>> = {
  pg: '`withPgTransaction(pool, fn, { isolation: "serializable" })` retries it by itself',
  mysql2: '`withMySqlTransaction(pool, fn, { isolation: "serializable" })` retries it by itself',
};

function atomicHint(library: DbLibrary, column: string, operator: "+" | "-"): string {
  const method = operator === "+" ? "increment" : "decrement";
  switch (library) {
    case "knex":
    case "objection":
    case "typeorm":
    case "sequelize":
      return `\`.${method}("${column}", n)\``;
    case "prisma":
      return `\`data: { ${column}: { ${method}: n } }\``;
    case "mikro-orm":
      return `\`nativeUpdate(…, { ${column}: raw("${column} ${operator} ?", [n]) })\``;
    case "mongoose":
    case "mongodb":
      return `\`updateOne({ _id, … }, { $inc: { ${column}: ${operator === "+" ? "n" : "-n"} } })\``;
    case "drizzle":
      return `\`set({ ${column}: sql\\\`\${table.${column}} ${operator} \${n}\\\` })\``;
    case "kysely":
      return `\`set((eb) => ({ ${column}: eb("${column}", "${operator}", n) }))\``;
    case "supabase":
      return `a database function called with \`.rpc()\` that runs ${code(`SET ${column} = ${column} ${operator} n`)}`;
    case "mysql2":
    case "better-sqlite3":
      return code(`SET ${column} = ${column} ${operator} ?`);
    default:
      return code(`SET ${column} = ${column} ${operator} $1`);
  }
}
