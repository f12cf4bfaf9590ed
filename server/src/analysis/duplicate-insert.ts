// A duplicate check that decides an insert: `const prior = await db.consentRecord.findFirst({ where: { a, b } }); if
// (prior) return prior; … db.consentRecord.create({ data: { a, b, … } })`. Two concurrent calls both find nothing and
// both insert, unless a unique index over the looked-up fields makes the second insert fail. Whether one exists is
// judged only where the project declares it: the Prisma schema nearest the file must hold the model, and no `@id`,
// `@unique`, `@@id` or `@@unique` in it may cover a subset of the fields looked up. Without a visible schema nothing
// is reported (a unique index may live in a migration or the database).
import { ts } from "../engine/ts";
import { alwaysExits } from "./flow/queries";
import { calleeName, importsOf, nodesOfKinds, propertyValue, receiverOf, skipAwait, skipParens, type FunctionLike } from "./ast";
import { dbAccessOf, sameTable, type DbAccess } from "./db";
import { mongooseUniqueFieldSets } from "./db/mongoose";
import { isDrizzleRelationalAccess, prismaUniqueFieldSets } from "./db/prisma";
import { propertyName } from "./db/shapes";
import { sequelizeAccess } from "./db/sequelize";
import { columnKey, uniqueKeysOf } from "./db/schema-catalog";

export interface DuplicateInsert {
  check: DbAccess;
  insert: DbAccess;
  /** The fields looked up, which the insert writes too. */
  fields: string[];
}

/** The duplicate checks in `fn` that decide an insert of the same fields with no unique index over them in the schema. */
export function duplicateInsertsIn(fn: FunctionLike): DuplicateInsert[] {
  const body = fn.body;
  if (!body || !ts.isBlock(body)) return [];
  const out: DuplicateInsert[] = [];
  for (const [index, statement] of body.statements.entries()) {
    const found = lookupOf(statement);
    if (!found) continue;
    const later = body.statements.slice(index + 1);
    // The insert in the branch that runs when nothing was found (`if (!prior) { … create … }`, `if (rows.length === 0)`)
    // is decided by the check as much as one after `if (prior) return prior`.
    const missing = later.find((s): s is ts.IfStatement => ts.isIfStatement(s) && testsFound(s, found, false));
    const inMissing = missing
      ? nodesOfKinds<ts.CallExpression>(missing.thenStatement, [ts.SyntaxKind.CallExpression])
          .map((call) => dbAccessOf(call))
          .find((a) => isInsertOf(a, found))
      : undefined;
    if (inMissing && unindexed(found, inMissing, fn)) {
      out.push({ check: found.check, insert: inMissing, fields: found.fields });
      continue;
    }
    const guard = later.find((s) => ts.isIfStatement(s) && testsFound(s, found, true));
    if (!guard || !ts.isIfStatement(guard) || guard.elseStatement || !alwaysExits(guard.thenStatement)) continue;
    const after = body.statements.slice(body.statements.indexOf(guard) + 1);
    const insert = after
      .flatMap((s) => nodesOfKinds<ts.CallExpression>(s, [ts.SyntaxKind.CallExpression]))
      .map((call) => dbAccessOf(call))
      .find((a) => isInsertOf(a, found));
    if (insert && unindexed(found, insert, fn)) out.push({ check: found.check, insert, fields: found.fields });
  }
  // A find-or-create in one expression (`(await db.m.findFirst({ where })) || (await db.m.create({ data }))`, or `??`):
  // the insert runs only when the lookup found nothing, as after `if (prior) return prior`.
  for (const either of nodesOfKinds<ts.BinaryExpression>(body, [ts.SyntaxKind.BinaryExpression], { skipFunctions: true })) {
    const op = either.operatorToken.kind;
    if (op !== ts.SyntaxKind.BarBarToken && op !== ts.SyntaxKind.QuestionQuestionToken) continue;
    const found = lookupCall(skipAwait(skipParens(either.left)), "");
    const right = skipAwait(skipParens(either.right));
    const insert = found && ts.isCallExpression(right) ? dbAccessOf(right) : undefined;
    if (found && insert && isInsertOf(insert, found) && unindexed(found, insert, fn))
      out.push({ check: found.check, insert, fields: found.fields });
  }
  return out;
}

/**
 * Sequelize's `Model.findOrCreate({ where, defaults })` is a lookup, then an insert of the where fields when it found
 * nothing, in a transaction of its own that locks nothing: where the project declares the model's table (the schema
 * catalog: a Sequelize model's `indexes` and `unique`, its migrations) with no unique index over the fields looked
 * up, two concurrent calls both find none and both insert. With such an index the second insert fails and
 * findOrCreate returns the first one's row.
 */
export function findOrCreateDuplicatesIn(fn: FunctionLike, program: ts.Program | undefined): DuplicateInsert[] {
  if (!fn.body || !program) return [];
  const imports = [...importsOf(fn.getSourceFile()).values()];
  if (!imports.some((i) => /^(sequelize|sequelize-typescript|@sequelize\/core)$/.test(i.module))) return [];
  const out: DuplicateInsert[] = [];
  for (const call of nodesOfKinds<ts.CallExpression>(fn.body, [ts.SyntaxKind.CallExpression], { skipFunctions: true })) {
    const receiver = calleeName(call) === "findOrCreate" ? receiverOf(call) : undefined;
    const check = receiver ? sequelizeAccess(call, "findOne", receiver) : undefined;
    if (!check || check.kind !== "read" || check.lock) continue;
    const fields = unindexedLookup(check, program);
    if (fields) out.push({ check, insert: { ...check, kind: "write", insert: true }, fields });
  }
  return out;
}

function isInsertOf(access: DbAccess | undefined, found: Lookup): access is DbAccess {
  return (
    !!access && access.kind === "write" && !!access.insert && access.library === "prisma" && sameTable(access.table, found.check.table)
  );
}

/** The insert writes the looked-up fields, and the schema declares no unique index over a subset of them. */
function unindexed(found: Lookup, insert: DbAccess, fn: FunctionLike): boolean {
  if (!writesFields(insert, found.values, found.among)) return false;
  const uniques = prismaUniqueFieldSets(found.model, fn.getSourceFile().fileName);
  return !!uniques && !uniques.some((set) => set.every((f) => found.fields.includes(f) || found.among.has(f)));
}

interface Lookup {
  check: DbAccess;
  name: string;
  /** A findMany: what was found is a list, tested by its length. */
  many: boolean;
  model: string;
  fields: string[];
  /** Each field's value, as written in the lookup (`teamId`, `input.email`). */
  values: Map<string, string>;
  /** Fields the lookup filters by a list of literals (`status: { in: ["PENDING", "SCHEDULED"] }`): each literal, as written. */
  among: Map<string, string[]>;
}

/** `const prior = await db.model.findFirst({ where: { a, b } })` (or findUnique / findFirstOrThrow-free forms) with plain equality fields. */
function lookupOf(statement: ts.Statement): Lookup | undefined {
  if (!ts.isVariableStatement(statement)) return undefined;
  const declaration = statement.declarationList.declarations[0];
  if (!declaration?.initializer || !ts.isIdentifier(declaration.name)) return undefined;
  return lookupCall(skipAwait(declaration.initializer), declaration.name.text);
}

/** A lookup call (`db.model.findFirst({ where: { a, b } })`) whose result is held as `name`. */
function lookupCall(call: ts.Expression, name: string): Lookup | undefined {
  const method = ts.isCallExpression(call) ? propertyNameOf(call.expression) : undefined;
  // findMany too: an empty list says no duplicate as a null says it for findFirst.
  if (!ts.isCallExpression(call) || !/^find(First|Unique|Many)$/.test(method ?? "")) return undefined;
  const check = dbAccessOf(call);
  if (check?.kind !== "read" || check.library !== "prisma" || check.lock) return undefined;
  const delegate = receiverOf(call);
  const model =
    delegate && ts.isPropertyAccessExpression(skipParens(delegate))
      ? (skipParens(delegate) as ts.PropertyAccessExpression).name.text
      : undefined;
  const where = plainValues(propertyValue(call.arguments[0], "where"));
  if (!model || !where) return undefined;
  // The duplicate key is the plain values (`a`, `a: x`). A list of literals (`status: { in: ["A", "B"] }`) narrows the
  // rows that count as duplicates, and any other filter object (`{ gte: … }`) makes the lookup no duplicate check.
  const values = new Map<string, string>();
  const among = new Map<string, string[]>();
  for (const [field, value] of where) {
    if (!ts.isObjectLiteralExpression(value)) values.set(field, value.getText());
    else {
      const literals = literalList(value);
      if (!literals) return undefined;
      among.set(field, literals);
    }
  }
  if (values.size === 0) return undefined;
  return { check, name, many: method === "findMany", model, fields: [...values.keys()], values, among };
}

/** `{ in: ["A", "B"] }` with only string or number literals: their texts. */
function literalList(filter: ts.ObjectLiteralExpression): string[] | undefined {
  const only = filter.properties.length === 1 ? filter.properties[0] : undefined;
  const list = only && ts.isPropertyAssignment(only) && propertyName(only) === "in" ? skipParens(only.initializer) : undefined;
  if (!list || !ts.isArrayLiteralExpression(list) || list.elements.length === 0) return undefined;
  const literals = list.elements.map((e) => skipParens(e));
  return literals.every((e) => ts.isStringLiteral(e) || ts.isNumericLiteral(e)) ? literals.map((e) => literalText(e)) : undefined;
}

function literalText(node: ts.Expression): string {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? JSON.stringify(node.text) : node.getText();
}

/** The properties of an object literal with a value (`a`, `a: x`), each value without parentheses; undefined for anything else. */
function plainValues(expr: ts.Expression | undefined): Map<string, ts.Expression> | undefined {
  const object = expr && skipParens(expr);
  if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
  const values = new Map<string, ts.Expression>();
  for (const property of object.properties) {
    const name = propertyName(property);
    const value = ts.isShorthandPropertyAssignment(property)
      ? property.name
      : ts.isPropertyAssignment(property)
        ? property.initializer
        : undefined;
    if (name && value) values.set(name, skipParens(value));
  }
  return values;
}

function propertyNameOf(expr: ts.Expression): string | undefined {
  const node = skipParens(expr);
  return ts.isPropertyAccessExpression(node) ? node.name.text : undefined;
}

/**
 * Whether the `if` tests what the lookup found: `if (prior)` / `if (prior !== null)` / `if (rows.length > 0)` when
 * `found` is asked (the branch runs when a row was found), `if (!prior)` / `if (prior === null)` /
 * `if (rows.length === 0)` when not (the branch runs when none was).
 */
function testsFound(statement: ts.IfStatement, lookup: Lookup, found: boolean): boolean {
  let test = skipParens(statement.expression);
  let negated = false;
  while (ts.isPrefixUnaryExpression(test) && test.operator === ts.SyntaxKind.ExclamationToken) {
    negated = !negated;
    test = skipParens(test.operand);
  }
  const isSubject = (e: ts.Expression) => {
    const node = skipParens(e);
    if (!lookup.many) return ts.isIdentifier(node) && node.text === lookup.name;
    return (
      ts.isPropertyAccessExpression(node) &&
      node.name.text === "length" &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === lookup.name
    );
  };
  // A bare subject: `prior` / `rows.length` is truthy when something was found.
  if (isSubject(test)) return negated ? !found : found;
  if (!ts.isBinaryExpression(test) || !isSubject(test.left)) return false;
  const op = test.operatorToken.kind;
  const right = test.right.getText();
  const empty = lookup.many ? right === "0" : right === "null" || right === "undefined";
  let saysFound: boolean | undefined;
  if (empty && (op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken)) saysFound = true;
  else if (empty && (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken)) saysFound = false;
  else if (lookup.many && right === "0" && op === ts.SyntaxKind.GreaterThanToken) saysFound = true;
  else if (lookup.many && right === "1" && op === ts.SyntaxKind.LessThanToken) saysFound = false;
  if (saysFound === undefined) return false;
  return (negated ? !saysFound : saysFound) === found;
}

/**
 * The insert's `data` sets every looked-up field to the value it was looked up by, and each field filtered by a list
 * to a literal of that list: the new row is one the check would have found.
 */
function writesFields(insert: DbAccess, values: ReadonlyMap<string, string>, among: ReadonlyMap<string, string[]>): boolean {
  const call = insert.node;
  const written = ts.isCallExpression(call) ? plainValues(propertyValue(call.arguments[0], "data")) : undefined;
  if (!written || ![...values].every(([field, value]) => written.get(field)?.getText() === value)) return false;
  return [...among].every(([field, literals]) => {
    const value = written.get(field);
    return value !== undefined && (ts.isStringLiteral(value) || ts.isNumericLiteral(value)) && literals.includes(literalText(value));
  });
}

/**
 * Whether a unique index of the model (Prisma schema nearest `fileName`) is made of `column` and columns among
 * `pinned` only: then a WHERE pinning them all names one row, and `column` is part of that row's identity.
 */
export function inUniqueKey(model: string, fileName: string, pinned: readonly string[], column: string): boolean {
  return namesOneRow(prismaUniqueFieldSets(model, fileName) ?? [], pinned, column);
}

/**
 * A lookup by other data layers than Prisma's (Drizzle, TypeORM, MikroORM, raw SQL…): the columns it pins by equality
 * with a value, when the project declares its table (schema-catalog.ts: a Drizzle table, an entity, SQL DDL in a
 * migration) and no unique index of it is made of pinned columns only — nor of pinned columns and `written` ones,
 * the columns the insert sets from the caller's values (two callers racing on one key insert the same, and the
 * second insert fails). Undefined when the table is declared nowhere (the index may live in the database), when a
 * unique index covers the lookup, or without a Program to read.
 */
export function unindexedLookup(read: DbAccess, program: ts.Program | undefined, written: readonly string[] = []): string[] | undefined {
  const lookup = declaredLookup(read, program, isDrizzleRelationalAccess(read));
  return !lookup || coversAll(lookup.keys, [...lookup.pinned, ...written]) ? undefined : lookup.pinned;
}

/**
 * A lookup that pins every column of a unique index the project declares for its table (the Prisma schema's for
 * Prisma, the schema catalog's for the others, as unindexedLookup): it names at most one row, and a second insert of
 * that row fails.
 */
export function lookupByDeclaredUniqueKey(read: DbAccess, program: ts.Program | undefined): boolean {
  // Drizzle relational queries (`db.query.t.findFirst`) are parsed as Prisma's: their table is the catalog's all the same.
  const relational = isDrizzleRelationalAccess(read);
  // A Prisma `findFirst` by the fields of a unique key names one row as `findUnique` would (keys from prisma.ts).
  if (read.library === "prisma" && !relational) {
    const keys = read.table && !read.lock ? prismaUniqueFieldSets(read.table, read.node.getSourceFile().fileName) : undefined;
    const pinned = pinnedColumns(read);
    return (
      !!keys &&
      pinned.length > 0 &&
      coversAll(
        keys.map((key) => key.map(columnKey)),
        pinned,
      )
    );
  }
  const lookup = declaredLookup(read, program, relational);
  return !!lookup && coversAll(lookup.keys, lookup.pinned);
}

/**
 * An insert writing `column` that a unique key the project's schema declares refuses a second time: the key holds
 * the column, and the insert writes every column of it (`UNIQUE ("mediaId", number)` for an insert of both). Of two
 * concurrent inserts of the same next number, one fails with a duplicate-key error instead of duplicating the row.
 * Prisma's schema answers for Prisma (read-modify-write.ts); this is every other SQL library's, through the catalog.
 */
export function insertRefusedByUniqueKey(write: DbAccess, column: string, program: ts.Program | undefined): boolean {
  if (!write.insert || !write.table || !program || NOT_SQL.has(write.library)) return false;
  const written = new Set(write.assignments.map((a) => columnKey(a.column)));
  const wanted = columnKey(column);
  return uniqueKeysOf(program, write.table)?.some((key) => key.includes(wanted) && key.every((c) => written.has(c))) ?? false;
}

/**
 * The columns a lookup pins by equality, and the unique keys its table is declared with (undefined: not knowable).
 * `relational` admits a Drizzle relational query (`db.query.t.findFirst`, parsed as Prisma's): its table is the catalog's.
 */
function declaredLookup(
  read: DbAccess,
  program: ts.Program | undefined,
  relational = false,
): { pinned: string[]; keys: readonly string[][] } | undefined {
  if (!read.table || read.lock) return undefined;
  // A Mongoose model declared with its schema in the file says what its unique indexes are (mongooseUniqueFieldSets).
  const model = read.library === "mongoose" && read.entityClass && ts.isIdentifier(read.entityClass) ? read.entityClass : undefined;
  if (!model && (!program || (NOT_SQL.has(read.library) && !relational))) return undefined;
  const pinned = pinnedColumns(read);
  if (pinned.length === 0) return undefined;
  const keys = model ? mongooseUniqueFieldSets(model) : uniqueKeysOf(program!, read.table);
  return keys ? { pinned, keys } : undefined;
}

/**
 * The columns a lookup pins by equality with a value: a value the code passes, or a literal written in a raw SQL
 * statement's text (`WHERE entity_type = 'comment' AND entity_id = $1`), which every call looks up alike.
 */
function pinnedColumns(read: DbAccess): string[] {
  const byValue = read.conditions.filter((c) => c.operator === "=" && c.value).map((c) => c.column);
  const byLiteral = (read.sql?.statement.conditions ?? [])
    .filter((c) => c.operator === "=" && c.placeholders.length === 0 && SQL_LITERAL.test(c.expression.trim()))
    .map((c) => c.column);
  return [...new Set([...byValue, ...byLiteral])];
}

/** A string or number literal of SQL text (`'comment'`, `42`). */
const SQL_LITERAL = /^('(?:[^']|'')*'|-?\d+(?:\.\d+)?)$/;

/** One of the unique keys is made of the given columns only. */
function coversAll(keys: readonly string[][], columns: readonly string[]): boolean {
  const have = new Set(columns.map(columnKey));
  return keys.some((set) => set.length > 0 && set.every((c) => have.has(c)));
}

/** Prisma's lookups are duplicateInsertsIn's (its schema is prisma.ts's); MongoDB's driver and Redis have no such DDL. */
const NOT_SQL = new Set(["prisma", "mongoose", "mongodb", "redis"]);

/** Whether one of the unique field sets is made of `column` and columns among `pinned` only (see inUniqueKey). */
export function namesOneRow(uniques: readonly string[][], pinned: readonly string[], column: string): boolean {
  return uniques.some((set) => set.includes(column) && set.every((f) => f === column || pinned.includes(f)));
}
