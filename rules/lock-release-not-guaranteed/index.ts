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
  boundNames,
  calleeResolver,
  cannotThrowResolver,
  code,
  inlineCode,
  defineRule,
  enclosingFunction,
  canonicalKey,
  isDisposedByUsing,
  isAsync,
  isInside,
  isReleaseOf,
  lineOf,
  nodesOfKinds,
  promiseChainsIn,
  resultBinding,
  sentenceStart,
  spanOf,
  statementOf,
  ts,
  walk,
  type Leak,
  type LockAcquisition,
} from "../../server/src/rule-kit";
import { releasedBeforeSettling, type ReleaseCall } from "./early-release";
import { collectedInLoop, racedAgainst, takenTogether } from "./lost-handles";
import { wrapInFinally } from "./wrap-in-finally";

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
      lostInRace:
        "{{lock}} is raced against {{other}} with {{race}}: when {{other}} settles first, the acquisition is not cancelled — it completes later and takes the lock, whose handle nobody has, so {{consequence}}.",
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
    const resolve = calleeResolver(context.program, () => context.checker);
    // A project function whose body cannot throw (`return s.ttl === 0`, or a `catch` that takes every error) skips no release.
    const cannotThrow = cannotThrowResolver(resolve);
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
      const raced = racedAgainst(acquisition);
      if (raced) {
        context.report({
          messageId: "lostInRace",
          data: {
            lock: sentenceStart(acquisition.label),
            other: inlineCode(shortText(raced.other)),
            race: inlineCode(raced.race.expression.getText()),
            consequence: consequence(acquisition),
          },
          help: "Give the acquisition itself the time limit (async-mutex's `withTimeout`, the runtime's `{ timeoutMs }`, an abort signal), so that a timeout removes it from the queue.",
          span: spanOf(acquisition.call, context.sourceFile),
          related: [{ span: spanOf(raced.race, context.sourceFile), message: "the race that gives up on the acquisition" }],
        });
        continue;
      }
      const collected = collectedInLoop(acquisition);
      if (collected) {
        context.report({
          messageId: "leakedByLaterFailure",
          data: {
            lock: sentenceStart(acquisition.label),
            collection: inlineCode(shortText(collected.collection)),
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
          data: {
            lock: sentenceStart(acquisition.label),
            collection: inlineCode(shortText(together.collection)),
            failure: together.failure,
          },
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
      for (const early of releasedBeforeSettling(acquisition, fn, analysis.releases, context.checker, resolve))
        context.report({
          messageId: early.certain ? "releasedBeforeSettled" : "releasedBeforeSettledIfPromise",
          data: { lock: data.lock, line: lineOf(early.release), work: inlineCode(shortText(early.returned)) },
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
      const paths = acquisitionPaths(acquisition);
      const leak = paths.leak(cannotThrow);
      if (!leak || keptOnSuccess(acquisition, analysis.releases, leak) || handedOn(acquisition, fn, analysis.releases, sf)) continue;
      // Releases this acquisition reaches: another acquisition of the same lock in the function has its own.
      const held = analysis.releases.filter((release) => paths.heldAt(release));
      // A busy key none of whose deletes can run after this set (they sit in another branch: a peer's "gone" event) is
      // a registry entry a later call removes, not a key held for some work that a failure could leave marked.
      if (acquisition.mechanism === "busy-key" && held.length === 0) continue;
      const releases = held.length > 0 ? held : analysis.releases;
      const named = (leak.skipped as ReleaseCall | undefined) ?? releases[0]!;
      context.report({
        messageId: "releaseSkippable",
        data: { ...data, line: lineOf(named), skip: whatSkips(leak) },
        help: "Release it in a `finally` block.",
        span: spanOf(acquisition.call, sf),
        related: releases.map((release) => ({ span: spanOf(release, sf), message: "released here, but not on every path" })),
        fixes: wrapInFinally(context.sourceFile, context.fixer, acquisition, acquisitionStatement, releases),
      });
    }
  },
});

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
  if (ts.isVariableDeclaration(parent)) return parent.initializer === id; // copied into another variable, as by `=`
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

/**
 * A busy key the function gives back only in `catch` (or by closing its own connection) is kept on success by design:
 * a state marker (this connection has authenticated the document), not a critical section. Only a failure that skips
 * the catch leaks it; the success path that keeps it does not.
 */
function keptOnSuccess(acquisition: LockAcquisition, releases: readonly ts.Node[], leak: Leak): boolean {
  if (acquisition.mechanism !== "busy-key" || (leak.kind !== "path" && leak.kind !== "branch")) return false;
  const inCatch = (release: ts.Node) => {
    for (let node: ts.Node = release; node.parent && !isInside(acquisition.call, node.parent); node = node.parent)
      if (ts.isCatchClause(node.parent)) return true;
    return false;
  };
  return releases.length > 0 && releases.every(inCatch);
}

/**
 * A lock this function releases only where it gives up (the release is followed by a `return` or `throw` in its
 * branch) and another function of the file releases is handed on when the function succeeds: a pool's permit that
 * leaves with the resource taken (`take()` keeps it, `giveBack()` releases it), not a critical section left open.
 */
function handedOn(acquisition: LockAcquisition, fn: ts.Node, releases: readonly ts.Node[], sf: ts.SourceFile): boolean {
  return releases.length > 0 && releases.every(givesUpAfter) && releasedInFile(acquisition, sf, fn);
}

/** `release` is followed, in its own block (a branch, not the function's body), by a `return` or `throw`. */
function givesUpAfter(release: ts.Node): boolean {
  const statement = statementOf(release);
  const block = statement?.parent;
  if (!statement || !block || !ts.isBlock(block) || !ts.isIfStatement(block.parent)) return false;
  const after = block.statements.slice(block.statements.indexOf(statement as ts.Statement) + 1);
  return after.some((s) => ts.isReturnStatement(s) || ts.isThrowStatement(s));
}

/** What takes a path out of the function with the lock held, for the message: "the `return` at line 12 runs". */
function whatSkips(leak: Leak): string {
  switch (leak.kind) {
    case "exit":
      return `the \`${leak.node.getText().split(/[\s;(]/)[0]}\` at line ${lineOf(leak.node)} runs`;
    case "throws":
      return `${inlineCode(shortText(leak.node))} at line ${lineOf(leak.node)} throws`;
    case "branch":
      return `${inlineCode(shortText(leak.condition))} at line ${lineOf(leak.condition)} is ${leak.truth ? "true" : "false"}`;
    case "path":
      return "the code takes a path that does not reach it";
  }
}

function shortText(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length > 50 ? `${text.slice(0, 47)}...` : text;
}

/**
 * What a leaked lock does to the others. A try-lock (SET NX, `pg_try_advisory_lock`, `tryAcquire`) is not waited for:
 * the others' attempts fail, and they skip the work or try again, as their code decides.
 */
function consequence(acquisition: LockAcquisition): string {
  if (acquisition.mechanism === "busy-key")
    return "the key stays marked busy, and every later call for it is turned away until the process restarts";
  const others = acquisition.style === "try" ? "meanwhile every other attempt to take it fails" : undefined;
  if (acquisition.expires) return `the lock stays held until it expires, and ${others ?? "every other process waits for it meanwhile"}`;
  if (acquisition.mechanism === "lock-table")
    return "the lock row stays in the table, and every later acquisition is turned away until someone deletes it by hand";
  if (acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named")
    return `the lock stays held for as long as the database session lives (a pooled connection can live for hours), and ${others ?? "everyone else waits"}`;
  return "the lock is never released, and every later acquisition waits forever";
}

function fnName(fn: ts.Node): string {
  const named = fn as { name?: ts.Node };
  return named.name ? named.name.getText() : "this function";
}

/**
 * `this.mutex.release()` (or a delete of a lock table's rows) elsewhere in the file: another method releases it. With
 * `outside`, a release inside that function, or one where another function gives up, does not count.
 */
function releasedInFile(acquisition: LockAcquisition, sf: ts.SourceFile, outside?: ts.Node): boolean {
  // A lock table is one only where the file deletes its rows: a lock service's `release` method.
  if (acquisition.mechanism === "lock-table") return true;
  if (!acquisition.lockObject) return false;
  const key = canonicalKey(acquisition.lockObject);
  let found = false;
  walk(sf, (node) => {
    if (found) return false;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      /^(release|unlock|cancel)$/.test(node.expression.name.text) &&
      canonicalKey(node.expression.expression) === key &&
      !(outside && (isInside(node, outside) || givesUpAfter(node)))
    )
      found = true;
  });
  return found;
}
