// select-then-update: Mongoose's own versioning. A `doc.save()` that sets a whole array field (`doc.items = kept`,
// sent as `$set` of the array) makes Mongoose add the version read (`__v`) to the update's filter and increment it: a
// concurrent save of the document in between leaves nothing to match and this one fails with a VersionError, for
// every field the save writes. Not when the schema turns the version key off (`versionKey: false`).
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
  const document = skipParens(write.entity);
  const fn = enclosingFunction(write.node);
  if (!ts.isIdentifier(document) || !fn || enclosingFunction(read.node) !== fn) return false;
  let found = false;
  walk(fn, (node) => {
    if (found || !ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return;
    const target = skipParens(node.left);
    if (!ts.isPropertyAccessExpression(target) || !ts.isIdentifier(target.expression) || target.expression.text !== document.text) return;
    if (node.getStart() < read.node.getEnd() || node.getStart() > write.node.getStart() || isInside(node, write.node)) return;
    found = isArrayValue(node.right, fn, checker);
  });
  return found;
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
