// Where a lock key comes from, in the terms of the function that takes the lock: which input (parameter, or a
// local derived from one) it is built from, and whether the code put the keys in a canonical order first.
import { ts } from "../../engine/ts";
import { boundNames, calleeName, expressionKey, isFunctionLike, propertyValue, skipAwait, type FunctionLike } from "../ast";
import { declarationOf, resolvedName, variableDeclarationOf } from "../identity";

/**
 * A key (or a call argument) as text with its root variable marked, so that a callee's key `lock:${id}` can be
 * rewritten into the caller's terms (`lock:${order.customerId}`) when the call passes `order.customerId` as `id`.
 */
export interface KeyRef {
  /** `expressionKey` text with the root identifier replaced by ROOT (or the whole text when there is no root). */
  pattern: string;
  /** The root identifier's name, if the key has one. */
  root?: string;
  /** The function parameter the root is (its index), for rewriting across calls. */
  param?: number;
  /** The root is an input of the function (a parameter, or a local derived from one without ordering). */
  input: boolean;
  /** The root was computed by ordering code (`sort`, `Math.min`, a comparison). */
  ordered: boolean;
  /** Members the root's value was taken through by destructuring or a `const` alias (`.fromId`), part of the pattern. */
  fields?: string;
  /** Where the root's declaration starts in its file (absent for `this` and globals): two locals of one name differ. */
  declaredAt?: number;
  /** The key was rewritten from a callee that could not map it to the caller: never equal to another key. */
  opaque?: boolean;
}

export const ROOT = "\u0000";

export function keyText(key: KeyRef): string {
  return key.root === undefined ? key.pattern : key.pattern.replace(ROOT, key.root);
}

/** The key's root identifier: `from`, `from.id`, `` `lock:${from}` ``, `String(from)` all have root `from`. */
export function rootIdentifier(expr: ts.Expression): ts.Identifier | undefined {
  const node = skipAwait(expr);
  if (ts.isIdentifier(node)) return node;
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) return rootIdentifier(node.expression);
  if (ts.isTemplateExpression(node) && node.templateSpans.length === 1) return rootIdentifier(node.templateSpans[0]!.expression);
  if (
    ts.isCallExpression(node) &&
    node.arguments.length === 1 &&
    ts.isIdentifier(node.expression) &&
    (node.expression.text === "String" || node.expression.text === "Number")
  )
    return rootIdentifier(node.arguments[0]!);
  return undefined;
}

/** The parameter names of a function, each with its index (destructured names share their parameter's index). */
export function parameterNames(fn: FunctionLike): Map<string, number> {
  const names = new Map<string, number>();
  fn.parameters.forEach((parameter, index) => {
    for (const id of boundNames(parameter.name)) names.set(id.text, index);
  });
  return names;
}

/** Describes `given` in the terms of `unit` (the function whose summary it belongs to). */
export function keyRefOf(given: ts.Expression, unit: FunctionLike): KeyRef {
  // Followed a bounded number of times: code that reads a row by a column of itself (`const r = find({ where: { id:
  // r.id } })`, a use before its declaration) must not loop.
  let expr = given;
  for (let next = lookedUpBy(expr), step = 0; next && step < 8; next = lookedUpBy(next), step++) expr = next;
  const text = expressionKey(expr);
  const root = rootIdentifier(expr);
  if (!root) return { pattern: text, input: false, ordered: false };
  // The root's value through `const` aliases, by scope: `const key = account` keys by the parameter `account`, and
  // `const { id } = account` by `account.id`; a local of the same name in another block is another root.
  const { head, members, declaration } = resolvedName(root);
  const headText = ts.isIdentifier(head) ? head.text : "this";
  const pattern = replaceRoot(text, root.text).replace(ROOT, `${ROOT}${members}`);
  const param = declaration && parameterIndex(declaration, unit);
  const origin = ts.isIdentifier(head) ? originOf(head, unit, 0) : "unknown";
  return {
    pattern,
    root: headText,
    ...(members ? { fields: members } : {}),
    ...(declaration ? { declaredAt: declaration.pos } : {}),
    ...(param !== undefined ? { param } : {}),
    input: origin === "input",
    ordered: origin === "ordered",
  };
}

/** Both keys name the same value: the same text in the holder's terms, rooted in the same declaration. */
export function sameKey(a: KeyRef, b: KeyRef): boolean {
  return !a.opaque && !b.opaque && a.declaredAt === b.declaredAt && keyText(a) === keyText(b);
}

/**
 * Both keys come from the same input: the same root declaration, and the same fields taken out of it by
 * destructuring or an alias (`const { fromId, toId } = request` are two inputs).
 */
export function sameRoot(a: KeyRef, b: KeyRef): boolean {
  return a.root === b.root && a.declaredAt === b.declaredAt && (a.fields ?? "") === (b.fields ?? "");
}

/** The index of the parameter of `unit` that `declaration` is (or is destructured from). */
function parameterIndex(declaration: ts.Node, unit: FunctionLike): number | undefined {
  let node: ts.Node = declaration;
  while (ts.isBindingElement(node) || ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node)) node = node.parent;
  return ts.isParameter(node) && node.parent === unit ? unit.parameters.indexOf(node) : undefined;
}

/** `replaceRoot`'s pattern for each root name, compiled once. */
const rootPatterns = new Map<string, RegExp>();

/** Marks the root identifier's first occurrence as a whole name (it is the leftmost name of the key). */
function replaceRoot(text: string, rootText: string): string {
  let pattern = rootPatterns.get(rootText);
  if (!pattern) rootPatterns.set(rootText, (pattern = new RegExp(`(?<![\\w$.])${rootText.replace(/\$/g, "\\$")}(?![\\w$])`)));
  const at = text.search(pattern);
  return at < 0 ? text : `${text.slice(0, at)}${ROOT}${text.slice(at + rootText.length)}`;
}

type Origin = "input" | "ordered" | "unknown";

/**
 * Follows `const a = b` / `const { a } = b` / `const [a, b] = [x, y].sort()` inside `unit` back to a parameter, each
 * name to the declaration its scope binds.
 */
function originOf(name: ts.Identifier, unit: FunctionLike, depth: number): Origin {
  const declaration = declarationOf(name);
  if (!declaration) return "unknown";
  if (parameterIndex(declaration, unit) !== undefined) return "input";
  const variable = variableDeclarationOf(name);
  if (!variable || !unit.body || variable.pos < unit.body.pos || variable.end > unit.body.end) return "unknown";
  if (!variable.initializer || depth > 4) return "unknown";
  if (hasOrderingEvidence(variable.initializer)) return "ordered";
  const root = rootIdentifier(variable.initializer) ?? arrayElementRoot(variable, name.text);
  return root ? originOf(root, unit, depth + 1) : "unknown";
}

/** `const [a, b] = [from, to]` → the element for `a`. */
function arrayElementRoot(declaration: ts.VariableDeclaration, name: string): ts.Identifier | undefined {
  if (!ts.isArrayBindingPattern(declaration.name) || !declaration.initializer) return undefined;
  const init = skipAwait(declaration.initializer);
  if (!ts.isArrayLiteralExpression(init)) return undefined;
  const index = declaration.name.elements.findIndex((e) => !ts.isOmittedExpression(e) && ts.isIdentifier(e.name) && e.name.text === name);
  const element = index >= 0 ? init.elements[index] : undefined;
  return element && !ts.isSpreadElement(element) ? rootIdentifier(element) : undefined;
}

const ORDERING_CALLS = new Set(["sort", "toSorted", "min", "max", "localeCompare", "sortBy", "orderBy"]);

/** Code that puts values in a canonical order: a comparison, `sort`, `Math.min/max`, `localeCompare`. */
export function hasOrderingEvidence(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n)) {
      const op = n.operatorToken.kind;
      if (
        op === ts.SyntaxKind.LessThanToken ||
        op === ts.SyntaxKind.GreaterThanToken ||
        op === ts.SyntaxKind.LessThanEqualsToken ||
        op === ts.SyntaxKind.GreaterThanEqualsToken
      )
        found = true;
    }
    if (ts.isCallExpression(n) && ORDERING_CALLS.has(calleeName(n) ?? "")) found = true;
    if (!found && !(isFunctionLike(n) && n !== node && !ts.isArrowFunction(n))) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** True when `node` sits in a branch chosen by comparing values (`if (from < to) { ... } else { ... }`). */
export function isInsideOrderingBranch(node: ts.Node, unit: ts.Node): boolean {
  for (let current: ts.Node = node; current.parent && current !== unit; current = current.parent) {
    const parent = current.parent;
    if (ts.isIfStatement(parent) && parent.expression !== current && hasOrderingEvidence(parent.expression)) return true;
    if (ts.isConditionalExpression(parent) && parent.condition !== current && hasOrderingEvidence(parent.condition)) return true;
  }
  return false;
}

/** Reads that return the one row their `where` (or their argument, for `findOneBy`) names by equality, or nothing. */
const ROW_READS = new Set(["findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findOne", "findOneBy", "findOneByOrFail"]);

/**
 * A column read back from a row looked up by that column's value is that value: `lease.id` after `const lease = await
 * tx.lease.findUnique({ where: { id: leaseId } })` is `leaseId` (the row has the id it was found by). Only for a
 * `const` holding the awaited read, and a condition that is a plain value (not `{ in: … }` or another operator).
 */
function lookedUpBy(expr: ts.Expression): ts.Expression | undefined {
  let node = expr;
  while (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)) node = node.expression;
  if (!ts.isPropertyAccessExpression(node) || !ts.isIdentifier(node.expression) || !ts.isIdentifier(node.name)) return undefined;
  const declaration = declarationOf(node.expression);
  if (!declaration || !ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name) || !declaration.initializer)
    return undefined;
  if (!(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) return undefined;
  const read = skipAwait(declaration.initializer);
  if (!ts.isCallExpression(read) || !ROW_READS.has(calleeName(read) ?? "")) return undefined;
  const options = read.arguments[0];
  const byArgument = calleeName(read) === "findOneBy" || calleeName(read) === "findOneByOrFail";
  const where = byArgument ? options : propertyValue(options, "where");
  const value = propertyValue(where, node.name.text);
  if (!value || ts.isObjectLiteralExpression(value) || ts.isArrayLiteralExpression(value)) return undefined;
  return value;
}
