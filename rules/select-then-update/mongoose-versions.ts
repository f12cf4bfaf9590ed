// select-then-update: Mongoose's own versioning. A `doc.save()` that sets a whole array field (`doc.items = kept`,
// sent as `$set` of the array) makes Mongoose add the version read (`__v`) to the update's filter and increment it: a
// concurrent save of the document in between leaves nothing to match and this one fails with a VersionError, for
// every field the save writes. Not when the schema turns the version key off (`versionKey: false`), when the read
// selects its fields without `__v`, or when the array is set on one branch only (the other path saves unversioned).
import { enclosingFunction, isInside, skipParens, ts, walk, type ReadModifyWrite } from "../../server/src/rule-kit";

/** Array methods that return a new array (what a field is set to when the code filters or rebuilds a loaded list). */
const NEW_ARRAY_METHODS = new Set(["filter", "map", "flatMap", "concat", "slice", "toSorted", "toSpliced", "toReversed", "with"]);

const VERSION_KEY_OFF = /\bversionKey['"]?\s*[:,]\s*false\b/;

/**
 * The save of `flow` sets a whole array field of the document read between the read and the save, and none of the
 * model's declarations (`schemaTexts`: its class or schema, and their files) turns the version key off.
 */
export function savesWholeArrayVersioned(flow: ReadModifyWrite, schemaTexts: string[], checker: () => ts.TypeChecker): boolean {
  const { read, write } = flow;
  if (read.library !== "mongoose" || write.library !== "mongoose" || !write.entity) return false;
  if (schemaTexts.length === 0 || schemaTexts.some((text) => VERSION_KEY_OFF.test(text))) return false;
  if (leavesOutVersion(read.node)) return false;
  const document = skipParens(write.entity);
  const fn = enclosingFunction(write.node);
  if (!ts.isIdentifier(document) || !fn || enclosingFunction(read.node) !== fn) return false;
  let found = false;
  walk(fn, (node) => {
    if (found || !ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return;
    const target = skipParens(node.left);
    if (!ts.isPropertyAccessExpression(target) || !ts.isIdentifier(target.expression) || target.expression.text !== document.text) return;
    if (node.getStart() < read.node.getEnd() || node.getStart() > write.node.getStart() || isInside(node, write.node)) return;
    // A statement of a block the save is in: set on every path to the save, not on one branch of it.
    const statement = node.parent;
    if (!ts.isExpressionStatement(statement) || !ts.isBlock(statement.parent) || !isInside(write.node, statement.parent)) return;
    found = isArrayValue(node.right, fn, checker);
  });
  return found;
}

/**
 * The read picks its fields (`.select("items")`, `findById(id, "items")`) without naming `__v`: the document has no
 * version to put in the filter, and Mongoose saves without one.
 */
function leavesOutVersion(read: ts.Node): boolean {
  if (read.getText().includes("__v")) return false;
  for (let node: ts.Node = read; ts.isCallExpression(node);) {
    const callee = skipParens(node.expression);
    if (!ts.isPropertyAccessExpression(callee)) return false;
    const projection = node.arguments[1];
    if (callee.name.text === "select" || callee.name.text === "projection") return true;
    if (/^(find|findOne|findById)$/.test(callee.name.text) && projection && skipParens(projection).kind !== ts.SyntaxKind.NullKeyword)
      return true;
    node = skipParens(callee.expression);
  }
  return false;
}

/** An array literal, a call of an array method that returns a new array, or a `const` in `fn` initialised with one. */
function isArrayValue(expr: ts.Expression, fn: ts.Node, checker: () => ts.TypeChecker): boolean {
  const value = skipParens(expr);
  if (ts.isArrayLiteralExpression(value)) return true;
  if (ts.isCallExpression(value)) {
    const callee = skipParens(value.expression);
    if (ts.isPropertyAccessExpression(callee) && NEW_ARRAY_METHODS.has(callee.name.text)) return true;
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Array") return true;
  }
  if (ts.isIdentifier(value)) {
    let initializer: ts.Expression | undefined;
    walk(fn, (node) => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === value.text && node.initializer) {
        if (ts.isVariableDeclarationList(node.parent) && node.parent.flags & ts.NodeFlags.Const) initializer = node.initializer;
      }
    });
    if (initializer) return isArrayValue(initializer, fn, checker);
  }
  try {
    const type = checker().getTypeAtLocation(value);
    return checker().isArrayType(type) || checker().isTupleType(type);
  } catch {
    return false;
  }
}
