// lock-across-await: an `await` of a slow or external operation (HTTP, SDK clients, sleeps, child processes, or a
// project function that awaits one) while a lock is held: an in-process mutex's critical section, a distributed lease,
// or a transaction that already holds row locks or a transaction-scoped advisory lock. Other callers wait for the slow
// call; a lease can expire mid-call and let a second holder in.
import {
  acquisitionPaths,
  allLockAcquisitionsIn,
  boundNames,
  calleeResolver,
  code,
  dbAccessOf,
  defineRule,
  enclosingFunction,
  enclosingStatement,
  functionName,
  indentationAt,
  isFreshPerCallKey,
  isFunctionLike,
  isInside,
  lineOf,
  locksHeldAt,
  losersSkip,
  nodesOfKinds,
  numberValue,
  onlyExpires,
  perCallLock,
  propertyValue,
  reindentedText,
  renewedByTaker,
  rowLockDescription,
  sentenceStart,
  skipParens,
  slowCallFinderFor,
  spanOf,
  ts,
  walk,
  xactLockDescription,
  skipAwait,
  variableDeclarationOf,
  type AccessCondition,
  type DbAccess,
  type Fix,
  type Fixer,
  type HeldLock,
  type LockAcquisition,
  type RowLock,
  type SlowCallEntry,
  type SlowCallFinder,
  type SlowPath,
} from "../server/src/rule-kit";
import { carriesStateAcross, checkedThenRecorded } from "./state-across-call";

/** Methods that change the collection they are called on. */
const MUTATORS = /^(set|add|push|unshift|splice|delete|clear)$/;

export const lockAcrossAwait = defineRule({
  meta: {
    id: "lock-across-await",
    description:
      "An await of a slow or external operation (HTTP, SDK, sleep, child process) while a lock, lease or transaction's row locks are held.",
    defaultSeverity: "warn",
    hasSuggestions: true,
    messages: {
      underMutex:
        "{{call}} {{reason}}, and it is awaited while holding {{lock}}: every other caller waiting for {{lock}} waits for it too.",
      underLease:
        "{{call}} {{reason}}, and it is awaited while holding {{lock}}: every other process waiting for {{lock}} waits for it too.",
      underExpiringLease:
        "{{call}} {{reason}}, and it is awaited while holding {{lock}}: if it outlasts the lease, the lock expires mid-call and a second holder can enter the critical section while this one is still in it.",
      onSomePaths:
        "{{call}} {{reason}}, and it is awaited where {{lock}} is held on some paths but not on all (released or never taken on the others): on those paths, everything waiting for it waits for this call too.",
      rowLocksOnSomePaths:
        "{{call}} {{reason}}, and it is awaited where {{transaction}} holds row locks on some paths but not on all (taken by {{rowLock}} on some, never taken or already released on the others): on those paths, a transaction that writes or locks those rows waits for as long as the call takes.",
      perCallLock:
        "{{lock}} is created by each call of {{fn}} (line {{line}}) and taken only by that call: no other call ever waits for it, so it excludes nothing, and the awaited section it guards (line {{awaitLine}}) interleaves with every other call's.",
      inLockingTransaction:
        "{{call}} {{reason}}, and it is awaited while {{transaction}} holds row locks (taken by {{rowLock}}) until COMMIT/ROLLBACK: a transaction that writes or locks those rows waits for as long as the call takes, and the connection stays checked out of the pool meanwhile.",
      inAdvisoryLockedTransaction:
        "{{call}} {{reason}}, and it is awaited while {{transaction}} holds {{lock}} until COMMIT/ROLLBACK: every transaction taking the same lock waits for it, and the connection stays checked out of the pool meanwhile.",
    },
    optionsSchema: {
      type: "object",
      properties: {
        slowCalls: {
          type: "array",
          items: {
            anyOf: [
              { type: "string" },
              {
                type: "object",
                properties: { module: { type: "string" }, call: { type: "string" }, reason: { type: "string" } },
                required: ["call"],
                additionalProperties: false,
              },
            ],
          },
          description:
            "Further slow calls, added to the defaults: a call name, or { module?: string, call: string ('*' for any), reason?: string }.",
        },
      },
      additionalProperties: false,
    },
    defaultOptions: { slowCalls: [] as SlowCallOption[] },
  },
  checkFile(context) {
    const checker = () => context.checker;
    const resolve = calleeResolver(context.program, checker);
    const awaits = nodesOfKinds<ts.AwaitExpression>(context.sourceFile, [ts.SyntaxKind.AwaitExpression]);
    if (awaits.length === 0) return;
    const acquisitions = allLockAcquisitionsIn(context.sourceFile, context.program, checker, context.settings.declaredLocks);
    for (const { acquisition, declaration, guarded } of perCallLocks(acquisitions, awaits))
      context.report({
        messageId: "perCallLock",
        data: {
          lock: sentenceStart(acquisition.label),
          fn: code(functionName(enclosingFunction(declaration)!)),
          line: lineOf(declaration),
          awaitLine: lineOf(guarded),
        },
        help: "Create the lock once, at module level or as a field of a long-lived object, so that every call takes the same one.",
        span: spanOf(acquisition.call, context.sourceFile),
        related: [{ span: spanOf(declaration, context.sourceFile), message: "a new lock for every call" }],
      });
    let finder: SlowCallFinder | undefined;
    const slowPaths = new Map<ts.AwaitExpression, SlowPath | undefined>();
    const slowPathOf = (node: ts.AwaitExpression) => {
      if (!finder) {
        const configured = context.options.slowCalls.map(slowCallEntry);
        finder = slowCallFinderFor(context.program, context.checker, [...configured, ...(context.settings.extraSlowCalls ?? [])]);
      }
      if (!slowPaths.has(node)) slowPaths.set(node, finder.slowPathOf(node.expression));
      return slowPaths.get(node);
    };
    // Awaited work that is not (part of) a slow call: `await repo.load(id)`, not `await (await fetch(u)).json()`.
    const isOtherWork = (node: ts.AwaitExpression, throttle: boolean) => {
      if (throttle && readsSlowResponse(node)) return false;
      let slow = !!slowPathOf(node);
      walk(node, (inner) => {
        if (!slow && ts.isAwaitExpression(inner)) slow = !!slowPathOf(inner);
        return !slow;
      });
      return !slow;
    };
    // Reading the body of a slow call's response (`const res = await fetch(u)`, then `await res.json()`) finishes that
    // call: it is not other work held under the lock.
    const readsSlowResponse = (node: ts.AwaitExpression) => {
      const call = skipParens(node.expression);
      if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression)) return false;
      const receiver = skipParens(call.expression.expression);
      if (!ts.isIdentifier(receiver)) return false;
      const declaration = context.checker.getSymbolAtLocation(receiver)?.valueDeclaration;
      if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return false;
      const init = skipParens(declaration.initializer);
      return ts.isAwaitExpression(init) && !!slowPathOf(init);
    };
    // A mutex whose section assigns nothing declared outside it (no cache, no shared field) only queues the calls.
    // A mutex whose section changes nothing declared outside it (no cache assigned or filled, no shared field) only
    // queues the calls.
    const isThrottle = (lock: HeldLock) => {
      const section = lock.callback ?? sectionOf(lock)?.statements[0]?.parent;
      if (!section) return false;
      const outside = (expr: ts.Expression) => {
        let target = skipParens(expr);
        while (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) target = skipParens(target.expression);
        const declaration = ts.isIdentifier(target) ? context.checker.getSymbolAtLocation(target)?.valueDeclaration : undefined;
        return !declaration || !isInside(declaration, section);
      };
      let writes = false;
      walk(section, (inner) => {
        if (writes) return false;
        const kind = ts.isBinaryExpression(inner) ? inner.operatorToken.kind : undefined;
        if (kind !== undefined && kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment)
          writes = outside((inner as ts.BinaryExpression).left);
        else if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && MUTATORS.test(inner.expression.name.text))
          writes = outside(inner.expression.expression);
        return !writes;
      });
      return !writes;
    };
    // An in-process mutex around nothing but the slow call is a deliberate single-flight (one refresh at a time):
    // it costs only when the section also does other awaited work that callers could not run meanwhile.
    const isSingleFlight = (lock: HeldLock, node: ts.AwaitExpression) =>
      lock.kind === "mutex" &&
      !awaits.some((other) => other !== node && lock.holds!(other) && isOtherWork(other, isThrottle(lock))) &&
      !carriesStateAcross(sectionOf(lock)?.statements ?? [], node);
    for (const node of awaits) {
      const held = locksHeldAt(node, context.program, checker, context.settings.declaredLocks);
      if (held.length === 0) continue;
      const path = slowPathOf(node);
      if (!path) continue;
      // A lease its helper (or its taker, through a renewal timer it starts) keeps renewing: it cannot expire under its holder. Nobody waits for it when the others skip
      // the work (a try-lease), and the wait is the lock's purpose when the call is what the section decided from
      // what it read under the lock (create the code only if none exists): moving the call out reopens the race.
      const renewed = (lock: HeldLock) =>
        lock.kind === "lease" &&
        ((!lock.expires && lock.acquisition?.wrapper?.renewed === true) ||
          (lock.expires && !!lock.acquisition && renewedByTaker(lock.acquisition, resolve)));
      const nobodyWaits = (lock: HeldLock) =>
        // A flag or busy key tested and set in one step: the other callers turn away, none waits.
        lock.kind === "flag" ||
        (renewed(lock) && (lock.acquisition!.style === "try" || decidedUnderLock(lock, node, context.checker))) ||
        // An in-process lock around a call made only when a re-check under it still finds the call needed (double-checked
        // single-flight): the waiters wait for its result instead of repeating it, which is the lock's purpose.
        (lock.kind === "mutex" && decidedUnderLock(lock, node, context.checker)) ||
        // A try-lock that cannot expire (a session advisory lock, a SET NX without expiry) whose losers leave: nobody
        // waits for it, and no second holder can get in while this one is slow.
        (lock.kind === "lease" && !lock.expires && !!lock.acquisition && losersSkip(lock.acquisition)) ||
        // A try-lease whose losers leave, around a call aborted before the lease can expire: nobody waits for it, and
        // no second holder can get in while this one is slow.
        (lock.kind === "lease" &&
          lock.expires &&
          !!lock.acquisition &&
          losersSkip(lock.acquisition) &&
          abortedWithinLease(path.slow.call, lock.acquisition)) ||
        // A lease of a constant that nothing releases is a rate limit that ends by expiring, not a section to wait out.
        (lock.kind === "lease" && !!lock.acquisition && onlyExpires(lock.acquisition)) ||
        // A lock that cannot expire around a check of state read under it, the call, and a record of it into that state.
        (lock.kind !== "transaction" && !lock.expires && !!lock.holds && checkedThenRecorded(node, lock.holds)) ||
        // A key holding a value this call generates (`run:${createId()}`): no other call can ask for it.
        (lock.kind === "lease" && !!lock.acquisition && isFreshPerCallKey(lock.acquisition, context.checker));
      const relevant = held.filter((lock) => !isSingleFlight(lock, node) && !nobodyWaits(lock) && !onlyNewRows(lock));
      if (relevant.length === 0) continue;
      const lock = relevant.sort((a, b) => priority(a) - priority(b))[0]!;
      const related = [
        {
          span: spanOf(lock.takenAt, context.sourceFile),
          message:
            lock.kind !== "transaction"
              ? `${lock.label} taken here`
              : lock.transaction!.advisoryLock
                ? "advisory lock taken here, held until COMMIT/ROLLBACK"
                : "row locks taken here, held until COMMIT/ROLLBACK",
        },
        ...(path.steps.length > 0 ? [{ span: spanOf(path.slow.call), message: `${code(path.slow.name)} called here` }] : []),
      ];
      const move = relevant.length === 1 ? moveBeforeLock(node, lock, context.checker, context.fixer) : undefined;
      const where = {
        help: lock.kind === "transaction" ? TRANSACTION_ADVICE : ADVICE,
        span: spanOf(node, context.sourceFile),
        related,
        suggestions: move ? [move] : [],
      };
      const slow = slowCallData(path);
      if (!lock.everyPath) {
        // Released in one branch only, or taken in one: held on some paths here, not all; the message does not claim more.
        if (lock.kind === "transaction" && lock.transaction && !lock.transaction.advisoryLock && lock.transaction.rowLocks.length > 0)
          context.report({
            messageId: "rowLocksOnSomePaths",
            data: { ...slow, transaction: lock.label, rowLock: namedRowLock(lock.transaction.rowLocks) },
            ...where,
          });
        else context.report({ messageId: "onSomePaths", data: { ...slow, lock: lock.label }, ...where });
      } else if (lock.transaction?.advisoryLock) {
        const advisory = xactLockDescription(lock.transaction.advisoryLock);
        context.report({ messageId: "inAdvisoryLockedTransaction", data: { ...slow, transaction: lock.label, lock: advisory }, ...where });
      } else if (lock.kind === "transaction") {
        const rowLock = namedRowLock(lock.transaction!.rowLocks);
        context.report({ messageId: "inLockingTransaction", data: { ...slow, transaction: lock.label, rowLock }, ...where });
      } else {
        const messageId = lock.kind === "mutex" ? "underMutex" : lock.expires ? "underExpiringLease" : "underLease";
        context.report({ messageId, data: { ...slow, lock: lock.label }, ...where });
      }
    }
  },
});

/**
 * The slow call is given an abort signal that fires sooner than the lease expires: `signal: AbortSignal.timeout(ms)`
 * (directly or through a local), or `signal: controller.signal` where its function aborts that controller from
 * `setTimeout(() => controller.abort(), ms)`; both durations written as numbers (constants included).
 */
function abortedWithinLease(call: ts.CallExpression | ts.NewExpression, acquisition: LockAcquisition): boolean {
  let lease: LockAcquisition | undefined = acquisition;
  for (let depth = 0; lease && lease.ttlMs === undefined && depth < 4; depth++)
    lease = lease.wrapper && "inferred" in lease.wrapper.source ? lease.wrapper.source.inferred : undefined;
  const ttl = lease?.ttlMs;
  const fn = enclosingFunction(call);
  if (ttl === undefined || !fn?.body) return false;
  const timeoutOf = (expr: ts.Expression | undefined): number | undefined => {
    const node = expr && skipParens(expr);
    if (node && ts.isCallExpression(node) && node.expression.getText() === "AbortSignal.timeout" && node.arguments[0])
      return numberValue(node.arguments[0]);
    return undefined;
  };
  const signal = (call.arguments ?? []).flatMap((a) => {
    const options = skipParens(a);
    return ts.isObjectLiteralExpression(options) ? [propertyValue(options, "signal")] : [];
  })[0];
  if (!signal) return false;
  const bare = skipParens(signal);
  let bound = timeoutOf(bare) ?? (ts.isIdentifier(bare) ? timeoutOf(variableDeclarationOf(bare)?.initializer) : undefined);
  if (bound === undefined && ts.isPropertyAccessExpression(bare) && bare.name.text === "signal") {
    const controller = bare.expression.getText();
    for (const timer of nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression])) {
      const [callback, delay] = timer.arguments;
      if (timer.expression.getText() !== "setTimeout" || !callback || !delay || !isFunctionLike(skipParens(callback))) continue;
      const aborts = nodesOfKinds<ts.CallExpression>(skipParens(callback), [ts.SyntaxKind.CallExpression]).some(
        (c) => c.expression.getText() === `${controller}.abort`,
      );
      const ms = aborts ? numberValue(delay) : undefined;
      if (ms !== undefined) bound = Math.min(bound ?? ms, ms);
    }
  }
  return bound !== undefined && bound < ttl;
}

/** The row lock a message names: one held on every path, one on a row that was there before (not inserted here) first. */
function namedRowLock(rowLocks: readonly RowLock[]): string {
  const named = [...rowLocks.filter((l) => !isNewRow(l)), ...rowLocks];
  return rowLockDescription(named.find((l) => l.everyPath) ?? named[0]!);
}

/**
 * A transaction whose only row locks are the rows it inserted (a Prisma `create`, an INSERT without ON CONFLICT … UPDATE):
 * no other transaction can see an uncommitted new row, so nobody waits on it.
 */
function onlyNewRows(lock: HeldLock): boolean {
  const transaction = lock.transaction;
  return (
    lock.kind === "transaction" &&
    !!transaction &&
    !transaction.advisoryLock &&
    transaction.rowLocks.length > 0 &&
    transaction.rowLocks.every((rowLock) => isNewRow(rowLock) || writesCreatedRow(rowLock))
  );
}

/**
 * A write of the row an insert through the same transaction returned (`const studio = await Studio.create(…, {
 * transaction })`, then `studio.save({ transaction })`, or an update `where: { id: shipment.id }` after `const shipment =
 * await tx.shipment.create(…)`): the row is still new, invisible to every other transaction until COMMIT, so its lock
 * keeps nobody waiting either.
 */
function writesCreatedRow(rowLock: RowLock): boolean {
  if (rowLock.mode !== "write" || rowLock.chain) return false;
  const access = rowLock.access;
  const target = access.entity ? skipParens(access.entity) : createdRowKey(access.conditions);
  if (!target || !ts.isIdentifier(target)) return false;
  const declaration = variableDeclarationOf(target);
  if (!declaration?.initializer || !ts.isIdentifier(declaration.name)) return false;
  if (!(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) return false;
  const created = skipAwait(declaration.initializer);
  if (!ts.isCallExpression(created) || UPSERT.test(created.getText())) return false;
  const insert = dbAccessOf(created);
  const through = insert?.insert ? transactionThrough(insert) : sequelizeCreateThrough(created, access);
  return through !== undefined && through === transactionThrough(access);
}

/**
 * `Model.create(values, { transaction })` beside a Sequelize instance write: the transaction option it runs through
 * (the Sequelize recogniser reads no `create`, which inserts one new row).
 */
function sequelizeCreateThrough(call: ts.CallExpression, write: DbAccess): string | undefined {
  if (write.library !== "sequelize" || !ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== "create")
    return undefined;
  return propertyValue(call.arguments[1], "transaction")?.getText();
}

/** The text of the handle or transaction option a statement runs through (`tx`, `{ transaction }`'s `transaction`). */
function transactionThrough(access: DbAccess): string | undefined {
  return (access.transactionOption ?? access.handle)?.getText();
}

/** The row a write's WHERE pins by its id to another row's id (`{ id: shipment.id }`): that row's variable. */
function createdRowKey(conditions: readonly AccessCondition[]): ts.Expression | undefined {
  for (const { column, value } of conditions) {
    const read = value && skipParens(value);
    if (read && ts.isPropertyAccessExpression(read) && ID_COLUMN.test(column) && read.name.text === column) return read.expression;
  }
  return undefined;
}

const ID_COLUMN = /^_?id$/i;

/** A row lock on a row the statement inserts (not an upsert, which may update the row already there). */
function isNewRow(rowLock: RowLock): boolean {
  return rowLock.mode === "write" && rowLock.access.insert === true && !UPSERT.test(rowLock.access.node.getText());
}

/** An insert that updates the row already there: INSERT … ON CONFLICT DO UPDATE, ON DUPLICATE KEY UPDATE, REPLACE, merge(). */
const UPSERT =
  /\bON\s+CONFLICT\b[\s\S]*\bDO\s+UPDATE\b|\bON\s+DUPLICATE\s+KEY\b|\bREPLACE\s+INTO\b|\bonConflictDoUpdate\b|\bonDuplicateKeyUpdate\b|\.merge\(|\bupsert/i;

/**
 * Whether `node` runs only on a branch of a condition that tests a value awaited while `lock` was held (`const found =
 * await db.find(…)` after the acquisition, then `if (!found) await api.create(…)`): the call is the section's decision.
 */
function decidedUnderLock(lock: HeldLock, node: ts.AwaitExpression, checker: ts.TypeChecker): boolean {
  const fn = enclosingFunction(node);
  for (let current: ts.Node = node; current.parent && current !== fn; current = current.parent) {
    const parent = current.parent;
    const condition =
      ts.isIfStatement(parent) && parent.expression !== current
        ? parent.expression
        : ts.isConditionalExpression(parent) && parent.condition !== current
          ? parent.condition
          : undefined;
    if (condition && readNames(condition).some((id) => awaitedUnderLock(id, lock, fn, checker))) return true;
  }
  return false;
}

/** `id` names a local of `fn` whose initializer awaits something while `lock` is held. */
function awaitedUnderLock(id: ts.Identifier, lock: HeldLock, fn: ts.Node | undefined, checker: ts.TypeChecker): boolean {
  const declaration = checker.getSymbolAtLocation(id)?.valueDeclaration;
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer || enclosingFunction(declaration) !== fn)
    return false;
  const awaited = nodesOfKinds<ts.AwaitExpression>(declaration.initializer, [ts.SyntaxKind.AwaitExpression]);
  return (ts.isAwaitExpression(declaration.initializer) ? [declaration.initializer] : awaited).some((a) => lock.holds?.(a) === true);
}

/** The locks of a file made by each call for itself (see `perCallLock`), with an await of the section each guards. */
function perCallLocks(
  acquisitions: readonly LockAcquisition[],
  awaits: readonly ts.AwaitExpression[],
): Array<{ acquisition: LockAcquisition; declaration: ts.VariableDeclaration; guarded: ts.AwaitExpression }> {
  return acquisitions.flatMap((acquisition) => {
    const declaration = perCallLock(acquisition);
    if (!declaration) return [];
    const callback = acquisition.style === "scoped" ? acquisition.callback : undefined;
    const guarded = awaits.find((node) =>
      callback ? enclosingFunction(node) === callback : node !== acquisition.call.parent && acquisitionPaths(acquisition).heldAt(node),
    );
    return guarded ? [{ acquisition, declaration, guarded }] : [];
  });
}

const ADVICE =
  "Move the call before the critical section when its inputs are ready before the lock, or split the section: read under the lock, make the call without it, then re-acquire and re-validate (see the rule's documentation).";

/**
 * For a transaction: the trade-off of keeping the call inside it (its failure rolls the write back) and the two usual
 * ways to keep that without holding the rows across the call.
 */
const TRANSACTION_ADVICE =
  "Make the call before the transaction when its inputs are ready, or after COMMIT. If it is inside so that its failure rolls the write back, commit first and undo the write with a compensating update when the call fails, or commit an outbox row with the write and make the call from it (see the rule's documentation).";

/** A `slowCalls` entry as written in the configuration: a bare name, or an object whose reason may be left out. */
type SlowCallOption = string | { module?: string; call: string; reason?: string };

const CONFIGURED = "is configured as slow";

function slowCallEntry(option: SlowCallOption): SlowCallEntry {
  return typeof option === "string" ? { call: option, reason: CONFIGURED } : { ...option, reason: option.reason ?? CONFIGURED };
}

/**
 * The awaited call and why it is slow: "`fetch`" + "makes an HTTP request", or, through project functions,
 * "`enrich`" + "calls `loadRates`, which calls `fetch`, which makes an HTTP request".
 */
function slowCallData(path: SlowPath): { call: string; reason: string } {
  const [first, ...rest] = [...path.steps.map((s) => s.name), path.slow.name].map(code);
  return { call: first!, reason: rest.length === 0 ? path.slow.reason : `calls ${rest.join(", which calls ")}, which ${path.slow.reason}` };
}

/** Which held lock a finding names: an expiring lease first (the worst outcome), then a transaction, then a mutex. */
function priority(lock: HeldLock): number {
  return lock.kind === "lease" ? (lock.expires ? 0 : 1) : lock.kind === "transaction" ? 2 : 3;
}

/** The statement list a critical section runs in, and the statement that opens it. */
function sectionOf(lock: HeldLock): { statements: readonly ts.Statement[]; opener: ts.Statement } | undefined {
  if (!lock.acquisition || lock.kind === "transaction") return undefined;
  const opener = enclosingStatement(lock.acquisition.call);
  if (!opener || !ts.isBlock(opener.parent)) return undefined;
  // A callback passed by name is another function's body: nothing of it moves before the call.
  if (lock.callback)
    return lock.callback.body && ts.isBlock(lock.callback.body) && isInside(lock.callback, opener)
      ? { statements: lock.callback.body.statements, opener }
      : undefined;
  // acquire … release: the statements after the acquisition, or the `try` block right after it.
  const after = opener.parent.statements.slice(opener.parent.statements.indexOf(opener) + 1);
  const first = after[0];
  return first && ts.isTryStatement(first) ? { statements: first.tryBlock.statements, opener } : { statements: after, opener };
}

/** Identifiers an expression reads (not property names). */
function readNames(node: ts.Node): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  walk(node, (n) => {
    if (
      ts.isIdentifier(n) &&
      !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) &&
      !(ts.isPropertyAssignment(n.parent) && n.parent.name === n)
    )
      out.push(n);
  });
  return out;
}

/**
 * Suggestion: move the slow statement in front of the statement that takes the lock. Offered only when its inputs
 * exist before the lock (nothing it reads is declared in the section), everything before it in the section is
 * side-effect free apart from database reads (so running it earlier changes no observable order), and the name it
 * declares is free in the outer scope.
 */
function moveBeforeLock(node: ts.AwaitExpression, lock: HeldLock, checker: ts.TypeChecker, fixer: Fixer): Fix | undefined {
  const section = sectionOf(lock);
  const statement = enclosingStatement(node);
  if (!section || !statement || !section.statements.includes(statement)) return undefined;
  // `await x;` or `const y = await x;` (possibly `await (await x).json()`): the whole statement moves.
  const declaration =
    ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1
      ? statement.declarationList.declarations[0]!
      : undefined;
  const payload = ts.isExpressionStatement(statement) ? statement.expression : declaration?.initializer;
  if (!payload || !isInside(node, payload)) return undefined;
  const sectionStart = section.statements[0]!.getStart();
  const sectionEnd = section.statements[section.statements.length - 1]!.getEnd();
  for (const id of readNames(payload)) {
    const declared = checker.getSymbolAtLocation(id)?.valueDeclaration;
    if (declared && declared.getStart() >= sectionStart && declared.getEnd() <= sectionEnd) return undefined;
  }
  for (const earlier of section.statements.slice(0, section.statements.indexOf(statement))) {
    let sideEffects = false;
    walk(earlier, (n) => {
      if (isFunctionLike(n)) return false;
      if (ts.isCallExpression(n) && dbAccessOf(n)?.kind !== "read") sideEffects = true;
      if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
      )
        sideEffects = true;
      return !sideEffects;
    });
    if (sideEffects) return undefined;
  }
  if (declaration) {
    const names = new Set(boundNames(declaration.name).map((id) => id.text));
    let clash = false;
    const outer = enclosingFunction(section.opener) ?? section.opener.getSourceFile();
    walk(outer, (n) => {
      if ((ts.isVariableDeclaration(n) || ts.isParameter(n)) && n !== declaration && boundNames(n.name).some((id) => names.has(id.text)))
        clash = true;
      return !clash;
    });
    if (clash) return undefined;
  }
  // The statement's lines move out of the section, from its indentation to the opener's; its own line goes.
  const sourceFile = node.getSourceFile();
  const start = statement.getStart();
  const end = statement.getEnd();
  const fromIndent = indentationAt(sourceFile, start);
  const toIndent = indentationAt(sourceFile, section.opener.getStart());
  const moved = reindentedText(sourceFile, start, end, { from: fromIndent, to: toIndent });
  const openerLineStart = section.opener.getStart() - toIndent.length;
  return fixer.fix(
    `Move the call before ${lock.label} is taken (its inputs are ready before the lock)`,
    fixer.insertBefore({ start: openerLineStart, end: openerLineStart }, `${toIndent}${moved}\n`),
    fixer.remove({ start: start - fromIndent.length, end: sourceFile.text[end] === "\n" ? end + 1 : end }),
  );
}
