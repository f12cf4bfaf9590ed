// lock-release-not-guaranteed: an acquisition whose release is not reached on every path (an exception, an early
// `return`, `break` or `continue`), e.g. `release()` after the work instead of in `finally`. One leaked in-process
// mutex blocks every later caller forever; a leaked lease blocks every other process until it expires.
// Also a release that comes too early: `try { return work() } finally { release() }` releases as soon as the promise
// of `work()` is handed back, so the rest of the work runs unprotected (the decorator and `withLock` helper bug). And
// a promise-chain queue whose stored chain does not recover from a rejected task: the queue never runs again.
import {
  CALL_KINDS,
  allLockAcquisitionsIn,
  acquisitionPaths,
  alwaysExits,
  boundNames,
  calleeName,
  code,
  containingStatements,
  defineRule,
  enclosingFunction,
  expressionKey,
  firstThrowingExpression,
  indentationAt,
  indentUnit,
  isDisposedByUsing,
  isInside,
  isReleaseOf,
  lineOf,
  nodesOfKinds,
  promiseChainsIn,
  receiverOf,
  resultBinding,
  sentenceStart,
  skipParens,
  spanOf,
  statementOf,
  ts,
  walk,
  wrapStatements,
  type Fix,
  type Fixer,
  type FunctionLike,
  type Leak,
  type LockAcquisition,
} from "../server/src/rule-kit";

export const lockReleaseNotGuaranteed = defineRule({
  meta: {
    id: "lock-release-not-guaranteed",
    description: "A lock whose release is not reached on every path (exception, early return, break): release it in `finally`",
    defaultSeverity: "error",
    fixable: true,
    messages: {
      neverReleased: "{{lock}} is acquired here and never released in {{fn}}: {{consequence}}.",
      releaseSkippable:
        "{{lock}} is released at line {{line}} only if nothing goes wrong: if {{skip}}, the release is skipped and {{consequence}}.",
      chainNeverRecovers:
        "{{chain}} runs each task after the previous one, but the chain stored here does not recover from a rejection: after one task fails, every later task is skipped and rejects with that error, for as long as the process lives.",
      lostInPromiseAll:
        "{{lock}} is taken for each element of {{collection}} at once with `Promise.all`: if one acquisition fails ({{failure}}), `Promise.all` rejects at once and the locks the others took are never released, because their handles are lost with the rejected result.",
      leakedByLaterFailure:
        "{{lock}} is taken for each element of {{collection}} in turn and kept in {{held}}, outside any `try`: if the acquisition for a later element fails ({{failure}}), the locks already in {{held}} are never released.",
      releasedBeforeSettled:
        "{{lock}} is released in `finally` at line {{line}} as soon as this `return` hands back the promise of {{work}}, before it settles: the rest of {{work}} runs without the lock, alongside the next holder.",
      releasedBeforeSettledIfPromise:
        "{{lock}} is released in `finally` at line {{line}} as soon as this `return` runs: if {{work}} returns a promise (its type is `any` here), the lock is released before it settles and the rest of the work runs without it.",
    },
  },
  checkFile(context) {
    for (const chain of promiseChainsIn(context.sourceFile))
      if (!chain.recovers)
        context.report({
          messageId: "chainNeverRecovers",
          data: { chain: sentenceStart(`the promise chain ${code(chain.field.getText())}`) },
          help: "Store a chain that settles either way and return the task's own promise: `const next = this.tail.then(task); this.tail = next.catch(() => undefined); return next;`.",
          span: spanOf(chain.store, context.sourceFile),
        });
    for (const acquisition of allLockAcquisitionsIn(
      context.sourceFile,
      context.program,
      () => context.checker,
      context.settings.declaredLocks,
    )) {
      if (acquisition.style === "scoped" || acquisition.transactionScoped || isDisposedByUsing(acquisition)) continue;
      const collected = collectedInLoop(acquisition);
      if (collected) {
        context.report({
          messageId: "leakedByLaterFailure",
          data: {
            lock: sentenceStart(acquisition.label),
            collection: code(shortText(collected.collection)),
            held: code(collected.held),
            failure: collected.failure,
          },
          help: "Start the `try` before the loop, so that its `finally` releases whatever was taken, or take the keys with one call that acquires all or none (the runtime's `lockAll`).",
          span: spanOf(acquisition.call, context.sourceFile),
        });
        continue;
      }
      const together = takenTogether(acquisition);
      if (together) {
        context.report({
          messageId: "lostInPromiseAll",
          data: { lock: sentenceStart(acquisition.label), collection: code(shortText(together.collection)), failure: together.failure },
          help: "Take them with one call that acquires all or none (the runtime's `lockAll`, redlock's `acquire(keys, ttl)`), or use `Promise.allSettled` and release the ones that were taken before failing.",
          span: spanOf(acquisition.call, context.sourceFile),
          related: [{ span: spanOf(together.all, context.sourceFile), message: "rejects as soon as one acquisition fails" }],
        });
        continue;
      }
      const acquisitionStatement = statementOf(acquisition.call);
      const fn = enclosingFunction(acquisition.call);
      if (!acquisitionStatement || !fn?.body) continue;
      const binding = resultBinding(acquisition);
      const names = new Set(binding ? boundNames(binding).map((n) => n.text) : []);
      const analysis = analyse(acquisition, fn.body, names);
      if (analysis.escapes || analysis.releasedElsewhere) continue;
      const sf = context.sourceFile;
      const data = { lock: sentenceStart(acquisition.label), consequence: consequence(acquisition) };
      if (analysis.releases.length === 0) {
        // Leases that expire are often meant to run out (idempotency keys, rate limits); other methods may release
        // a lock object (lock()/unlock() pairs in a class). Only a local handle that nobody releases is certain.
        if (acquisition.expires || acquisition.style === "try" || names.size === 0 || releasedInFile(acquisition, sf)) continue;
        context.report({
          messageId: "neverReleased",
          data: { ...data, fn: code(fnName(fn)) },
          help: "Release it in a `finally` block, or use the scoped form.",
          span: spanOf(acquisition.call, sf),
        });
        continue;
      }
      for (const early of releasedBeforeSettling(acquisition, fn, analysis.releases, context.checker))
        context.report({
          messageId: early.certain ? "releasedBeforeSettled" : "releasedBeforeSettledIfPromise",
          data: { lock: data.lock, line: lineOf(early.release), work: code(shortText(early.returned)) },
          help: "Return `await` of the promise, so that `finally` runs after it settles.",
          span: spanOf(early.returned, sf),
          related: [
            { span: spanOf(acquisition.call, sf), message: "acquired here" },
            { span: spanOf(early.release, sf), message: "released here before the returned promise settles" },
          ],
          fixes: isAsync(fn)
            ? [context.fixer.fix("Await the result before the lock is released", context.fixer.insertBefore(early.returned, "await "))]
            : [],
        });
      const leak = acquisitionPaths(acquisition).leak();
      if (!leak) continue;
      const first = analysis.releases[0]!;
      context.report({
        messageId: "releaseSkippable",
        data: { ...data, line: lineOf(first), skip: whatSkips(leak) },
        help: "Release it in a `finally` block.",
        span: spanOf(acquisition.call, sf),
        related: analysis.releases.map((release) => ({ span: spanOf(release, sf), message: "released here, but not on every path" })),
        fixes: wrapInFinally(context.sourceFile, context.fixer, acquisition, acquisitionStatement, analysis.releases),
      });
    }
  },
});

type ReleaseCall = ts.CallExpression | ts.TaggedTemplateExpression;

interface Analysis {
  releases: ReleaseCall[];
  /** Released inside a nested function (`promise.finally(() => release())`, a timer): timing unknown, so trusted. */
  releasedElsewhere: boolean;
  /** The handle leaves the function (returned, stored, passed on): whoever receives it releases. */
  escapes: boolean;
}

function analyse(acquisition: LockAcquisition, body: ts.Node, names: Set<string>): Analysis {
  const result: Analysis = { releases: [], releasedElsewhere: false, escapes: false };
  const releaseCalls: ts.Node[] = [];
  const passedOn: ts.Identifier[] = [];
  // Only calls (releases) and, when the acquisition binds a handle, identifiers (where the handle goes) matter.
  for (const node of nodesOfKinds(body, names.size > 0 ? RELEASE_OR_HANDLE_KINDS : CALL_KINDS)) {
    if (ts.isIdentifier(node)) {
      if (names.has(node.text) && escapesAt(node)) passedOn.push(node);
    } else if (node !== acquisition.call && isReleaseOf(node as ReleaseCall, acquisition, names)) {
      releaseCalls.push(node);
      if (enclosingFunction(node) !== body.parent)
        result.releasedElsewhere = true; // in a nested function
      else result.releases.push(node as ReleaseCall);
    }
  }
  // The handle given to its own release (`locks.release(key, token)`) does not leave the function.
  result.escapes = passedOn.some((id) => !releaseCalls.some((call) => isInside(id, call)));
  return result;
}

const RELEASE_OR_HANDLE_KINDS = [...CALL_KINDS, ts.SyntaxKind.Identifier];

/** A reference to the handle that hands it to someone else. */
function escapesAt(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isVariableDeclaration(parent) && parent.name === id) return false; // the binding itself
  if (ts.isBindingElement(parent)) return false;
  if (ts.isCallExpression(parent)) return parent.arguments.includes(id); // passed to a function
  if (ts.isPropertyAccessExpression(parent) && parent.expression === id) return false; // handle.release(), lock.value
  if (
    ts.isReturnStatement(parent) ||
    ts.isArrowFunction(parent) ||
    ts.isArrayLiteralExpression(parent) ||
    ts.isShorthandPropertyAssignment(parent) ||
    ts.isPropertyAssignment(parent)
  )
    return true;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.right === id) return true;
  return false;
}

/** `if (!ok) return;` right after a try-lock: leaving when the lock was not taken needs no release. */
function isSuccessCheck(statement: ts.Statement | undefined): boolean {
  return (
    !!statement &&
    ts.isIfStatement(statement) &&
    !statement.elseStatement &&
    alwaysExits(statement.thenStatement) &&
    !firstThrowingExpression(statement.expression)
  );
}

/** What takes a path out of the function with the lock held, for the message: "the `return` at line 12 runs". */
function whatSkips(leak: Leak): string {
  switch (leak.kind) {
    case "exit":
      return `the \`${leak.node.getText().split(/[\s;(]/)[0]}\` at line ${lineOf(leak.node)} runs`;
    case "throws":
      return `${code(shortText(leak.node))} at line ${lineOf(leak.node)} throws`;
    case "branch":
      return `${code(shortText(leak.condition))} at line ${lineOf(leak.condition)} is ${leak.truth ? "true" : "false"}`;
    case "path":
      return "the code takes a path that does not reach it";
  }
}

function shortText(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length > 50 ? `${text.slice(0, 47)}...` : text;
}

function consequence(acquisition: LockAcquisition): string {
  if (acquisition.mechanism === "busy-key")
    return "the key stays marked busy, and every later call for it is turned away until the process restarts";
  if (acquisition.expires) return "the lock stays held until it expires, and every other process waits for it meanwhile";
  if (acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named")
    return "the lock stays held for as long as the database session lives (a pooled connection can live for hours), and everyone else waits";
  return "the lock is never released, and every later acquisition waits forever";
}

/**
 * Safe fix: wrap what runs between acquisition (or its success check) and the release in try/finally, moving the
 * release into `finally`. Only when the shape makes that exactly right: one release, an expression statement in the
 * same block, and no declaration in the wrapped range used after it.
 */
function wrapInFinally(
  sf: ts.SourceFile,
  fixer: Fixer,
  acquisition: LockAcquisition,
  acquisitionStatement: ts.Statement,
  releases: ReleaseCall[],
): Fix[] {
  if (releases.length !== 1) return [];
  const release = releases[0]!;
  const releaseStatement = statementOf(release);
  const list = containingStatements(acquisitionStatement);
  if (!releaseStatement || !list || !list.includes(releaseStatement) || !ts.isExpressionStatement(releaseStatement)) return [];
  const expression = releaseStatement.expression;
  if (expression !== release && !(ts.isAwaitExpression(expression) && expression.expression === release)) return [];
  let first = list.indexOf(acquisitionStatement) + 1;
  if (acquisition.style === "try") {
    // The success checks (`if (error) return; if (ok !== "OK") return;`) stay outside the try, or a failed attempt
    // would release someone else's lock.
    if (!isSuccessCheck(list[first])) return [];
    while (isSuccessCheck(list[first])) first++;
  }
  const last = list.indexOf(releaseStatement);
  const wrapped = list.slice(first, last);
  if (wrapped.length === 0) return [];
  const declared = new Set<string>();
  for (const statement of wrapped) {
    if (ts.isVariableStatement(statement))
      for (const d of statement.declarationList.declarations) for (const id of boundNames(d.name)) declared.add(id.text);
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) declared.add(statement.name.text);
  }
  const after = list.slice(last + 1);
  if (after.some((s) => [...declared].some((name) => new RegExp(`\\b${name}\\b`).test(s.getText())))) return [];

  const indent = indentationAt(sf, wrapped[0]!.getStart(sf));
  const unit = indentUnit(sf);
  const finallyBlock = `} finally {\n${indent}${unit}${releaseStatement.getText(sf)}\n${indent}}`;
  // The release moves into `finally`: it and what separates it from the wrapped statements go.
  const moved = fixer.remove({ start: wrapped[wrapped.length - 1]!.end, end: releaseStatement.end });
  return [fixer.fix("Release the lock in a finally block", wrapStatements(sf, wrapped, "try {", finallyBlock), moved)];
}

/** Mechanisms whose acquisition throws when it does not get the lock in time, whatever its options. */
const THROWS_WHEN_BUSY: Readonly<Record<string, string>> = {
  redlock: "redlock gives up after its retries",
  lease: "the lease is busy past its timeout",
  "redis-semaphore": "the semaphore's acquire timeout passes",
};

/**
 * `Promise.all(keys.map((k) => lock(k)))` where the acquisition can fail by throwing (a distributed lock that gives
 * up, or an explicit timeout or abort signal): the acquisitions that succeeded are held with nobody to release them.
 */
function takenTogether(acquisition: LockAcquisition): { collection: ts.Expression; all: ts.CallExpression; failure: string } | undefined {
  const call = acquisition.call;
  const failure = failureOf(acquisition);
  if (!failure) return undefined;
  let value: ts.Node = call;
  while (ts.isAwaitExpression(value.parent) || ts.isParenthesizedExpression(value.parent)) value = value.parent;
  const callback = ts.isReturnStatement(value.parent) ? enclosingFunction(value.parent) : value.parent;
  if (!callback || !(ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))) return undefined;
  if (ts.isArrowFunction(callback) && callback.body !== value && !ts.isReturnStatement(value.parent)) return undefined;
  const map = callback.parent;
  if (
    !ts.isCallExpression(map) ||
    map.arguments[0] !== callback ||
    !ts.isPropertyAccessExpression(map.expression) ||
    map.expression.name.text !== "map"
  )
    return undefined;
  let outer: ts.Node = map;
  while (ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
  const all = outer.parent;
  if (!ts.isCallExpression(all) || all.expression.getText() !== "Promise.all") return undefined;
  return { collection: map.expression.expression, all, failure };
}

/** Why an acquisition can fail by throwing, or undefined when it only waits. */
function failureOf(acquisition: LockAcquisition): string | undefined {
  if (!ts.isCallExpression(acquisition.call) || acquisition.style !== "blocking") return undefined;
  return (
    THROWS_WHEN_BUSY[acquisition.mechanism] ?? (hasWaitLimit(acquisition.call) ? "its timeout passes or its signal aborts" : undefined)
  );
}

/**
 * `for (const k of keys) held.push(await lock(k, { timeoutMs }))` with no `try` around the loop: a failure for a later
 * key leaves the earlier ones held, whatever `finally` comes after the loop.
 */
function collectedInLoop(acquisition: LockAcquisition): { collection: ts.Expression; held: string; failure: string } | undefined {
  const failure = failureOf(acquisition);
  if (!failure) return undefined;
  let value: ts.Node = acquisition.call;
  while (ts.isAwaitExpression(value.parent) || ts.isParenthesizedExpression(value.parent)) value = value.parent;
  const push = value.parent;
  if (!ts.isCallExpression(push) || !push.arguments.includes(value as ts.Expression) || calleeName(push) !== "push") return undefined;
  const held = receiverOf(push);
  if (!held || !ts.isIdentifier(held)) return undefined;
  const fn = enclosingFunction(acquisition.call);
  let loop: ts.ForOfStatement | undefined;
  for (let node: ts.Node = push; node.parent && node !== fn; node = node.parent) {
    if (ts.isForOfStatement(node.parent) && node.parent.statement === node) loop ??= node.parent;
    // Inside a try (of this function) that may release on failure: not this shape.
    if (ts.isTryStatement(node.parent) && node.parent.tryBlock === node) return undefined;
  }
  return loop ? { collection: loop.expression, held: held.text, failure } : undefined;
}

/** An options argument with a timeout or an abort signal: the acquisition rejects when it runs out. */
function hasWaitLimit(call: ts.CallExpression): boolean {
  return call.arguments.some(
    (a) =>
      ts.isObjectLiteralExpression(a) &&
      a.properties.some((p) => p.name !== undefined && /^(timeout|timeoutMs|acquireTimeout|signal)$/.test(p.name.getText())),
  );
}

interface EarlyRelease {
  returned: ts.Expression;
  release: ReleaseCall;
  /** The returned value's type is a promise (not `any`). */
  certain: boolean;
}

/**
 * `return work()` (not awaited) inside a `try` or `catch` whose `finally` releases the lock, where the lock may be held:
 * the `finally` runs when the promise is handed back, not when it settles.
 */
function releasedBeforeSettling(
  acquisition: LockAcquisition,
  fn: FunctionLike,
  releases: readonly ReleaseCall[],
  checker: ts.TypeChecker,
): EarlyRelease[] {
  const found: EarlyRelease[] = [];
  const seen = new Set<ts.ReturnStatement>();
  for (const release of releases) {
    const guarded = tryReleasingInFinally(release, fn);
    if (!guarded) continue;
    const blocks = [guarded.tryBlock, guarded.catchClause?.block].filter((b): b is ts.Block => !!b);
    for (const block of blocks)
      for (const ret of nodesOfKinds<ts.ReturnStatement>(block, [ts.SyntaxKind.ReturnStatement])) {
        const returned = ret.expression && skipParens(ret.expression);
        if (!returned || seen.has(ret) || enclosingFunction(ret) !== fn || ts.isAwaitExpression(returned)) continue;
        const promise = promiseKind(returned, checker);
        if (!promise || !acquisitionPaths(acquisition).heldAt(ret)) continue;
        seen.add(ret);
        found.push({ returned: ret.expression!, release, certain: promise === "promise" });
      }
  }
  return found;
}

/** The `try` statement of `fn` whose `finally` block holds `release`. */
function tryReleasingInFinally(release: ts.Node, fn: ts.Node): ts.TryStatement | undefined {
  for (let node: ts.Node = release; node.parent && node !== fn; node = node.parent)
    if (ts.isTryStatement(node.parent) && node.parent.finallyBlock === node) return node.parent;
  return undefined;
}

/** "promise" when the value is thenable; "maybe" for a call whose type is `any` (a wrapped method, `original.apply`). */
function promiseKind(value: ts.Expression, checker: ts.TypeChecker): "promise" | "maybe" | undefined {
  let type: ts.Type;
  try {
    type = checker.getTypeAtLocation(value);
  } catch {
    return undefined;
  }
  // `any` as declared or inferred (a decorator's `original.apply(this, args)`), not the error type of a call whose
  // declaration did not resolve (dependencies not installed): that one says nothing about the value.
  if (type.flags & ts.TypeFlags.Any)
    return ts.isCallExpression(value) && (type as { intrinsicName?: string }).intrinsicName === "any" ? "maybe" : undefined;
  const thenable = (t: ts.Type): boolean => {
    const then = t.getProperty("then");
    return !!then && checker.getTypeOfSymbolAtLocation(then, value).getCallSignatures().length > 0;
  };
  return (type.isUnion() ? type.types.some(thenable) : thenable(type)) ? "promise" : undefined;
}

function isAsync(fn: ts.Node): boolean {
  return ts.canHaveModifiers(fn) && !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

function fnName(fn: ts.Node): string {
  const named = fn as { name?: ts.Node };
  return named.name ? named.name.getText() : "this function";
}

/** `this.mutex.release()` somewhere else in the file: the class releases it in another method. */
function releasedInFile(acquisition: LockAcquisition, sf: ts.SourceFile): boolean {
  if (!acquisition.lockObject) return false;
  const key = expressionKey(acquisition.lockObject);
  let found = false;
  walk(sf, (node) => {
    if (found) return false;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      /^(release|unlock|cancel)$/.test(node.expression.name.text) &&
      expressionKey(node.expression.expression) === key
    )
      found = true;
  });
  return found;
}
