// Values a write builds from the stored one by replacing fixed parts, beyond spreads and `Object.assign`
// (read-modify-write.ts replacedParts): a merge library's call, and an array with the entries of one kind replaced.
import { ts } from "../../engine/ts";
import { importsOf, skipParens } from "../ast";
import { canonicalKey } from "../identity";
import { localVariable } from "./shapes";

/** lodash's (and its per-method packages') functions that copy the keys of their arguments into the first. */
const LODASH_MERGES = new Set(["merge", "assign", "assignin", "extend", "defaults", "defaultsdeep"]);

/**
 * `merge(stored, body)` with `merge` from lodash (`lodash`, `lodash-es`, `lodash/merge`, `lodash.merge`, `_.merge`),
 * `deepmerge`, `defu` or `ts-deepmerge`: the arguments' keys copied over each other, as `{ ...stored, ...body }` does.
 */
export function isLibraryMerge(call: ts.CallExpression): boolean {
  const imports = importsOf(call.getSourceFile());
  const callee = skipParens(call.expression);
  if (ts.isIdentifier(callee)) {
    const info = imports.get(callee.text);
    return !!info && mergeExport(info.module, info.imported);
  }
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return false;
  const info = imports.get(callee.expression.text);
  return !!info && (info.imported === "*" || info.imported === "default") && mergeExport(info.module, callee.name.text);
}

function mergeExport(module: string, name: string): boolean {
  const whole = name === "default" || name === "*";
  const perMethod = /^lodash(?:-es)?\/(\w+)$|^lodash\.(\w+)$/.exec(module);
  if (perMethod) return whole && LODASH_MERGES.has((perMethod[1] ?? perMethod[2]!).toLowerCase());
  if (/^lodash(-es)?$/.test(module)) return LODASH_MERGES.has(name.toLowerCase());
  if (module === "deepmerge") return whole;
  if (module === "defu") return whole || name === "defu";
  if (module === "ts-deepmerge") return whole || name === "merge";
  return false;
}

/**
 * An array written as the stored one with the entries of one kind replaced: `flags.filter((f) => !f.startsWith("quota="))`
 * alone, or spread beside new entries of that kind (`` `quota=${n}` ``); `items.filter((i) => i.kind !== "quota")` beside `{
 * kind: "quota", … }`. Every call removes and adds the same kind, so two calls overlapping end as one of them run last.
 * `isStored` says an expression is the stored array as read; `valueOf` follows a `const` name to its initializer.
 */
export function replacesArrayEntries(
  node: ts.Expression,
  isStored: (expr: ts.Expression) => boolean,
  valueOf: (expr: ts.Expression) => ts.Expression,
): boolean {
  if (removedKind(node, isStored)) return true;
  if (!ts.isArrayLiteralExpression(node)) return false;
  const spreads = node.elements.filter(ts.isSpreadElement);
  const kind = spreads.length === 1 ? removedKind(valueOf(spreads[0]!.expression), isStored) : undefined;
  return !!kind && node.elements.every((element) => ts.isSpreadElement(element) || kind(skipParens(element)));
}

/** For `stored.filter(cb)` removing the entries of one kind, the test that an added entry is of that kind. */
function removedKind(node: ts.Expression, isStored: (expr: ts.Expression) => boolean): ((entry: ts.Expression) => boolean) | undefined {
  const call = skipParens(node);
  if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== "filter")
    return undefined;
  const callback = call.arguments[0];
  if (!isStored(call.expression.expression) || !callback || !ts.isArrowFunction(callback) || !ts.isExpression(callback.body))
    return undefined;
  const param = callback.parameters[0]?.name;
  if (!param || !ts.isIdentifier(param)) return undefined;
  const body = skipParens(callback.body);
  const isParam = (e: ts.Expression) => ts.isIdentifier(skipParens(e)) && (skipParens(e) as ts.Identifier).text === param.text;
  // `(f) => !f.startsWith("quota=")`: added entries are strings with that prefix.
  if (ts.isPrefixUnaryExpression(body) && body.operator === ts.SyntaxKind.ExclamationToken) {
    const test = skipParens(body.operand);
    if (!ts.isCallExpression(test) || !ts.isPropertyAccessExpression(test.expression) || test.expression.name.text !== "startsWith")
      return undefined;
    const prefix = test.arguments[0];
    if (!isParam(test.expression.expression) || !prefix || !ts.isStringLiteralLike(prefix)) return undefined;
    return (entry) => textHead(entry)?.startsWith(prefix.text) === true;
  }
  // `(i) => i.kind !== "quota"`: added entries are objects whose `kind` is that literal.
  if (ts.isBinaryExpression(body) && body.operatorToken.kind === ts.SyntaxKind.ExclamationEqualsEqualsToken) {
    const [member, value] = ts.isPropertyAccessExpression(body.left) ? [body.left, body.right] : [body.right, body.left];
    // The kind is the code's (a literal), not the caller's: `r.key !== key` removes a different entry per call.
    if (!ts.isPropertyAccessExpression(member) || !isParam(member.expression) || !isFixed(value)) return undefined;
    const key = member.name.text;
    return (entry) =>
      ts.isObjectLiteralExpression(entry) &&
      entry.properties.some(
        (p) =>
          (ts.isPropertyAssignment(p) && p.name.getText() === key && canonicalKey(p.initializer) === canonicalKey(value)) ||
          (ts.isShorthandPropertyAssignment(p) && p.name.text === key && canonicalKey(p.name) === canonicalKey(value)),
      );
  }
  return undefined;
}

function isFixed(value: ts.Expression): boolean {
  const node = skipParens(value);
  return ts.isStringLiteralLike(node) || ts.isNumericLiteral(node);
}

/** The fixed text a string starts with: a literal's text, a template's head. */
function textHead(entry: ts.Expression): string | undefined {
  if (ts.isStringLiteralLike(entry)) return entry.text;
  return ts.isTemplateExpression(entry) ? entry.head.text : undefined;
}

/** A name imported from another module, or declared by a top-level `const` of its file: a default, not a caller's value. */
export function isModuleConstant(name: ts.Identifier): boolean {
  const file = name.getSourceFile();
  // A name the enclosing function declares shadows the module's.
  const local = localVariable(name);
  if (local && local.parent.parent.parent !== file) return false;
  if (importsOf(file).has(name.text)) return true;
  return file.statements.some(
    (statement) =>
      ts.isVariableStatement(statement) &&
      (statement.declarationList.flags & ts.NodeFlags.Const) !== 0 &&
      statement.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name.text),
  );
}
