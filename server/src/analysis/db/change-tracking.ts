// Form edits saved through a change-tracking ORM. TypeORM's `save` (diffed against the entity loaded), MikroORM's
// `flush` (the change set), Mongoose's `doc.save()` (`$set` of the modified paths) and Sequelize's `instance.save()`
// (the changed fields) write only the columns whose value differs from the row loaded. So the rule: a field whose new
// value is the request's own (input, a constant, the clock) or the value it was read with is not a lost update — it is
// written only with the request's value, and two editors of one record are last-writer-wins per field, by design. That
// holds for `row.x = input.x ?? row.x` and `row.x = given ? input.x : row.x`, and for a related row passed through a
// project function that merges the request into it (`row.profile = await profiles.update(row.profile, input)`): the
// relation keeps its key, and the helper's own writes are its own flows. A value computed from the column read (a
// counter, a balance, a list appended to, a related row's count bumped inside the helper) stays evidence
// (read-modify-write.ts bindAssignment, bindEntityAssign).
import { ts } from "../../engine/ts";
import { enclosingFunction, isAssignmentOperator, isFallback, mentions, skipAwait, skipParens, walk, type FunctionLike } from "../ast";
import { programOf, type CalleeResolver } from "../summaries";
import { dbAccessOf, type DbAccess } from "./access";
import { injectedEntity } from "./shapes";

/** ORMs whose save of a loaded entity writes only the fields that changed since it was loaded. */
export const CHANGE_TRACKING = new Set<DbAccess["library"]>(["typeorm", "mikro-orm", "sequelize", "mongoose"]);

/** What a change-tracked save writes for one field set on the entity: the request's part of it, or nothing of this row. */
export type TrackedChange = { kind: "request"; value: ts.Expression } | { kind: "related-row" };

/**
 * For `value` set to a field of a loaded entity (`isStoredField` says an expression is that field as read; `fromRead`
 * that it carries a value of the read): the request's part when the value is the request's or the field as read, the
 * related row when a project function merges the request into the related row the field holds; undefined otherwise.
 */
export function trackedChangeOf(
  value: ts.Expression,
  read: DbAccess,
  isStoredField: (expr: ts.Expression) => boolean,
  fromRead: (expr: ts.Expression) => boolean,
  resolve: CalleeResolver,
): TrackedChange | undefined {
  const node = skipParens(value);
  // `input.x ?? row.x`, `input.x || row.x`: the request's value, else no change.
  if (isFallback(node)) return !fromRead(node.left) && isStoredField(node.right) ? { kind: "request", value: node.left } : undefined;
  // `input.x === undefined ? row.x : input.x`: the request decides, the other branch is no change.
  if (ts.isConditionalExpression(node) && !fromRead(node.condition)) {
    const [kept, given] = isStoredField(node.whenTrue) ? [node.whenTrue, node.whenFalse] : [node.whenFalse, node.whenTrue];
    return isStoredField(kept) && !fromRead(given) ? { kind: "request", value: given } : undefined;
  }
  const checker = programOf(resolve)?.getTypeChecker();
  return checker && mergesRelatedRow(node, isStoredField, resolve, checker, 0, read) ? { kind: "related-row" } : undefined;
}

/** `p.profile = await profiles.update(p.profile, input)` where that function, too, merges the request only. */
function mergesRelatedRow(
  value: ts.Expression,
  isStoredField: (expr: ts.Expression) => boolean,
  resolve: CalleeResolver,
  checker: ts.TypeChecker,
  depth: number,
  read?: DbAccess,
): boolean {
  const call = skipAwait(skipParens(value));
  if (!ts.isCallExpression(call) || depth > 3) return false;
  const index = call.arguments.findIndex((arg) => isStoredField(arg));
  const field = call.arguments[index] && skipParens(call.arguments[index]);
  const helper = resolve(call);
  return (
    !!field &&
    !!helper &&
    ts.isPropertyAccessExpression(field) &&
    isToOneRelation(field, checker, read) &&
    mergesIntoParameter(helper, index, resolve, checker, depth + 1)
  );
}

/** Decorators that declare a field holding one related row, and those that declare a column of the row itself. */
const TO_ONE = /^(OneToOne|ManyToOne|BelongsTo|HasOne)$/;
const OWN_COLUMN = /^(Column|Property|Prop|Enum|Embedded|PrimaryColumn|PrimaryKey|JSON\w*)$/;

/**
 * `row.profile` holds one related row: declared with a to-one relation decorator, or (an entity typed by a plain class
 * or interface) of an object type with an `id`, which a JSON column's shape does not have. A list is not one row.
 */
function isToOneRelation(field: ts.PropertyAccessExpression, checker: ts.TypeChecker, read?: DbAccess): boolean {
  // An entity typed `any` (the ORM's types not installed): the field of the class the read names or was injected for.
  const declarations = checker.getSymbolAtLocation(field.name)?.declarations ?? entityMembers(read, field.name.text, checker);
  for (const declaration of declarations) {
    const decorators = ts.canHaveDecorators(declaration) ? (ts.getDecorators(declaration) ?? []) : [];
    const names = decorators.map((d) => {
      const expr = ts.isCallExpression(d.expression) ? d.expression.expression : d.expression;
      return ts.isPropertyAccessExpression(expr) ? expr.name.text : expr.getText();
    });
    if (names.some((n) => TO_ONE.test(n))) return true;
    if (names.some((n) => OWN_COLUMN.test(n))) return false;
  }
  const [declared] = declarations;
  const type = checker.getNonNullableType(declared ? checker.getTypeAtLocation(declared) : checker.getTypeAtLocation(field));
  if (checker.isArrayType(type) || checker.isTupleType(type) || !(type.flags & ts.TypeFlags.Object)) return false;
  return type.getProperty("id") !== undefined || type.getProperty("_id") !== undefined;
}

/** The members named `name` of the entity class `read` names (`em.findOne(Event, …)`, `@InjectRepository(Event)`). */
function entityMembers(read: DbAccess | undefined, name: string, checker: ts.TypeChecker): ts.Declaration[] {
  const entity = read && (read.entityClass ?? (read.handle && injectedEntity(read.handle)));
  let symbol = entity && checker.getSymbolAtLocation(entity);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return (symbol?.declarations ?? [])
    .filter(ts.isClassLike)
    .flatMap((c) => c.members.filter((m) => m.name !== undefined && ts.isIdentifier(m.name) && m.name.text === name));
}

/**
 * The function sets the fields of its parameter at `index` only to values not computed from that parameter (a
 * field kept as read through `??` aside): no `+=`, `++`, `push`, or `p.count = p.count + 1` on it; and it returns that
 * row (or one a database call returns), not a new value built from it.
 */
function mergesIntoParameter(fn: FunctionLike, index: number, resolve: CalleeResolver, checker: ts.TypeChecker, depth = 0): boolean {
  const parameter = fn.parameters[index]?.name;
  if (!parameter || !ts.isIdentifier(parameter) || !fn.body) return false;
  const name = parameter.text;
  const onParameter = (expr: ts.Expression): boolean => {
    let node = skipParens(expr);
    while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipParens(node.expression);
    return ts.isIdentifier(node) && node.text === name && node !== skipParens(expr);
  };
  const names = new Set([name]);
  const mentionsParameter = (expr: ts.Node): boolean => mentions(expr, names);
  /** `input.x ?? p.x`: the request's value, else the field as it is. */
  const keeps = (value: ts.Expression): boolean => {
    const node = skipParens(value);
    return (
      isFallback(node) && !mentionsParameter(node.left) && onParameter(node.right) && ts.isPropertyAccessExpression(skipParens(node.right))
    );
  };
  /** The same field of the parameter as the one assigned (`p.location` in `p.location = f(p.location, …)`). */
  const isField = (left: ts.Expression) => (expr: ts.Expression) =>
    onParameter(expr) && skipParens(expr).getText() === skipParens(left).getText();
  /**
   * What the function returns is the parameter itself, a row a database call returns, or nothing built from the
   * parameter: `return { ...p, ...input }` is a new value computed from the stored one (a JSON blob written whole).
   */
  const returnsRow = (value: ts.Expression): boolean => {
    const node = skipAwait(skipParens(value));
    return (ts.isIdentifier(node) && node.text === name) || !mentionsParameter(node) || (ts.isCallExpression(node) && !!dbAccessOf(node));
  };
  let computed = !ts.isBlock(fn.body) && !returnsRow(fn.body);
  walk(fn.body, (node) => {
    if (computed) return false;
    if (ts.isReturnStatement(node) && node.expression && enclosingFunction(node) === fn) computed = !returnsRow(node.expression);
    else if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind) && onParameter(node.left))
      computed =
        node.operatorToken.kind !== ts.SyntaxKind.EqualsToken ||
        (mentionsParameter(node.right) && !keeps(node.right) && !mergesRelatedRow(node.right, isField(node.left), resolve, checker, depth));
    else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    )
      computed = onParameter(node.operand);
    else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      /^(push|unshift|splice)$/.test(node.expression.name.text)
    )
      computed = onParameter(node.expression.expression);
    return !computed;
  });
  return !computed;
}
