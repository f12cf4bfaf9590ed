// Mongoose and the MongoDB driver: model reads (`User.findById(id)`, `this.userModel.findOne({ email }).exec()`),
// document saves (`user.save()`: Mongoose writes the modified paths with `$set`), model updates
// (`updateOne(filter, update)`, `findOneAndUpdate`, `findByIdAndUpdate`) and the driver's collection methods
// (`db.collection("accounts").findOne(filter)`, `accounts.updateOne(filter, { $inc: { n: 1 } })`).
// Update operators that compute the new value in the database (`$inc`, `$push`, `$addToSet`, …) are atomic; `$set`
// (and a plain object, which Mongoose treats as `$set`) writes a value computed in code. Filter comparisons
// (`{ _id, balance: { $gte: amount } }`) are the write's conditions.
//
// A file is Mongoose / MongoDB code when it imports `mongoose`, `@nestjs/mongoose`, `@typegoose/typegoose` or
// `mongodb`. In a file that imports no database library (Express services import their models from project files),
// a call is recognised by shape: see isModelCallByShape; and a driver collection by its `collection("name")` call,
// also through a `const` of the file (`const users = db.collection("users")`): see driverCollectionOf.
import { ts } from "../../engine/ts";
import {
  calleeName,
  constInitializerIn,
  enclosingFunction,
  importsOf,
  isLiteral,
  propertyValue,
  receiverOf,
  skipAwait,
  skipParens,
  stringValue,
} from "../ast";
import { variableDeclarationOf } from "../identity";
import type { AccessAssignment, AccessCondition, DbAccess, DbLibrary } from "./access";
import { chainOf, fieldDeclarations, injectedEntity, objectAssignments, propertyName, type Link } from "./shapes";

const READS = new Set(["findById", "findOne"]);
const UPDATES = new Set(["updateOne", "updateMany", "findOneAndUpdate", "findByIdAndUpdate"]);
/**
 * Replacements write their second argument whole (`replaceOne({ _id }, doc)`): a document read, changed in memory and
 * passed back is written as `doc.save()` or `updateOne(filter, { $set: doc })` writes it; a literal sets its fields.
 */
const REPLACES = new Set(["replaceOne", "findOneAndReplace"]);
/**
 * Mongoose 5's (and the old driver's) `Model.update(filter, doc)` writes like `updateOne`: a plain `doc` is `$set`.
 * `update` is a common name, so only on a model of a Mongoose / MongoDB file, with a filter object and no `where`
 * (Sequelize's `Model.update(values, { where })`).
 */
const LEGACY_UPDATE = "update";
/** Query modifiers that may follow a read or an update in a chain (`.populate("x").lean().exec()`). */
const MODIFIERS = new Set(["exec", "lean", "populate", "select", "session", "orFail", "sort", "collation", "hint", "read", "setOptions"]);
/** Operators whose new value the database computes from the current one (or that add / remove array elements). */
const ATOMIC_OPERATORS = new Set(["$inc", "$mul", "$min", "$max", "$push", "$pop", "$currentDate"]);
/**
 * Operators that end in the same state however often they run (a set member added or removed, a field removed): a
 * check before them (`if (!doc.likes.includes(id))`) only skips a write that would change nothing, so they are not
 * listed as assignments.
 */
const IDEMPOTENT_OPERATORS = new Set(["$addToSet", "$pull", "$pullAll", "$unset"]);
const COMPARISONS: Record<string, string> = { $eq: "=", $ne: "<>", $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" };

const MONGOOSE_MODULES = new Set(["mongoose", "@nestjs/mongoose", "@typegoose/typegoose"]);
/** Other database libraries: a file that imports one of them is that library's code, never Mongoose by shape. */
const OTHER_DATABASE_MODULE =
  /^(pg|mysql2(\/promise)?|better-sqlite3|knex|objection|@prisma\/client|typeorm|sequelize|sequelize-typescript|@sequelize\/core|drizzle-orm(\/.*)?|kysely|@mikro-orm\/.*|ioredis|redis)$/;
type FileKind = "mongoose" | "mongodb" | "shape" | null;
const kindCache = new WeakMap<ts.SourceFile, FileKind>();

/**
 * "mongoose" / "mongodb" by the file's imports; "shape" for a file that imports no database library (its models come
 * from project files, as in Express services); null for another library's file.
 */
function fileKind(sourceFile: ts.SourceFile): FileKind {
  let kind = kindCache.get(sourceFile);
  if (kind === undefined) {
    const modules = [...importsOf(sourceFile).values()].map((i) => i.module);
    kind = modules.some((m) => MONGOOSE_MODULES.has(m))
      ? "mongoose"
      : modules.includes("mongodb")
        ? "mongodb"
        : modules.some((m) => OTHER_DATABASE_MODULE.test(m))
          ? null
          : "shape";
    kindCache.set(sourceFile, kind);
  }
  return kind;
}

/**
 * By shape, a Mongoose model call: a capitalised model imported from a project file (`import { User } from
 * "../models/user"`) called with `findById` / `findByIdAndUpdate` (Mongoose's own), or with a filter object that has no
 * `where` (Sequelize's and TypeORM's `findOne({ where })` have one).
 */
function isModelCallByShape(receiver: ts.Expression, operation: string, filter: ts.Expression | undefined): boolean {
  if (!ts.isIdentifier(receiver) || !/^[A-Z]/.test(receiver.text)) return false;
  const imported = importsOf(receiver.getSourceFile()).get(receiver.text);
  if (!imported?.module.startsWith(".")) return false;
  if (operation === "findById" || operation === "findByIdAndUpdate") return true;
  const object = filter && skipParens(filter);
  return !!object && ts.isObjectLiteralExpression(object) && !propertyValue(object, "where");
}

/**
 * A Mongoose / MongoDB read or write. `call` is the outermost call of its chain (`Model.findById(id).lean().exec()`);
 * ORM files (TypeORM, Sequelize, MikroORM) are dispatched before this, so a `save()` there is never taken for a document's.
 */
export function mongooseAccess(call: ts.CallExpression, name: string): DbAccess | undefined {
  if (!READS.has(name) && !UPDATES.has(name) && !REPLACES.has(name) && name !== LEGACY_UPDATE && name !== "save" && !MODIFIERS.has(name))
    return undefined;
  const kind = fileKind(call.getSourceFile());
  if (!kind) return undefined;
  const { links } = chainOf(call);
  // The operation is the last link that is no modifier (`findOne(…)` in `findOne(…).populate(…).exec()`).
  let index = links.length - 1;
  while (index > 0 && MODIFIERS.has(links[index]!.name)) index--;
  const operation = links[index]!;
  if (!operation.call || (index < links.length - 1 && operation.name === "save")) return undefined;
  const callee = skipParens(operation.call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const receiver = skipParens(callee.expression);
  const args = operation.call.arguments;
  const driverByShape = kind === "shape" && driverCollectionOf(receiver, links.slice(0, index)) !== undefined;
  const library: DbLibrary = kind === "mongodb" || driverByShape ? "mongodb" : "mongoose";
  const base = { node: call, library, handle: receiver, assignments: [] as AccessAssignment[], conditions: [] as AccessCondition[] };
  if (operation.name === "save") {
    // `doc.save()` / `doc.save({ session })`: the receiver is the document.
    if (args.length > 1 || !isDocumentLike(receiver)) return undefined;
    const access: DbAccess = { ...base, kind: "write", entity: receiver };
    const session = propertyValue(args[0], "session");
    if (session) access.transactionOption = session;
    return access;
  }
  if (kind === "shape" && !driverByShape && !isModelCallByShape(receiver, operation.name, args[0])) return undefined;
  const table = collectionName(receiver, links.slice(0, index), library);
  if (!table) return undefined;
  // The model's declaration (or the class it was injected for) says whether its schema checks versions on save.
  const entityClass = ts.isIdentifier(receiver) && /^[A-Z]/.test(receiver.text) ? receiver : injectedEntity(receiver);
  if (entityClass) Object.assign(base, { entityClass });
  if (READS.has(operation.name)) {
    const conditions = operation.name === "findById" ? idCondition(args[0]) : filterConditions(args[0]);
    // The driver's `findOne(filter, options)`; Mongoose's `findOne(filter, projection, options)`.
    return withSession({ ...base, kind: "read", table, conditions }, library === "mongodb" ? args[1] : args[2], links);
  }
  if (
    UPDATES.has(operation.name) ||
    REPLACES.has(operation.name) ||
    (operation.name === LEGACY_UPDATE && isLegacyUpdate(kind, receiver, args))
  ) {
    const byId = operation.name === "findByIdAndUpdate";
    const access: DbAccess = {
      ...base,
      kind: "write",
      table,
      conditions: byId ? idCondition(args[0]) : filterConditions(args[0]),
      assignments: updateAssignments(args[1]),
    };
    const document = documentWrittenBack(args[1]);
    if (document) access.entity = document;
    return withSession(access, args[2], links);
  }
  return undefined;
}

/**
 * `Model.update(filter, doc)` on a model of a Mongoose / MongoDB file (a capitalised model, a `this.<name>Model`
 * field, `db.collection(…)`): the filter an object literal, and no `where` in either argument.
 */
function isLegacyUpdate(kind: FileKind, receiver: ts.Expression, args: ts.NodeArray<ts.Expression>): boolean {
  if (kind !== "mongoose" && kind !== "mongodb") return false;
  if (args.length < 2 || args.length > 3) return false;
  const filter = skipParens(args[0]!);
  if (!ts.isObjectLiteralExpression(filter) || propertyValue(filter, "where") || propertyValue(args[1], "where")) return false;
  if (ts.isIdentifier(receiver)) return /^[A-Z]/.test(receiver.text);
  if (ts.isPropertyAccessExpression(receiver) && receiver.expression.kind === ts.SyntaxKind.ThisKeyword)
    return /.Model$/.test(receiver.name.text);
  return ts.isCallExpression(receiver) && calleeName(receiver) === "collection";
}

/** The options' `session` (or a `.session(s)` link) names the transaction the statement runs in. */
function withSession(access: DbAccess, options: ts.Expression | undefined, links: Link[]): DbAccess {
  const session = propertyValue(options, "session") ?? links.find((l) => l.name === "session")?.call?.arguments[0];
  if (session) access.transactionOption = session;
  return access;
}

/** A document held in a variable or a field (`user`, `this.user`, `order!`); never a model or a call result. */
function isDocumentLike(receiver: ts.Expression): boolean {
  return (ts.isIdentifier(receiver) && !/^[A-Z]/.test(receiver.text)) || ts.isPropertyAccessExpression(receiver);
}

/**
 * The collection a model or collection handle names: `User` → "user", `this.userModel` → "user",
 * `db.collection("accounts")` → "accounts"; other MongoDB driver handles by their text (`this.accounts`).
 */
function collectionName(receiver: ts.Expression, links: Link[], library: DbLibrary): string | undefined {
  const named = driverCollectionOf(receiver, links);
  if (named) return named.toLowerCase();
  if (ts.isIdentifier(receiver)) {
    if (/^[A-Z]/.test(receiver.text)) return receiver.text.replace(/Model$/, "").toLowerCase();
    return `${library === "mongodb" ? "collection" : "model"}:${receiver.text}`;
  }
  if (ts.isPropertyAccessExpression(receiver) && receiver.expression.kind === ts.SyntaxKind.ThisKeyword) {
    const field = receiver.name.text;
    if (/Model$/.test(field) && field !== "Model") return field.replace(/Model$/, "").toLowerCase();
    return `${library === "mongodb" ? "collection" : "model"}:${field}`;
  }
  return undefined;
}

/**
 * The collection a driver call names in the file: a `collection("name")` link of its chain, or a `const` the receiver
 * names whose value is such a call (`const users = db.collection<User>("users")`, in the function or at the top).
 */
function driverCollectionOf(receiver: ts.Expression, links: Link[]): string | undefined {
  const collection = [...links].reverse().find((l) => l.name === "collection" && l.call);
  if (collection) return stringValue(collection.call!.arguments[0]);
  if (!ts.isIdentifier(receiver)) return undefined;
  const declaration = variableDeclarationOf(receiver);
  const init = declaration && ts.isIdentifier(declaration.name) && declaration.initializer && skipAwait(declaration.initializer);
  if (!init || !ts.isCallExpression(init) || !(ts.getCombinedNodeFlags(declaration!) & ts.NodeFlags.Const)) return undefined;
  const callee = skipParens(init.expression);
  return ts.isPropertyAccessExpression(callee) && callee.name.text === "collection" ? stringValue(init.arguments[0]) : undefined;
}

function idCondition(id: ts.Expression | undefined): AccessCondition[] {
  return id ? [{ column: "_id", operator: "=", value: id }] : [];
}

/** `{ _id: id, balance: { $gte: amount }, version: doc.version }` → `_id = id`, `balance >= amount`, `version = doc.version`. */
export function filterConditions(filter: ts.Expression | undefined): AccessCondition[] {
  const object = filter && skipParens(filter);
  if (!object || !ts.isObjectLiteralExpression(object)) return [];
  const out: AccessCondition[] = [];
  for (const property of object.properties) {
    if (ts.isShorthandPropertyAssignment(property)) out.push({ column: property.name.text, operator: "=", value: property.name });
    if (!ts.isPropertyAssignment(property)) continue;
    const column = propertyName(property);
    if (!column || column.startsWith("$")) continue;
    const value = skipParens(property.initializer);
    if (!ts.isObjectLiteralExpression(value)) {
      out.push({ column, operator: "=", value: property.initializer });
      continue;
    }
    for (const inner of value.properties) {
      const operator = ts.isPropertyAssignment(inner) ? COMPARISONS[propertyName(inner) ?? ""] : undefined;
      if (operator && ts.isPropertyAssignment(inner)) out.push({ column, operator, value: inner.initializer });
    }
  }
  return out;
}

/**
 * An update that writes a whole document back (`{ $set: doc.toObject() }`, `{ $set: doc }`, `doc.toObject()`): every
 * field of `doc` as it was read and changed in code, as `doc.save()` writes it. The document, when one is named so.
 */
function documentWrittenBack(update: ts.Expression | undefined): ts.Expression | undefined {
  const object = update && skipParens(update);
  if (!object) return undefined;
  const set = ts.isObjectLiteralExpression(object) ? propertyValue(object, "$set") : object;
  if (!set || (ts.isObjectLiteralExpression(object) && object.properties.length !== 1)) return undefined;
  let document = skipParens(set);
  if (ts.isCallExpression(document) && document.arguments.length <= 1 && /^(toObject|toJSON)$/.test(calleeName(document) ?? ""))
    document = skipParens(receiverOf(document) ?? document);
  return ts.isIdentifier(document) && isDocumentLike(document) ? document : undefined;
}

/**
 * The fields an update document names, whatever its operator (`{ $unset: { code: true }, $set: { at } }` → `code`,
 * `at`), and the values it spreads or gives an operator whole (`{ $set: changes }` → `changes`), whose fields the code
 * does not show. Undefined for a computed key or a pipeline.
 */
export function updatedFields(call: ts.CallExpression): { fields: string[]; opaque: ts.Expression[] } | undefined {
  const update = call.arguments[1] && constObject(skipParens(call.arguments[1]));
  if (!update || !ts.isObjectLiteralExpression(update)) return undefined;
  const fields: string[] = [];
  const opaque: ts.Expression[] = [];
  const collect = (object: ts.ObjectLiteralExpression): boolean =>
    object.properties.every((field) => {
      if (ts.isSpreadAssignment(field)) return opaque.push(field.expression) > 0;
      const key = propertyName(field);
      return key !== undefined && fields.push(key) > 0;
    });
  for (const property of update.properties) {
    if (ts.isSpreadAssignment(property)) {
      opaque.push(property.expression);
      continue;
    }
    const name = propertyName(property);
    if (!name) return undefined;
    if (!name.startsWith("$")) fields.push(name);
    else if (ts.isPropertyAssignment(property)) {
      const inner = constObject(skipParens(property.initializer));
      if (ts.isObjectLiteralExpression(inner)) {
        if (!collect(inner)) return undefined;
      } else opaque.push(inner);
    } else return undefined;
  }
  return { fields, opaque };
}

/** `{ $set: { a: x }, $inc: { n: 1 } }` → `a` (from code), `n` (atomic); a plain object is `$set`; a pipeline is computed by the database. */
export function updateAssignments(update: ts.Expression | undefined): AccessAssignment[] {
  const object = update && constObject(skipParens(update));
  if (!object || !ts.isObjectLiteralExpression(object)) return [];
  const out = objectAssignments(object, () => false).filter((a) => !a.column.startsWith("$"));
  for (const property of object.properties) {
    const operator = ts.isPropertyAssignment(property) ? propertyName(property) : undefined;
    if (!operator?.startsWith("$") || !ts.isPropertyAssignment(property) || IDEMPOTENT_OPERATORS.has(operator)) continue;
    const atomic = ATOMIC_OPERATORS.has(operator);
    out.push(...objectAssignments(constObject(skipParens(property.initializer)), () => atomic));
  }
  return out;
}

/**
 * An update document built beforehand and passed by name (`const updates = { count: row.count + 1 }; …
 * updateOne(filter, updates)`): the object literal a `const` of an enclosing block declares, when the name is used
 * nowhere else there (a document changed after it was built, `updates.$unset = …`, is not known from its literal).
 */
function constObject(expr: ts.Expression): ts.Expression {
  if (!ts.isIdentifier(expr)) return expr;
  for (let scope: ts.Node | undefined = expr.parent; scope; scope = scope.parent) {
    if (!ts.isBlock(scope) && !ts.isSourceFile(scope)) continue;
    for (const statement of scope.statements) {
      if (!ts.isVariableStatement(statement) || (statement.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.name.text === expr.text) {
          const literal = d.initializer && skipParens(d.initializer);
          return literal && ts.isObjectLiteralExpression(literal) && usesOf(scope, expr.text) === 2 ? literal : expr;
        }
    }
  }
  return expr;
}

/** How many identifiers named `name` occur in `scope` (its declaration included). */
function usesOf(scope: ts.Node, name: string): number {
  let count = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === name) count++;
    ts.forEachChild(node, visit);
  };
  visit(scope);
  return count;
}

/**
 * The field sets the unique indexes of a Mongoose model cover, when the model is declared in the file that uses it
 * (`const Draft = mongoose.model("Draft", draftSchema)`): `draftSchema.index({ org: 1, docId: 1, version: 1 }, {
 * unique: true })` and fields declared `{ type: String, unique: true }`. Undefined when the model's schema is not found
 * there (imported models are not followed).
 */
export function mongooseUniqueFieldSets(model: ts.Identifier): string[][] | undefined {
  const sourceFile = model.getSourceFile();
  const declared = (name: string) => {
    let found: ts.Expression | undefined;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name && node.initializer)
        found = skipParens(node.initializer);
      else ts.forEachChild(node, visit);
    };
    visit(sourceFile);
    return found;
  };
  const modelCall = declared(model.text);
  if (!modelCall || !ts.isCallExpression(modelCall) || calleeName(modelCall) !== "model") return undefined;
  const schemaArgument = modelCall.arguments[1] && skipParens(modelCall.arguments[1]);
  if (!schemaArgument) return undefined;
  const schema = ts.isIdentifier(schemaArgument) ? declared(schemaArgument.text) : schemaArgument;
  if (!schema || !ts.isNewExpression(schema) || !/(^|\.)Schema$/.test(schema.expression.getText())) return undefined;
  const sets: string[][] = [];
  const fields = schema.arguments?.[0] && skipParens(schema.arguments[0]);
  if (fields && ts.isObjectLiteralExpression(fields))
    for (const field of fields.properties)
      if (ts.isPropertyAssignment(field) && isUnique(field.initializer)) sets.push([propertyName(field) ?? ""]);
  if (ts.isIdentifier(schemaArgument)) {
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === "index" &&
        node.expression.expression.getText() === schemaArgument.text &&
        isUnique(node.arguments[1])
      ) {
        const keys = node.arguments[0] && skipParens(node.arguments[0]);
        if (keys && ts.isObjectLiteralExpression(keys)) sets.push(keys.properties.map((p) => propertyName(p) ?? ""));
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return sets;
}

/** `{ unique: true, … }`. */
function isUnique(options: ts.Expression | undefined): boolean {
  const object = options && skipParens(options);
  return !!object && ts.isObjectLiteralExpression(object) && propertyValue(object, "unique")?.kind === ts.SyntaxKind.TrueKeyword;
}

/** What write-skew asks of a Mongoose model beyond the lost-update recognisers: counts, inserts and deletes of a set. */
export type MongooseSetOperation = "count" | "aggregate" | "rows" | "insert" | "delete";
const SET_OPERATIONS: Record<string, MongooseSetOperation> = {
  countDocuments: "count",
  count: "count",
  find: "rows",
  create: "insert",
  insertMany: "insert",
  insertOne: "insert",
  deleteOne: "delete",
  deleteMany: "delete",
  findOneAndDelete: "delete",
  findByIdAndDelete: "delete",
  aggregate: "aggregate",
};

/** Pipeline stages that keep a `$group` over the matched documents one total of that set. */
const TOTAL_STAGES = new Set(["$match", "$group", "$count", "$project", "$addFields", "$set", "$sort", "$limit"]);

/**
 * `aggregate([{ $match: filter }, { $group: { _id: null, n: { $sum: … } } }])` (or a `$count` stage): one total of the
 * documents the filter names — a count where every accumulator adds 1, else an aggregate; `sums` are the `$sum`
 * operands. Pipelines that join, unwind or group by a field (one total per group) are not read.
 */
export function totalPipeline(
  pipeline: ts.Expression | undefined,
): { kind: "count" | "aggregate"; match?: ts.Expression; sums: ts.Expression[] } | undefined {
  if (!pipeline || !ts.isArrayLiteralExpression(pipeline)) return undefined;
  let match: ts.Expression | undefined;
  let grouped = false;
  const sums: ts.Expression[] = [];
  for (const [index, element] of pipeline.elements.entries()) {
    const stage = skipParens(element);
    if (!ts.isObjectLiteralExpression(stage) || stage.properties.length !== 1) return undefined;
    const property = stage.properties[0]!;
    const name = propertyName(property);
    if (!name || !TOTAL_STAGES.has(name) || !ts.isPropertyAssignment(property)) return undefined;
    const body = skipParens(property.initializer);
    if (name === "$match") {
      if (index !== 0 || !ts.isObjectLiteralExpression(body)) return undefined;
      match = body;
    } else if (name === "$count") grouped = true;
    else if (name === "$group") {
      if (grouped || !ts.isObjectLiteralExpression(body)) return undefined;
      for (const field of body.properties) {
        if (!ts.isPropertyAssignment(field)) return undefined;
        const value = skipParens(field.initializer);
        if (propertyName(field) === "_id") {
          if (value.kind !== ts.SyntaxKind.NullKeyword) return undefined;
          continue;
        }
        const sum = ts.isObjectLiteralExpression(value) ? propertyValue(value, "$sum") : undefined;
        if (!sum) return undefined;
        sums.push(skipParens(sum));
      }
      grouped = sums.length > 0;
    }
  }
  if (!grouped) return undefined;
  const counts = sums.every((sum) => ts.isNumericLiteral(sum) && sum.text === "1");
  return { kind: counts ? "count" : "aggregate", ...(match ? { match } : {}), sums };
}

/**
 * The sign with which a `$sum` operand counts a document whose fields are `fields` (literal values only): `"$amount"`
 * adds it (amounts taken as positive), `{ $multiply: [x, -1] }` negates, `{ $cond: [{ $eq: ["$kind", "deposit"] }, a,
 * b] }` takes the branch the document's `kind` selects. Undefined when that cannot be told.
 */
export function signInSum(operand: ts.Expression, fields: ReadonlyMap<string, ts.Expression>): 1 | -1 | undefined {
  const node = skipParens(operand);
  if (ts.isStringLiteralLike(node)) return node.text.startsWith("$") ? 1 : undefined;
  if (ts.isNumericLiteral(node)) return Number(node.text) > 0 ? 1 : undefined;
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return -1;
  if (!ts.isObjectLiteralExpression(node) || node.properties.length !== 1) return undefined;
  const property = node.properties[0]!;
  const args = ts.isPropertyAssignment(property) ? skipParens(property.initializer) : undefined;
  const name = propertyName(property);
  if (!args || !name) return undefined;
  if (name === "$multiply" && ts.isArrayLiteralExpression(args)) {
    let sign: 1 | -1 = 1;
    for (const factor of args.elements) {
      const s = signInSum(factor, fields);
      if (s === undefined) return undefined;
      sign = sign === s ? 1 : -1;
    }
    return sign;
  }
  if (name !== "$cond") return undefined;
  const [test, then, otherwise] = ts.isArrayLiteralExpression(args)
    ? args.elements
    : ts.isObjectLiteralExpression(args)
      ? [propertyValue(args, "if"), propertyValue(args, "then"), propertyValue(args, "else")]
      : [];
  const holds = test && then && otherwise ? equalityHolds(test, fields) : undefined;
  return holds === undefined ? undefined : signInSum(holds ? then! : otherwise!, fields);
}

/** `{ $eq: ["$kind", "deposit"] }` (or `$ne`) for a document whose `kind` is a literal: whether it holds. */
function equalityHolds(test: ts.Expression, fields: ReadonlyMap<string, ts.Expression>): boolean | undefined {
  const node = skipParens(test);
  const property = ts.isObjectLiteralExpression(node) && node.properties.length === 1 ? node.properties[0]! : undefined;
  const name = property && propertyName(property);
  const args = property && ts.isPropertyAssignment(property) ? skipParens(property.initializer) : undefined;
  if ((name !== "$eq" && name !== "$ne") || !args || !ts.isArrayLiteralExpression(args) || args.elements.length !== 2) return undefined;
  const [left, right] = args.elements.map((e) => skipParens(e));
  if (!left || !right || !ts.isStringLiteralLike(left) || !left.text.startsWith("$") || !isLiteral(right)) return undefined;
  const value = fields.get(left.text.slice(1));
  const written = value && skipParens(value);
  if (!written || !isLiteral(written)) return undefined;
  const equal =
    written.getText() === right.getText() ||
    (ts.isStringLiteralLike(written) && ts.isStringLiteralLike(right) && written.text === right.text);
  return name === "$eq" ? equal : !equal;
}

/**
 * `Model.countDocuments(filter)` (or legacy `count`) as a read of the set its filter names, and `Model.find(filter)` as
 * a read of its rows (write-skew counts them only where nothing but their number is used); `Model.create(doc)` /
 * `insertMany([doc, …])` as an insert of `doc`'s fields; `deleteOne` / `deleteMany(filter)` as a delete. Only on a
 * model as mongooseAccess recognises one (a Mongoose / MongoDB file, or a model by shape); left to write-skew, since
 * no row read here is written back.
 */
export function mongooseSetAccess(call: ts.CallExpression): { access: DbAccess; operation: MongooseSetOperation } | undefined {
  const name = calleeName(call);
  const kind = fileKind(call.getSourceFile());
  if (!name || !kind) return undefined;
  if (name === "save") return newDocumentSave(call, kind);
  const { links } = chainOf(call);
  let index = links.length - 1;
  while (index > 0 && MODIFIERS.has(links[index]!.name)) index--;
  const link = links[index];
  const operation = link && SET_OPERATIONS[link.name];
  if (!link || !operation || !link.call) return undefined;
  const callee = skipParens(link.call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const receiver = skipParens(callee.expression);
  const args = link.call.arguments;
  const first = args[0] && skipParens(args[0]);
  const pipeline = link.name === "aggregate" ? totalPipeline(first) : undefined;
  if (link.name === "aggregate" && !pipeline) return undefined;
  // An insert's documents are object literals (or a parameter a helper passes on); a filter is an object literal, and
  // a count without one (`Model.countDocuments()`, in a Mongoose / MongoDB file) counts the whole collection.
  const wholeCount = operation === "count" && !first && kind !== "shape";
  if (!pipeline && operation !== "insert" && !wholeCount && (!first || !ts.isObjectLiteralExpression(first))) return undefined;
  const driverByShape = kind === "shape" && driverCollectionOf(receiver, links.slice(0, index)) !== undefined;
  if (
    kind === "shape" &&
    !driverByShape &&
    !isModelCallByShape(receiver, link.name, first && ts.isArrayLiteralExpression(first) ? first.elements[0] : first)
  )
    return undefined;
  if (kind !== "shape" && !isModelReceiver(receiver)) return undefined;
  const library: DbLibrary = kind === "mongodb" || driverByShape ? "mongodb" : "mongoose";
  const table = collectionName(receiver, links.slice(0, index), library);
  if (!table) return undefined;
  const base = { node: call, library, handle: receiver, table, assignments: [] as AccessAssignment[], conditions: [] as AccessCondition[] };
  const entityClass = ts.isIdentifier(receiver) && /^[A-Z]/.test(receiver.text) ? receiver : injectedEntity(receiver);
  if (entityClass) Object.assign(base, { entityClass });
  if (pipeline) return { access: { ...base, kind: "read", conditions: filterConditions(pipeline.match) }, operation: pipeline.kind };
  if (operation === "count" || operation === "rows")
    return { access: { ...base, kind: "read", conditions: filterConditions(first) }, operation };
  if (operation === "delete") {
    const conditions = link.name === "findByIdAndDelete" ? idCondition(first) : filterConditions(first);
    return { access: { ...base, kind: "write", conditions }, operation };
  }
  const documents = first && ts.isArrayLiteralExpression(first) ? [...first.elements] : first ? [first] : [];
  const assignments = documents.flatMap((d) => objectAssignments(d, () => false));
  return { access: { ...base, kind: "write", insert: true, assignments }, operation };
}

/**
 * `const doc = new Model({ … }); … await doc.save()`: a document built in the function and saved is an insert of the
 * fields it was built with, as `Model.create({ … })` is. Only a `const` built once with `new` of a capitalised model
 * (in a Mongoose file, or one imported from a project file by shape).
 */
function newDocumentSave(call: ts.CallExpression, kind: FileKind): { access: DbAccess; operation: MongooseSetOperation } | undefined {
  if (kind === "mongodb" || call.arguments.length > 1) return undefined;
  const document = receiverOf(call) && skipParens(receiverOf(call)!);
  const fn = enclosingFunction(call);
  if (!document || !ts.isIdentifier(document) || !fn) return undefined;
  const built = constInitializerIn(document.text, fn);
  const creation = built && skipParens(built);
  if (!creation || !ts.isNewExpression(creation) || !ts.isIdentifier(creation.expression)) return undefined;
  const model = creation.expression;
  const fields = creation.arguments?.[0] && skipParens(creation.arguments[0]);
  if (!/^[A-Z]/.test(model.text) || !fields || !ts.isObjectLiteralExpression(fields)) return undefined;
  if (kind === "shape" && !importsOf(call.getSourceFile()).get(model.text)?.module.startsWith(".")) return undefined;
  const table = collectionName(model, [], "mongoose");
  if (!table) return undefined;
  const assignments = objectAssignments(fields, () => false);
  const access: DbAccess = {
    node: call,
    library: "mongoose",
    kind: "write",
    handle: model,
    table,
    insert: true,
    assignments,
    conditions: [],
  };
  Object.assign(access, { entityClass: model });
  const session = propertyValue(call.arguments[0], "session");
  if (session) access.transactionOption = session;
  return { access, operation: "insert" };
}

/**
 * `this.txs` where the class declares `txs` injected by `@InjectModel(…)` or typed `Model<…>` (Mongoose's, also as
 * `mongoose.Model<…>`): a model whatever the field is named.
 */
function isModelField(receiver: ts.PropertyAccessExpression): boolean {
  return fieldDeclarations(receiver, receiver.name.text).some((member) => {
    const decorators = ts.canHaveDecorators(member) ? (ts.getDecorators(member) ?? []) : [];
    if (decorators.some((d) => ts.isCallExpression(d.expression) && calleeName(d.expression) === "InjectModel")) return true;
    const type = member.type;
    if (!type || !ts.isTypeReferenceNode(type)) return false;
    const name = ts.isIdentifier(type.typeName) ? type.typeName.text : type.typeName.right.text;
    return (
      name === "Model" &&
      importsOf(receiver.getSourceFile()).get(ts.isIdentifier(type.typeName) ? name : type.typeName.left.getText())?.module === "mongoose"
    );
  });
}

/**
 * A model or collection handle: a capitalised name, a `this.<name>Model` field or an injected model field,
 * `db.collection(…)`.
 */
function isModelReceiver(receiver: ts.Expression): boolean {
  if (ts.isIdentifier(receiver)) return /^[A-Z]/.test(receiver.text) || /.(Model|Collection)$/.test(receiver.text);
  if (ts.isPropertyAccessExpression(receiver) && receiver.expression.kind === ts.SyntaxKind.ThisKeyword)
    return /.(Model|Collection)$/.test(receiver.name.text) || isModelField(receiver);
  return ts.isCallExpression(receiver) && calleeName(receiver) === "collection";
}
