// Shapes the library recognisers share: builder chains (`knex("t").where(w).first()` as a root and its links) and
// object-literal arguments (`{ balance: next, version }` as assignments or equality conditions).
import { ts } from "../../engine/ts";
import { calleeName, enclosingFunction, receiverOf, skipParens, stringValue } from "../ast";
import { variableDeclarationOf } from "../identity";
import type { RowLockMode } from "../sql";
import type { AccessAssignment, AccessCondition } from "./access";

export interface Link {
  name: string;
  call?: ts.CallExpression;
}

/** `knex("t").where(w).first()` → root `knex`, links [knex("t"), where(w), first()]. */
export function chainOf(call: ts.CallExpression): { root: ts.Expression; links: Link[] } {
  const links: Link[] = [];
  let current: ts.Expression = call;
  for (;;) {
    current = skipParens(current);
    if (ts.isCallExpression(current)) {
      const callee = skipParens(current.expression);
      if (ts.isIdentifier(callee)) {
        links.unshift({ name: callee.text, call: current });
        return { root: callee, links };
      }
      if (ts.isPropertyAccessExpression(callee)) {
        links.unshift({ name: callee.name.text, call: current });
        current = callee.expression;
        continue;
      }
      return { root: current, links };
    }
    if (ts.isPropertyAccessExpression(current)) {
      links.unshift({ name: current.name.text });
      current = current.expression;
      continue;
    }
    if (ts.isAwaitExpression(current)) {
      current = current.expression;
      continue;
    }
    return { root: current, links };
  }
}

/**
 * A chain read from the object its first call is made on: `this.db.select().from(t)` → root `this.db`, links
 * [select(), from(t)]. A field or an options property holding the client (`this.db`, `deps.supabase`) is the handle
 * the statement runs through, as a local `db` is; the leading property names are not links of the builder.
 */
export function chainFromHandle(chain: { root: ts.Expression; links: Link[] }): { root: ts.Expression; links: Link[] } {
  const first = chain.links.findIndex((l) => l.call);
  const callee = first > 0 ? skipParens(chain.links[first]!.call!.expression) : undefined;
  if (!callee || !ts.isPropertyAccessExpression(callee)) return chain;
  return { root: skipParens(callee.expression), links: chain.links.slice(first) };
}

/** The innermost expression of a call chain: `this.db.accounts.update(...)` → `this`; `pool.query(...)` → `pool`. */
export function rootOf(call: ts.CallExpression): ts.Expression {
  return chainOf(call).root;
}

/** knex / Kysely `.forUpdate()`, `.forNoKeyUpdate()`, `.forShare()`, `.forKeyShare()` among a chain's link names. */
export function lockOfLinks(names: readonly string[]): RowLockMode | undefined {
  return names.includes("forUpdate")
    ? "update"
    : names.includes("forNoKeyUpdate")
      ? "no key update"
      : names.includes("forShare")
        ? "share"
        : names.includes("forKeyShare")
          ? "key share"
          : undefined;
}

/**
 * `{ a: x, b }` → assignments; `atomic(value)` says whether a value is computed by the database. A `const` of the same
 * function bound to an object literal (`const where = { orgId, day }`, then `findAll({ where })`) is that literal.
 */
export function objectAssignments(arg: ts.Expression | undefined, atomic: (value: ts.Expression) => boolean): AccessAssignment[] {
  const object = arg && constObjectOf(skipParens(arg));
  if (!object || !ts.isObjectLiteralExpression(object)) return [];
  const out: AccessAssignment[] = [];
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property)) {
      const column = propertyName(property);
      if (column) out.push({ column, value: property.initializer, atomic: atomic(property.initializer) });
    } else if (ts.isShorthandPropertyAssignment(property)) {
      out.push({ column: property.name.text, value: property.name, atomic: false });
    } else if (ts.isSpreadAssignment(property)) {
      const objects = spreadObjects(property.expression);
      if (objects) for (const each of objects) out.push(...objectAssignments(each, atomic));
      else out.push({ column: "...", value: property.expression, atomic: false });
    }
  }
  return out;
}

/**
 * The object literals a spread may take its keys from: `{ … }`, `cond && { … }`, `cond ? { … } : { … }` (an empty
 * branch sets nothing), and a `const` of the same function bound to one of those (`const where = { orgId, day }`, then
 * `create({ ...where, status })`). Undefined for anything else (a parameter, a call): keys the code does not show.
 */
export function spreadObjects(expr: ts.Expression, depth = 0): ts.ObjectLiteralExpression[] | undefined {
  const node = constObjectOf(skipParens(expr));
  if (ts.isObjectLiteralExpression(node)) return [node];
  if (depth > 3) return undefined;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
    return spreadObjects(node.right, depth + 1);
  if (ts.isConditionalExpression(node)) {
    const [a, b] = [spreadObjects(node.whenTrue, depth + 1), spreadObjects(node.whenFalse, depth + 1)];
    return a && b ? [...a, ...b] : undefined;
  }
  return undefined;
}

/**
 * The row a bulk insert writes, for the columns every row shares: `values(names.map((name) => ({ orgId, name })))` →
 * the object the callback returns; `values([{ orgId, name: a }, …])` → the first row. A single row as it is.
 */
export function insertedRow(values: ts.Expression): ts.Expression {
  const node = skipParens(values);
  if (ts.isArrayLiteralExpression(node)) return node.elements[0] ?? node;
  if (!ts.isCallExpression(node) || calleeName(node) !== "map") return node;
  const callback = node.arguments[0] && skipParens(node.arguments[0]);
  if (!callback || !ts.isArrowFunction(callback) || ts.isBlock(callback.body)) return node;
  return skipParens(callback.body);
}

/** The object literal a `const` of the same function is bound to (`const where = { … }`); anything else as it is. */
function constObjectOf(node: ts.Expression): ts.Expression {
  if (!ts.isIdentifier(node)) return node;
  const declaration = localVariable(node);
  const initializer = declaration?.initializer && skipParens(declaration.initializer);
  const isConst = declaration !== undefined && (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0;
  return isConst && initializer && ts.isObjectLiteralExpression(initializer) ? initializer : node;
}

export function propertyName(property: ts.ObjectLiteralElementLike): string | undefined {
  const name = property.name;
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

/** `{ id, version: v }` as a WHERE: one equality per property. */
export function whereObjectConditions(where: ts.Expression | undefined): AccessCondition[] {
  return objectAssignments(where, () => false).map((a) => {
    // An operator object (`created_at: { [Op.gte]: since }`, `{ $gte: since }`) compares; it is no equality.
    const compared = a.value && operatorObject(a.value);
    if (compared) return { column: a.column, ...compared };
    return { column: a.column, operator: "=", ...(a.value ? { value: a.value } : {}) };
  });
}

const WHERE_OPERATORS: Record<string, string> = { eq: "=", ne: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };

/** `{ [Op.gte]: x }` / `{ $gte: x }` with one operator: its SQL operator ("?" for one like `in`) and operand. */
function operatorObject(value: ts.Expression): { operator: string; value?: ts.Expression } | undefined {
  const node = skipParens(value);
  if (!ts.isObjectLiteralExpression(node) || node.properties.length !== 1) return undefined;
  const property = node.properties[0]!;
  if (!ts.isPropertyAssignment(property)) return undefined;
  const key = property.name;
  const name = ts.isComputedPropertyName(key)
    ? ts.isPropertyAccessExpression(key.expression) && ts.isIdentifier(key.expression.expression) && key.expression.expression.text === "Op"
      ? key.expression.name.text
      : undefined
    : (ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text.startsWith("$")
      ? key.text.slice(1)
      : undefined;
  if (name === undefined) return undefined;
  const operator = WHERE_OPERATORS[name] ?? "?";
  return operator === "?" ? { operator } : { operator, value: property.initializer };
}

/** knex / Kysely `where({ id, version: v })` / `where("version", v)` / `where("qty", ">=", n)`. */
export function whereConditions(call: ts.CallExpression): AccessCondition[] {
  const args = call.arguments;
  const column = stringValue(args[0]);
  if (column && args.length === 2) return [{ column, operator: "=", value: args[1]! }];
  if (column && args.length === 3) return [{ column, operator: stringValue(args[1]) ?? "?", value: args[2]! }];
  const object = args[0] && skipParens(args[0]);
  if (object && ts.isObjectLiteralExpression(object)) return whereObjectConditions(object);
  return [];
}

export function isFunctionLikeExpression(node: ts.Expression): node is ts.ArrowFunction | ts.FunctionExpression {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

/**
 * The entity class behind a repository or model handle, where the code names it: `em.getRepository(Account)`, a
 * local `const repo = ds.getRepository(Account)`, or a field injected as `@InjectRepository(Account)` /
 * `@InjectModel(User.name)` / typed `Repository<Account>` / `EntityRepository<Account>` / `Model<User>` (the
 * constructor parameter or property of the enclosing class).
 */
export function injectedEntity(handle: ts.Expression): ts.Identifier | undefined {
  let node = skipParens(handle);
  if (ts.isIdentifier(node)) {
    const declaration = localVariable(node);
    if (declaration?.initializer) node = skipParens(declaration.initializer);
    while (ts.isAwaitExpression(node)) node = skipParens(node.expression);
  }
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "getRepository")
    return capitalised(node.arguments[0]);
  if (!ts.isPropertyAccessExpression(node) || node.expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  for (const member of fieldDeclarations(node, node.name.text)) {
    for (const decorator of ts.canHaveDecorators(member) ? (ts.getDecorators(member) ?? []) : []) {
      const call = decorator.expression;
      if (!ts.isCallExpression(call) || !/^Inject(Repository|Model)$/.test(calleeName(call) ?? "")) continue;
      const arg = call.arguments[0] && skipParens(call.arguments[0]);
      // `@InjectModel(User.name)` names the class through its `name`.
      const named = arg && ts.isPropertyAccessExpression(arg) && arg.name.text === "name" ? arg.expression : arg;
      const entity = capitalised(named);
      if (entity) return entity;
    }
    const type = member.type;
    if (type && ts.isTypeReferenceNode(type) && type.typeArguments?.length === 1) {
      const argument = type.typeArguments[0]!;
      if (ts.isTypeReferenceNode(argument) && ts.isIdentifier(argument.typeName)) return argument.typeName;
    }
  }
  return undefined;
}

/** The declarations of field `field` of the class around `at`: a property, or a constructor parameter property. */
export function fieldDeclarations(at: ts.Node, field: string): Array<ts.PropertyDeclaration | ts.ParameterDeclaration> {
  let cls: ts.Node | undefined = at.parent;
  while (cls && !ts.isClassLike(cls)) cls = cls.parent;
  if (!cls || !ts.isClassLike(cls)) return [];
  const members: Array<ts.PropertyDeclaration | ts.ParameterDeclaration> = [];
  for (const member of cls.members) {
    if (ts.isPropertyDeclaration(member) && member.name.getText() === field) members.push(member);
    if (ts.isConstructorDeclaration(member))
      members.push(...member.parameters.filter((p) => ts.isIdentifier(p.name) && p.name.text === field));
  }
  return members;
}

/** The name of the type `this.field` is declared with in the class around `at` (`TransactionHost` of `TransactionHost<A>`). */
export function fieldTypeName(at: ts.Node, field: string): string | undefined {
  for (const member of fieldDeclarations(at, field)) {
    const type = member.type;
    if (type && ts.isTypeReferenceNode(type)) return ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text;
  }
  return undefined;
}

function capitalised(expr: ts.Expression | undefined): ts.Identifier | undefined {
  const node = expr && skipParens(expr);
  return node && ts.isIdentifier(node) && /^[A-Z]/.test(node.text) ? node : undefined;
}

/** The declaration of the variable `identifier` names (a plain name, not a pattern), when its own function (or file) declares it. */
export function localVariable(identifier: ts.Identifier): ts.VariableDeclaration | undefined {
  const declaration = variableDeclarationOf(identifier);
  return declaration && ts.isIdentifier(declaration.name) && enclosingFunction(declaration) === enclosingFunction(identifier)
    ? declaration
    : undefined;
}

/**
 * An insert builder chain that settles a duplicate key itself: Drizzle `.onConflictDoNothing()` /
 * `.onConflictDoUpdate(…)` / `.onDuplicateKeyUpdate(…)`, knex and Kysely `.onConflict(…)`, TypeORM's `.orIgnore()` /
 * `.orUpdate(…)`.
 */
export function settlesConflict(call: ts.CallExpression): boolean {
  return chainOf(call).links.some((l) => /^(onConflict\w*|onDuplicateKeyUpdate|orIgnore|orUpdate)$/.test(l.name));
}

/** `undefined`, `null`, `false`: an option set to nothing. */
export function noOption(option: ts.Expression): boolean {
  return /^(undefined|null|false|void\b.*)$/.test(skipParens(option).getText());
}

/**
 * An option set on one branch only (`lock: tx ? t.LOCK.UPDATE : undefined`, `lock: row ? { mode } : undefined`): the
 * value it has on that branch and the condition choosing it (`negated`: chosen when the condition is false).
 */
export function optionOnOneBranch(option: ts.Expression): { value: ts.Expression; condition: ts.Expression; negated: boolean } | undefined {
  const node = skipParens(option);
  if (!ts.isConditionalExpression(node) || noOption(node.whenTrue) === noOption(node.whenFalse)) return undefined;
  const negated = noOption(node.whenTrue);
  return { value: negated ? node.whenFalse : node.whenTrue, condition: node.condition, negated };
}

/** `await Promise.all([a, b])`: the promises, in the order of the values the awaited array holds (no spread among them). */
export function promisesAwaitedTogether(expr: ts.Expression): readonly ts.Expression[] | undefined {
  const node = skipParens(expr);
  if (!ts.isAwaitExpression(node)) return undefined;
  const call = skipParens(node.expression);
  if (!ts.isCallExpression(call) || calleeName(call) !== "all" || call.arguments.length !== 1) return undefined;
  const receiver = receiverOf(call);
  if (!receiver || !ts.isIdentifier(skipParens(receiver)) || (skipParens(receiver) as ts.Identifier).text !== "Promise") return undefined;
  const list = skipParens(call.arguments[0]!);
  if (!ts.isArrayLiteralExpression(list) || list.elements.some(ts.isSpreadElement)) return undefined;
  return list.elements;
}
