// retry-without-backoff: a loop that retries after a conflict or lock failure (serialization failure, deadlock,
// ConflictError, a compare-and-set that changed no row, a try-lock that failed) with no delay, a constant delay, or
// no bound on attempts. Retrying at once makes the contenders collide again (a retry storm that turns contention into
// livelock); a constant delay keeps them in lock-step; an unbounded loop never gives up. The same retry written as
// recursion (a catch of a serialization failure or deadlock that calls its own function again with no sleep) too.
import {
  DATABASE_CONFLICT_ERROR,
  RETRYABLE_ERROR,
  alwaysExits,
  boundNames,
  calleeName,
  calleeResolver,
  code,
  dbAccessOf,
  defineRule,
  enclosingFunction,
  indentUnit,
  indentationAt,
  isFunctionLike,
  isVersionColumn,
  lockAcquisitionOf,
  lockCheckerFor,
  lockFailureSignals,
  mentions,
  nodesOfKinds,
  readsOnly,
  reindentedText,
  skipAwait,
  skipParens,
  spanOf,
  isOrderingComparison,
  ts,
  walk,
  type CalleeResolver,
  type CheckerGetter,
  type DbAccess,
  type Fix,
  type Fixer,
} from "../server/src/rule-kit";

export const retryWithoutBackoff = defineRule({
  meta: {
    id: "retry-without-backoff",
    description: "A loop retries after a conflict or lock failure with no delay, a constant delay, or no bound on attempts.",
    defaultSeverity: "warn",
    fixable: true,
    messages: {
      noDelay: "This loop retries after {{reason}} immediately, with no delay, so the callers that just collided can collide again.",
      constantDelay:
        "This loop retries after {{reason}} after a constant delay, so the callers that just collided stay in lock-step and can collide again.",
      unbounded: "This loop retries after {{reason}} with no bound on attempts, so under lasting contention it never gives up.",
      noDelayUnbounded:
        "This loop retries after {{reason}} immediately, with no delay, so the callers that just collided can collide again and with no bound on attempts, so under lasting contention it never gives up.",
      constantDelayUnbounded:
        "This loop retries after {{reason}} after a constant delay, so the callers that just collided stay in lock-step and can collide again and with no bound on attempts, so under lasting contention it never gives up.",
      noDelayRecursive:
        "This catch retries after {{reason}} by calling {{name}} again immediately, with no delay, so the callers that just collided can collide again.",
      noDelayRecursiveUnbounded:
        "This catch retries after {{reason}} by calling {{name}} again immediately, with no delay, so the callers that just collided can collide again, and with no bound on attempts, so under lasting contention it never gives up.",
    },
  },
  checkFile(context) {
    const loops = nodesOfKinds<Loop>(context.sourceFile, [
      ts.SyntaxKind.WhileStatement,
      ts.SyntaxKind.DoStatement,
      ts.SyntaxKind.ForStatement,
    ]);
    const resolve = calleeResolver(context.program, () => context.checker);
    for (const node of loops) {
      const reason = retryReason(
        node,
        lockCheckerFor(context.program, () => context.checker),
      );
      if (!reason || isOptimisticRetry(node, reason, resolve) || (reason === CONFLICT && asksForAnother(node))) continue;
      // A lock that was busy or a try-lock that failed: the loop waits for a holder, it does not retry a conflict.
      const messageId = problemOf(node, reason === "a failed try-lock" || reason === "a lock that was busy, timed out or lost");
      if (!messageId) continue;
      const header = {
        ...spanOf(node, context.sourceFile),
        end: ts.isDoStatement(node) ? node.getStart(context.sourceFile) + 2 : node.statement.getStart(context.sourceFile) - 1,
      };
      const fix = retryHelperFix(node, context.sourceFile, context.fixer);
      context.report({
        messageId,
        data: { reason },
        help: "Use the runtime's `retry` (exponential backoff with jitter, bounded attempts).",
        span: header,
        fixes: fix ? [fix] : [],
      });
    }
    // The same retry written as recursion: a catch of a conflict that calls its own function again at once.
    for (const clause of nodesOfKinds<ts.CatchClause>(context.sourceFile, [ts.SyntaxKind.CatchClause])) {
      const retry = recursiveRetry(clause);
      if (!retry) continue;
      context.report({
        messageId: retry.bounded ? "noDelayRecursive" : "noDelayRecursiveUnbounded",
        data: { reason: "a serialization failure or deadlock", name: code(`${retry.name}()`) },
        help: "Wait before calling it again, with a delay that grows with the attempt and some jitter, and pass an attempt count that stops it (or use the runtime's `retry`).",
        span: spanOf(retry.call, context.sourceFile),
      });
    }
  },
});

/**
 * A retry by recursion: a catch that tests for a serialization failure, deadlock or conflict and calls the function it
 * is in again (`return this.inTransaction(work)`), with no sleep in the catch. Bounded when the call passes an attempt
 * count it changes (`attempt + 1`) or the catch compares one; a catch that waits first is left alone.
 */
function recursiveRetry(clause: ts.CatchClause): { call: ts.CallExpression; name: string; bounded: boolean } | undefined {
  // The database's own conflicts only: an application ConflictError retried by recursion re-reads from the top, the
  // lock-free compare-and-set retry the loop form leaves alone too (isOptimisticRetry).
  if (!DATABASE_CONFLICT_ERROR.test(textOutsideThrows(clause.block))) return undefined;
  const fn = enclosingFunction(clause);
  if (!fn) return undefined;
  const own = ownName(fn);
  if (!own) return undefined;
  let call: ts.CallExpression | undefined;
  let sleeps = false;
  walk(clause.block, (node) => {
    if (isFunctionLike(node)) return false;
    if (ts.isCallExpression(node)) {
      const name = calleeName(node) ?? "";
      if (SLEEPS.test(name) || (node.arguments.length === 1 && SLEEP_WITH_ONE_ARGUMENT.test(name))) sleeps = true;
      const callee = skipParens(node.expression);
      const self = own.method
        ? ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword && callee.name.text === own.name
        : ts.isIdentifier(callee) && callee.text === own.name;
      if (self && !call) call = node;
    }
    return true;
  });
  if (!call || sleeps) return undefined;
  const changesCount = call.arguments.some((a) => {
    const arg = skipParens(a);
    return (
      (ts.isBinaryExpression(arg) &&
        (arg.operatorToken.kind === ts.SyntaxKind.PlusToken || arg.operatorToken.kind === ts.SyntaxKind.MinusToken)) ||
      ((ts.isPrefixUnaryExpression(arg) || ts.isPostfixUnaryExpression(arg)) &&
        (arg.operator === ts.SyntaxKind.PlusPlusToken || arg.operator === ts.SyntaxKind.MinusMinusToken))
    );
  });
  const comparesCount = nodesOfKinds<ts.IfStatement>(clause.block, [ts.SyntaxKind.IfStatement]).some(
    (i) => /[<>]=?/.test(i.expression.getText()) && /attempt|tries|retr|count/i.test(i.expression.getText()),
  );
  return { call, name: own.name, bounded: changesCount || comparesCount };
}

/** The name a function calls itself by: a method's (through `this`), or a declared or assigned function's. */
function ownName(fn: ts.Node): { name: string; method: boolean } | undefined {
  if (ts.isMethodDeclaration(fn) && ts.isIdentifier(fn.name)) return { name: fn.name.text, method: true };
  if (ts.isFunctionDeclaration(fn) && fn.name) return { name: fn.name.text, method: false };
  if ((ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) && ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name))
    return { name: fn.parent.name.text, method: false };
  if (ts.isFunctionExpression(fn) && fn.name) return { name: fn.name.text, method: false };
  return undefined;
}

type Loop = ts.WhileStatement | ts.DoStatement | ts.ForStatement;

const CONFLICT = "a serialization failure, deadlock or conflict";
const VERSION_CHECK = "a version check that changed no row";

/**
 * A bounded compare-and-set retry that reads the record afresh each attempt and writes against that copy: every lost
 * attempt is another writer's committed success, so retrying at once makes progress (lock-free), and there is no
 * database lock, deadlock or serialization failure to back off from.
 */
function isOptimisticRetry(loop: Loop, reason: string, resolve: CalleeResolver): boolean {
  if (reason !== CONFLICT && reason !== VERSION_CHECK) return false;
  if (!isBounded(loop)) return false;
  const catches = nodesOfKinds<ts.CatchClause>(loop.statement, [ts.SyntaxKind.CatchClause]);
  if (catches.some((clause) => DATABASE_CONFLICT_ERROR.test(textOutsideThrows(clause.block)))) return false;
  const fresh = freshReadsIn(loop, resolve);
  if (fresh.size === 0) return false;
  // The attempted write: an awaited call, not one of the reads, given the fresh copy (or a value taken from it).
  let writesFresh = false;
  walk(loop.statement, (node) => {
    if (writesFresh || isFunctionLike(node)) return false;
    if (ts.isAwaitExpression(node)) {
      const call = skipAwait(node.expression);
      if (ts.isCallExpression(call) && !isRead(call, resolve) && call.arguments.some((a) => mentions(a, fresh))) writesFresh = true;
    }
    return !writesFresh;
  });
  return writesFresh;
}

/**
 * A conflict answered by asking for something else: the `catch` gives a name the attempted call is passed a new value
 * from a call (`name = nextFreeName(name)` after a name clash), so the next turn makes another request, not the one that
 * collided again.
 */
function asksForAnother(loop: Loop): boolean {
  for (const attempt of nodesOfKinds<ts.TryStatement>(loop.statement, [ts.SyntaxKind.TryStatement], { skipFunctions: true })) {
    const clause = attempt.catchClause;
    if (!clause) continue;
    const renamed = new Set<string>();
    for (const assignment of nodesOfKinds<ts.BinaryExpression>(clause.block, [ts.SyntaxKind.BinaryExpression], { skipFunctions: true })) {
      const value = skipAwait(skipParens(assignment.right));
      if (assignment.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(assignment.left) && ts.isCallExpression(value))
        renamed.add(assignment.left.text);
    }
    if (renamed.size === 0) continue;
    const passed = nodesOfKinds<ts.AwaitExpression>(attempt.tryBlock, [ts.SyntaxKind.AwaitExpression], { skipFunctions: true }).some(
      (awaited) => {
        const call = skipAwait(awaited.expression);
        return ts.isCallExpression(call) && call.arguments.some((argument) => mentions(argument, renamed));
      },
    );
    if (passed) return true;
  }
  return false;
}

/** A call named as a read (`getById`, `findOne`, `fetchConfig`), not a get-or-create. */
const READ_NAME = /^(get|find|fetch|load|read)(?!.*Or(Create|Insert|Upsert))/i;

function isRead(call: ts.CallExpression, resolve: CalleeResolver): boolean {
  return READ_NAME.test(calleeName(call) ?? "") || readsOnly(call, resolve);
}

/** Names the loop's body binds to an awaited read (`const fresh = await getById(id)`), or to another such name. */
function freshReadsIn(loop: Loop, resolve: CalleeResolver): Set<string> {
  const fresh = new Set<string>();
  const bind = (name: ts.Node, value: ts.Expression | undefined) => {
    if (!value) return;
    const inner = skipParens(value);
    const read =
      ts.isAwaitExpression(inner) && ts.isCallExpression(skipAwait(inner)) && isRead(skipAwait(inner) as ts.CallExpression, resolve);
    if (!read && !(ts.isIdentifier(inner) && fresh.has(inner.text))) return;
    if (ts.isIdentifier(name)) fresh.add(name.text);
    else if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name)) for (const id of boundNames(name)) fresh.add(id.text);
  };
  // Twice: `current = fresh` may come after the read it copies in source order only within a catch.
  for (let pass = 0; pass < 2; pass++)
    walk(loop.statement, (node) => {
      if (isFunctionLike(node)) return false;
      if (ts.isVariableDeclaration(node)) bind(node.name, node.initializer);
      else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) bind(node.left, node.right);
      return true;
    });
  return fresh;
}

const SLEEPS = /^(sleep|delay|wait|setTimeout|backoff|pause)$/i;
/** `await timeout(ms)`: a sleep when given the delay alone (`timeout(promise, ms)` races a promise instead). */
const SLEEP_WITH_ONE_ARGUMENT = /^timeout$/i;

/** What the loop retries after, for the message; undefined when it is not a retry-after-conflict loop. */
function retryReason(loop: Loop, checker: CheckerGetter): string | undefined {
  let reason: string | undefined;
  // The condition too: `while (!(await redis.set(key, token, "PX", ms, "NX")))` spins on a try-lock.
  walk(loop, (node) => {
    if (reason || isFunctionLike(node)) return false;
    if (ts.isCatchClause(node) && !alwaysExits(node.block) && RETRYABLE_ERROR.test(textOutsideThrows(node.block))) reason = CONFLICT;
    else if (ts.isCatchClause(node) && RETRYABLE_ERROR.test(textOutsideThrows(node.block)) && /\bcontinue\b/.test(node.block.getText()))
      reason = CONFLICT;
    else if (ts.isCatchClause(node) && catchesLockFailure(node)) reason = "a lock that was busy, timed out or lost";
    // An exclusive create of the same path on every pass that failed because the path exists (`mkdir(lockDir)`,
    // `open(file, "wx")`) is a lock file another process holds.
    else if (
      ts.isCatchClause(node) &&
      !alwaysExits(node.block) &&
      /\bEEXIST\b/.test(textOutsideThrows(node.block)) &&
      createsSamePath(node, loop)
    )
      reason = "a lock file that another process held (EEXIST)";
    else if (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) {
      const access = dbAccessOf(node);
      if (access && isVersionCheck(access, loop)) reason = VERSION_CHECK;
      else if (lockAcquisitionOf(node, checker)?.style === "try") reason = "a failed try-lock";
    }
    return !reason;
  });
  return reason;
}

/**
 * A block's text without its `throw` statements: an error the catch throws itself (`throw new FileConflictError(name)`
 * once the attempts run out) is what it reports, not the failure it retries after.
 */
function textOutsideThrows(block: ts.Block): string {
  const start = block.getStart();
  let text = block.getText();
  walk(block, (node) => {
    if (!ts.isThrowStatement(node)) return true;
    const from = node.getStart() - start;
    text = text.slice(0, from) + " ".repeat(node.getEnd() - node.getStart()) + text.slice(node.getEnd() - start);
    return false;
  });
  // A catch that asks a predicate declared in the same file (`if (!isWriteConflict(err)) throw err`), or a method of
  // its own class (`if (!this.isRetryable(err)) break`), tests for what the predicate's body tests (`err.code === "P2034"`).
  for (const call of nodesOfKinds<ts.CallExpression>(block, [ts.SyntaxKind.CallExpression])) {
    const callee = call.expression;
    const body = ts.isIdentifier(callee)
      ? localPredicateBody(callee)
      : ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword && isTested(call)
        ? ownMethodBody(callee)
        : undefined;
    if (body) text += "\n" + body.getText();
  }
  return text;
}

/**
 * The call's answer is tested: it sits in the condition of an `if`, a loop or a `?:` (`if (!this.isRetryable(err))`),
 * not in a branch, so a method the catch calls to retry (`ok ? this.fetchQuote(…) : undefined`) is no predicate.
 */
function isTested(call: ts.CallExpression): boolean {
  for (let child: ts.Node = call, parent = call.parent; parent && !ts.isBlock(parent); child = parent, parent = parent.parent) {
    if (ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) return child === parent.expression;
    if (ts.isConditionalExpression(parent)) return child === parent.condition;
  }
  return false;
}

/** The body of the method `this.name` calls, declared in the class around the call (a method, or an arrow property). */
function ownMethodBody(access: ts.PropertyAccessExpression): ts.Node | undefined {
  let owner: ts.Node | undefined = access.parent;
  while (owner && !ts.isClassLike(owner)) owner = owner.parent;
  if (!owner || !ts.isClassLike(owner)) return undefined;
  for (const member of owner.members) {
    if (!member.name || !ts.isIdentifier(member.name) || member.name.text !== access.name.text) continue;
    if (ts.isMethodDeclaration(member)) return member.body;
    const init = ts.isPropertyDeclaration(member) && member.initializer && skipParens(member.initializer);
    if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) return init.body;
  }
  return undefined;
}

/** The body of the function `name` names when the file declares it at top level (`function f(…)`, `const f = (…) => …`). */
function localPredicateBody(name: ts.Identifier): ts.Node | undefined {
  for (const statement of name.getSourceFile().statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name?.text === name.text) return statement.body;
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const init = declaration.initializer && skipParens(declaration.initializer);
      if (
        ts.isIdentifier(declaration.name) &&
        declaration.name.text === name.text &&
        init &&
        (ts.isArrowFunction(init) || ts.isFunctionExpression(init))
      )
        return init.body;
    }
  }
  return undefined;
}

const EXCLUSIVE_CREATE = /^(mkdir|open|link|symlink|writeFile)(Sync)?$/;

/** The `try` of `clause` creates a file or directory whose path no statement of the loop changes (a lock file, not a fresh name). */
function createsSamePath(clause: ts.CatchClause, loop: Loop): boolean {
  const creates = nodesOfKinds<ts.CallExpression>(clause.parent.tryBlock, [ts.SyntaxKind.CallExpression]).filter(
    (call) => EXCLUSIVE_CREATE.test(calleeName(call) ?? "") && call.arguments.length > 0,
  );
  if (creates.length === 0) return false;
  const changing = new Set<string>();
  walk(loop, (node) => {
    if (ts.isVariableDeclaration(node)) for (const id of boundNames(node.name)) changing.add(id.text);
    else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(node.left))
      changing.add(node.left.text);
    return true;
  });
  return creates.every((call) => !mentions(call.arguments[0]!, changing));
}

/** A catch that tests for a lock library's failure (`error === E_ALREADY_LOCKED`, `instanceof ExecutionError`) and retries. */
function catchesLockFailure(clause: ts.CatchClause): boolean {
  const signals = lockFailureSignals(clause.getSourceFile());
  const text = clause.block.getText();
  return !!signals && signals.test(text) && (!alwaysExits(clause.block) || /\bcontinue\b/.test(text));
}

/**
 * A write that changes no row when its version condition fails: an UPDATE (an upsert or insert always writes) whose
 * version is not the loop's own counter (`for (let version = 1; …)` walks revisions, it does not retry).
 */
function isVersionCheck(access: DbAccess, loop: Loop): boolean {
  if (access.kind !== "write") return false;
  if (
    access.sql
      ? access.sql.statement.kind !== "update"
      : /^(upsert|create|insert)/i.test(calleeName(access.node as ts.CallExpression) ?? "")
  )
    return false;
  const counters = new Set<string>();
  if (ts.isForStatement(loop) && loop.initializer && ts.isVariableDeclarationList(loop.initializer))
    for (const declaration of loop.initializer.declarations) for (const id of boundNames(declaration.name)) counters.add(id.text);
  return access.conditions.some((c) => isVersionColumn(c.column) && !(c.value && mentions(c.value, counters)));
}

interface Delay {
  call: ts.CallExpression;
  /** The delay grows with the attempt (exponential, `backoffDelay`, or any use of the loop counter) or is random. */
  varies: boolean;
}

/** `await sleep(ms)`, `await new Promise((r) => setTimeout(r, ms))`, `await setTimeout(ms)` (timers/promises). */
function delayIn(loop: Loop): Delay | undefined {
  let found: Delay | undefined;
  walk(loop.statement, (node) => {
    if (found) return false;
    if (ts.isAwaitExpression(node)) {
      const awaited = skipAwait(node.expression);
      let call: ts.CallExpression | undefined;
      const names = ts.isCallExpression(awaited) ? delayCalleeNames(awaited) : [];
      if (ts.isCallExpression(awaited) && names.some((name) => SLEEPS.test(name))) call = awaited;
      if (ts.isCallExpression(awaited) && awaited.arguments.length === 1 && names.some((name) => SLEEP_WITH_ONE_ARGUMENT.test(name)))
        call = awaited;
      if (ts.isNewExpression(awaited) && awaited.expression.getText() === "Promise") {
        walk(awaited, (inner) => {
          if (!call && ts.isCallExpression(inner) && calleeName(inner) === "setTimeout") call = inner;
          return !call;
        });
      }
      if (call) found = { call, varies: call.arguments.some((a) => varies(a, loop)) };
    }
    return !found;
  });
  return found;
}

/**
 * The names a call may call: its callee's, or, for an injected function with a default (`(options.sleep ?? sleep)(ms)`,
 * `(wait || delay)(ms)`), each side's.
 */
function delayCalleeNames(call: ts.CallExpression): string[] {
  const callee = skipParens(call.expression);
  if (
    ts.isBinaryExpression(callee) &&
    (callee.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || callee.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  )
    return [callee.left, callee.right].flatMap((side) => {
      const node = skipParens(side);
      return ts.isIdentifier(node) ? [node.text] : ts.isPropertyAccessExpression(node) ? [node.name.text] : [];
    });
  const name = calleeName(call);
  return name ? [name] : [];
}

/**
 * The delay expression changes between attempts: random, exponential, or computed from something the loop updates;
 * also through a local the loop computes it into first (`const wait = Math.min(base * 2 ** attempt, max)`).
 */
function varies(expr: ts.Expression, loop: Loop, depth = 0): boolean {
  const text = expr.getText();
  if (/Math\.random|\*\*|Math\.pow|<<|backoff|jitter/i.test(text)) return true;
  if (depth < 3 && computedLocals(expr, loop).some((initializer) => varies(initializer, loop, depth + 1))) return true;
  const updated = new Set<string>();
  walk(loop, (node) => {
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && ts.isIdentifier(node.operand))
      updated.add(node.operand.text);
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      ts.isIdentifier(node.left)
    )
      updated.add(node.left.text);
  });
  return mentions(expr, updated);
}

/** The initializers of the locals declared in the loop's body that `expr` names. */
function computedLocals(expr: ts.Expression, loop: Loop): ts.Expression[] {
  const names = new Set<string>(ts.isIdentifier(expr) ? [expr.text] : []);
  walk(expr, (node) => {
    if (ts.isIdentifier(node)) names.add(node.text);
    return true;
  });
  return nodesOfKinds<ts.VariableDeclaration>(loop.statement, [ts.SyntaxKind.VariableDeclaration]).flatMap((d) =>
    ts.isIdentifier(d.name) && names.has(d.name.text) && d.initializer ? [d.initializer] : [],
  );
}

/** A bound on attempts: a loop condition, or an exit inside the body, that compares a counter the loop updates. */
function isBounded(loop: Loop): boolean {
  const condition = ts.isForStatement(loop) ? loop.condition : loop.expression;
  if (condition && condition.kind !== ts.SyntaxKind.TrueKeyword && /[<>]/.test(condition.getText())) return true;
  let bounded = false;
  walk(loop.statement, (node) => {
    if (bounded || isFunctionLike(node)) return false;
    if (
      ts.isIfStatement(node) &&
      /[<>]=?/.test(node.expression.getText()) &&
      /attempt|tries|retr|count/i.test(node.expression.getText()) &&
      alwaysExits(node.thenStatement)
    )
      bounded = true;
    else if (
      ts.isIfStatement(node) &&
      (isDeadlineTest(node) || retriesBelowMaximum(node) || continuesBelowMaximum(node) || spendsRemainingTries(node))
    )
      bounded = true;
    return !bounded;
  });
  return bounded;
}

/**
 * A clock reading, or the time elapsed since one, compared with something: `Date.now() >= deadline`, `deadline >
 * performance.now()`, `Date.now() - startedAt > timeoutMs`.
 */
function comparesClock(expression: ts.Expression): boolean {
  const compares = (node: ts.Node) => isOrderingComparison(node) && (readsClock(node.left) || readsClock(node.right));
  let found = compares(expression); // walk visits the nodes below its root only
  walk(expression, (node) => {
    if (found || isFunctionLike(node)) return false;
    found = compares(node);
    return !found;
  });
  return found;
}

/**
 * `Date.now()`, `performance.now()`, `new Date().getTime()`, arithmetic on one (`Date.now() - startedAt`), or a local of
 * the function initialised with one (`const elapsed = time - startedAt`).
 */
function readsClock(expression: ts.Expression, depth = 0): boolean {
  const node = skipParens(expression);
  if (
    ts.isBinaryExpression(node) &&
    (node.operatorToken.kind === ts.SyntaxKind.MinusToken || node.operatorToken.kind === ts.SyntaxKind.PlusToken)
  )
    return readsClock(node.left, depth) || readsClock(node.right, depth);
  if (ts.isIdentifier(node)) {
    if (depth >= 3) return false;
    const fn = enclosingFunction(node);
    if (!fn) return false;
    return nodesOfKinds<ts.VariableDeclaration>(fn, [ts.SyntaxKind.VariableDeclaration]).some(
      (d) => ts.isIdentifier(d.name) && d.name.text === node.text && !!d.initializer && readsClock(d.initializer, depth + 1),
    );
  }
  if (!ts.isCallExpression(node) || node.arguments.length > 0) return false;
  const callee = node.expression.getText();
  if (/^(Date|performance)\.now$/.test(callee)) return true;
  // `new Date().getTime()`, `new Date().valueOf()`
  return (
    ts.isPropertyAccessExpression(node.expression) &&
    /^(getTime|valueOf)$/.test(node.expression.name.text) &&
    ts.isNewExpression(skipParens(node.expression.expression)) &&
    (skipParens(node.expression.expression) as ts.NewExpression).expression.getText() === "Date" &&
    !(skipParens(node.expression.expression) as ts.NewExpression).arguments?.length
  );
}

/** `if (Date.now() - startedAt > timeoutMs) throw …`: the loop gives up when a clock reading passes a deadline. */
function isDeadlineTest(statement: ts.IfStatement): boolean {
  return comparesClock(statement.expression) && alwaysExits(statement.thenStatement);
}

/** The loop stops at a deadline: its condition compares the clock (`while (Date.now() < deadline)`), or an exit does. */
function untilDeadline(loop: Loop): boolean {
  const condition = ts.isForStatement(loop) ? loop.condition : loop.expression;
  if (condition && comparesClock(condition)) return true;
  return nodesOfKinds<ts.IfStatement>(loop.statement, [ts.SyntaxKind.IfStatement]).some(
    (statement) => !isInsideFunction(statement, loop) && isDeadlineTest(statement),
  );
}

/** Whether `node` sits in a function nested in `loop`. */
function isInsideFunction(node: ts.Node, loop: Loop): boolean {
  for (let current = node.parent; current && current !== loop; current = current.parent) if (isFunctionLike(current)) return true;
  return false;
}

/**
 * `if (retries === maxRetries) { log } else { retrying = true; continue }`: the retry is taken only while the attempt
 * counter is below its maximum.
 */
function retriesBelowMaximum(statement: ts.IfStatement): boolean {
  const test = statement.expression.getText();
  return (
    /===?|>=?/.test(test) &&
    /attempt|tries|retr|count/i.test(test) &&
    /max|limit/i.test(test) &&
    !!statement.elseStatement &&
    /\bcontinue\b/.test(statement.elseStatement.getText()) &&
    !/\bcontinue\b/.test(statement.thenStatement.getText())
  );
}

/**
 * `if (e.code === "40001" && retries) { retries -= 1 } else { throw e }`: the retry is taken only while a count of
 * tries left is not zero, and spends one each time.
 */
function spendsRemainingTries(statement: ts.IfStatement): boolean {
  if (!statement.elseStatement || !alwaysExits(statement.elseStatement)) return false;
  const tested = new Set<string>();
  const collect = (expression: ts.Expression): void => {
    const node = skipParens(expression);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      collect(node.left);
      collect(node.right);
    } else if (ts.isIdentifier(node) && /attempt|tries|retr|count|left|remaining/i.test(node.text)) tested.add(node.text);
  };
  collect(statement.expression);
  if (tested.size === 0) return false;
  let spends = false;
  walk(statement.thenStatement, (node) => {
    if (spends || isFunctionLike(node)) return false;
    if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      node.operator === ts.SyntaxKind.MinusMinusToken &&
      ts.isIdentifier(node.operand) &&
      tested.has(node.operand.text)
    )
      spends = true;
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken &&
      ts.isIdentifier(node.left) &&
      tested.has(node.left.text)
    )
      spends = true;
    return !spends;
  });
  return spends;
}

/**
 * `if (isConflict(e) && attempt < maxAttempts) continue; throw e;`: the loop goes round again only while the attempt
 * counter is below its maximum, and leaves otherwise.
 */
function continuesBelowMaximum(statement: ts.IfStatement): boolean {
  const test = statement.expression.getText();
  const then = ts.isBlock(statement.thenStatement) ? statement.thenStatement.statements.at(-1) : statement.thenStatement;
  if (!/[<>]=?/.test(test) || !/attempt|tries|retr|count/i.test(test) || !then || !ts.isContinueStatement(then)) return false;
  const block = statement.parent;
  if (statement.elseStatement) return alwaysExits(statement.elseStatement);
  if (!ts.isBlock(block)) return false;
  const next = block.statements[block.statements.indexOf(statement) + 1];
  return !!next && alwaysExits(next);
}

/** What is wrong with the loop's pacing (its message id); undefined when it backs off with a varying delay and gives up. */
function problemOf(
  loop: Loop,
  waitsForLock: boolean,
): "noDelay" | "constantDelay" | "unbounded" | "noDelayUnbounded" | "constantDelayUnbounded" | undefined {
  const delay = delayIn(loop);
  const bounded = isBounded(loop);
  if (!delay) return bounded ? "noDelay" : "noDelayUnbounded";
  // Polling a lock with a pause until a deadline is a lock wait with a timeout, as a blocking acquire does: each round
  // one caller holds the lock and does its work, so the pollers cannot livelock.
  if (waitsForLock && untilDeadline(loop)) return undefined;
  if (!delay.varies) return bounded ? "constantDelay" : "constantDelayUnbounded";
  return bounded ? undefined : "unbounded";
}

// ---------------------------------------------------------------------------------------------------------------
// Fix: the common shape `for (;;) { try { …; return x; } catch (e) { if (<retryable e>) continue; throw e; } }`
// becomes `return await retry(async () => { …; return x; }, { retryOn: (e) => <retryable e> });`.

function retryHelperFix(loop: Loop, sourceFile: ts.SourceFile, fixer: Fixer): Fix | undefined {
  const infinite = ts.isForStatement(loop)
    ? !loop.initializer && !loop.condition && !loop.incrementor
    : ts.isWhileStatement(loop) && loop.expression.kind === ts.SyntaxKind.TrueKeyword;
  if (!infinite || !ts.isBlock(loop.statement) || loop.statement.statements.length !== 1) return undefined;
  const attempt = loop.statement.statements[0]!;
  if (!ts.isTryStatement(attempt) || attempt.finallyBlock || !attempt.catchClause?.variableDeclaration) return undefined;
  const errorName = attempt.catchClause.variableDeclaration.name;
  if (!ts.isIdentifier(errorName)) return undefined;
  const retryOn = retryCondition(attempt.catchClause.block, errorName.text);
  if (!retryOn) return undefined;
  const body = attempt.tryBlock.statements;
  const last = body[body.length - 1];
  if (!last || !ts.isReturnStatement(last)) return undefined;
  // The body must leave only through its final return (no break/continue aimed at the loop).
  let escapes = false;
  walk(attempt.tryBlock, (node) => {
    if (isFunctionLike(node)) return false;
    if (ts.isBreakStatement(node) || ts.isContinueStatement(node)) escapes = true;
    return !escapes;
  });
  if (escapes) return undefined;
  // Each statement of the attempt, one per line, one level deeper than the loop.
  const indent = indentationAt(sourceFile, loop.getStart(sourceFile));
  const to = indent + indentUnit(sourceFile);
  const lines = body.map(
    (s) =>
      to + reindentedText(sourceFile, s.getStart(sourceFile), s.getEnd(), { from: indentationAt(sourceFile, s.getStart(sourceFile)), to }),
  );
  const text = `return await retry(async () => {\n${lines.join("\n")}\n${indent}}, { retryOn: (${errorName.text}) => ${retryOn} });`;
  return fixer.fix(
    "Retry with the runtime's retry (exponential backoff, jitter, bounded attempts)",
    fixer.replace(loop, text),
    fixer.runtimeImport(["retry"]),
  );
}

/** `if (<cond>) continue; throw e;` → cond; `if (!<cond>) throw e;` → cond. */
function retryCondition(block: ts.Block, errorName: string): string | undefined {
  const [first, second] = block.statements;
  if (!first || !ts.isIfStatement(first) || first.elseStatement) return undefined;
  const then =
    ts.isBlock(first.thenStatement) && first.thenStatement.statements.length === 1
      ? first.thenStatement.statements[0]!
      : first.thenStatement;
  const rethrows = (s: ts.Statement | undefined) =>
    !!s && ts.isThrowStatement(s) && !!s.expression && skipParens(s.expression).getText() === errorName;
  if (block.statements.length === 2 && ts.isContinueStatement(then) && !then.label && rethrows(second)) return first.expression.getText();
  const condition = skipParens(first.expression);
  if (
    block.statements.length === 1 &&
    rethrows(then) &&
    ts.isPrefixUnaryExpression(condition) &&
    condition.operator === ts.SyntaxKind.ExclamationToken
  )
    return skipParens(condition.operand).getText();
  return undefined;
}
