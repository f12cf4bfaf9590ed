// inconsistent-lock-order: two locks taken in opposite orders in different places (a cycle in the project's
// lock-order graph, directly or through calls, in one file or across files), and two instances of one lock class
// taken one inside the other in argument order (`transfer(from, to)` locking `from` then `to`).
import {
  advisoryLocksOfRow,
  analyseLockOrder,
  boundNames,
  skipParens,
  productionCallsOf,
  calleeResolver,
  dbAccessOf,
  projectScopeOf,
  callerOrderAcquisitionsIn,
  sortedByEveryCaller,
  claimedColumnOf,
  requiresClaimedBy,
  defineRule,
  describeEdge,
  edgeLocations,
  enclosingFunction,
  enclosingStatement,
  canonicalKey,
  functionLabel,
  functionName,
  indentationAt,
  isFunctionLike,
  keyLabel,
  keyedLockSource,
  lockAcquisitionOf,
  lockCheckerFor,
  code,
  lockName,
  lockObjectKind,
  parseSql,
  placeholderValue,
  receiverOf,
  reindentedText,
  skipAwait,
  sqlSiteOf,
  ts,
  spanOf,
  isMigrationAt,
  isRetried,
  isInside,
  rowLocksHeldAt,
  sameIdentity,
  transactionScopeOf,
  type CalleeResolver,
  type CallerOrderAcquisition,
  type Fix,
  type FunctionLike,
  type LockKind,
  type LockOrderEdge,
  type ProjectRuleContext,
  type Span,
} from "../server/src/rule-kit";
import { lockRowsFirstSuggestion } from "./lock-rows-first";
import { locksHeldOverCalls } from "./select-then-update/caller-single-flight";

const IN_ORDER = "{{holder}} locks {{lock}} for {{first}} and then for {{second}}";
const SWAPPED = "the order follows the arguments, so two calls with the keys swapped can each hold one lock and {{outcome}}.";
const CALLER_ORDER =
  "in the order its caller listed them, so two calls with overlapping keys listed in different orders can each hold one key and {{outcome}}.";

/** How a two-party deadlock ends, per kind of lock: a database detects it and aborts one side; nothing else does. */
function deadlockOutcome(kind: LockKind, swapped: boolean): string {
  const other = swapped ? "the other" : "a key the other holds";
  return kind === "row-lock" || kind === "pg-advisory" || kind === "mysql-named"
    ? `wait for ${other} until the database detects the deadlock and aborts one of them with an error`
    : `wait forever for ${other}`;
}

/**
 * Who can deadlock on a cycle. A row-lock class stands for every row of a table, so a cycle of row locks only proves
 * that two transactions touching the same rows wait for each other; transactions on different rows do not meet.
 */
function cycleParties(edge: LockOrderEdge, back: readonly LockOrderEdge[]): string {
  const rowsOnly = [edge, ...back].every((e) => e.from.kind === "row-lock" && e.to.kind === "row-lock");
  return rowsOnly ? "Two transactions running these at once on the same rows" : "Two tasks running these at once";
}

export const inconsistentLockOrder = defineRule({
  meta: {
    id: "inconsistent-lock-order",
    description: "Locks taken in opposite orders in different places, or in argument order (`transfer(from, to)`): a deadlock",
    defaultSeverity: "error",
    fixable: true,
    hasSuggestions: true,
    messages: {
      cycle: "Inconsistent lock order: {{here}}, but {{elsewhere}}. {{parties}} can each hold one lock and {{outcome}}.",
      argumentOrder: `${IN_ORDER}: ${SWAPPED}`,
      argumentOrderThroughCalls: `${IN_ORDER} ({{calls}}): ${SWAPPED}`,
      rowsInArgumentOrder: `${IN_ORDER} in one transaction: ${SWAPPED}`,
      rowsInArgumentOrderThroughCalls: `${IN_ORDER} ({{calls}}) in one transaction: ${SWAPPED}`,
      callerOrderLoop: `{{holder}} takes {{lock}} for each of {{keys}} one after the other, keeping each, ${CALLER_ORDER}`,
      callerOrderParallel: `{{holder}} takes {{lock}} for each of {{keys}} at once (\`Promise.all\`), ${CALLER_ORDER}`,
      callerOrderStatement: `{{holder}} takes {{lock}} for each element of {{keys}} in one statement (\`unnest\`, no \`ORDER BY\`), keeping each, ${CALLER_ORDER}`,
    },
  },
  checkProject(context) {
    const declared = context.declaredLocksFor;
    const analysis = analyseLockOrder(context.program, context.sourceFiles, declared);
    const resolve = calleeResolver(context.program, () => context.checker);
    const reported = new Set<string>();
    const once = (edge: LockOrderEdge) => {
      const key = `${edge.site.file}:${edge.site.start}:${edge.from.id}:${edge.to.id}`;
      if (reported.has(key)) return false;
      reported.add(key);
      return true;
    };
    // One finding per function on a cycle, at its first inversion: taking three rows in one order in one function
    // and in another order in a second is one mistake to fix in each, however many pairs of the rows it inverts.
    const open = analysis.cycles.filter(
      ({ edge, back }) =>
        !serialisedByAdvisoryLock(context, resolve, [edge, ...back]) &&
        !meetsOnlyOnClaimedRow(context, [edge, ...back]) &&
        !retriedOnDeadlock(context, resolve, [edge, ...back]),
    );
    const majority = majorityOrder(open);
    for (const cycles of cyclesByHolder(open.filter((c) => !majority.follows(c)))) {
      const { edge, back } = cycles[0]!;
      // Migrations are applied one at a time: a cycle among migrations alone never has both sides running.
      const migration = (fn: LockOrderEdge["holder"]) => isMigrationAt(context.program, fn.file, fn.start);
      if (migration(edge.holder) && back.every((b) => migration(b.holder))) continue;
      if (!once(edge)) continue;
      // The other inversions of this function, one per place (an acquisition can invert several held locks).
      const places = new Set([spanKey(edge.site)]);
      const also = cycles.slice(1).filter((c) => once(c.edge) && !places.has(spanKey(c.edge.site)) && !!places.add(spanKey(c.edge.site)));
      context.report({
        messageId: "cycle",
        data: {
          here: describeEdge(edge),
          elsewhere: back.map(describeEdge).join(", and "),
          parties: cycleParties(edge, back),
          outcome: deadlockOutcome(edge.to.kind, true),
        },
        help: "Take the locks in one order everywhere.",
        span: edge.site,
        related: [
          ...edgeLocations(edge).filter((r) => !sameSpan(r.span, edge.site)),
          ...back.flatMap(edgeLocations),
          ...also.map((c) => ({ span: c.edge.site, message: `also inverted here: ${describeEdge(c.edge)}` })),
          ...majority
            .othersTaking(back)
            .map((other) => ({ span: other.site, message: `also in the other order here: ${describeEdge(other)}` })),
        ],
      });
    }
    for (const edge of analysis.argumentOrders) {
      if (!once(edge)) continue;
      const data = {
        holder: functionLabel(edge.holder),
        lock: lockName(edge.to),
        first: keyLabel(edge.outer.key),
        second: keyLabel(edge.innerKey),
        outcome: deadlockOutcome(edge.to.kind, true),
      };
      const where = {
        help: REMEDIES[edge.to.kind] ?? REMEDIES.default,
        span: edge.site,
        related: edgeLocations(edge).filter((r) => !sameSpan(r.span, edge.site)),
        ...lockAllFix(context, edge),
        ...rowLockSuggestion(context, edge),
      };
      const rows = edge.to.kind === "row-lock";
      if (edge.via.length === 0) context.report({ messageId: rows ? "rowsInArgumentOrder" : "argumentOrder", data, ...where });
      else {
        const messageId = rows ? "rowsInArgumentOrderThroughCalls" : "argumentOrderThroughCalls";
        context.report({ messageId, data: { ...data, calls: describeEdge(edge) }, ...where });
      }
    }
    for (const sourceFile of context.sourceFiles)
      for (const multi of callerOrderAcquisitionsIn(sourceFile, context.program, () => context.checker, declared(sourceFile.fileName))) {
        // Keys every caller (all in view) sorts alike before passing them are taken in one order by every call.
        if (sortedByEveryCaller(multi.holder, multi.parameter, resolve)) continue;
        // Only a second run of the same function can list the keys otherwise: none overlaps one its callers serialise.
        if (runsOneAtATime(multi, resolve, context.program, () => context.checker)) continue;
        // As for a cycle: a deadlock the database detects, in a transaction retried on it, costs a retry.
        if (DATABASE_DETECTED.has(multi.kind) && retriedTransactionOf(multi.node, resolve)) continue;
        // Every row taken shares a key with a row the same transaction locked first: overlapping calls queue on that row.
        if (queuedOnHeldRow(multi, resolve, context.checker)) continue;
        context.report({
          messageId: multi.inOneStatement ? "callerOrderStatement" : multi.parallel ? "callerOrderParallel" : "callerOrderLoop",
          data: {
            holder: holderLabel(multi.holder),
            lock: multi.lock,
            keys: code(multi.collection.getText(sourceFile)),
            outcome: deadlockOutcome(multi.kind, false),
          },
          help: multi.inOneStatement ? STATEMENT_ORDER_REMEDY : (CALLER_ORDER_REMEDIES[multi.kind] ?? CALLER_ORDER_REMEDIES.default!),
          span: spanOf(multi.node, sourceFile),
          related: [{ span: spanOf(multi.collection, sourceFile), message: `\`${multi.parameter}\` as the caller passed it, not sorted` }],
          ...sortKeysFix(context, multi),
        });
      }
  },
});

/**
 * No two runs of the function whose parameter lists the keys both take more than one: every production call passing
 * more than one key is awaited under one application lock its callers hold (an indexer's poll loop behind its busy
 * flag, also two calls up). A call passing a one-element array literal (`revoke([log])`) holds one key and waits for
 * none after it, so it cannot close a cycle.
 */
function runsOneAtATime(
  multi: CallerOrderAcquisition,
  resolve: CalleeResolver,
  program: ts.Program,
  checker: () => ts.TypeChecker,
): boolean {
  let fn: FunctionLike | undefined = multi.holder;
  while (fn && !fn.parameters.some((p) => boundNames(p.name).some((id) => id.text === multi.parameter))) fn = enclosingFunction(fn);
  if (!fn) return false;
  const index = fn.parameters.findIndex((p) => boundNames(p.name).some((id) => id.text === multi.parameter));
  const calls = productionCallsOf(fn, resolve);
  if (!calls || calls.length === 0) return false;
  const oneKey = (call: ts.CallExpression) => {
    const argument = call.arguments[index];
    if (!argument || call.arguments.slice(0, index + 1).some(ts.isSpreadElement)) return false;
    const list = skipParens(argument);
    return ts.isArrayLiteralExpression(list) && list.elements.length === 1 && !ts.isSpreadElement(list.elements[0]!);
  };
  const several = calls.filter((call) => !oneKey(call));
  return several.length > 0 && locksHeldOverCalls(several, resolve, program, checker).size > 0;
}

type CycleList = Array<{ edge: LockOrderEdge; back: LockOrderEdge[] }>;

/** The row-lock classes on a cycle, each once. */
function rowClassesOf(edges: readonly LockOrderEdge[]): string[] {
  return [
    ...new Set(
      edges
        .flatMap((e) => [e.from, e.to])
        .filter((c) => c.kind === "row-lock")
        .map((c) => c.id),
    ),
  ];
}

/**
 * Every transaction on the cycle takes one transaction-scoped advisory lock, before its first lock of the cycle, keyed
 * by the row it locks of one class of the cycle (the same lock, by the same columns, in each: `lockTeam(tx, teamId)`
 * before `UPDATE team … WHERE id = teamId`): two transactions meeting on that row take that lock first, so one runs
 * after the other's COMMIT and they never hold one lock each.
 */
function serialisedByAdvisoryLock(context: FixContext, resolve: CalleeResolver, edges: readonly LockOrderEdge[]): boolean {
  return rowClassesOf(edges).some((classId) => {
    let common: Set<string> | undefined;
    for (const edge of edges) {
      // The statement of this transaction that locks the class's row: the held lock, or the one it waits for.
      const span =
        edge.from.id === classId ? edge.outer.span : edge.to.id === classId && edge.via.length === 0 ? edge.inner.span : undefined;
      const first = acquisitionAt(context, edge.outer.span);
      const statement = span && acquisitionAt(context, span);
      const row = statement && dbAccessOf(statement);
      const scope = first && (transactionScopeOf(first) ?? projectScopeOf(first, resolve));
      if (!first || !row || !scope) return false;
      const names = advisoryLocksOfRow(first, scope, resolve, row);
      common = new Set(common ? names.filter((n) => common!.has(n)) : names);
      if (common.size === 0) return false;
    }
    return true;
  });
}

/**
 * Every transaction on the cycle is a database's (row locks, advisory locks) and is opened where a retry of it is
 * visible (a retrying call whose function argument opens it, a loop whose `catch` tests for a deadlock, a wrapper's
 * retry): the database aborts one side of a deadlock and that side runs again, so the cycle costs a retry, not an
 * error. A transaction opened by a caller is not known to be retried.
 */
function retriedOnDeadlock(context: FixContext, resolve: CalleeResolver, edges: readonly LockOrderEdge[]): boolean {
  return edges.every((edge) => {
    if (![edge.from.kind, edge.to.kind].every((kind) => DATABASE_DETECTED.has(kind))) return false;
    const first = acquisitionAt(context, edge.outer.span);
    return !!first && retriedTransactionOf(first, resolve);
  });
}

/** The statement runs in a transaction it opens itself (not a caller's) where a retry of that transaction is visible. */
function retriedTransactionOf(statement: ts.Node, resolve: CalleeResolver): boolean {
  const scope = transactionScopeOf(statement) ?? projectScopeOf(statement, resolve);
  return !!scope && scope.form !== "caller" && isRetried(scope);
}

/**
 * Rows taken in the caller's order whose every statement fixes a column to a value that is the same for the whole loop
 * (`where: { exam: examId, position: g.position }`), after the same transaction wrote or write-locked, on every path, a
 * row by that value (`exam.update({ where: { id: examId } })`): two calls whose rows overlap share that value, so the
 * second waits for the first's lock on that row before it takes any row of the loop, and neither can hold one row of
 * the loop while waiting for another.
 */
function queuedOnHeldRow(multi: CallerOrderAcquisition, resolve: CalleeResolver, checker: ts.TypeChecker): boolean {
  if (multi.kind !== "row-lock" || multi.inOneStatement) return false;
  const access = dbAccessOf(multi.node);
  const scope = access && projectScopeOf(multi.node, resolve);
  if (!access || !scope) return false;
  // A value named by the call (a parameter, a local set before the loop), not a literal every call writes alike.
  const sameEachTurn = (value: ts.Expression) => {
    let invariant = true;
    let named = false;
    const visit = (node: ts.Node): void => {
      if (!invariant) return;
      if (ts.isIdentifier(node)) {
        named = true;
        const shorthand = ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node;
        const symbol = shorthand ? checker.getShorthandAssignmentValueSymbol(node.parent) : checker.getSymbolAtLocation(node);
        const declaration = symbol?.valueDeclaration;
        if (!declaration || isInside(declaration, multi.loop)) invariant = false;
      } else ts.forEachChild(node, visit);
    };
    visit(skipParens(value));
    return invariant && named;
  };
  const shared = access.conditions.flatMap((c) => (c.operator === "=" && c.value && sameEachTurn(c.value) ? [c.value] : []));
  if (shared.length === 0) return false;
  const exclusive = new Set(["write", "update", "no key update"]);
  // Held at the statement on every path: taken before the loop (a row an earlier turn took is held on some paths only).
  return rowLocksHeldAt(multi.node, scope, resolve).some(
    (lock) =>
      lock.everyPath &&
      exclusive.has(lock.mode) &&
      !lock.access.insert &&
      lock.access.conditions.some((c) => c.operator === "=" && !!c.value && shared.some((v) => sameIdentity(v, c.value!))),
  );
}

/** Locks whose deadlocks the database detects, aborting one side with an error. */
const DATABASE_DETECTED = new Set<LockKind>(["row-lock", "pg-advisory", "mysql-named"]);

/**
 * The transactions on the cycle take the rows of one class of it by claiming them (an update setting a column its
 * WHERE requires NULL, leaving when no row changed: claim-rows.ts), the same column in each, except at most one that
 * touches only rows that column already names (`eq(media.postId, id)`): two claimers of one row cannot both go on, so
 * a deadlock aborts one that would have found the row taken anyway, and the other side shares no row with a claimer.
 */
function meetsOnlyOnClaimedRow(context: FixContext, edges: readonly LockOrderEdge[]): boolean {
  return rowClassesOf(edges).some((classId) => {
    const columns = new Set<string>();
    const statements: Array<ts.CallExpression | ts.TaggedTemplateExpression> = [];
    const others: Array<ts.CallExpression | ts.TaggedTemplateExpression> = [];
    for (const edge of edges) {
      // The statement of this transaction that takes the class's row: the held lock, or the one it waits for.
      const span =
        edge.from.id === classId ? edge.outer.span : edge.to.id === classId && edge.via.length === 0 ? edge.inner.span : undefined;
      const statement = span && acquisitionAt(context, span);
      if (!statement) return false;
      const column = claimedColumnOf(statement);
      if (column) columns.add(column);
      else others.push(statement);
      statements.push(statement);
    }
    // One claimed column; at most one side that does not claim, and it touches only rows already claimed by someone
    // (its WHERE requires the column to equal a value): it shares no row with a claimer, which finds the row unclaimed.
    const [column] = [...columns];
    return columns.size === 1 && others.length <= 1 && others.every((s) => requiresClaimedBy(s, column!));
  });
}

/**
 * The project's order of two locks, where its functions disagree. On a cycle of two locks taken A → B by more functions
 * than take B → A, the functions taking A → B follow the project's order: the mistake is where B is taken before A, so
 * it is reported there (once per function), with the functions of the project's order as related locations. When as
 * many take each order, neither is the project's, and both sides are reported.
 */
function majorityOrder(cycles: CycleList) {
  const direction = (e: LockOrderEdge) => `${e.from.id}\0${e.to.id}`;
  const reverse = (e: LockOrderEdge) => `${e.to.id}\0${e.from.id}`;
  // One edge per function and direction: who takes A while holding B, and where.
  const takers = new Map<string, Map<string, LockOrderEdge>>();
  for (const { edge, back } of cycles) {
    if (back.length !== 1) continue;
    for (const e of [edge, back[0]!]) {
      const byHolder = takers.get(direction(e)) ?? new Map<string, LockOrderEdge>();
      if (!byHolder.has(e.holder.id)) byHolder.set(e.holder.id, e);
      takers.set(direction(e), byHolder);
    }
  }
  const count = (key: string) => takers.get(key)?.size ?? 0;
  return {
    /** The cycle's edge takes its two locks in the project's order (the other order is the one to fix). */
    follows: ({ edge, back }: CycleList[number]) => back.length === 1 && count(direction(edge)) > count(reverse(edge)),
    /** The functions other than the cycle's own that take the way back's two locks in the same order (at most five). */
    othersTaking: (back: readonly LockOrderEdge[]): LockOrderEdge[] =>
      back.length !== 1
        ? []
        : [...(takers.get(direction(back[0]!))?.values() ?? [])].filter((e) => e.holder.id !== back[0]!.holder.id).slice(0, 5),
  };
}

/** The cycles grouped by the function holding the outer lock, each group in source order. */
function cyclesByHolder(cycles: CycleList): Array<CycleList> {
  const groups = new Map<string, CycleList>();
  for (const cycle of cycles) {
    const group = groups.get(cycle.edge.holder.id) ?? [];
    group.push(cycle);
    groups.set(cycle.edge.holder.id, group);
  }
  const bySite = (a: CycleList[number], b: CycleList[number]) =>
    a.edge.site.file === b.edge.site.file ? a.edge.site.start - b.edge.site.start : a.edge.site.file < b.edge.site.file ? -1 : 1;
  return [...groups.values()].map((group) => group.sort(bySite));
}

/** How to take many keys in one order, per kind of lock. */
const CALLER_ORDER_REMEDIES: Partial<Record<LockKind | "default", string>> = {
  "row-lock":
    "Lock the rows in one statement, in key order (`SELECT ... WHERE id = ANY($1) ORDER BY id FOR UPDATE`), or sort the keys first.",
  // Separate acquisitions sent at once race on the network whatever their order: one call takes them together.
  redlock: "Take all the keys with one `redlock.acquire(keys, ttl)` call, which acquires them together.",
  default: "Sort the keys first (`[...keys].sort()`), so that every caller takes them in the same order.",
};

/** How to lock an array's keys in one order in one statement. */
const STATEMENT_ORDER_REMEDY =
  "Take the locks in key order: `SELECT pg_advisory_xact_lock(k) FROM unnest($1) AS k ORDER BY k` (PostgreSQL calls the lock function after sorting), or sort the array first (`[...keys].sort()`).";

/** The named function a callback belongs to: "`execute`" for the callback of `transactional` inside `execute`. */
function holderLabel(fn: FunctionLike): string {
  for (let current: FunctionLike | undefined = fn; current; current = enclosingFunction(current)) {
    const name = functionName(current);
    if (name !== "<anonymous>") return code(name);
  }
  return "an anonymous function";
}

/**
 * `[...keys].sort()` in place of the collection, when its elements are the keys themselves (any fixed order will do,
 * so the default sort is enough). A safe fix when nothing uses the order of the results (the loop body is the
 * acquisition alone, or the `Promise.all` result is discarded); a suggestion otherwise.
 */
function sortKeysFix(context: FixContext, multi: CallerOrderAcquisition): { fixes?: Fix[]; suggestions?: Fix[] } {
  if (!multi.elementIsKey || multi.kind === "redlock") return {};
  const sourceFile = multi.collection.getSourceFile();
  const fixer = context.fixerFor(sourceFile);
  const collection = multi.collection.getText(sourceFile);
  const fix = fixer.fix(`Sort ${code(collection)} first`, fixer.replace(multi.collection, `[...${collection}].sort()`));
  return resultOrderUnused(multi) ? { fixes: [fix] } : { suggestions: [fix] };
}

function resultOrderUnused(multi: CallerOrderAcquisition): boolean {
  if (multi.inOneStatement) return resultDiscarded(multi.node);
  if (ts.isForOfStatement(multi.loop)) {
    const body = multi.loop.statement;
    const only = ts.isBlock(body) ? (body.statements.length === 1 ? body.statements[0] : undefined) : body;
    return !!only && ts.isExpressionStatement(only) && skipAwait(only.expression) === multi.node;
  }
  const all = multi.loop.parent; // Promise.all(keys.map(...))
  return ts.isCallExpression(all) && resultDiscarded(all);
}

/** `await call;` (or `call;`) as a statement of its own: nothing reads what it returns. */
function resultDiscarded(call: ts.Node): boolean {
  let outer = call;
  while (ts.isAwaitExpression(outer.parent) || ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  return ts.isExpressionStatement(outer.parent);
}

/** What a fix needs from the project context. */
type FixContext = Pick<ProjectRuleContext, "program" | "checker" | "fixerFor">;

/** How to take two instances in one order, per kind of lock. */
const REMEDIES: Partial<Record<LockKind | "default", string>> = {
  "row-lock": "Lock the rows first, in key order, with one `SELECT ... WHERE id = ANY($1) ORDER BY id FOR UPDATE`.",
  mutex: "Take both with the runtime's `lockAll` (canonical order), or sort the keys first.",
  "keyed-lock": "Take both with the runtime's `lockAll` (canonical order), or sort the keys first.",
  default: "Sort the keys first, so that every caller takes them in the same order.",
};

function spanKey(span: Span): string {
  return `${span.file}:${span.start}`;
}

function sameSpan(a: Span, b: Span): boolean {
  return a.file === b.file && a.start === b.start && a.end === b.end;
}

/** The call expression at a span of one of the analysed files. */
function callAt(context: FixContext, span: Span): ts.CallExpression | undefined {
  const node = acquisitionAt(context, span);
  return node && ts.isCallExpression(node) ? node : undefined;
}

/** The call or tagged template (an acquisition, a statement) at a span of one of the analysed files. */
function acquisitionAt(context: FixContext, span: Span): ts.CallExpression | ts.TaggedTemplateExpression | undefined {
  const sourceFile = context.program.getSourceFile(span.file);
  let found: ts.CallExpression | ts.TaggedTemplateExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (found || span.start < node.pos || span.start >= node.end) return;
    if (
      (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) &&
      node.getStart(sourceFile) === span.start &&
      node.end === span.end
    ) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  if (sourceFile) visit(sourceFile);
  return found;
}

/**
 * Nested scoped acquisitions whose outer body is nothing but the inner acquisition become one ordered multi-lock:
 * `locks.lock(from, () => locks.lock(to, fn))` → `locks.lockAll([from, to], fn)` (runtime LockManager), and
 * `mutexFor(from).run(() => mutexFor(to).run(fn))` → `lockAll([mutexFor(from), mutexFor(to)], fn)` (runtime Mutex).
 * Both sort by a canonical key and release in reverse. Other shapes get no fix: rewriting them could change what
 * runs under which lock.
 */
function lockAllFix(context: FixContext, edge: LockOrderEdge): { fixes?: Fix[] } {
  if (edge.via.length > 0 || !edge.outer.scoped || !edge.inner.scoped) return {};
  const outerCall = callAt(context, edge.outer.span);
  const innerCall = callAt(context, edge.inner.span);
  if (!outerCall || !innerCall) return {};
  const outer = lockAcquisitionOf(
    outerCall,
    lockCheckerFor(context.program, () => context.checker),
  );
  const inner = lockAcquisitionOf(
    innerCall,
    lockCheckerFor(context.program, () => context.checker),
  );
  if (!outer?.callback || !inner?.callback || !outer.lockObject || !inner.lockObject) return {};
  if (outer.callback.parameters.length > 0 || !bodyIsOnly(outer.callback, innerCall, outerCall)) return {};
  if (outerCall.arguments.length !== innerCall.arguments.length) return {};
  const sourceFile = outerCall.getSourceFile();
  const text = (node: ts.Node) => node.getText(sourceFile);
  const kind = lockObjectKind(outer.lockObject, () => context.checker);
  if (kind?.library !== "runtime") return {};
  const fixer = context.fixerFor(sourceFile);
  // The inner callback moves out of one nesting level: its lines move to the outer call's indentation.
  const from = indentationAt(sourceFile, innerCall.getStart(sourceFile));
  const to = indentationAt(sourceFile, outerCall.getStart(sourceFile));
  const callback = inner.callback;
  const innerCallback =
    from.length > to.length ? reindentedText(sourceFile, callback.getStart(sourceFile), callback.getEnd(), { from, to }) : text(callback);

  if (
    kind.mechanism === "keyed-lock" &&
    outer.key &&
    inner.key &&
    outerCall.arguments.length === 2 &&
    text(outer.lockObject) === text(inner.lockObject)
  ) {
    const multiLock = `${text(outer.lockObject)}.lockAll([${text(outer.key)}, ${text(inner.key)}], ${innerCallback})`;
    return { fixes: [fixer.fix("Take both keys with `lockAll` (sorted order)", fixer.replace(outerCall, multiLock))] };
  }
  const outerKeyed = keyedLockSource(outer.lockObject);
  const innerKeyed = keyedLockSource(inner.lockObject);
  if (
    kind.mechanism === "mutex" &&
    outerKeyed &&
    innerKeyed &&
    outerCall.arguments.length === 1 &&
    text(outerKeyed.container) === text(innerKeyed.container)
  ) {
    const multiLock = `lockAll([${text(outer.lockObject)}, ${text(inner.lockObject)}], ${innerCallback})`;
    const title = "Take both mutexes with `lockAll` (sorted order)";
    return { fixes: [fixer.fix(title, fixer.runtimeImport(["lockAll"]), fixer.replace(outerCall, multiLock))] };
  }
  return {};
}

/**
 * Rows updated in argument order with node-postgres: lock both first, in key order, with one statement on the same
 * client, inserted before the first update. A suggestion: it adds a statement (and a lock) to the transaction.
 */
function rowLockSuggestion(context: FixContext, edge: LockOrderEdge): { suggestions?: Fix[] } {
  if (edge.to.kind !== "row-lock" || edge.via.length > 0) return {};
  const outerCall = callAt(context, edge.outer.span);
  const innerCall = callAt(context, edge.inner.span);
  const outerSite = outerCall && sqlSiteOf(outerCall);
  const innerSite = innerCall && sqlSiteOf(innerCall);
  if (outerCall && innerCall && !outerSite && !innerSite) {
    const orm = lockRowsFirstSuggestion(context, outerCall, innerCall);
    return orm ? { suggestions: [orm] } : {};
  }
  if (!outerCall || !innerCall || !outerSite || !innerSite) return {};
  const client = receiverOf(outerCall);
  const innerClient = receiverOf(innerCall);
  if (!client || !innerClient || canonicalKey(client) !== canonicalKey(innerClient) || !/\.query$/.test(outerCall.expression.getText()))
    return {};
  const outerKey = rowKey(outerCall, outerSite.sql);
  const innerKey = rowKey(innerCall, innerSite.sql);
  const table = parseSql(outerSite.sql).table;
  const statement = enclosingStatement(outerCall);
  if (!outerKey || !innerKey || !table || outerKey.column !== innerKey.column || !/^[a-z_][a-z0-9_.]*$/i.test(`${table}${outerKey.column}`))
    return {};
  if (!statement || !ts.isBlock(statement.parent)) return {};
  const column = outerKey.column;
  const sourceFile = outerCall.getSourceFile();
  const fixer = context.fixerFor(sourceFile);
  const indent = indentationAt(sourceFile, statement.getStart(sourceFile));
  const lockRows = `await ${client.getText(sourceFile)}.query("SELECT ${column} FROM ${table} WHERE ${column} = ANY($1) ORDER BY ${column} FOR UPDATE", [[${outerKey.value}, ${innerKey.value}]]);\n${indent}`;
  return { suggestions: [fixer.fix(`Lock both ${table} rows first, in ${column} order`, fixer.insertBefore(statement, lockRows))] };
}

/** The `column = $n` a pg query locks its row by, with the text of the value bound to `$n`. */
function rowKey(call: ts.CallExpression, sql: string): { column: string; value: string } | undefined {
  const condition = parseSql(sql).conditions.find(
    (c) => c.operator === "=" && c.placeholders.length === 1 && /^\$\d+$/.test(c.expression.trim()),
  );
  const value = condition && placeholderValue(call, condition.placeholders[0]!);
  return condition && value ? { column: condition.column, value: value.getText() } : undefined;
}

/**
 * The outer callback only runs the inner acquisition: `() => inner`, `async () => { return await inner; }`, or
 * `async () => { await inner; }` when the outer call's result is not used (lockAll returns the inner result).
 */
function bodyIsOnly(callback: FunctionLike, innerCall: ts.CallExpression, outerCall: ts.CallExpression): boolean {
  const body = callback.body;
  if (!body) return false;
  if (!ts.isBlock(body)) return skipAwait(body as ts.Expression) === innerCall;
  if (body.statements.length !== 1) return false;
  const only = body.statements[0]!;
  if (ts.isReturnStatement(only)) return !!only.expression && skipAwait(only.expression) === innerCall;
  if (!ts.isExpressionStatement(only) || skipAwait(only.expression) !== innerCall) return false;
  let outer: ts.Node = outerCall;
  while (ts.isAwaitExpression(outer.parent) || ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  return ts.isExpressionStatement(outer.parent) && !isFunctionLike(outer.parent);
}
