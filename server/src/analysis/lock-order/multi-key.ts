// Multi-key acquisition in caller order: one lock (or one row) taken per element of a collection the caller passed,
// either one after the other in a loop (`for (const k of keys) await lock(k)`) or all at once
// (`Promise.all(keys.map((k) => lock(k)))`), with every lock still held when the next is asked for. Two overlapping
// calls whose callers list the keys in different orders can each hold one key and wait for the other's: a deadlock.
// A collection put in a canonical order first (`[...keys].sort()`, `toSorted`, a comparison) is not reported.
import { ts } from "../../engine/ts";
import type { DeclaredLocks } from "../../engine/types";
import {
  boundNames,
  CALL_KINDS,
  calleeName,
  code,
  enclosingFunction,
  isFunctionLike,
  isInside,
  mentions,
  nodesOfKinds,
  receiverOf,
  skipAwait,
  skipParens,
  walk,
  type FunctionLike,
} from "../ast";
import { dbAccessOf, dbAccessesIn, type DbAccess } from "../db";
import { mayRunAfter } from "../flow/queries";
import { declarationOf } from "../identity";
import { wrapperAcquisitionsIn } from "../lock-wrappers";
import { isReleaseOf, lockAcquisitionOf, lockAcquisitionsIn, lockCheckerFor, resultBinding, type LockAcquisition } from "../locks";
import { LOCK_MECHANISMS } from "../models/lock-libraries";
import { transactionScopeOf } from "../transactions";
import { drizzleSchemaIsSqlite } from "../db/drizzle-kysely";
import { prismaSchemaIsSqlite } from "../db/prisma";
import { hasOrderingEvidence } from "./keys";
import { lockIdentityOf, unnestedArray, type LockKind } from "./lock-class";

export interface CallerOrderAcquisition {
  /** The acquisition (or row-locking statement) run once per element. */
  node: ts.CallExpression | ts.TaggedTemplateExpression;
  /**
   * The `for … of` loop, the `.map(…)` call whose promises `Promise.all` waits for, or the statement itself when one
   * statement takes a lock per element of an array it is given (`inOneStatement`).
   */
  loop: ts.ForOfStatement | ts.CallExpression | ts.TaggedTemplateExpression;
  parallel: boolean;
  /** `SELECT pg_advisory_xact_lock(k) FROM unnest($1) AS k`: the database takes the locks in the array's order. */
  inOneStatement: boolean;
  /** The collection iterated, as written at the loop (`keys`, `numKeys`). */
  collection: ts.Expression;
  /** The parameter of the enclosing function the collection comes from. */
  parameter: string;
  /** The per-element name (`k` in `for (const k of keys)`); none for a statement over an array. */
  element?: ts.Identifier;
  /** The element itself is the key (not a field of it): sorting the collection sorts the keys. */
  elementIsKey: boolean;
  /** For messages: "PostgreSQL advisory lock (`pg_advisory_xact_lock`)", "`accounts` rows". */
  lock: string;
  kind: LockKind;
  /** The function that takes the locks. */
  holder: FunctionLike;
}

const cache = new WeakMap<ts.Program, Map<DeclaredLocks | undefined, WeakMap<ts.SourceFile, CallerOrderAcquisition[]>>>();

/** Every per-element acquisition of `sourceFile` over a collection its caller ordered (declared lock helpers included). */
export function callerOrderAcquisitionsIn(
  sourceFile: ts.SourceFile,
  program: ts.Program,
  checker: () => ts.TypeChecker,
  declared?: DeclaredLocks,
): CallerOrderAcquisition[] {
  let perProgram = cache.get(program);
  if (!perProgram) cache.set(program, (perProgram = new Map()));
  let perFile = perProgram.get(declared);
  if (!perFile) perProgram.set(declared, (perFile = new WeakMap()));
  let found = perFile.get(sourceFile);
  if (found) return found;
  found = [];
  perFile.set(sourceFile, found);
  // No lock the file waits for (a blocking library acquisition or a project lock helper's) and no statement locking
  // rows: nothing in it is taken per element.
  if (
    !lockAcquisitionsIn(sourceFile, program, checker).some((a) => a.style === "blocking") &&
    wrapperAcquisitionsIn(sourceFile, program, checker, declared).length === 0 &&
    !dbAccessesIn(sourceFile).some(locksRows)
  )
    return found;
  const lockChecker = lockCheckerFor(program, checker);
  // The project's own lock helpers count too: a provider's `Promise.all(keys.map((k) => this.acquire(k)))`.
  let helperCalls: Map<ts.Node, LockAcquisition> | undefined;
  const acquisitionAt = (call: ts.CallExpression | ts.TaggedTemplateExpression) =>
    lockAcquisitionOf(call, lockChecker) ??
    (helperCalls ??= new Map(wrapperAcquisitionsIn(sourceFile, program, checker, declared).map((a) => [a.call, a]))).get(call);
  for (const node of nodesOfKinds(sourceFile, LOOP_KINDS)) {
    const loop = loopOver(node);
    if (!loop) continue;
    const holder = enclosingFunction(node);
    // Where the loop starts taking locks: the element's declaration runs each turn (a `for` statement is no element).
    const at = ts.isForOfStatement(node) ? loop.element.parent : node;
    const origin = holder && callerOrigin(loop.collection, holder, at, 0);
    if (!holder || !origin) continue;
    const keyNames = perElementNames(loop.element, loop.body);
    const parentWrite = parentRowWrittenBefore(loop, holder);
    const visit = (inner: ts.Node): boolean => {
      if (inner !== loop.body && isFunctionLike(inner)) return false; // runs at another time
      if (!ts.isCallExpression(inner) && !ts.isTaggedTemplateExpression(inner)) return true;
      const taken = takenPerElement(inner, keyNames, loop, acquisitionAt, checker);
      // Rows of the parent's own children, after the same transaction locked the parent row: calls that overlap queue there.
      if (taken?.kind === "row-lock" && parentWrite && transactionScopeOf(parentWrite)?.start === transactionScopeOf(inner)?.start)
        return true;
      // A loop body that always leaves after its acquisition (`for (const uri of uris) return update(uri)`) takes one key.
      if (taken && (!ts.isForOfStatement(loop.node) || mayRunAfter(inner, inner)))
        found!.push({
          node: inner,
          loop: loop.node,
          parallel: loop.parallel,
          inOneStatement: false,
          collection: loop.collection,
          parameter: origin,
          element: loop.element,
          elementIsKey: taken.key !== undefined && isElementItself(taken.key, loop.element),
          lock: taken.lock,
          kind: taken.kind,
          holder,
        });
      return true;
    };
    // A concise arrow body (`(k) => lock(k)`) is itself the call.
    if (visit(loop.body)) walk(loop.body, visit);
  }
  for (const node of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(sourceFile, CALL_KINDS)) {
    const array = arrayLockedByStatement(node, acquisitionAt);
    const holder = array && enclosingFunction(node);
    const origin = holder && callerOrigin(array.collection, holder, node, 0);
    if (!array || !holder || !origin) continue;
    const { collection, acquisition } = array;
    found.push({
      node,
      loop: node,
      parallel: false,
      inOneStatement: true,
      collection,
      parameter: origin,
      elementIsKey: true,
      lock: acquisition.label,
      kind: acquisition.mechanism,
      holder,
    });
  }
  return found;
}

/**
 * A statement that takes a waiting PostgreSQL advisory lock for each element of the one array placeholder it gives
 * `unnest` (`SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`, `SELECT pg_advisory_xact_lock(unnest($1))`),
 * with no `ORDER BY`: the database takes them one after the other in the array's order, holding each. The value
 * bound to that placeholder, and the acquisition.
 */
function arrayLockedByStatement(
  node: ts.CallExpression | ts.TaggedTemplateExpression,
  acquisitionAt: (call: ts.CallExpression | ts.TaggedTemplateExpression) => LockAcquisition | undefined,
): { collection: ts.Expression; acquisition: LockAcquisition } | undefined {
  const array = unnestedArray(node);
  // `ORDER BY k`: PostgreSQL evaluates the volatile lock calls of the select list after sorting.
  if (!array || array.sorted) return undefined;
  const acquisition = acquisitionAt(node);
  if (acquisition?.mechanism !== "pg-advisory" || acquisition.style !== "blocking") return undefined;
  return { collection: array.collection, acquisition };
}

/** The kinds `loopOver` recognises. */
const LOOP_KINDS = [ts.SyntaxKind.ForOfStatement, ts.SyntaxKind.CallExpression];

interface Loop {
  node: ts.ForOfStatement | ts.CallExpression;
  collection: ts.Expression;
  element: ts.Identifier;
  body: ts.Node;
  parallel: boolean;
}

/** `for (const k of keys) …`, or `keys.map((k) => …)` whose result `Promise.all` waits for. */
function loopOver(node: ts.Node): Loop | undefined {
  if (ts.isForOfStatement(node) && ts.isVariableDeclarationList(node.initializer)) {
    const name = node.initializer.declarations[0]?.name;
    if (node.initializer.declarations.length !== 1 || !name || !ts.isIdentifier(name)) return undefined;
    return { node, collection: node.expression, element: name, body: node.statement, parallel: false };
  }
  if (!ts.isCallExpression(node) || calleeName(node) !== "map" || !awaitedTogether(node)) return undefined;
  const collection = receiverOf(node);
  const callback = node.arguments[0] && skipParens(node.arguments[0]);
  const element = callback && isFunctionLike(callback) ? callback.parameters[0]?.name : undefined;
  if (!collection || !callback || !isFunctionLike(callback) || !callback.body || !element || !ts.isIdentifier(element)) return undefined;
  let outer: ts.Node = node;
  while (ts.isParenthesizedExpression(outer.parent) || ts.isAsExpression(outer.parent)) outer = outer.parent;
  return { node, collection, element, body: callback.body, parallel: !isBatchTransaction(outer.parent, outer) };
}

function isBatchTransaction(parent: ts.Node, argument: ts.Node): boolean {
  return ts.isCallExpression(parent) && calleeName(parent) === "$transaction" && parent.arguments[0] === argument;
}

/** `Promise.all(c.map(f))`, or `const ps = c.map(f)` with `Promise.all(ps)` in the same function. */
function awaitedTogether(map: ts.CallExpression): boolean {
  const isPromiseAll = (n: ts.Node | undefined): boolean =>
    !!n && ts.isCallExpression(n) && /^(all|allSettled)$/.test(calleeName(n) ?? "") && receiverOf(n)?.getText() === "Promise";
  let outer: ts.Node = map;
  while (ts.isParenthesizedExpression(outer.parent) || ts.isAsExpression(outer.parent)) outer = outer.parent;
  if (isPromiseAll(outer.parent)) return true;
  // Prisma's batch `$transaction(keys.map((k) => tx.x.update(…)))` runs the statements in order, in one transaction.
  if (isBatchTransaction(outer.parent, outer)) return true;
  const declaration = outer.parent;
  if (!ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return false;
  const name = declaration.name.text;
  const fn = enclosingFunction(map);
  let found = false;
  if (fn?.body)
    walk(fn.body, (n) => {
      if (
        isPromiseAll(n) &&
        (n as ts.CallExpression).arguments.some((a) => ts.isIdentifier(skipParens(a)) && skipParens(a).getText() === name)
      )
        found = true;
      return !found;
    });
  return found;
}

/**
 * The parameter of `fn` that `expr` lists in its caller's order: the parameter itself, a field of it, or a copy,
 * map, filter or spread of one (`Array.isArray(keys) ? keys : [keys]`, `keys.map(hash)`), with nothing that orders
 * it on the way (`sort`, `toSorted`, a comparison, an in-place `keys.sort()` that can run before `at`).
 */
function callerOrigin(expr: ts.Expression, fn: FunctionLike, at: ts.Node, depth: number): string | undefined {
  if (depth > 5 || hasOrderingEvidence(expr)) return undefined;
  const node = skipAwait(expr);
  if (ts.isIdentifier(node)) {
    // The declaration the name resolves to by scope (identity.ts), in `fn` or an enclosing function for a loop in a
    // callback (`transactional(async (tx) => …keys…)`); an in-place sort in any function on the way orders it.
    let declaration = declarationOf(node);
    while (
      declaration &&
      (ts.isBindingElement(declaration) || ts.isObjectBindingPattern(declaration) || ts.isArrayBindingPattern(declaration))
    )
      declaration = declaration.parent;
    if (!declaration || !(ts.isVariableDeclaration(declaration) || ts.isParameter(declaration))) return undefined;
    const owner = ts.isParameter(declaration) ? declaration.parent : enclosingFunction(declaration);
    for (let scope: FunctionLike | undefined = fn; scope; scope = enclosingFunction(scope)) {
      if (sortedInPlace(node.text, scope, at)) return undefined;
      if (scope !== owner) continue;
      if (ts.isVariableDeclaration(declaration)) {
        if (ts.isIdentifier(declaration.name))
          return declaration.initializer ? callerOrigin(declaration.initializer, scope, at, depth + 1) : undefined;
        // `const { items } = await req.json()`: a field of the request body, in the order the client sent it.
        return ts.isObjectBindingPattern(declaration.name) && declaration.initializer && isRequestBody(declaration.initializer)
          ? node.text
          : undefined;
      }
      // `keys = Array.isArray(keys) ? keys : [keys]`: a reassignment must keep the caller's order too (and its own
      // right-hand side reads the value before it).
      const reassigned = assignmentsTo(node.text, scope).filter((value) => mayRunAfter(value, at));
      return reassigned.every((value) => callerOrigin(value, scope, value, depth + 1) === node.text) ? node.text : undefined;
    }
    return undefined;
  }
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) return callerOrigin(node.expression, fn, at, depth + 1);
  if (ts.isConditionalExpression(node))
    return callerOrigin(node.whenTrue, fn, at, depth + 1) ?? callerOrigin(node.whenFalse, fn, at, depth + 1);
  if (ts.isArrayLiteralExpression(node)) {
    // Only a spread copies a collection: `[keys]` is one element, `[...keys]` all of them.
    const spread = node.elements.length === 1 ? node.elements[0] : undefined;
    return spread && ts.isSpreadElement(spread) ? callerOrigin(spread.expression, fn, at, depth + 1) : undefined;
  }
  if (ts.isNewExpression(node) && node.expression.getText() === "Set" && node.arguments?.[0])
    return callerOrigin(node.arguments[0], fn, at, depth + 1);
  if (ts.isCallExpression(node)) {
    const name = calleeName(node);
    const receiver = receiverOf(node);
    if (name === "from" && receiver?.getText() === "Array" && node.arguments[0]) return callerOrigin(node.arguments[0], fn, at, depth + 1);
    if (receiver && /^(map|filter|slice|concat|flat|flatMap)$/.test(name ?? "")) return callerOrigin(receiver, fn, at, depth + 1);
  }
  return undefined;
}

/**
 * `held` was taken by an earlier turn than `taken` of a `for … of` over keys put in order first (`[...keys].sort()`,
 * a sorted local, `keys.sort()` before the loop): `taken` comes first in the loop body, and both keys are computed from
 * the turn's element. Every turn takes greater keys than the turns before it, so every caller of the loop takes the
 * locks in one order (by key, then by place in the body): what a turn still holds from the one before is no inversion.
 */
export function takenInLaterTurnOfSortedLoop(
  held: ts.Node,
  heldKey: ts.Expression | undefined,
  taken: ts.Node,
  takenKey: ts.Expression | undefined,
): boolean {
  if (!heldKey || !takenKey || taken.getStart() >= held.getStart()) return false;
  let loop: ts.Node | undefined = taken.parent;
  while (loop && !(ts.isForOfStatement(loop) && isInside(held, loop.statement) && isInside(taken, loop.statement))) {
    if (isFunctionLike(loop)) return false;
    loop = loop.parent;
  }
  const over = loop && loopOver(loop);
  const fn = loop && enclosingFunction(loop);
  if (!over || !fn || !ts.isForOfStatement(over.node) || !isSortedCollection(over.collection, fn, over.node)) return false;
  const keyNames = perElementNames(over.element, over.body);
  return mentions(heldKey, keyNames) && mentions(takenKey, keyNames);
}

/** A collection put in order before `at`: sorted where it is written, a local sorted where it is declared, or in place. */
function isSortedCollection(expr: ts.Expression, fn: FunctionLike, at: ts.Node): boolean {
  if (hasOrderingEvidence(expr)) return true;
  const node = skipAwait(expr);
  if (!ts.isIdentifier(node)) return false;
  for (let scope: FunctionLike | undefined = fn; scope; scope = enclosingFunction(scope))
    if (sortedInPlace(node.text, scope, at)) return true;
  // The local the name binds by scope (identity.ts), sorted where it is declared.
  const local = declarationOf(node);
  if (!local || !ts.isVariableDeclaration(local) || !ts.isIdentifier(local.name) || !local.initializer) return false;
  return isSortedCollection(local.initializer, enclosingFunction(local) ?? fn, at);
}

/**
 * `name.sort(…)` in `fn` on some path before `at` (flow/queries `mayRunAfter`: not one in the other branch of an `if`):
 * the collection was put in order in place.
 */
function sortedInPlace(name: string, fn: FunctionLike, at: ts.Node): boolean {
  let sorted = false;
  if (fn.body)
    walk(fn.body, (n) => {
      if (ts.isCallExpression(n) && calleeName(n) === "sort" && receiverOf(n)?.getText() === name && mayRunAfter(n, at)) sorted = true;
      return !sorted;
    });
  return sorted;
}

/** `await req.json()` (Fetch API, Next.js route handlers), `req.body` / `ctx.request.body` (Express, Koa). */
function isRequestBody(expr: ts.Expression): boolean {
  const node = skipAwait(expr);
  const request = (receiver: ts.Expression | undefined) => /\b(req|request)$/i.test(receiver?.getText() ?? "");
  if (ts.isCallExpression(node)) return calleeName(node) === "json" && node.arguments.length === 0 && request(receiverOf(node));
  return ts.isPropertyAccessExpression(node) && node.name.text === "body" && request(node.expression);
}

/** The values assigned to `name` in `fn` (`name = value`). */
function assignmentsTo(name: string, fn: FunctionLike): ts.Expression[] {
  const values: ts.Expression[] = [];
  if (fn.body)
    walk(fn.body, (n) => {
      if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name)
        values.push(n.right);
      return true;
    });
  return values;
}

/** The element's name and the locals of the body computed from it (`const lockKey = \`lock:${k}\``). */
function perElementNames(element: ts.Identifier, body: ts.Node): Set<string> {
  const names = new Set([element.text]);
  walk(body, (n) => {
    if (ts.isVariableDeclaration(n) && n.initializer && mentions(n.initializer, names))
      for (const id of boundNames(n.name)) names.add(id.text);
    return true;
  });
  return names;
}

/** `k`, `String(k)`, `` `lock:${k}` ``, `Number(k)`: the element itself, not a field of it. */
function isElementItself(key: ts.Expression, element: ts.Identifier): boolean {
  let node = skipParens(key);
  if (ts.isArrayLiteralExpression(node) && node.elements.length === 1) node = skipParens(node.elements[0]!);
  if (ts.isTemplateExpression(node) && node.templateSpans.length === 1) node = skipParens(node.templateSpans[0]!.expression);
  if (ts.isCallExpression(node) && /^(String|Number|BigInt)$/.test(node.expression.getText()) && node.arguments.length === 1)
    node = skipParens(node.arguments[0]!);
  return ts.isIdentifier(node) && node.text === element.text;
}

/**
 * A loop over a to-many relation of an object (`disbursement.values`) preceded, on every path to it, by a write of
 * that object's own row by its id (`update({ id: disbursement.id }, …)`): the children listed are that parent's, so two
 * calls locking an overlapping child are calls for one parent, and the second waits at the parent row before it takes
 * any child (pattern 197). The write, when there is one.
 */
function parentRowWrittenBefore(loop: Loop, holder: FunctionLike): ts.CallExpression | ts.TaggedTemplateExpression | undefined {
  const collection = skipParens(skipAwait(loop.collection));
  if (!ts.isPropertyAccessExpression(collection) || !ts.isIdentifier(collection.expression) || !holder.body) return undefined;
  const parentId = `${collection.expression.text}.id`;
  let found: ts.CallExpression | ts.TaggedTemplateExpression | undefined;
  walk(holder.body, (node) => {
    if (found || (node !== holder.body && isFunctionLike(node))) return false;
    if ((ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) && node.getEnd() <= loop.node.getStart()) {
      const access = dbAccessOf(node);
      const byParentId =
        !!access &&
        access.kind === "write" &&
        locksRows(access) &&
        access.conditions.some(
          (c) => c.operator === "=" && /^(id|_id)$/i.test(c.column) && !!c.value && skipParens(c.value).getText() === parentId,
        );
      // On every path to the loop: a statement of a block that also holds the loop.
      let statement: ts.Node = node;
      while (statement.parent && !ts.isStatement(statement)) statement = statement.parent;
      const plain = ts.isExpressionStatement(statement) || ts.isVariableStatement(statement);
      if (byParentId && plain && statement.parent && ts.isBlock(statement.parent) && isInside(loop.node, statement.parent)) found = node;
    }
    return !found;
  });
  return found;
}

/**
 * The lock `call` takes for one element, when it is still held when the next element's is asked for: a waiting
 * acquisition (not a try, not a scoped callback) not released in the loop body, or a row lock of the transaction the
 * loop runs in. In-process locks taken all at once are not counted: `Promise.all` asks for all of them in one
 * synchronous pass, so two such calls queue in the same order on every lock and cannot interleave.
 */
function takenPerElement(
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  keyNames: ReadonlySet<string>,
  loop: Loop,
  acquisitionAt: (call: ts.CallExpression | ts.TaggedTemplateExpression) => LockAcquisition | undefined,
  checker: () => ts.TypeChecker,
): { lock: string; kind: LockKind; key?: ts.Expression } | undefined {
  const acquisition = acquisitionAt(call);
  if (acquisition) {
    if (acquisition.style !== "blocking") return undefined;
    if (loop.parallel && LOCK_MECHANISMS[acquisition.mechanism]?.inProcess) return undefined;
    const key = lockIdentityOf(acquisition, checker())?.key;
    if (!key || !mentions(key, keyNames) || releasedIn(loop.body, acquisition)) return undefined;
    return { lock: acquisition.label, kind: acquisition.mechanism, key };
  }
  const access = dbAccessOf(call);
  const scope = access && locksRows(access) ? transactionScopeOf(call) : undefined;
  if (!access || !scope) return undefined;
  // A transaction the loop body opens itself (`for (const k of keys) await prisma.$transaction([...])`, a callback
  // opener) is one per element: each holds its own element's rows only, so no transaction ever waits holding two.
  if ((scope.form === "batch" || scope.form === "callback") && isInside(scope.start, loop.body)) return undefined;
  const condition = access.conditions.find((c) => c.operator === "=" && c.value && mentions(c.value, keyNames));
  return condition ? { lock: `${code(access.table!)} rows`, kind: "row-lock", key: condition.value! } : undefined;
}

/**
 * A write of a table's rows (not an insert), or a read that locks the rows it returns: they stay locked until the
 * transaction ends. Not through a Prisma client whose schema's only datasource is SQLite, nor Drizzle on SQLite (a file
 * importing SQLite's dialect only): SQLite has no row locks, a write transaction takes the whole database.
 */
function locksRows(access: DbAccess): boolean {
  if (access.library === "redis" || access.insert || !access.table) return false;
  if (access.library === "prisma" && prismaSchemaIsSqlite(access.node.getSourceFile().fileName)) return false;
  if (access.library === "drizzle" && drizzleSchemaIsSqlite(access.node.getSourceFile(), undefined)) return false;
  return access.kind === "write" || (access.kind === "read" && (access.lock === "update" || access.lock === "no key update"));
}

/** A release of `acquisition` inside the loop body: each element's lock is let go before the next is taken. */
function releasedIn(body: ts.Node, acquisition: LockAcquisition): boolean {
  if (acquisition.transactionScoped) return false;
  const binding = resultBinding(acquisition);
  const names = new Set(binding ? boundNames(binding).map((id) => id.text) : []);
  let released = false;
  walk(body, (n) => {
    if ((ts.isCallExpression(n) || ts.isTaggedTemplateExpression(n)) && n !== acquisition.call && isReleaseOf(n, acquisition, names))
      released = true;
    return !released;
  });
  return released;
}
