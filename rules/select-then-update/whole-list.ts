// select-then-update: a whole-list save. A form submits the complete list of a row's children, and the write diffs it
// against the children read: the submitted items the read lacks are created, the submitted ones are updated with the
// form's values, and the children read that the form no longer lists are deleted by their key (Prisma's nested
// `create` / `update` / `deleteMany`). Nothing read is written back: the read only sorts the form's items, and a
// delete names rows the call read. Every interleaving of two saves ends as one of the forms saved last, or a
// unique-key error on a child both create; a child another call added in between is kept. A nested write that puts
// the rows read back (`set: [...rows, added]`) or computes a child's values from them stays reported.
import { skipParens, ts, type ReadModifyWrite } from "../../server/src/rule-kit";
import { localConstInitializer } from "./harmless-writes";

/** Nested writes of a relation's rows that take the rows to change from the form (or from the rows read, for a delete). */
const FROM_FORM = new Set(["create", "createMany", "update", "updateMany", "upsert", "connect", "connectOrCreate", "data"]);
const REMOVALS = new Set(["delete", "deleteMany", "disconnect"]);
/** Array methods whose callback only tests membership: `form.items.filter((i) => !rows.some((r) => r.id === i.id))`. */
const MEMBERSHIP = new Set(["filter", "some", "every", "find", "findIndex", "includes"]);

/**
 * Every value the write takes from the read is a Prisma nested write of a relation that only diffs the submitted list
 * against the rows read: the rows read appear inside membership tests, or as the rows a removal deletes by key.
 */
export function diffsSubmittedList(flow: ReadModifyWrite): boolean {
  const { read, write } = flow;
  if (write.library !== "prisma" || write.insert || !flow.data) return false;
  // A check of a column the write changes decides it: a state transition, not a form's save.
  if (flow.control?.column && write.assignments.some((a) => same(a.column, flow.control!.column!))) return false;
  const fromRead = (expr: ts.Expression) => flow.originOf(expr)?.read === read;
  let diffs = false;
  for (const assignment of write.assignments) {
    const value = assignment.value && skipParens(assignment.value);
    if (!value || !fromRead(value)) continue;
    const origin = flow.originOf(value);
    // A value derived from another column (a related row's date from this row's) writes nothing back.
    if (origin?.column && !same(origin.column, assignment.column)) continue;
    if (!ts.isObjectLiteralExpression(value) || !nestedDiff(value, fromRead)) return false;
    diffs = true;
  }
  return diffs;
}

/**
 * One assignment of the write is a Prisma nested write of a relation that only diffs the submitted list against the
 * rows read (the other columns are judged by themselves: a form's fields kept as read, pattern 10).
 */
export function diffsSubmittedChildren(flow: ReadModifyWrite, assignment: ReadModifyWrite["write"]["assignments"][number]): boolean {
  const { read, write } = flow;
  if (write.library !== "prisma" || write.insert) return false;
  const fromRead = (expr: ts.Expression) => flow.originOf(expr)?.read === read;
  const value = assignment.value && skipParens(assignment.value);
  return !!value && ts.isObjectLiteralExpression(value) && fromRead(value) && nestedDiff(value, fromRead);
}

/** `{ create: …, update: …, deleteMany: … }` whose every operation is fed by the form or removes rows read by key. */
function nestedDiff(object: ts.ObjectLiteralExpression, fromRead: (expr: ts.Expression) => boolean): boolean {
  return object.properties.every((property) => {
    if (!ts.isPropertyAssignment(property)) return false;
    const name = property.name.getText().replace(/^["']|["']$/g, "");
    const value = skipParens(property.initializer);
    if (!fromRead(value) || !outsideMembership(value, fromRead, false)) return true;
    if (name === "createMany" && ts.isObjectLiteralExpression(value)) return nestedDiff(value, fromRead);
    if (FROM_FORM.has(name)) return !outsideMembership(value, fromRead, false);
    return REMOVALS.has(name) && removesRowsRead(value, fromRead);
  });
}

/**
 * `rows.filter((r) => !form.some(…))`, then `.map((r) => ({ id: r.id }))` or nothing: rows read that the form no longer
 * lists, named by their key. Also `{ id: { in: gone } }` with `const gone = readIds.filter((id) => !formIds.includes(id))`.
 */
function removesRowsRead(value: ts.Expression, fromRead: (expr: ts.Expression) => boolean): boolean {
  let node = skipParens(value);
  const keys = keysIn(node);
  if (keys) {
    const initializer = ts.isIdentifier(keys) ? localConstInitializer(keys) : undefined;
    node = skipParens(initializer ?? keys);
  }
  const mapped = methodCall(node, "map");
  if (mapped) {
    const callback = mapped.arguments[0] && skipParens(mapped.arguments[0]);
    if (!callback || !(ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)) || !returnsKeysOnly(callback)) return false;
    node = skipParens((mapped.expression as ts.PropertyAccessExpression).expression);
  }
  const filtered = methodCall(node, "filter");
  if (!filtered) return false;
  const list = skipParens((filtered.expression as ts.PropertyAccessExpression).expression);
  return fromRead(list) && !outsideMembership(list, fromRead, true);
}

/** `{ id: { in: ids } }`: the list of keys a removal names its rows by. */
function keysIn(node: ts.Expression): ts.Expression | undefined {
  if (!ts.isObjectLiteralExpression(node) || node.properties.length !== 1) return undefined;
  const [key] = node.properties;
  if (!key || !ts.isPropertyAssignment(key) || !/^(id|uuid|_id)$/i.test(key.name.getText())) return undefined;
  const filter = skipParens(key.initializer);
  if (!ts.isObjectLiteralExpression(filter) || filter.properties.length !== 1) return undefined;
  const [only] = filter.properties;
  return only && ts.isPropertyAssignment(only) && only.name.getText() === "in" ? only.initializer : undefined;
}

/** `(r) => ({ id: r.id })`: the callback names each row by its key column and nothing else. */
function returnsKeysOnly(callback: ts.ArrowFunction | ts.FunctionExpression): boolean {
  const body = ts.isBlock(callback.body) ? undefined : skipParens(callback.body);
  if (!body || !ts.isObjectLiteralExpression(body)) return false;
  return body.properties.every(
    (p) =>
      (ts.isPropertyAssignment(p) &&
        /^(id|uuid|_id)$/i.test(p.name.getText()) &&
        ts.isPropertyAccessExpression(skipParens(p.initializer))) ||
      (ts.isShorthandPropertyAssignment(p) && /^(id|uuid|_id)$/i.test(p.name.text)),
  );
}

function methodCall(node: ts.Expression, method: string): ts.CallExpression | undefined {
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === method
    ? node
    : undefined;
}

/**
 * Whether a value of the read appears in `node` outside the callbacks of membership tests. With `listItself`, the
 * list read as a whole (the receiver of a removal's filter) does not count.
 */
function outsideMembership(node: ts.Expression, fromRead: (expr: ts.Expression) => boolean, listItself: boolean): boolean {
  if (listItself) return false;
  let found = false;
  const visit = (current: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(current) && ts.isPropertyAccessExpression(current.expression) && MEMBERSHIP.has(current.expression.name.text)) {
      // The receiver is what is sorted (the form's list); the callback only tests membership.
      visit(current.expression.expression);
      return;
    }
    if ((ts.isIdentifier(current) || ts.isPropertyAccessExpression(current)) && fromRead(current as ts.Expression)) {
      found = true;
      return;
    }
    ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}

/** `paid_for` and `paidFor` name one column. */
function same(a: string, b: string): boolean {
  return a.replace(/_/g, "").toLowerCase() === b.replace(/_/g, "").toLowerCase();
}
