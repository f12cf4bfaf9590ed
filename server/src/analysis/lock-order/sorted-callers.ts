// Multi-key acquisition whose every caller puts the keys in one canonical order. The function that takes the keys one
// by one (`takeAll(em, keys)`) does not sort them, but when all its calls are in view (a private method: only its class
// calls it; a function the file does not export: only the file) and each passes a collection sorted by the same
// comparison, mapped the same way (`names.sort(cmp).map((n) => \`host:${n}\`)`), optionally after one leading key of
// another constant prefix no sorted key can have (`[\`record:${id}\`, ...sorted]`), two calls take shared keys in one order.
import { ts } from "../../engine/ts";
import {
  boundNames,
  calleeName,
  constInitializerIn,
  enclosingFunction,
  receiverOf,
  skipAwait,
  skipParens,
  walk,
  type FunctionLike,
} from "../ast";
import type { CalleeResolver } from "../summaries";

/** Every call of the function declaring `parameter` (around `holder`) passes it in one canonical order. */
export function sortedByEveryCaller(holder: FunctionLike, parameter: string, resolve: CalleeResolver): boolean {
  let fn: FunctionLike | undefined = holder;
  while (fn && !fn.parameters.some((p) => boundNames(p.name).some((id) => id.text === parameter))) fn = enclosingFunction(fn);
  if (!fn) return false;
  const index = fn.parameters.findIndex((p) => boundNames(p.name).some((id) => id.text === parameter));
  const calls = callsInView(fn, resolve);
  if (!calls || calls.length === 0) return false;
  const orders = new Set<string>();
  for (const call of calls) {
    const argument = call.arguments[index];
    if (!argument || call.arguments.slice(0, index + 1).some(ts.isSpreadElement)) return false;
    const order = canonicalOrder(argument, call, 0);
    if (!order) return false;
    orders.add(order);
  }
  // One comparison and one mapping for every caller: two comparisons can order the same keys differently.
  return orders.size === 1;
}

/**
 * The calls of `fn` when they are all in view: a private method's `this.name(…)` calls in its class, a function the
 * file does not export called by name in the file. Any other use of the name (passed as a value) and the answer is
 * undefined; every call must resolve to `fn`.
 */
function callsInView(fn: FunctionLike, resolve: CalleeResolver): ts.CallExpression[] | undefined {
  let scope: ts.Node;
  let name: string;
  // A method is named only as a member (`this.name`); a bare identifier of the same name is another variable.
  const member = ts.isMethodDeclaration(fn);
  if (ts.isMethodDeclaration(fn) && ts.isClassLike(fn.parent)) {
    const isPrivate = ts.isPrivateIdentifier(fn.name) || (ts.getModifiers(fn) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
    if (!isPrivate || !(ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name))) return undefined;
    scope = fn.parent;
    name = fn.name.text;
  } else if (ts.isFunctionDeclaration(fn) && fn.name && !(ts.getModifiers(fn) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
    scope = fn.getSourceFile();
    name = fn.name.text;
    if (fn.getSourceFile().statements.some((s) => ts.isExportDeclaration(s) && s.getText().includes(name))) return undefined;
  } else return undefined;
  const calls: ts.CallExpression[] = [];
  let escapes = false;
  walk(scope, (node) => {
    if (escapes) return false;
    if ((ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) && node.text === name && node !== fn.name) {
      let callee: ts.Node = node;
      if (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) callee = node.parent;
      else if (member) return true;
      const call = callee.parent;
      if (call && ts.isCallExpression(call) && call.expression === callee && resolve(call) === fn) calls.push(call);
      else escapes = true;
    }
    return true;
  });
  return escapes ? undefined : calls;
}

/**
 * The canonical order `expr` lists its keys in, as text (the comparison and the mapping), or undefined when it is not
 * sorted: a `sort`/`toSorted` call with a comparison, followed by `map`/`filter`; a local holding one; or an array of
 * leading fixed keys then one spread of a sorted part whose mapped keys carry another constant prefix.
 */
function canonicalOrder(expr: ts.Expression, at: ts.Node, depth: number): string | undefined {
  if (depth > 3) return undefined;
  const node = skipAwait(skipParens(expr));
  if (ts.isIdentifier(node)) {
    const initializer = constInitializer(node.text, at);
    if (initializer && isEmptyArray(initializer)) return pushedInOrder(node.text, initializer, depth);
    return initializer ? (queryOrder(initializer) ?? canonicalOrder(initializer, initializer, depth + 1)) : undefined;
  }
  // `parent.children` of a row loaded with `include: { children: { orderBy } }`: the query's order.
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const initializer = constInitializer(node.expression.text, at);
    return initializer && queryOrder(initializer, node.name.text);
  }
  if (ts.isArrayLiteralExpression(node)) {
    const last = node.elements[node.elements.length - 1];
    if (!last || !ts.isSpreadElement(last)) return undefined;
    const sorted = canonicalOrder(last.expression, at, depth + 1);
    if (!sorted) return undefined;
    const leading = node.elements.slice(0, -1);
    if (leading.length === 0) return sorted;
    // One leading key, taken first by every caller that has one; two could be listed in either order.
    if (leading.length > 1) return undefined;
    // A leading key's constant prefix must not be one a sorted key can start with (nor the other way round).
    const sortedPrefix = mappedPrefix(last.expression);
    if (sortedPrefix === undefined || sortedPrefix === "") return undefined;
    const prefixes = leading.map((e) => (ts.isSpreadElement(e) ? undefined : constantPrefix(e)));
    if (prefixes.some((p) => !p || p.startsWith(sortedPrefix) || sortedPrefix.startsWith(p))) return undefined;
    return sorted;
  }
  // `sorted.map(f)`, `sorted.filter(f)`: the order of what stays is the sorted order.
  if (ts.isCallExpression(node)) {
    const name = calleeName(node);
    const receiver = receiverOf(node);
    if ((name === "sort" || name === "toSorted") && receiver) return `sort(${node.arguments.map((a) => a.getText()).join(",")})`;
    if ((name === "map" || name === "filter") && receiver) {
      const inner = canonicalOrder(receiver, at, depth + 1);
      return inner && `${inner}.${name}(${node.arguments.map((a) => a.getText()).join(",")})`;
    }
  }
  return undefined;
}

/** `[]`, optionally typed. */
function isEmptyArray(expr: ts.Expression): boolean {
  const node = skipParens(ts.isAsExpression(expr) ? expr.expression : expr);
  return ts.isArrayLiteralExpression(node) && node.elements.length === 0;
}

/**
 * A local array that starts empty and is only appended to, by `push` calls in the body of one `for … of` over a
 * collection in canonical order: what it holds keeps that order (some elements left out).
 */
function pushedInOrder(name: string, initializer: ts.Expression, depth: number): string | undefined {
  const declaration = initializer.parent;
  const scope = enclosingFunction(initializer);
  if (!scope?.body || !ts.isVariableDeclaration(declaration)) return undefined;
  const pushes: ts.CallExpression[] = [];
  let other = false;
  walk(scope.body, (node) => {
    if (other) return false;
    if (!ts.isIdentifier(node) || node.text !== name || node === declaration.name) return true;
    const access = node.parent;
    const call = access?.parent;
    if (
      ts.isPropertyAccessExpression(access) &&
      access.expression === node &&
      access.name.text === "push" &&
      ts.isCallExpression(call) &&
      call.expression === access
    )
      pushes.push(call);
    // Passed on (as at the call) or its length read; anything else may reorder it.
    else if (
      !(ts.isCallExpression(access) && access.arguments.includes(node)) &&
      !(ts.isPropertyAccessExpression(access) && access.name.text === "length")
    )
      other = true;
    return true;
  });
  if (other || pushes.length === 0) return undefined;
  const loops = new Set(pushes.map((push) => enclosingLoop(push)));
  const [loop] = loops;
  if (loops.size !== 1 || !loop) return undefined;
  const inner = canonicalOrder(loop.expression, loop, depth + 1);
  return inner && `${inner}.push(${pushes.map((p) => p.arguments.map((a) => a.getText()).join(",")).join("|")})`;
}

/** The `for … of` whose body holds `node` in the same function. */
function enclosingLoop(node: ts.Node): ts.ForOfStatement | undefined {
  for (let current = node.parent; current && !ts.isFunctionLike(current); current = current.parent)
    if (ts.isForOfStatement(current) && current.statement.pos <= node.pos) return current;
  return undefined;
}

/**
 * The order a database query returns its rows in: its own `orderBy` (`findMany({ where, orderBy })`), or, for a
 * `relation` of the row it loads, the `orderBy` of that relation's `include` / `select`. Every query sorting by the
 * same columns lists shared rows alike, as a sort by one comparison does.
 */
function queryOrder(initializer: ts.Expression, relation?: string): string | undefined {
  const call = skipAwait(skipParens(initializer));
  if (!ts.isCallExpression(call)) return undefined;
  const options = call.arguments[0] && skipParens(call.arguments[0]);
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  const property = (object: ts.Node | undefined, key: string) =>
    object && ts.isObjectLiteralExpression(object)
      ? object.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === key)?.initializer
      : undefined;
  const source = relation ? (property(property(options, "include"), relation) ?? property(property(options, "select"), relation)) : options;
  const orderBy = property(source && skipParens(source), "orderBy");
  return orderBy && `orderBy(${orderBy.getText().replace(/\s+/g, "")})`;
}

/** The constant prefix of the keys `sorted.map((n) => \`host:${n}\`)` makes (undefined when there is no such map). */
function mappedPrefix(expr: ts.Expression): string | undefined {
  const node = skipParens(expr);
  if (!ts.isCallExpression(node) || calleeName(node) !== "map") return undefined;
  const callback = node.arguments[0] && skipParens(node.arguments[0]);
  if (!callback || !ts.isArrowFunction(callback) || ts.isBlock(callback.body)) return undefined;
  return constantPrefix(callback.body);
}

function constantPrefix(expr: ts.Expression): string | undefined {
  const node = skipParens(expr);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text;
  return undefined;
}

/** `const name = …` in a function around `at` (or the file), its initializer. */
function constInitializer(name: string, at: ts.Node): ts.Expression | undefined {
  for (let scope: ts.Node | undefined = enclosingFunction(at); scope; scope = enclosingFunction(scope)) {
    const found = constInitializerIn(name, scope);
    if (found) return found;
  }
  return undefined;
}
