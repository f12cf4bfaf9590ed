// Locks whose handles can be lost: `Promise.all` rejecting when one acquisition fails, a loop collecting handles
// before the `try` that releases them, or an acquisition raced against a timeout with `Promise.race`.
import { acquisitionFailure, calleeName, enclosingFunction, receiverOf, ts, type LockAcquisition } from "../../server/src/rule-kit";

/**
 * `Promise.all(keys.map((k) => lock(k)))` where the acquisition can fail by throwing (a distributed lock that gives
 * up, or an explicit timeout or abort signal): the acquisitions that succeeded are held with nobody to release them.
 */
export function takenTogether(
  acquisition: LockAcquisition,
): { collection: ts.Expression; all: ts.CallExpression; failure: string } | undefined {
  const call = acquisition.call;
  const failure = acquisitionFailure(acquisition);
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

/**
 * `for (const k of keys) held.push(await lock(k, { timeoutMs }))` with no `try` around the loop: a failure for a later
 * key leaves the earlier ones held, whatever `finally` comes after the loop.
 */
export function collectedInLoop(acquisition: LockAcquisition): { collection: ts.Expression; held: string; failure: string } | undefined {
  const failure = acquisitionFailure(acquisition);
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

/**
 * `await Promise.race([mutex.acquire(), timeout(ms)])`: the acquisition is one of the raced promises itself. When the
 * other settles first, the acquisition is not cancelled: it completes later and takes the lock, and its handle is lost.
 */
export function racedAgainst(acquisition: LockAcquisition): { race: ts.CallExpression; other: ts.Expression } | undefined {
  let value: ts.Node = acquisition.call;
  while (ts.isAwaitExpression(value.parent) || ts.isParenthesizedExpression(value.parent)) value = value.parent;
  const list = value.parent;
  if (!ts.isArrayLiteralExpression(list) || list.elements.length < 2) return undefined;
  const race = list.parent;
  if (!ts.isCallExpression(race) || race.arguments[0] !== list || !/^Promise\.(race|any)$/.test(race.expression.getText()))
    return undefined;
  const other = list.elements.find((element) => element !== value);
  return other ? { race, other } : undefined;
}
