// select-then-update: a claim taken before the read (on every path to it). A delete, or an update whose WHERE requires the old value of a
// column it sets, whose affected-row count, checked on every path before the read, sends away every caller for whom it changed nothing, lets one caller
// through per key: the read-modify-write after it, keyed by the same value, runs for one caller at a time.
import {
  canonicalKey,
  checkedBeforeGoingOn,
  createsRemoteObject,
  decidedBy,
  dedupeKeysOf,
  dbAccessOf,
  dbAccessesIn,
  enclosingFunction,
  isDelete,
  isInside,
  mayRunAfter,
  mayRunBetween,
  promisesAwaitedTogether,
  runsBefore,
  skipParens,
  ts,
  walk,
  type CalleeResolver,
  type DbAccess,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

export function claimedBeforeRead(flow: ReadModifyWrite): boolean {
  const { read } = flow;
  const fn = enclosingFunction(read.node);
  if (!fn?.body || enclosingFunction(flow.write.node) !== fn) return false;
  const readKeys = new Set(read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => canonicalKey(c.value!)));
  for (const value of helperWhereValues(read)) readKeys.add(canonicalKey(value));
  if (readKeys.size === 0) return false;
  return dbAccessesIn(fn.body).some(
    (claim) =>
      claim.kind === "write" &&
      !claim.insert &&
      enclosingFunction(claim.node) === fn &&
      runsBefore([claim.node], read.node) &&
      claim.conditions.some((c) => c.operator === "=" && c.value && readKeys.has(canonicalKey(c.value))) &&
      (isDelete(claim) || claim.assignments.some((a) => claim.conditions.some((c) => c.column === a.column))) &&
      checkedBeforeGoingOn(claim.node as ts.Expression, read.node),
  );
}

/**
 * A read through a project helper given a where object (`loadWithSecrets(em, Step, { id })`) is keyed by that object's
 * values, as a direct `em.findOne(Step, { id })` is: a claim on that key covers the read through the helper too.
 */
function helperWhereValues(read: DbAccess): ts.Expression[] {
  if (!read.through || !ts.isCallExpression(read.node)) return [];
  return read.node.arguments.flatMap((argument) => {
    const object = skipParens(argument);
    if (!ts.isObjectLiteralExpression(object)) return [];
    return object.properties.flatMap((p) =>
      ts.isShorthandPropertyAssignment(p) ? [p.name] : ts.isPropertyAssignment(p) ? [p.initializer] : [],
    );
  });
}

/**
 * Work done after the write, on every path to it: an awaited database write that adds something (a row inserted, a
 * count incremented), made there or by a project function it calls, that runs only where the write ran and completed
 * (the rest of the write's block, or the code after a `try` around the write whose `catch` leaves). A flag set before
 * the work it guards is meant as a claim on that work, and an unconditional write claims nothing: two callers that both
 * read it unset both set it and both do the work (`if (invite.rewardPaid) return; … rewardPaid: true; await
 * credits.grant(…)`), so the write is not the harmless set-once or no-change write it looks like alone. Work before the
 * write, work that also runs where the write did not (after an `if` around it), a write of fixed values (rows marked
 * paid twice end the same), or a remote call (a file copied or deleted) may be safe to repeat.
 */
export function workClaimedByWrite(flow: ReadModifyWrite, resolve: CalleeResolver): ts.Node | undefined {
  const { write } = flow;
  const fn = enclosingFunction(write.node);
  if (!fn?.body || fn !== enclosingFunction(flow.read.node)) return undefined;
  let found: ts.Node | undefined;
  walk(fn.body, (node) => {
    if (found || ts.isFunctionLike(node)) return false;
    if (
      ts.isAwaitExpression(node) &&
      !isInside(write.node, node) &&
      mayRunAfter(write.node, node) &&
      addsToDatabase(skipParens(node.expression), resolve, 0) &&
      runsBefore([write.node], node)
    )
      found = node;
    // Work started with the write (`await Promise.all([setFlag, grant])`) runs for every caller that reached the
    // write, as work after it does: the flag claims it just the same.
    else if (ts.isAwaitExpression(node) && isInside(write.node, node))
      found = promisesAwaitedTogether(node)?.find((other) => !isInside(write.node, other) && addsToDatabase(skipParens(other), resolve, 0));
    return !found;
  });
  return found;
}

/**
 * Work done between the check and the write: an awaited database write that adds something (a count decremented, a
 * row inserted), itself or in a project function it calls, that the check decides and that can run after the read
 * and before the flag is set.
 * A flag checked, then the work, then the flag set (`if (await isRedeemed(id)) throw; … remaining: { decrement: 1 }
 * … redeemed: true`) lets every caller that passed the check do the work: the write is not the harmless set-once or
 * no-change write it looks like alone. So does work outside the database that is not safe to repeat: a job added to a
 * queue (BullMQ, Bull), an object created at the payment provider (a Stripe `create…`: a charge, a credit).
 */
export function workBeforeClaim(
  flow: ReadModifyWrite,
  resolve: CalleeResolver,
  checker?: () => ts.TypeChecker,
): ts.AwaitExpression | undefined {
  const { control, write } = flow;
  const fn = control && enclosingFunction(control.condition);
  if (!control || !fn?.body || enclosingFunction(write.node) !== fn) return undefined;
  let found: ts.AwaitExpression | undefined;
  walk(fn.body, (node) => {
    if (found || ts.isFunctionLike(node)) return false;
    if (
      ts.isAwaitExpression(node) &&
      node.expression !== write.node &&
      skipParens(node.expression) !== write.node &&
      decidedBy(control.condition, node) !== undefined &&
      mayRunBetween(flow.read.node, [skipParens(node.expression)], write.node) &&
      (addsToDatabase(skipParens(node.expression), resolve, 0, write) ||
        (!!checker && createsRemoteObject(skipParens(node.expression), checker) && !keyedByRow(skipParens(node.expression), flow)))
    )
      found = node;
    return !found;
  });
  return found;
}

/**
 * The call inserts or increments in the database, itself or in the body of the project function it calls (a few calls
 * deep). Given the flag's write, not work the flag guards: a bump of a version-like counter (`sessionVersion: { increment: 1 }`: twice is
 * as good as once), nor a shift of the very column the write then sets (a reorder moving the row's neighbours, by ORM or raw SQL).
 */
function addsToDatabase(node: ts.Node, resolve: CalleeResolver, depth: number, write?: DbAccess): boolean {
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return false;
  const access = dbAccessOf(node);
  if (access) {
    if (access.kind !== "write") return false;
    if (access.insert === true) return true;
    if (!write) return access.assignments.some((a) => a.atomic);
    const written = new Set(write.assignments.map((a) => a.column));
    return access.assignments.some((a) => a.atomic && !/version$/i.test(a.column) && !written.has(a.column));
  }
  const fn = ts.isCallExpression(node) && depth < 3 ? resolve(node) : undefined;
  if (!fn?.body) return false;
  let found = false;
  walk(fn.body, (inner) => {
    if (found || (inner !== fn.body && ts.isFunctionLike(inner))) return false;
    if ((ts.isCallExpression(inner) || ts.isTaggedTemplateExpression(inner)) && addsToDatabase(inner, resolve, depth + 1, write))
      found = true;
    return !found;
  });
  return found;
}

/**
 * The call is given a dedupe key (Stripe's request option `idempotencyKey`, a queue job's `jobId`) made from the row
 * read: every caller that passed the check sends the same key, and the work is done once, the others getting the first
 * result back.
 */
function keyedByRow(node: ts.Node, flow: ReadModifyWrite): boolean {
  if (!ts.isCallExpression(node)) return false;
  const fromRow = (n: ts.Node): boolean => (ts.isIdentifier(n) && flow.originOf(n)?.read === flow.read) || !!ts.forEachChild(n, fromRow);
  return dedupeKeysOf(node).some(fromRow);
}
