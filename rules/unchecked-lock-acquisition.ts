// unchecked-lock-acquisition: a try-style acquisition (SET NX, SETNX, pg_try_advisory_lock, GET_LOCK, tryAcquire)
// whose result does not decide whether the critical section runs. The result counts as checked only when the code
// after it is reachable solely on the success branch: otherwise a failed attempt runs the critical section anyway.
// Also an in-process busy key whose test and mark an await separates (`if (busy.has(k)) return; await …; busy.add(k)`):
// the test is then no acquisition at all; and a keyed promise lock that waits for the holder's promise, then stores its
// own without testing the key again (`const held = locks.get(k); if (held) await held; locks.set(k, mine)`); and a
// test made after `await mutex.waitForUnlock()`, which takes nothing, of state a later `runExclusive` section sets.
import {
  acquisitionFailure,
  acquisitionPaths,
  allLockAcquisitionsIn,
  canonicalKey,
  enclosingFunction,
  mayRunAfter,
  mayRunBetween,
  receiverOf,
  nodesOfKinds,
  redisSetFlags,
  redisFlagLocksIn,
  dbAccessOf,
  calleeName,
  alwaysExits,
  boundNames,
  calleeResolver,
  inlineCode,
  defineRule,
  freshName,
  indentationAt,
  isAsync,
  isFunctionLike,
  isInside,
  isReleaseOf,
  lineOf,
  mentions,
  outerExpression,
  readsOnly,
  skipAwait,
  skipParens,
  spanOf,
  statementsAfter,
  ts,
  sentenceStart,
  walk,
  walkFunctionBody,
  type CalleeResolver,
  type Fix,
  type Fixer,
  type LockAcquisition,
  returnsHolder,
  resultBinding,
} from "../server/src/rule-kit";

export const uncheckedLockAcquisition = defineRule({
  meta: {
    id: "unchecked-lock-acquisition",
    description:
      "A try-lock (SET NX, pg_try_advisory_lock, GET_LOCK, tryAcquire, a lock-table INSERT … ON CONFLICT DO NOTHING) whose result does not decide whether the critical section runs",
    defaultSeverity: "error",
    hasSuggestions: true,
    messages: {
      setWithoutNx:
        '{{call}} has no NX, yet its reply is tested against "OK" at line {{line}} as if it could fail: SET without NX always succeeds, overwriting the key another caller holds, so every caller is told it acquired it and two can run the critical section at the same time.',
      resultDiscarded:
        "{{lock}} may not be acquired — {{call}} returns {{failure}} when another holder has it — but its result is discarded: the critical section runs whether or not the lock was acquired, so two callers can run it at the same time.",
      resultNeverTested:
        "{{lock}} may not be acquired — {{call}} returns {{failure}} when another holder has it — but the result is never tested: the critical section runs whether or not the lock was acquired, so two callers can run it at the same time.",
      runsBeforeCheck:
        "{{lock}} may not be acquired — {{call}} returns {{failure}} when another holder has it — but the code at line {{line}} runs before the result is checked: the critical section runs whether or not the lock was acquired, so two callers can run it at the same time.",
      takenAfterWaiting:
        "{{lock}} is awaited here while another caller holds it, then taken at line {{line}} without testing it again: every caller waiting on the holder resumes when it releases, and all of them store their own promise and run the critical section at the same time.",
      lockNotAwaited:
        "{{call}} locks the rows it reads, but its promise is neither awaited nor kept: the statement at line {{line}} runs before the lock is held, so two callers can both get past it as if no lock had been asked for.",
      testedOutsideLock:
        "{{state}} is tested after waiting for {{mutex}} to be free, but `waitForUnlock()` does not take it: two callers both pass the test, and each then runs the exclusive section at line {{line}} that sets it.",
      testedThenSet:
        "{{key}} is set here as a lock only after {{test}} at line {{line}} found it free, in a second round trip and without NX: two callers can both find it free before either sets it, and both run the section until the delete at line {{release}}.",
      testedThenMarkedInProgress:
        "{{key}} is set here to mark the work in progress only after {{test}} at line {{line}} found it free, in a second round trip and without NX: two callers can both find it free before either sets it, and both do the work (the mark is replaced by the finished record at line {{release}}).",
      testedThenMarked:
        "{{key}} is set here to mark the work taken only after {{test}} at line {{line}} found it free, in a second round trip and without NX: two callers can both find it free before either sets it, and both do the work (the key is deleted only when the work fails, at line {{release}}).",
      failureSwallowed:
        "{{lock}} can fail to be taken — {{call}} throws when {{failure}} — and the `catch` at line {{catchLine}} can let that failure through: {{section}} at line {{line}} then runs without the lock, alongside its holder.",
      markedAfterAwait:
        "{{lock}} is tested here but marked only after the await at line {{line}}: a second caller finds the key free while the first waits, and both run the critical section.",
      rowsTested:
        "{{lock}} may not be acquired — {{call}} returns a row holding {{failure}} when another holder has it — but line {{testLine}} tests the rows the query returned, which are there either way, not the value in them: the code at line {{line}} runs whether or not the lock was acquired, so two callers can run it at the same time.",
      runsOnBothBranches:
        "{{lock}} may not be acquired — {{call}} returns {{failure}} when another holder has it — and although it is tested at line {{testLine}}, the code at line {{line}} runs on both branches: the critical section runs whether or not the lock was acquired, so two callers can run it at the same time.",
    },
  },
  checkFile(context) {
    for (const { call, test } of setsTestedAsAcquisitions(context.sourceFile))
      context.report({
        messageId: "setWithoutNx",
        data: { call: inlineCode(shortText(call)), line: lineOf(test) },
        help: 'Add NX (`set(key, token, "PX", ttl, "NX")`), so that the reply is null when the key is already held.',
        span: spanOf(call, context.sourceFile),
        related: [{ span: spanOf(test, context.sourceFile), message: 'tested against "OK" here' }],
      });
    for (const flag of redisFlagLocksIn(context.sourceFile))
      context.report({
        messageId: flag.overwrittenAfterWork
          ? "testedThenMarkedInProgress"
          : flag.releasedOnlyOnFailure
            ? "testedThenMarked"
            : "testedThenSet",
        data: {
          key: sentenceStart(inlineCode(flag.key)),
          test: inlineCode(shortText(flag.test)),
          line: lineOf(flag.test),
          release: lineOf(flag.release),
        },
        help:
          flag.releasedOnlyOnFailure || flag.overwrittenAfterWork
            ? 'Mark it in one step: `set(key, value, "NX")` (with `"EX", ttl` if the mark should lapse), going on only when the reply is "OK".'
            : 'Take it in one step: `set(key, token, "PX", ttl, "NX")`, going on only when the reply is "OK" (and delete it only while it still holds your token).',
        span: spanOf(flag.set, context.sourceFile),
        related: [
          { span: spanOf(flag.test, context.sourceFile), message: "tested free here" },
          {
            span: spanOf(flag.release, context.sourceFile),
            message: flag.overwrittenAfterWork
              ? "set again here, after the work"
              : flag.releasedOnlyOnFailure
                ? "deleted here, only when the work fails"
                : "deleted here, after the work",
          },
        ],
      });
    for (const { wait, take, lock } of promiseLocksTakenAfterWaiting(context.sourceFile))
      context.report({
        messageId: "takenAfterWaiting",
        data: { lock: sentenceStart(lock), line: lineOf(take) },
        help: "Chain each holder behind the previous one before any await (`const previous = locks.get(key) ?? Promise.resolve(); locks.set(key, mine)` in one step, then `await previous`), or test the key again in a loop after waking.",
        span: spanOf(wait, context.sourceFile),
        related: [{ span: spanOf(take, context.sourceFile), message: "taken here, after the wait" }],
      });
    for (const { test, section, state, mutex } of testsAfterWaitingForUnlock(context.sourceFile))
      context.report({
        messageId: "testedOutsideLock",
        data: { state: sentenceStart(inlineCode(state)), mutex: inlineCode(mutex), line: lineOf(section) },
        help: "Make the test inside the exclusive section (`await mutex.runExclusive(async () => { if (…) … })`).",
        span: spanOf(test, context.sourceFile),
        related: [{ span: spanOf(section, context.sourceFile), message: "set here, under the mutex" }],
      });
    for (const { call, next } of lockingReadsNotAwaited(context.sourceFile))
      context.report({
        messageId: "lockNotAwaited",
        data: { call: inlineCode(shortText(call)), line: lineOf(next) },
        help: "Await the locking read (`await …`) before the statements it protects.",
        span: spanOf(call, context.sourceFile),
        related: [{ span: spanOf(next, context.sourceFile), message: "runs before the lock is held" }],
      });
    const resolve = calleeResolver(context.program, () => context.checker);
    const acquisitions = allLockAcquisitionsIn(context.sourceFile, context.program, () => context.checker, context.settings.declaredLocks);
    const verdicts = new Map<LockAcquisition, ReturnType<typeof verdictOf>>();
    const verdictFor = (acquisition: LockAcquisition) => {
      let found = verdicts.get(acquisition);
      if (!found) verdicts.set(acquisition, (found = verdictOf(acquisition, resolve)));
      return found;
    };
    // Try-locks whose failure stops the critical section: awaiting one takes the key for one caller only.
    const checkedTryLocks = new Set(
      acquisitions.filter((a) => a.style === "try" && verdictFor(a).verdict.kind !== "unchecked").map((a) => a.call),
    );
    for (const acquisition of acquisitions) {
      const swallowed = swallowedFailure(acquisition);
      if (swallowed)
        context.report({
          messageId: "failureSwallowed",
          data: {
            lock: sentenceStart(acquisition.label),
            call: inlineCode(shortText(acquisition.call)),
            failure: swallowed.failure,
            catchLine: lineOf(swallowed.clause),
            section: inlineCode(shortText(swallowed.section)),
            line: lineOf(swallowed.section),
          },
          help: "Rethrow (or return) in the `catch` whenever the acquisition failed, so that the section runs only with the lock.",
          span: spanOf(acquisition.call, context.sourceFile),
          related: [
            { span: spanOf(swallowed.clause, context.sourceFile), message: "lets the failure through" },
            { span: spanOf(swallowed.section, context.sourceFile), message: "runs without the lock when it failed" },
          ],
        });
      const awaited = awaitBeforeMark(acquisition, checkedTryLocks);
      if (awaited && acquisition.busyKeyTest)
        context.report({
          messageId: "markedAfterAwait",
          data: { lock: sentenceStart(acquisition.label), line: lineOf(awaited) },
          help: "Mark the key in the same synchronous step as its test (right after it, before any await), and unmark it in a `finally`.",
          span: spanOf(acquisition.busyKeyTest, context.sourceFile),
          related: [{ span: spanOf(awaited, context.sourceFile), message: "awaited between the test and the mark" }],
        });
      if (acquisition.style !== "try") continue;
      const { verdict, names, statement } = verdictFor(acquisition);
      if (verdict.kind !== "unchecked") continue;
      const call = acquisition.call;
      const data = { lock: sentenceStart(acquisition.label), call: inlineCode(shortText(call)), failure: failureValue(acquisition) };
      const where = {
        help: "Continue only on the success branch.",
        span: spanOf(call, context.sourceFile),
        related: verdict.related
          ? [{ span: spanOf(verdict.related, context.sourceFile), message: "runs even when the lock was not acquired" }]
          : [],
        suggestions: suggestGuard(context.sourceFile, context.fixer, acquisition, statement, names),
      };
      switch (verdict.why) {
        case "runsBeforeCheck":
          context.report({ messageId: verdict.why, data: { ...data, line: verdict.line }, ...where });
          break;
        case "runsOnBothBranches":
        case "rowsTested":
          context.report({ messageId: verdict.why, data: { ...data, testLine: verdict.testLine, line: verdict.line }, ...where });
          break;
        default:
          context.report({ messageId: verdict.why, data, ...where });
      }
    }
  },
});

/**
 * A busy key (`if (busy.has(key)) return; … busy.add(key)`, unmarked by `busy.delete(key)` once the work is done) is a
 * lock only when no await separates the test from the mark: JavaScript runs both in one step then, so no other caller
 * can come between. The first await that may run between them, if any. A key never unmarked in the function is a
 * cache or a record of work done, not a lock held over the work.
 */
function awaitBeforeMark(acquisition: LockAcquisition, checkedTryLocks: ReadonlySet<ts.Node>): ts.AwaitExpression | undefined {
  const { busyKeyTest: test, call, lockObject, key } = acquisition;
  const fn = test && enclosingFunction(test);
  if (!test || !fn?.body || !lockObject || !key || !ts.isCallExpression(call) || enclosingFunction(call) !== fn) return undefined;
  const unmarked = nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]).some(
    (del) =>
      calleeName(del) === "delete" &&
      del.arguments.length === 1 &&
      canonicalKey(del.arguments[0]!) === canonicalKey(key) &&
      canonicalKey(receiverOf(del) ?? del) === canonicalKey(lockObject) &&
      !scheduledByTimer(del, fn) &&
      mayRunAfter(call, del),
  );
  if (!unmarked) return undefined;
  // `if (busy.has(id)) return; if (!(await redisLock.lock(key, 30))) return; busy.add(id)`: of two callers that both
  // pass the test, the checked try-lock awaited in between lets one on, so the gap admits no second runner.
  const awaits = nodesOfKinds<ts.AwaitExpression>(fn.body, [ts.SyntaxKind.AwaitExpression]).filter(
    (a) => enclosingFunction(a) === fn && !checkedTryLocks.has(skipParens(a.expression)),
  );
  return awaits.find((a) => mayRunBetween(test, [a], call));
}

/**
 * A keyed promise lock (`locks.set(key, mine)` of a promise made in the function, `locks.delete(key)` once done) taken
 * after `const held = locks.get(key); if (held) await held;` with no loop testing the key again: the wait ends for
 * every waiter at once, when the holder releases, and each then stores its own promise. The await, with the store.
 */
function promiseLocksTakenAfterWaiting(
  sourceFile: ts.SourceFile,
): Array<{ wait: ts.AwaitExpression; take: ts.CallExpression; lock: string }> {
  const out: Array<{ wait: ts.AwaitExpression; take: ts.CallExpression; lock: string }> = [];
  for (const take of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    const map = calleeName(take) === "set" && take.arguments.length === 2 ? receiverOf(take) : undefined;
    const fn = map && enclosingFunction(take);
    if (!map || !fn?.body || !isAsync(fn) || !madePromise(take.arguments[1]!, fn)) continue;
    const sameEntry = (call: ts.CallExpression, name: string) =>
      calleeName(call) === name &&
      call.arguments.length === 1 &&
      canonicalKey(call.arguments[0]!) === canonicalKey(take.arguments[0]!) &&
      canonicalKey(receiverOf(call) ?? call) === canonicalKey(map);
    const calls = nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression]).filter((c) => enclosingFunction(c) === fn);
    if (!calls.some((c) => sameEntry(c, "delete") && mayRunAfter(take, c))) continue;
    for (const declaration of nodesOfKinds<ts.VariableDeclaration>(fn.body, [ts.SyntaxKind.VariableDeclaration])) {
      const read = declaration.initializer && skipParens(declaration.initializer);
      if (!ts.isIdentifier(declaration.name) || !read || !ts.isCallExpression(read) || !sameEntry(read, "get")) continue;
      const held = declaration.name.text;
      const wait = nodesOfKinds<ts.AwaitExpression>(fn.body, [ts.SyntaxKind.AwaitExpression]).find(
        (a) =>
          enclosingFunction(a) === fn &&
          ts.isIdentifier(skipParens(a.expression)) &&
          (skipParens(a.expression) as ts.Identifier).text === held &&
          !inLoop(a, fn) &&
          mayRunAfter(a, take),
      );
      if (wait)
        out.push({ wait, take, lock: `the promise lock ${inlineCode(take.arguments[0]!.getText())} of ${inlineCode(map.getText())}` });
    }
  }
  return out;
}

/**
 * `await mutex.waitForUnlock()`, then `if (!this.watchId) { await mutex.runExclusive(async () => { this.watchId = … }) }`:
 * waiting for the mutex to be free takes nothing, so the test of state the section sets is made outside the lock.
 */
function testsAfterWaitingForUnlock(
  sourceFile: ts.SourceFile,
): Array<{ test: ts.Expression; section: ts.CallExpression; state: string; mutex: string }> {
  const out: Array<{ test: ts.Expression; section: ts.CallExpression; state: string; mutex: string }> = [];
  for (const wait of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    const mutex = calleeName(wait) === "waitForUnlock" ? receiverOf(wait) : undefined;
    const fn = mutex && enclosingFunction(wait);
    if (!mutex || !fn?.body || !ts.isAwaitExpression(wait.parent)) continue;
    for (const statement of nodesOfKinds<ts.IfStatement>(fn.body, [ts.SyntaxKind.IfStatement])) {
      if (enclosingFunction(statement) !== fn || !mayRunAfter(wait, statement.expression)) continue;
      const sections = nodesOfKinds<ts.CallExpression>(statement, [ts.SyntaxKind.CallExpression]).filter(
        (call) =>
          calleeName(call) === "runExclusive" &&
          canonicalKey(receiverOf(call) ?? call) === canonicalKey(mutex) &&
          !isInside(call, statement.expression),
      );
      for (const section of sections) {
        const callback = section.arguments[0] && skipParens(section.arguments[0]);
        if (!callback || !isFunctionLike(callback)) continue;
        const set = nodesOfKinds<ts.BinaryExpression>(callback, [ts.SyntaxKind.BinaryExpression]).find(
          (node) =>
            node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
            (ts.isPropertyAccessExpression(skipParens(node.left)) || ts.isIdentifier(skipParens(node.left))) &&
            readsState(statement.expression, canonicalKey(skipParens(node.left))),
        );
        if (set) {
          out.push({ test: statement.expression, section, state: skipParens(set.left).getText(), mutex: mutex.getText() });
          break;
        }
      }
    }
  }
  return out;
}

/** `condition` reads the state `key` (canonical): `!this.watchId`, `watchId === undefined`. */
function readsState(condition: ts.Expression, key: string): boolean {
  let found = false;
  walk(condition, (node) => {
    if (found || isFunctionLike(node)) return false;
    if ((ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) && canonicalKey(node) === key) found = true;
    return !found;
  });
  return found;
}

/** `value` is a promise made in `fn`: `new Promise(…)` in place, or a local initialised with one. */
function madePromise(value: ts.Expression, fn: ts.Node): boolean {
  const node = skipParens(value);
  const isNew = (e: ts.Expression | undefined) => {
    const bare = e && skipParens(e);
    return !!bare && ts.isNewExpression(bare) && ts.isIdentifier(bare.expression) && bare.expression.text === "Promise";
  };
  if (isNew(node)) return true;
  if (!ts.isIdentifier(node)) return false;
  return nodesOfKinds<ts.VariableDeclaration>(fn, [ts.SyntaxKind.VariableDeclaration]).some(
    (d) => ts.isIdentifier(d.name) && d.name.text === node.text && isNew(d.initializer),
  );
}

/** `node` is inside a loop of `fn`: a wait in a loop can test the key again after waking. */
function inLoop(node: ts.Node, fn: ts.Node): boolean {
  for (let at = node.parent; at && at !== fn; at = at.parent) if (ts.isIterationStatement(at, false)) return true;
  return false;
}

/**
 * Whether `node` runs in a callback a timer schedules (`setTimeout(() => cache.delete(k), ttl)`): a cache entry's
 * expiry, not the unmark after the work.
 */
function scheduledByTimer(node: ts.Node, fn: ts.Node): boolean {
  for (let at = node.parent; at && at !== fn; at = at.parent)
    if (
      (ts.isArrowFunction(at) || ts.isFunctionExpression(at)) &&
      ts.isCallExpression(at.parent) &&
      /^set(Timeout|Interval|Immediate)$/.test(calleeName(at.parent) ?? "")
    )
      return true;
  return false;
}

/** What a failed attempt returns, per mechanism, for the message. */
function failureValue(acquisition: LockAcquisition): string {
  // The project's own helper: what it returns on failure is its own convention.
  if (acquisition.wrapper) return "a falsy value";
  switch (acquisition.mechanism) {
    case "redis-set-nx":
      // `SET … NX GET` answers with the value already there: null is the success, not the failure.
      if (returnsHolder(acquisition)) return "the current holder's value instead of null";
      return ts.isCallExpression(acquisition.call) && /^set$/i.test(acquisition.call.expression.getText().split(".").pop() ?? "")
        ? 'null instead of "OK"'
        : "0";
    case "pg-advisory":
      return "false";
    case "mysql-named":
      return "0 on timeout and NULL on error";
    case "lock-table":
      return "a result with a row count of 0";
    default:
      return "a falsy value";
  }
}

/** Why an unchecked result is unchecked (the message id), with the lines the message names and the code that runs anyway. */
type Unchecked =
  | { kind: "unchecked"; why: "resultDiscarded" | "resultNeverTested"; related?: undefined }
  | { kind: "unchecked"; why: "runsBeforeCheck"; line: number; related: ts.Node }
  | { kind: "unchecked"; why: "runsOnBothBranches" | "rowsTested"; testLine: number; line: number; related: ts.Node };

type Verdict = { kind: "checked" } | Unchecked | { kind: "unknown" };

/**
 * Statements that cannot start the critical section: local computation and reads (`await redis.get(…)`, a SELECT,
 * `Promise.all` of reads, a project function that only reads), with no write to shared state.
 */
function isHarmless(statement: ts.Statement, resolve: CalleeResolver): boolean {
  let harmful = false;
  walk(statement, (node) => {
    if (harmful || isFunctionLike(node)) return false;
    if (ts.isAwaitExpression(node)) {
      if (!readsOnly(node.expression, resolve)) harmful = true;
      return false;
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && !ts.isIdentifier(skipParens(node.left)))
      harmful = true;
    return !harmful;
  });
  if (ts.isExpressionStatement(statement) && ts.isAwaitExpression(statement.expression)) harmful = true;
  return !harmful;
}

/** Follows the names bound to the result through the statements after the acquisition. */
function verdictForNames(
  names: Set<string>,
  after: readonly ts.Statement[],
  resolve: CalleeResolver,
  isRetry: (node: ts.Expression) => boolean,
  holders?: Set<string>,
): Verdict {
  for (let i = 0; i < after.length; i++) {
    const statement = after[i]!;
    if (!mentions(statement, names)) {
      if (isHarmless(statement, resolve)) continue;
      return { kind: "unchecked", why: "runsBeforeCheck", line: lineOf(statement), related: statement };
    }
    if (ts.isVariableStatement(statement)) {
      // `const locked = rows[0].locked`: follow the derived value.
      for (const declaration of statement.declarationList.declarations) {
        if (declaration.initializer && mentions(declaration.initializer, names))
          for (const id of boundNames(declaration.name)) {
            names.add(id.text);
            // `const row = rows[0]` holds a row; `const locked = rows[0].locked` the lock's value.
            if (holders && !readsLockValue(declaration.initializer, names, holders) && ts.isIdentifier(declaration.name))
              holders.add(id.text);
          }
      }
      continue;
    }
    // `if (!rows)`, `if (rows.length === 0)`: the rows of `SELECT pg_try_advisory_lock(…)` are there whether or not it
    // took the lock (one row, holding false), so a test of them, or of their count, decides nothing.
    if (
      holders &&
      ts.isIfStatement(statement) &&
      mentions(statement.expression, names) &&
      !readsLockValue(statement.expression, names, holders)
    ) {
      const rest = after.slice(i + 1).filter((s) => !mentions(s, names) && !isHarmless(s, resolve));
      const first = isHarmless(statement, resolve) ? rest[0] : statement;
      if (!first || after.slice(i + 1).some((s) => mentions(s, names) && !isHarmless(s, resolve))) return { kind: "unknown" };
      return { kind: "unchecked", why: "rowsTested", testLine: lineOf(statement), line: lineOf(first), related: first };
    }
    if (ts.isIfStatement(statement) && mentions(statement.expression, names)) {
      if (alwaysExits(statement.thenStatement) || alwaysExits(statement.elseStatement)) return { kind: "checked" };
      if (retriesChecked(statement.thenStatement, after.slice(i + 1), names, isRetry, resolve)) return { kind: "checked" };
      const rest = after.slice(i + 1).filter((s) => !isHarmless(s, resolve));
      if (rest.length === 0) return { kind: "checked" };
      return { kind: "unchecked", why: "runsOnBothBranches", testLine: lineOf(statement), line: lineOf(rest[0]!), related: rest[0]! };
    }
    // Loops waiting for the lock, asserts, returning or passing the result on: the caller decides. Not ours to flag.
    return { kind: "unknown" };
  }
  return { kind: "unchecked", why: "resultNeverTested" };
}

/** `SELECT pg_try_advisory_lock(…)`, `SELECT GET_LOCK(…)`: the lock function's value comes back in a row's column. */
function holdsLockValueInRow(acquisition: LockAcquisition): boolean {
  return acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named";
}

/** Properties of a query's result that are the rows, their count or metadata: never the lock function's value. */
const RESULT_PARTS = /^(rows|fields|command|rowCount|affectedRows|length|count|changes|meta|results|oid)$/;

/**
 * The names a binding of a SQL try-lock's result gives to the result itself or to its rows (`result`, `{ rows }`,
 * `[row]`, mysql2's `[rows]`), not to the lock value in a row's column (`[{ locked }]`, `{ rows: [{ locked }] }`).
 */
function resultHolders(name: ts.BindingName): Set<string> {
  const holders = new Set<string>();
  const visit = (binding: ts.BindingName, inRow: boolean): void => {
    if (ts.isIdentifier(binding)) {
      if (!inRow) holders.add(binding.text);
      return;
    }
    for (const element of binding.elements) {
      if (ts.isOmittedExpression(element)) continue;
      if (ts.isArrayBindingPattern(binding)) {
        // mysql2's `[rows, fields]` holds rows in its first element; a row's element is a row (`[[row]]`).
        visit(element.name, false);
        continue;
      }
      const property = element.propertyName ?? element.name;
      const key = ts.isIdentifier(property) || ts.isStringLiteral(property) ? property.text : undefined;
      // Inside an array binding (a row), a property other than the result's parts is a column.
      const column = key !== undefined && !RESULT_PARTS.test(key) && isInsideRow(element);
      visit(element.name, column || inRow);
    }
  };
  visit(name, false);
  return holders;
}

/** The binding element is nested in an array binding pattern: it destructures a row. */
function isInsideRow(element: ts.BindingElement): boolean {
  for (
    let node: ts.Node = element.parent;
    ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node) || ts.isBindingElement(node);
    node = node.parent
  )
    if (ts.isArrayBindingPattern(node)) return true;
  return false;
}

/**
 * The expression reads the lock function's value: a name holding it, or a column of a row of the result
 * (`rows[0].locked`, `row?.lockObtained`, `result.rows[0].pg_try_advisory_lock`): not the rows, nor their count.
 */
function readsLockValue(expression: ts.Expression, names: ReadonlySet<string>, holders: ReadonlySet<string>): boolean {
  let found = false;
  const look = (node: ts.Node): boolean => {
    if (found) return false;
    if (ts.isIdentifier(node) && names.has(node.text) && !holders.has(node.text) && !isPropertyNameOf(node)) found = true;
    if (ts.isPropertyAccessExpression(node) && !RESULT_PARTS.test(node.name.text)) {
      let base: ts.Expression = skipParens(node.expression);
      while (ts.isPropertyAccessExpression(base) || ts.isElementAccessExpression(base) || ts.isNonNullExpression(base))
        base = skipParens(base.expression);
      if (ts.isIdentifier(base) && holders.has(base.text)) found = true;
    }
    return !found;
  };
  // `walk` visits what is inside the expression; the expression itself may be the column read (`rows[0].locked`).
  if (look(expression)) walk(expression, look);
  return found;
}

function isPropertyNameOf(node: ts.Identifier): boolean {
  return ts.isPropertyAccessExpression(node.parent) && node.parent.name === node;
}

/**
 * The failure branch tries again into the same variable and checks that retry with an exit
 * (`if (!release) { await sleep(100); release = await lock(key); if (!release) return; }`): past the test, the variable
 * holds the lock on every path.
 */
function retriesChecked(
  branch: ts.Statement,
  following: readonly ts.Statement[],
  names: Set<string>,
  isRetry: (node: ts.Expression) => boolean,
  resolve: CalleeResolver,
): boolean {
  if (!ts.isBlock(branch)) return false;
  const statements = branch.statements;
  const retry = statements.findIndex(
    (s) =>
      ts.isExpressionStatement(s) &&
      ts.isBinaryExpression(s.expression) &&
      s.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isIdentifier(s.expression.left) &&
      names.has(s.expression.left.text) &&
      isRetry(s.expression.right),
  );
  return retry >= 0 && verdictForNames(new Set(names), [...statements.slice(retry + 1), ...following], resolve, isRetry).kind === "checked";
}

/**
 * `while (!result) { …; result = await redis.set(key, token, { NX: true, EX }) }`: a result stored, at the end of a
 * loop's body, into the variable the loop's condition tests is tested by that condition before anything else runs.
 */
function testedByLoopCondition(statement: ts.ExpressionStatement, names: ReadonlySet<string>, resolve: CalleeResolver): boolean {
  const body = statement.parent;
  const loop = body.parent;
  if (!ts.isBlock(body) || !(ts.isWhileStatement(loop) || ts.isDoStatement(loop)) || loop.statement !== body) return false;
  const rest = body.statements.slice(body.statements.indexOf(statement) + 1);
  return mentions(loop.expression, names) && rest.every((s) => isHarmless(s, resolve));
}

function verdictOf(acquisition: LockAcquisition, resolve: CalleeResolver): { verdict: Verdict; names: string[]; statement?: ts.Statement } {
  // The same acquisition made again: a call of the same function on the same receiver.
  const callee = ts.isCallExpression(acquisition.call) ? acquisition.call.expression.getText() : undefined;
  const isRetry = (node: ts.Expression) => {
    const call = skipAwait(node);
    return callee !== undefined && ts.isCallExpression(call) && call.expression.getText() === callee;
  };
  let node: ts.Node = outerExpression(acquisition.call as ts.Expression);
  // Climb through boolean/comparison wrappers: `!(await tryLock())`, `(await set(...)) === "OK"`.
  while (
    (ts.isPrefixUnaryExpression(node.parent) && node.parent.operator === ts.SyntaxKind.ExclamationToken) ||
    (ts.isBinaryExpression(node.parent) &&
      node.parent.operatorToken.kind !== ts.SyntaxKind.EqualsToken &&
      node.parent.operatorToken.kind !== ts.SyntaxKind.CommaToken) ||
    ts.isParenthesizedExpression(node.parent)
  ) {
    node = node.parent;
  }
  const parent = node.parent;
  if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) {
    return {
      verdict: { kind: "unchecked", why: "resultDiscarded" },
      names: [],
      ...(ts.isExpressionStatement(parent) ? { statement: parent } : {}),
    };
  }
  if ((ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) && parent.expression === node)
    return { verdict: { kind: "checked" }, names: [] };
  if (ts.isConditionalExpression(parent) && parent.condition === node) return { verdict: { kind: "checked" }, names: [] };
  if (ts.isVariableDeclaration(parent) && parent.initializer === node) {
    const statement = parent.parent.parent;
    if (!ts.isVariableStatement(statement)) return { verdict: { kind: "unknown" }, names: [] };
    const names = new Set(boundNames(parent.name).map((n) => n.text));
    // A SQL lock function's value is a column of the statement's one row; the names bound to the result or its rows hold it.
    const holders = holdsLockValueInRow(acquisition) ? resultHolders(parent.name) : undefined;
    return { verdict: verdictForNames(names, statementsAfter(statement), resolve, isRetry, holders), names: [...names], statement };
  }
  if (
    ts.isBinaryExpression(parent) &&
    parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isIdentifier(parent.left) &&
    ts.isExpressionStatement(parent.parent)
  ) {
    const names = new Set([parent.left.text]);
    const statement = parent.parent;
    if (testedByLoopCondition(statement, names, resolve)) return { verdict: { kind: "checked" }, names: [...names], statement };
    // `try { ok = await redis.set(…) } catch { … }`: what runs next is after the `try`; and after the `if` whose branch
    // stored it (`let ok; if (ttl) ok = await set(…, "EX", ttl, "NX"); else ok = await set(…, "NX"); return ok === "OK"`).
    const after = [...statementsAfter(statement)];
    for (let inner: ts.Node = statement; ;) {
      const block = inner.parent;
      const holder = ts.isBlock(block) ? block.parent : block;
      const leaves =
        (ts.isBlock(block) && ts.isTryStatement(holder) && holder.tryBlock === block) ||
        // Not the failure branch of a test of the same result: a retry there is judged with the first attempt.
        (ts.isIfStatement(holder) &&
          holder.expression !== inner &&
          (block === holder || ts.isBlock(block)) &&
          !mentions(holder.expression, names));
      if (!leaves) break;
      after.push(...statementsAfter(holder as ts.Statement));
      inner = holder;
    }
    return { verdict: verdictForNames(names, after, resolve, isRetry), names: [...names], statement };
  }
  return { verdict: { kind: "unknown" }, names: [] };
}

/**
 * Suggestion (changes behaviour: the function now throws when the lock is taken): bind the result and stop when the
 * lock was not acquired. Offered for Redis SET NX / SETNX and tryAcquire, whose results have a known shape.
 */
function suggestGuard(
  sf: ts.SourceFile,
  fixer: Fixer,
  acquisition: LockAcquisition,
  statement: ts.Statement | undefined,
  names: string[],
): Fix[] {
  if (!statement || !ts.isCallExpression(acquisition.call)) return [];
  const isRedisSet =
    acquisition.mechanism === "redis-set-nx" && /^set$/i.test(acquisition.call.expression.getText().split(".").pop() ?? "");
  if (acquisition.mechanism !== "redis-set-nx" && acquisition.style !== "try") return [];
  if (acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named") return [];
  // A query result is an object, truthy whether or not the row was inserted: the guard would test nothing.
  if (acquisition.mechanism === "lock-table" && !acquisition.wrapper) return [];
  const indent = indentationAt(sf, statement.getStart(sf));
  const what = acquisition.key ? acquisition.key.getText(sf) : acquisition.label.replace(/`/g, "");
  const message = JSON.stringify(`lock ${what} is held by another process`).replace(/^"|"$/g, "");
  const throwLine = (cond: string) =>
    `\n${indent}if (${cond}) {\n${indent}  throw new Error(\`${message.replace(/`/g, "\\`")}\`);\n${indent}}`;
  const title = "Stop when the lock is not acquired";
  if (ts.isExpressionStatement(statement)) {
    const name = freshName(sf, "acquired");
    const cond = isRedisSet ? `${name} !== "OK"` : `!${name}`;
    return [fixer.fix(title, fixer.insertBefore(statement, `const ${name} = `), fixer.insertAfter(statement, throwLine(cond)))];
  }
  if (names.length === 1 && ts.isVariableStatement(statement)) {
    const name = names[0]!;
    const cond = isRedisSet ? `${name} !== "OK"` : `!${name}`;
    return [fixer.fix(title, fixer.insertAfter(statement, throwLine(cond)))];
  }
  return [];
}

/** The call as written, or `callee(…)` when its arguments are long. */
function shortText(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  if (text.length <= 70) return text;
  return ts.isCallExpression(node) ? `${node.expression.getText().replace(/\s+/g, "")}(…)` : `${text.slice(0, 67)}…`;
}

/**
 * Redis SETs with an expiry (EX / PX) and no NX whose reply the code compares with "OK" (`return reply === "OK"`,
 * `if (reply !== "OK") throw …`): the shape of a try-lock whose NX is missing. Without NX, SET replies "OK" every time
 * (a failure throws), so the test can only mean "acquired" and is always true. A SET whose reply nobody tests is a
 * plain write, and left alone.
 */
function setsTestedAsAcquisitions(sourceFile: ts.SourceFile): Array<{ call: ts.CallExpression; test: ts.BinaryExpression }> {
  const out: Array<{ call: ts.CallExpression; test: ts.BinaryExpression }> = [];
  for (const call of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    if (!/^set$/i.test(calleeName(call) ?? "") || dbAccessOf(call)?.library !== "redis") continue;
    const options = call.arguments.slice(2).map((a) => skipParens(a));
    const flags = redisSetFlags(call);
    if (
      !flags.expires ||
      flags.nx ||
      options.some(
        (a) =>
          !ts.isStringLiteralLike(a) &&
          !ts.isObjectLiteralExpression(a) &&
          !ts.isNumericLiteral(a) &&
          !ts.isIdentifier(a) &&
          !ts.isPropertyAccessExpression(a),
      )
    )
      continue;
    if (isStoreWrite(enclosingFunction(call))) continue;
    const test = okTestOf(call);
    if (test) out.push({ call, test });
  }
  return out;
}

/**
 * A key-value store's own write method (`set`, `put`, `save`, `store`, `write`, such as a cache's `async set(key, v)`):
 * the "OK" it tests is the write's success, reported to its caller, not an acquisition.
 */
function isStoreWrite(fn: ts.Node | undefined): boolean {
  if (!fn || !isFunctionLike(fn)) return false;
  const declared = (fn as ts.FunctionLikeDeclaration).name;
  const holder = fn.parent;
  const name =
    declared && ts.isIdentifier(declared)
      ? declared.text
      : (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) &&
          (ts.isPropertyAssignment(holder) || ts.isVariableDeclaration(holder)) &&
          ts.isIdentifier(holder.name)
        ? holder.name.text
        : undefined;
  return !!name && STORE_WRITES.test(name);
}
const STORE_WRITES = /^(set|put|save|store|write)$/i;

/** The comparison of `call`'s reply with "OK": around the call itself, or of a `const` bound to it in the same function. */
function okTestOf(call: ts.CallExpression): ts.BinaryExpression | undefined {
  const isOkTest = (node: ts.Node, subject: (side: ts.Expression) => boolean): node is ts.BinaryExpression => {
    if (!ts.isBinaryExpression(node)) return false;
    const op = node.operatorToken.kind;
    if (
      op !== ts.SyntaxKind.EqualsEqualsEqualsToken &&
      op !== ts.SyntaxKind.ExclamationEqualsEqualsToken &&
      op !== ts.SyntaxKind.EqualsEqualsToken &&
      op !== ts.SyntaxKind.ExclamationEqualsToken
    )
      return false;
    const [left, right] = [skipParens(node.left), skipParens(node.right)];
    const ok = (e: ts.Expression) => ts.isStringLiteralLike(e) && e.text === "OK";
    return (ok(right) && subject(left)) || (ok(left) && subject(right));
  };
  const outer = outerExpression(call);
  if (isOkTest(outer.parent, (side) => skipAwait(side) === call)) return outer.parent;
  const declaration = outer.parent;
  if (!ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name) || declaration.initializer !== outer) return undefined;
  const name = declaration.name.text;
  const scope = declaration.parent.parent.parent;
  let found: ts.BinaryExpression | undefined;
  walk(scope, (node) => {
    if (found || isFunctionLike(node)) return false;
    if (isOkTest(node, (side) => ts.isIdentifier(side) && side.text === name)) found = node;
    return !found;
  });
  return found;
}

/**
 * A waiting acquisition that can fail by throwing (a distributed lock that gives up, a wait limit), in a `try` whose
 * `catch` does not always leave: the first call after that `try` held on some path but not on every one is the
 * section, reached from the `catch` without the lock. A `catch` that rethrows or returns, or a test of the handle
 * before the section, leaves it held on every path.
 */
function swallowedFailure(
  acquisition: LockAcquisition,
): { clause: ts.CatchClause; section: ts.CallExpression; failure: string } | undefined {
  const failure = acquisitionFailure(acquisition);
  const fn = enclosingFunction(acquisition.call);
  if (!failure || !fn?.body) return undefined;
  let statement: ts.TryStatement | undefined;
  for (let node: ts.Node = acquisition.call; node.parent && node !== fn; node = node.parent)
    if (ts.isTryStatement(node.parent) && node.parent.tryBlock === node) {
      statement = node.parent;
      break;
    }
  const clause = statement?.catchClause;
  if (!statement || !clause || alwaysExits(clause.block)) return undefined;
  const paths = acquisitionPaths(acquisition);
  const binding = resultBinding(acquisition);
  const names = new Set(binding ? boundNames(binding).map((n) => n.text) : []);
  let found: ts.CallExpression | undefined;
  let guarded = false;
  walkFunctionBody(fn.body, (node) => {
    if (found || guarded) return false;
    if (node.getStart() < statement.getEnd()) return;
    // `if (!release) throw …`: the handle, unset when the acquisition failed, is tested before the section.
    if (ts.isIfStatement(node) && mentions(node.expression, names) && alwaysExits(node.thenStatement)) guarded = true;
    else if (ts.isCallExpression(node) && !isReleaseOf(node, acquisition, names) && paths.heldAt(node)) found = node;
  });
  return found && !guarded && !paths.heldOnEveryPath(found) ? { clause, section: found, failure } : undefined;
}

/**
 * A read that locks its rows (`SELECT … FOR UPDATE`, a builder's `.forUpdate()`) sent as a statement of its own, its
 * promise neither awaited, returned nor kept (`sequelize.query("SELECT … FOR UPDATE", { transaction })` in a hook): the
 * lock is taken whenever the statement reaches the database, not before the statements after it, which it was meant to
 * cover. Each such read, and the statement that follows it.
 */
function lockingReadsNotAwaited(sourceFile: ts.SourceFile): Array<{ call: ts.CallExpression; next: ts.Statement }> {
  const out: Array<{ call: ts.CallExpression; next: ts.Statement }> = [];
  for (const call of nodesOfKinds<ts.CallExpression>(sourceFile, [ts.SyntaxKind.CallExpression])) {
    let outer: ts.Node = call;
    while (ts.isParenthesizedExpression(outer.parent) || ts.isAsExpression(outer.parent) || ts.isVoidExpression(outer.parent))
      outer = outer.parent;
    if (!ts.isExpressionStatement(outer.parent) || !enclosingFunction(call)) continue;
    const access = dbAccessOf(call);
    const next = access?.kind === "read" && access.lock ? statementsAfter(outer.parent)[0] : undefined;
    if (next) out.push({ call, next });
  }
  return out;
}
