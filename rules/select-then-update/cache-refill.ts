// select-then-update: a read-through cache fill. The value stored under a Redis key is either the value that key held,
// put back unchanged (a hit, its TTL renewed), or a value recomputed without it (from the database, on a miss). A
// concurrent fill stores the same or a fresher value; nothing read from the cache is merged into what is written, so
// no update is lost (a counter or a list built on the cached value is, and stays reported). So is a key checked empty
// and then set to a recomputed value by a getter that returns what it found on a hit (also when the miss branch
// declares its value under the name the hit branch returns).
import {
  enclosingFunction,
  isFunctionLike,
  isLiteral,
  isNullish,
  skipAwait,
  skipParens,
  ts,
  variableDeclarationOf,
  walk,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/**
 * Every value the Redis write takes from the cache read is a hit-or-recompute choice: `cached !== null ? cached :
 * fresh`, `cached ?? fresh` (also through a `const`, or as a property of an object written: a page and its count),
 * where the hit branch is the value read itself and the miss branch holds nothing read.
 */
export function refillsCache(flow: ReadModifyWrite): boolean {
  const { read, write } = flow;
  if (write.library !== "redis" || read.library !== "redis") return false;
  if (!flow.data) return fillsOnMiss(flow);
  const fromRead = (expr: ts.Expression) => flow.originOf(expr)?.read === read;
  return write.assignments.every((a) => !a.value || !fromRead(a.value) || hitOrRecomputed(a.value, flow, fromRead, 0));
}

/**
 * A fill on a miss: where the key was empty the write stores a value that holds nothing read from it and is no literal
 * (a marker's presence would be the point of a constant), and the function returns the value read where the key held
 * one. A getter's cache: concurrent misses store the same source's answer, and the write claims nothing.
 */
function fillsOnMiss(flow: ReadModifyWrite): boolean {
  const { read, write } = flow;
  const fn = enclosingFunction(read.node);
  if (!flow.control || !fn?.body || enclosingFunction(write.node) !== fn) return false;
  const mentionsRead = (node: ts.Node): boolean =>
    (ts.isIdentifier(node) && !isPropertyName(node) && flow.originOf(node)?.read === read) || !!ts.forEachChild(node, mentionsRead);
  const values = write.assignments.map((a) => a.value);
  if (values.length === 0 || values.some((v) => !v || isLiteral(v) || mentionsRead(v))) return false;
  // What a `return` elsewhere mentions is resolved by its own declarations, not by the names bound at the write: a
  // `const` of the miss branch may shadow the name the hit branch returns.
  const returned = (node: ts.Node): boolean => mentionsRead(node) || declaredFromRead(node, read.node, 0);
  let returnsRead = false;
  walk(fn.body, (node) => {
    if (returnsRead || isFunctionLike(node)) return false;
    if (ts.isReturnStatement(node) && node.expression && returned(node.expression)) returnsRead = true;
    return true;
  });
  return returnsRead;
}

/**
 * `node` names a `const` of its own function whose initializer holds the read (`const stored = (await redis.get(key))
 * || ""`), directly or through another such `const` (`const limit = Number.parseFloat(stored)`).
 */
function declaredFromRead(node: ts.Node, readNode: ts.Node, depth: number): boolean {
  if (depth > 4) return false;
  if (node === readNode) return true;
  if (ts.isIdentifier(node) && !isPropertyName(node)) {
    const declaration = ownDeclarationOf(node);
    return (
      isConst(declaration) &&
      !!declaration?.initializer &&
      ts.isIdentifier(declaration.name) &&
      declaredFromRead(declaration.initializer, readNode, depth + 1)
    );
  }
  return !isFunctionLike(node) && !!ts.forEachChild(node, (child) => declaredFromRead(child, readNode, depth) || undefined);
}

function hitOrRecomputed(value: ts.Expression, flow: ReadModifyWrite, fromRead: (expr: ts.Expression) => boolean, depth: number): boolean {
  if (depth > 4) return false;
  const node = constInitializer(value) ?? skipParens(value);
  const asRead = (expr: ts.Expression) => isValueAsRead(expr, flow);
  // `cached !== null ? cached : recomputed` (either way round), tested for a miss by the value read itself.
  if (ts.isConditionalExpression(node) && testsMiss(node.condition, flow)) {
    const [hit, miss] = asRead(node.whenTrue) ? [node.whenTrue, node.whenFalse] : [node.whenFalse, node.whenTrue];
    return asRead(hit) && recomputed(miss, flow, fromRead);
  }
  // `cached ?? recomputed`.
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)
    return asRead(node.left) && recomputed(node.right, flow, fromRead);
  // `{ rows, count }`: each property either holds nothing read or is such a choice.
  if (ts.isObjectLiteralExpression(node))
    return node.properties.every((property) => {
      const inner = ts.isPropertyAssignment(property)
        ? property.initializer
        : ts.isShorthandPropertyAssignment(property)
          ? property.name
          : undefined;
      return inner !== undefined && (!fromRead(inner) || hitOrRecomputed(inner, flow, fromRead, depth + 1));
    });
  // `JSON.stringify(page)`, `String(count)`, `count.toString()`: the same value, encoded.
  if (ts.isCallExpression(node)) {
    const callee = node.expression.getText();
    if (/^(JSON\.stringify|String)$/.test(callee) && node.arguments[0])
      return hitOrRecomputed(node.arguments[0], flow, fromRead, depth + 1);
    if (ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "toString" && node.arguments.length === 0)
      return hitOrRecomputed(node.expression.expression, flow, fromRead, depth + 1);
  }
  return false;
}

/**
 * The miss branch holds nothing read: no name in it is the value read, and a name bound to the read is bound only
 * because the read chose whether to run a query (`const [rows, counted] = await Promise.all([…, cached === null ?
 * db.count() : null])`): what the query returns is not computed from the cache.
 */
function recomputed(expr: ts.Expression, flow: ReadModifyWrite, fromRead: (expr: ts.Expression) => boolean): boolean {
  if (!fromRead(expr)) return true;
  let clean = true;
  const visit = (node: ts.Node): boolean => {
    if (!clean) return false;
    if (ts.isIdentifier(node) && !isPropertyName(node) && fromRead(node)) {
      const declaration = ownDeclarationOf(node);
      clean = !!declaration?.initializer && !isValueAsRead(node, flow) && readOnlyChoosesQuery(declaration.initializer, flow);
      return false;
    }
    return true;
  };
  if (visit(expr))
    ts.forEachChild(expr, function walk(child): void {
      if (visit(child)) ts.forEachChild(child, walk);
    });
  return clean;
}

/** Every mention of the value read in `init` is inside the condition of a `?:` (it decides whether a query runs). */
function readOnlyChoosesQuery(init: ts.Expression, flow: ReadModifyWrite): boolean {
  let ok = true;
  let seen = false;
  const visit = (node: ts.Node, inCondition: boolean): void => {
    if (!ok) return;
    if (ts.isIdentifier(node) && isValueAsRead(node, flow)) {
      seen = true;
      if (!inCondition) ok = false;
      return;
    }
    if (ts.isConditionalExpression(node)) {
      visit(node.condition, true);
      visit(node.whenTrue, inCondition);
      visit(node.whenFalse, inCondition);
      return;
    }
    ts.forEachChild(node, (child) => visit(child, inCondition));
  };
  visit(init, false);
  return ok && seen;
}

/** `x` in `x.y` or `{ x: … }` names a property, not a variable. */
function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (ts.isPropertyAccessExpression(parent) && parent.name === node) || (ts.isPropertyAssignment(parent) && parent.name === node);
}

/** The declaration binding `name` (also in a destructuring pattern), when its own function (or the file) declares it. */
function ownDeclarationOf(name: ts.Identifier): ts.VariableDeclaration | undefined {
  const declaration = variableDeclarationOf(name);
  return declaration && enclosingFunction(declaration) === enclosingFunction(name) ? declaration : undefined;
}

/** A name declared (`const`) with the read's own result: the value the key held, unchanged. */
function isValueAsRead(expr: ts.Expression, flow: ReadModifyWrite): boolean {
  let node = skipParens(expr);
  while (ts.isNonNullExpression(node)) node = skipParens(node.expression);
  if (!ts.isIdentifier(node)) return false;
  const declaration = ownDeclarationOf(node);
  const init = declaration?.initializer && ts.isIdentifier(declaration.name) && skipAwait(declaration.initializer);
  return !!init && init === flow.read.node && isConst(declaration);
}

/** `cached === null`, `cached !== undefined`, `cached != null`, `cached`, `!cached`: the hit-or-miss test of the value read. */
function testsMiss(condition: ts.Expression, flow: ReadModifyWrite): boolean {
  let node = skipParens(condition);
  while (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) node = skipParens(node.operand);
  if (isValueAsRead(node, flow)) return true;
  if (!ts.isBinaryExpression(node) || !/^(===|!==|==|!=)$/.test(node.operatorToken.getText())) return false;
  return (isValueAsRead(node.left, flow) && isNullish(node.right)) || (isValueAsRead(node.right, flow) && isNullish(node.left));
}

/** The initializer of the `const` an identifier names, declared in its function. */
function constInitializer(expr: ts.Expression): ts.Expression | undefined {
  const node = skipParens(expr);
  if (!ts.isIdentifier(node)) return undefined;
  const declaration = ownDeclarationOf(node);
  return declaration?.initializer && ts.isIdentifier(declaration.name) && isConst(declaration)
    ? skipParens(declaration.initializer)
    : undefined;
}

function isConst(declaration: ts.VariableDeclaration | undefined): boolean {
  return !!declaration && ts.isVariableDeclarationList(declaration.parent) && (declaration.parent.flags & ts.NodeFlags.Const) !== 0;
}
