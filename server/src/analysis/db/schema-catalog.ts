// The unique keys of each table, as the project's own sources declare them (outside Prisma, whose schema file is
// prisma.ts's): Drizzle table declarations (`pgTable("t", { c: text().unique() }, (t) => [uniqueIndex().on(t.a)])`),
// TypeORM and MikroORM entity classes (`@Unique`, `@Index({ unique: true })`, `@Column({ unique: true })`, primary
// columns), and SQL (`CREATE TABLE` with `PRIMARY KEY` / `UNIQUE`, `CREATE UNIQUE INDEX`, `ALTER TABLE … ADD UNIQUE`) in
// `.sql` files and in the text of TypeScript files (migrations run through `queryRunner.query`, knex `raw`), and
// Sequelize models (`Model.init(attributes, { indexes })`, `sequelize.define(…)`) and migrations (`createTable`,
// `addIndex(…, { unique: true })`, `addConstraint(…, { type: "unique" })`), TypeORM migrations (`new Table({ columns,
// indices, uniques })`, `createIndex(…, new TableIndex({ isUnique: true }))`, `createUniqueConstraint`), and knex
// migrations (`knex.schema.createTable("t", (table) => { table.increments(); table.string("a").unique(); })`), and
// node-pg-migrate migrations (`pgm.createTable("t", { id: "id", a: { type, unique: true } })`, `pgm.createIndex("t",
// ["a", "b"], { unique: true })`, `pgm.addConstraint("t", name, { unique: ["a", "b"] })`). Every
// declaration of a table counts: a unique index added only by a migration guards the table as much as one in the
// model. Built once per Program (each file's part once per SourceFile, each `.sql` file once per modification).
import * as path from "node:path";
import { ts } from "../../engine/ts";
import { calleeName, skipParens, stringValue } from "../ast";
import { tableKey } from "./access";
import { chainOf, propertyName } from "./shapes";

/**
 * Tables' declarations, by tableKey: the column sets their unique indexes (primary key included) cover, each column
 * by columnKey; and the names one declaration gives one table (a Drizzle table's variable and SQL name, an entity's
 * class and table name), each name mapped to all of them.
 */
interface Declared {
  sets: Map<string, string[][]>;
  names: Map<string, Set<string>>;
}

const declaredNothing = (): Declared => ({ sets: new Map(), names: new Map() });

/**
 * The column sets (each column by `columnKey`) that unique indexes of `table` cover, over every declaration of the
 * table in the project; undefined when no Drizzle table, entity or SQL statement of the project declares it.
 */
export function uniqueKeysOf(program: ts.Program, table: string): readonly string[][] | undefined {
  const catalog = catalogOf(program);
  const key = tableKey(table);
  const found = [...(catalog.names.get(key) ?? [key])].map((name) => catalog.sets.get(name)).filter((s) => s !== undefined);
  return found.length > 0 ? found.flat() : undefined;
}

/** The one spelling column names are compared in: lower case, without quotes or underscores (`"app_id"` = `appId`). */
export function columnKey(name: string): string {
  return name.toLowerCase().replace(/["'`[\]\\_]/g, "");
}

const catalogs = new WeakMap<ts.Program, Declared>();

function catalogOf(program: ts.Program): Declared {
  let catalog = catalogs.get(program);
  if (catalog) return catalog;
  catalog = declaredNothing();
  const add = (declared: Declared) => merge(declared, catalog!);
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || /[\\/]node_modules[\\/]/.test(file.fileName)) continue;
    add(fileDeclarations(file));
  }
  for (const file of sqlFilesOf(program)) add(sqlFileDeclarations(file));
  catalogs.set(program, catalog);
  return catalog;
}

const fileCache = new WeakMap<ts.SourceFile, Declared>();

/** What one TypeScript file declares: Drizzle tables, entity classes, and SQL in its text. */
function fileDeclarations(file: ts.SourceFile): Declared {
  let declared = fileCache.get(file);
  if (declared) return declared;
  declared = declaredNothing();
  const text = file.text;
  if (DDL.test(text)) sqlDeclarations(text.replace(/\\(["'`])/g, "$1"), declared);
  const drizzle = /\b(?:pg|mysql|sqlite|singlestore)Table|\bpgSchema|TableCreator\b/.test(text);
  const entities = /@Entity\b/.test(text);
  const sequelize = /sequelize/i.test(text) && /\.(?:init|define|createTable|addIndex|addConstraint)\s*\(/.test(text);
  // Only TypeORM's: other libraries have a `Table` class too (dynamodb-toolbox's `new Table({ name, partitionKey })`).
  const typeormMigrations = /\bnew\s+Table(?:Index|Unique)?\s*\(/.test(text) && /\bfrom\s+["']typeorm["']/.test(text);
  const knex = /\.schema\b/.test(text) && /\.(?:createTable(?:IfNotExists)?|alterTable|table)\s*\(/.test(text);
  const pgMigrate =
    /\bnode-pg-migrate\b|\bMigrationBuilder\b/.test(text) &&
    /\.(?:createTable|createIndex|addIndex|addConstraint|addColumns?)\s*\(/.test(text);
  if (drizzle || entities || sequelize || typeormMigrations || knex || pgMigrate) {
    const visit = (node: ts.Node): void => {
      if (drizzle && ts.isCallExpression(node)) drizzleTable(node, declared!);
      if (entities && ts.isClassDeclaration(node)) entityClass(node, declared!);
      if (sequelize && ts.isCallExpression(node)) sequelizeDeclaration(node, declared!);
      if (typeormMigrations) typeormMigration(node, declared!);
      if (knex && ts.isCallExpression(node)) knexTable(node, declared!);
      if (pgMigrate && ts.isCallExpression(node)) pgMigrateDeclaration(node, declared!);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  fileCache.set(file, declared);
  return declared;
}

function declare(declared: Declared, names: ReadonlyArray<string | undefined>, sets: readonly string[][]): void {
  const keys = [...new Set(names.filter((n): n is string => !!n).map(tableKey))];
  const columnSets = sets.filter((s) => s.length > 0).map((s) => s.map(columnKey));
  for (const key of keys) {
    declared.sets.set(key, [...(declared.sets.get(key) ?? []), ...columnSets]);
    const aliases = declared.names.get(key) ?? new Set([key]);
    for (const other of keys) aliases.add(other);
    declared.names.set(key, aliases);
  }
}

/** Adds `from`'s declarations to `into`'s. */
function merge(from: Declared, into: Declared): void {
  for (const [key, sets] of from.sets) into.sets.set(key, [...(into.sets.get(key) ?? []), ...sets]);
  for (const [key, aliases] of from.names) {
    const all = into.names.get(key) ?? new Set([key]);
    for (const other of aliases) all.add(other);
    into.names.set(key, all);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Drizzle.

/**
 * `export const users = pgTable("users", { id: serial("id").primaryKey(), email: text("email").unique() }, (t) => [
 * uniqueIndex("u").on(t.orgId, t.slug), primaryKey({ columns: [t.a, t.b] })])`, or `mysqlTable` / `sqliteTable` /
 * `schema.table` / a `pgTableCreator` function; the third argument as an array or an object. The table is declared
 * under its SQL name and the name of the variable holding it; each column under its key and its SQL name.
 */
function drizzleTable(call: ts.CallExpression, declared: Declared): void {
  const name = calleeName(call);
  if (!name || !/^(?:(?:pg|mysql|sqlite|singlestore)Table|table|createTable)$/.test(name)) return;
  const [nameArg, columnsArg, extraArg] = call.arguments;
  const sqlName = nameArg && stringValue(nameArg);
  const columns = columnsArg && objectOf(columnsArg);
  if (sqlName === undefined || !columns) return;
  const holder = ts.isVariableDeclaration(call.parent) && ts.isIdentifier(call.parent.name) ? call.parent.name.text : undefined;
  const sqlNames = new Map<string, string>();
  const sets: string[][] = [];
  for (const property of columns.properties) {
    const key = propertyName(property);
    if (!key || !ts.isPropertyAssignment(property)) continue;
    const initializer = skipParens(property.initializer);
    if (!ts.isCallExpression(initializer)) continue;
    const { links } = chainOf(initializer);
    const column = stringValue(links[0]?.call?.arguments[0]);
    if (column !== undefined) sqlNames.set(key, column);
    if (links.some((l) => l.name === "unique" || l.name === "primaryKey")) sets.push(...aliases([key], sqlNames));
  }
  const extra = extraArg && returned(extraArg);
  const entries = !extra ? [] : ts.isArrayLiteralExpression(extra) ? extra.elements : (objectOf(extra)?.properties ?? []);
  for (const entry of entries) {
    const value = ts.isPropertyAssignment(entry) ? entry.initializer : ts.isExpression(entry) ? entry : undefined;
    const keys = value ? drizzleConstraint(value) : undefined;
    if (keys) sets.push(...aliases(keys, sqlNames));
  }
  declare(declared, [sqlName, holder], sets);
}

/** `unique().on(t.a, t.b)`, `uniqueIndex("x").on(t.a).where(…)`, `primaryKey({ columns: [t.a, t.b] })`: the column keys. */
function drizzleConstraint(value: ts.Expression): string[] | undefined {
  const node = skipParens(value);
  if (!ts.isCallExpression(node)) return undefined;
  const { links } = chainOf(node);
  const start = links[0]?.name;
  const root = links[0]?.call;
  if (start === "primaryKey" && root) {
    const arg = root.arguments[0];
    const object = arg && objectOf(arg);
    const list = object ? object.properties.find((p) => propertyName(p) === "columns") : undefined;
    const columns = list && ts.isPropertyAssignment(list) ? skipParens(list.initializer) : undefined;
    const items = columns && ts.isArrayLiteralExpression(columns) ? columns.elements : root.arguments;
    return columnsMentioned(items);
  }
  if (start !== "unique" && start !== "uniqueIndex") return undefined;
  const on = links.find((l) => l.name === "on" && l.call);
  return on?.call ? columnsMentioned(on.call.arguments) : undefined;
}

/** The column keys `t.a` (or `table.a`) named in `nodes`, inside expressions too (`lower(t.email)`). */
function columnsMentioned(nodes: readonly ts.Node[]): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) out.push(node.name.text);
    else ts.forEachChild(node, visit);
  };
  nodes.forEach(visit);
  return out;
}

/** A set of column keys, and the same set by SQL names where a column has another (both spellings reach a query). */
function aliases(keys: readonly string[], sqlNames: ReadonlyMap<string, string>): string[][] {
  const bySql = keys.map((k) => sqlNames.get(k) ?? k);
  return bySql.some((c, i) => columnKey(c) !== columnKey(keys[i]!)) ? [[...keys], bySql] : [[...keys]];
}

/** An object literal, or what an arrow function returns (`(t) => ({ … })`, `(t) => [ … ]`, `(t) => { return … }`). */
function returned(expr: ts.Expression): ts.Expression | undefined {
  const node = skipParens(expr);
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return node;
  if (!ts.isBlock(node.body)) return skipParens(node.body);
  const last = node.body.statements.find(ts.isReturnStatement);
  return last?.expression && skipParens(last.expression);
}

function objectOf(expr: ts.Expression): ts.ObjectLiteralExpression | undefined {
  const node = returned(expr);
  return node && ts.isObjectLiteralExpression(node) ? node : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Sequelize models and migrations.

/**
 * `Ballot.init({ a: { type, unique: true } }, { tableName, indexes: [{ unique: true, fields: ["a", "b"] }] })` and
 * `const Ballot = sequelize.define("ballot", attributes, options)`: the model is declared under its class or variable
 * name, its model name and its table name, with the primary key Sequelize adds (`id`) when no attribute is one; a
 * migration's `queryInterface.createTable("ballots", attributes)`, `addIndex("ballots", ["a"], { unique: true })` and
 * `addConstraint("ballots", { fields: ["a"], type: "unique" })` declare the table they name.
 */
function sequelizeDeclaration(call: ts.CallExpression, declared: Declared): void {
  const name = calleeName(call);
  const callee = skipParens(call.expression);
  if (!name || !ts.isPropertyAccessExpression(callee)) return;
  const args = call.arguments;
  if (
    name === "init" &&
    ts.isIdentifier(skipParens(callee.expression)) &&
    /^[A-Z]/.test((skipParens(callee.expression) as ts.Identifier).text)
  ) {
    const attributes = args[0] && objectOf(args[0]);
    if (!attributes || !args[1] || !optionPresent(args[1], "sequelize")) return;
    const model = (skipParens(callee.expression) as ts.Identifier).text;
    sequelizeModel([model, optionString(args[1], "tableName"), optionString(args[1], "modelName")], attributes, args[1], declared);
    return;
  }
  if (name === "define") {
    const modelName = args[0] && stringValue(args[0]);
    const attributes = args[1] && objectOf(args[1]);
    if (modelName === undefined || !attributes) return;
    const holder = ts.isVariableDeclaration(call.parent) && ts.isIdentifier(call.parent.name) ? call.parent.name.text : undefined;
    const options = args[2];
    sequelizeModel([modelName, holder, options && optionString(options, "tableName")], attributes, options, declared);
    return;
  }
  const table = args[0] && stringValue(args[0]);
  if (table === undefined) return;
  if (name === "createTable") {
    const attributes = args[1] && objectOf(args[1]);
    if (attributes) declare(declared, [table], sequelizeAttributeKeys(attributes).sets);
  } else if (name === "addIndex") {
    // `addIndex(table, ["a", "b"], { unique: true })` or `addIndex(table, { fields: ["a", "b"], unique: true })`.
    const options = args.slice(1).find((a) => optionTrue(a, "unique"));
    const list =
      args[1] && ts.isArrayLiteralExpression(skipParens(args[1]))
        ? args[1]
        : options && objectOf(options) && propertyValueOf(objectOf(options)!, "fields");
    if (options && list) declare(declared, [table], [sequelizeFields(list)]);
  } else if (name === "addConstraint") {
    // `addConstraint(table, { fields, type: "unique" })`, or the older `addConstraint(table, ["a"], { type: "unique" })`.
    const options = args.slice(1).find((a) => /^(unique|primary key)$/i.test(optionString(a, "type") ?? ""));
    const list =
      args[1] && ts.isArrayLiteralExpression(skipParens(args[1]))
        ? args[1]
        : options && objectOf(options) && propertyValueOf(objectOf(options)!, "fields");
    if (options && list) declare(declared, [table], [sequelizeFields(list)]);
  }
}

function sequelizeModel(
  names: ReadonlyArray<string | undefined>,
  attributes: ts.ObjectLiteralExpression,
  options: ts.Expression | undefined,
  declared: Declared,
): void {
  const { sets, primary } = sequelizeAttributeKeys(attributes);
  if (!primary) sets.push(["id"]);
  const indexes = options && objectOf(options) && propertyValueOf(objectOf(options)!, "indexes");
  const list = indexes && skipParens(indexes);
  if (list && ts.isArrayLiteralExpression(list))
    for (const index of list.elements) {
      const fields = optionTrue(index, "unique") ? objectOf(index) && propertyValueOf(objectOf(index)!, "fields") : undefined;
      if (fields) sets.push(sequelizeFields(fields));
    }
  declare(declared, names, sets);
}

/** The unique keys attribute options declare (`unique: true`, a shared `unique: "name"`, `primaryKey: true`), each by key and `field`. */
function sequelizeAttributeKeys(attributes: ts.ObjectLiteralExpression): { sets: string[][]; primary: boolean } {
  const sets: string[][] = [];
  const primaryKeys: string[] = [];
  const named = new Map<string, string[]>();
  for (const property of attributes.properties) {
    const key = propertyName(property);
    const options = key && ts.isPropertyAssignment(property) ? objectOf(property.initializer) : undefined;
    if (!key || !options) continue;
    const field = optionString(options, "field");
    const keys = field && columnKey(field) !== columnKey(key) ? [key, field] : [key];
    if (optionTrue(options, "primaryKey")) primaryKeys.push(key);
    const unique = propertyValueOf(options, "unique");
    const group = unique && stringValue(unique);
    if (unique?.kind === ts.SyntaxKind.TrueKeyword) sets.push(...keys.map((k) => [k]));
    else if (group !== undefined) named.set(group, [...(named.get(group) ?? []), key]);
  }
  if (primaryKeys.length > 0) sets.push(primaryKeys);
  sets.push(...named.values());
  return { sets, primary: primaryKeys.length > 0 };
}

/** `["a", "b"]` or `[{ name: "a" }, { attribute: "b" }]`: the field names. */
function sequelizeFields(list: ts.Expression): string[] {
  const node = skipParens(list);
  if (!ts.isArrayLiteralExpression(node)) return [];
  return node.elements
    .map((e) => stringValue(e) ?? optionString(e, "name") ?? optionString(e, "attribute"))
    .filter((f): f is string => f !== undefined);
}

function optionPresent(expr: ts.Expression, name: string): boolean {
  const object = objectOf(expr);
  return (
    !!object && object.properties.some((p) => propertyName(p) === name || (ts.isShorthandPropertyAssignment(p) && p.name.text === name))
  );
}

// ---------------------------------------------------------------------------------------------------------------
// TypeORM migrations.

/**
 * `new Table({ name: "t", columns: [{ name: "id", isPrimary: true }, { name: "a", isUnique: true }], indices: [{
 * columnNames: ["a", "b"], isUnique: true }], uniques: [{ columnNames: ["c"] }] })` (given to `createTable`),
 * `createIndex("t", new TableIndex({ columnNames, isUnique: true }))` and `createUniqueConstraint("t", new
 * TableUnique({ columnNames }))`: the table they name and the unique keys they give it.
 */
function typeormMigration(node: ts.Node, declared: Declared): void {
  if (ts.isNewExpression(node) && constructed(node) === "Table") {
    const options = node.arguments?.[0] && objectOf(node.arguments[0]);
    const table = options && optionString(options, "name");
    if (!options || table === undefined) return;
    const sets: string[][] = [];
    const primary: string[] = [];
    for (const column of elementsOf(propertyValueOf(options, "columns"))) {
      const name = optionString(column, "name");
      if (name !== undefined && optionTrue(column, "isPrimary")) primary.push(name);
      if (name !== undefined && optionTrue(column, "isUnique")) sets.push([name]);
    }
    sets.push(primary);
    for (const index of elementsOf(propertyValueOf(options, "indices"))) if (optionTrue(index, "isUnique")) sets.push(columnNamesOf(index));
    for (const unique of elementsOf(propertyValueOf(options, "uniques"))) sets.push(columnNamesOf(unique));
    declare(declared, [table], sets);
    return;
  }
  if (!ts.isCallExpression(node)) return;
  const table = stringValue(node.arguments[0]);
  const made = node.arguments[1] && skipParens(node.arguments[1]);
  if (table === undefined || !made || !ts.isNewExpression(made) || !made.arguments?.[0]) return;
  const options = made.arguments[0];
  const name = calleeName(node);
  const unique =
    (name === "createIndex" && constructed(made) === "TableIndex" && optionTrue(options, "isUnique")) ||
    (name === "createUniqueConstraint" && constructed(made) === "TableUnique");
  if (unique) declare(declared, [table], [columnNamesOf(options)]);
}

function constructed(node: ts.NewExpression): string | undefined {
  const callee = skipParens(node.expression);
  return ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
}

function elementsOf(list: ts.Expression | undefined): readonly ts.Expression[] {
  const node = list && skipParens(list);
  return node && ts.isArrayLiteralExpression(node) ? node.elements : [];
}

/** `{ columnNames: ["a", "b"] }`: the column names. */
function columnNamesOf(options: ts.Expression): string[] {
  const object = objectOf(options);
  const list = object && propertyValueOf(object, "columnNames");
  return list ? sequelizeFields(list) : [];
}

// ---------------------------------------------------------------------------------------------------------------
// knex migrations.

/**
 * `knex.schema.createTable("t", (table) => { … })` declares the table with the keys its builder calls make;
 * `alterTable` (or `table`) adds keys to it. A key: `table.increments()` (`id`) and the other increments, unless told
 * `{ primaryKey: false }`; a column built with `.primary()` or `.unique()`; `table.primary([…])`, `table.unique([…])`.
 */
function knexTable(call: ts.CallExpression, declared: Declared): void {
  const name = calleeName(call);
  const callee = skipParens(call.expression);
  const table = call.arguments[0] && stringValue(call.arguments[0]);
  const builder = call.arguments[1] && skipParens(call.arguments[1]);
  if (!name || !/^(?:createTable(?:IfNotExists)?|alterTable|table)$/.test(name) || table === undefined || !builder) return;
  if (!ts.isPropertyAccessExpression(callee) || !onSchema(callee.expression)) return;
  if (!(ts.isArrowFunction(builder) || ts.isFunctionExpression(builder))) return;
  const parameter = builder.parameters[0]?.name;
  if (!parameter || !ts.isIdentifier(parameter)) return;
  const sets: string[][] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const { root, links } = chainOf(node);
      // The outermost call of a chain on the builder (`table.string("a").notNullable().unique()`), read once.
      const outermost = !(ts.isPropertyAccessExpression(node.parent) && ts.isCallExpression(node.parent.parent));
      if (outermost && ts.isIdentifier(root) && root.text === parameter.text && links.length > 0) {
        const key = knexKey(links);
        if (key) sets.push(key);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(builder.body);
  declare(declared, [table], sets);
}

// ---------------------------------------------------------------------------------------------------------------
// node-pg-migrate migrations.

/**
 * `pgm.createTable("t", { id: "id", a: { type: "text", unique: true }, b: { type, primaryKey: true } }, { constraints:
 * { unique: [["a", "b"]], primaryKey: ["a"] } })`, `pgm.addColumns("t", { a: { unique: true } })`, `pgm.createIndex("t",
 * ["a", "b"], { unique: true })` and `pgm.addConstraint("t", name, { unique: ["a", "b"] })`, in a file that imports
 * node-pg-migrate (or types its builder `MigrationBuilder`). The table is a string or `{ schema, name }`.
 */
function pgMigrateDeclaration(call: ts.CallExpression, declared: Declared): void {
  const name = calleeName(call);
  if (!name || !ts.isPropertyAccessExpression(skipParens(call.expression))) return;
  const [first, second, third] = call.arguments;
  const table = pgMigrateTable(first);
  if (table === undefined) return;
  const sets: string[][] = [];
  if (name === "createTable" || name === "addColumns" || name === "addColumn") {
    const columns = second && objectOf(second);
    const primary: string[] = [];
    for (const property of columns?.properties ?? []) {
      const column = propertyName(property);
      if (!column || !ts.isPropertyAssignment(property)) continue;
      const value = skipParens(property.initializer);
      // `id: "id"`: node-pg-migrate's shorthand for a serial primary key.
      if (stringValue(value) === "id" || optionTrue(value, "primaryKey")) primary.push(column);
      if (optionTrue(value, "unique")) sets.push([column]);
    }
    if (primary.length > 0) sets.push(primary);
    const constraints = name === "createTable" && third && objectOf(third) && propertyValueOf(objectOf(third)!, "constraints");
    if (constraints) sets.push(...pgMigrateConstraint(constraints));
  } else if (name === "createIndex" || name === "addIndex") {
    const columns = pgMigrateColumns(second);
    if (columns && third && optionTrue(third, "unique")) sets.push(columns);
  } else if (name === "addConstraint" && third) {
    sets.push(...pgMigrateConstraint(third));
  }
  if (sets.length > 0) declare(declared, [table], sets);
}

/** `"t"` or `{ schema: "s", name: "t" }`: the table's name. */
function pgMigrateTable(node: ts.Expression | undefined): string | undefined {
  const value = node && skipParens(node);
  if (!value) return undefined;
  const text = stringValue(value);
  if (text !== undefined) return text;
  return ts.isObjectLiteralExpression(value) ? stringValue(propertyValueOf(value, "name")) : undefined;
}

/** `"a"`, `["a", "b"]` or `[{ name: "a" }, …]`: the columns of an index or constraint. */
function pgMigrateColumns(node: ts.Expression | undefined): string[] | undefined {
  const list = node && skipParens(node);
  if (!list) return undefined;
  const single = stringValue(list);
  if (single !== undefined) return [single];
  if (!ts.isArrayLiteralExpression(list)) return undefined;
  const columns = list.elements.map((e) => {
    const element = skipParens(e);
    return stringValue(element) ?? (ts.isObjectLiteralExpression(element) ? stringValue(propertyValueOf(element, "name")) : undefined);
  });
  return columns.every((c): c is string => c !== undefined) ? columns : undefined;
}

/** A constraint's `unique` (one column set, or a list of them) and `primaryKey` column sets. */
function pgMigrateConstraint(expr: ts.Expression): string[][] {
  const object = objectOf(expr);
  if (!object) return [];
  const sets: string[][] = [];
  const unique = propertyValueOf(object, "unique");
  const list = unique && skipParens(unique);
  if (list && ts.isArrayLiteralExpression(list) && list.elements.some((e) => ts.isArrayLiteralExpression(skipParens(e))))
    for (const element of list.elements) {
      const columns = pgMigrateColumns(element);
      if (columns) sets.push(columns);
    }
  else {
    const columns = pgMigrateColumns(unique);
    if (columns) sets.push(columns);
  }
  const primary = pgMigrateColumns(propertyValueOf(object, "primaryKey"));
  if (primary) sets.push(primary);
  return sets;
}

/** The receiver is a knex schema builder: `knex.schema`, `trx.schema.withSchema("s")`. */
function onSchema(receiver: ts.Expression): boolean {
  const node = skipParens(receiver);
  if (ts.isPropertyAccessExpression(node)) return node.name.text === "schema" || onSchema(node.expression);
  if (ts.isCallExpression(node)) return onSchema(node.expression);
  return false;
}

/** The unique key one chain on a knex table builder declares, if any. */
function knexKey(links: ReadonlyArray<{ name: string; call?: ts.CallExpression }>): string[] | undefined {
  const [first, ...rest] = links;
  const args = first.call?.arguments ?? [];
  if (first.name === "primary" || first.name === "unique") return knexColumns(args[0]);
  if (/^(?:big)?increments$/.test(first.name)) {
    if (args.some((a) => optionPresent(a, "primaryKey") && !optionTrue(a, "primaryKey"))) return undefined;
    return [stringValue(args[0]) ?? "id"];
  }
  const column = stringValue(args[0]);
  return column !== undefined && rest.some((link) => link.name === "primary" || link.name === "unique") ? [column] : undefined;
}

/** `"a"` or `["a", "b"]`: the column names. */
function knexColumns(node: ts.Expression | undefined): string[] | undefined {
  const list = node && skipParens(node);
  if (!list) return undefined;
  const single = stringValue(list);
  if (single !== undefined) return [single];
  if (!ts.isArrayLiteralExpression(list)) return undefined;
  const columns = list.elements.map((e) => stringValue(e));
  return columns.every((c): c is string => c !== undefined) ? columns : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// TypeORM and MikroORM entities.

/**
 * `@Entity("accounts") class Account { @PrimaryGeneratedColumn() id; @Column({ unique: true }) email; … }` with
 * `@Unique(["a", "b"])` / `@Index(["a", "b"], { unique: true })` on the class, `@Index({ unique: true })` /
 * `@Unique()` / `@Property({ unique: true })` on a property, `@OneToOne` with `@JoinColumn` (a unique foreign key).
 * The primary columns together are one key. Declared under the class's name and the table name it gives.
 */
function entityClass(node: ts.ClassDeclaration, declared: Declared): void {
  const decorators = decoratorsOf(node);
  const entity = decorators.find((d) => d.name === "Entity");
  if (!entity || !node.name) return;
  const first = entity.args[0];
  const tableName = first && (stringValue(first) ?? optionString(first, "tableName") ?? optionString(first, "name"));
  const sets: string[][] = [];
  const primary: string[] = [];
  const columnNames = new Map<string, string>();
  for (const member of node.members) {
    if (!ts.isPropertyDeclaration(member) || !(ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))) continue;
    const key = member.name.text;
    const marks = decoratorsOf(member);
    for (const mark of marks) {
      const options = mark.args.find((a) => objectOf(a));
      const named = options && (optionString(options, "name") ?? optionString(options, "fieldName"));
      if (named) columnNames.set(key, named);
      if (/^Primary(Generated)?Column$|^PrimaryKey$/.test(mark.name)) primary.push(key);
      else if (mark.name === "Unique" && mark.args.length === 0) sets.push([key]);
      else if (options && optionTrue(options, "unique") && /^(Column|Property|Index|Unique|ManyToOne|OneToOne)$/.test(mark.name))
        sets.push([key]);
      else if (options && optionTrue(options, "primary")) primary.push(key);
    }
    if (marks.some((m) => m.name === "OneToOne") && marks.some((m) => m.name === "JoinColumn")) sets.push([key], [`${key}Id`]);
  }
  if (primary.length > 0) sets.push(primary);
  for (const mark of decorators) {
    if (mark.name !== "Unique" && mark.name !== "Index") continue;
    if (mark.name === "Index" && !mark.args.some((a) => optionTrue(a, "unique"))) continue;
    const list = mark.args.find((a) => ts.isArrayLiteralExpression(skipParens(a)) || ts.isArrowFunction(skipParens(a)));
    const properties = mark.args.map((a) => objectOf(a)).find((o) => o && propertyValueOf(o, "properties"));
    const columns = list ?? (properties && propertyValueOf(properties, "properties"));
    if (columns) sets.push(listedColumns(columns));
  }
  const named = sets.map((set) => set.map((k) => columnNames.get(k) ?? k));
  declare(declared, [tableName, node.name.text], [...sets, ...named]);
}

/** `["a", "b"]`, `(e) => [e.a, e.b]`, `"a"`: the property names. */
function listedColumns(expr: ts.Expression): string[] {
  const node = returned(expr);
  if (!node) return [];
  if (ts.isArrayLiteralExpression(node)) return node.elements.flatMap((e) => listedColumns(e));
  const text = stringValue(node);
  if (text !== undefined) return [text];
  return ts.isPropertyAccessExpression(node) ? [node.name.text] : [];
}

interface Decorator {
  name: string;
  args: readonly ts.Expression[];
}

function decoratorsOf(node: ts.HasDecorators): Decorator[] {
  return (ts.getDecorators(node) ?? []).flatMap((d) => {
    const expr = skipParens(d.expression);
    const callee = ts.isCallExpression(expr) ? expr.expression : expr;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    return name ? [{ name, args: ts.isCallExpression(expr) ? expr.arguments : [] }] : [];
  });
}

function propertyValueOf(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const found = object.properties.find((p) => propertyName(p) === name);
  return found && ts.isPropertyAssignment(found) ? found.initializer : undefined;
}

function optionString(expr: ts.Expression, name: string): string | undefined {
  const object = objectOf(expr);
  const value = object && propertyValueOf(object, name);
  return value && stringValue(value);
}

function optionTrue(expr: ts.Expression, name: string): boolean {
  const object = objectOf(expr);
  const value = object && propertyValueOf(object, name);
  return !!value && value.kind === ts.SyntaxKind.TrueKeyword;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL.

const DDL = /\bCREATE\s+(?:UNIQUE\s+INDEX|(?:\w+\s+)?TABLE)\b|\bALTER\s+TABLE\b/i;
/** A table name, schema-qualified or not, quoted or not (`"public"."company"`, `` `t` ``, `"${schema}".t`). */
const NAME = String.raw`(?:(?:"[^"]*"|\x60[^\x60]*\x60|\[[^\]]*\]|[\w\${}]+)\s*\.\s*)*("[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|\w+)`;
const CREATE_TABLE = new RegExp(
  String.raw`\bCREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}\s*\(`,
  "gi",
);
const UNIQUE_INDEX = new RegExp(
  String.raw`\bCREATE\s+UNIQUE\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:${NAME}\s+)?ON\s+(?:ONLY\s+)?${NAME}\s*(?:USING\s+\w+\s*)?\(`,
  "gi",
);
const ALTER_TABLE = new RegExp(String.raw`\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${NAME}\s+`, "gi");
const KEY_CONSTRAINT =
  /^(?:CONSTRAINT\s+("[^"]+"|`[^`]+`|\[[^\]]+\]|\w+)\s+)?(PRIMARY\s+KEY|UNIQUE(?:\s+(?:KEY|INDEX))?(?:\s+NULLS\s+(?:NOT\s+)?DISTINCT)?)\s*(?:("[^"]+"|`[^`]+`|\w+)\s*)?(?:USING\s+\w+\s*)?\(/i;

/** The tables `sql` creates or alters, with the unique keys it gives them. */
function sqlDeclarations(sql: string, declared: Declared): void {
  const text = sql.replace(/--[^\n]*/g, "");
  for (const match of text.matchAll(CREATE_TABLE)) {
    const body = balanced(text, match.index + match[0].length);
    if (body === undefined) continue;
    const sets: string[][] = [];
    for (const item of splitTopLevel(body)) {
      const constraint = KEY_CONSTRAINT.exec(item);
      if (constraint) {
        const columns = balanced(item, constraint[0].length);
        if (columns !== undefined) sets.push(columnList(columns));
        continue;
      }
      const column = /^("[^"]+"|`[^`]+`|\[[^\]]+\]|\w+)/.exec(item)?.[1];
      if (column && !/^(CONSTRAINT|CHECK|FOREIGN|INDEX|KEY|EXCLUDE|LIKE)$/i.test(column) && /\b(PRIMARY\s+KEY|UNIQUE)\b/i.test(item))
        sets.push([unquote(column)]);
    }
    declare(declared, [unquote(match[1]!)], sets);
  }
  for (const match of text.matchAll(UNIQUE_INDEX)) {
    const columns = balanced(text, match.index + match[0].length);
    if (columns !== undefined) declare(declared, [unquote(match[2]!)], [columnList(columns)]);
  }
  for (const match of text.matchAll(ALTER_TABLE)) {
    const rest = text.slice(match.index + match[0].length, match.index + match[0].length + 4000);
    const sets: string[][] = [];
    // Each `ADD …` of the statement (up to its `;`).
    const statement = rest.split(";")[0]!;
    for (const add of statement.split(/,\s*(?=ADD\b)/i)) {
      const clause = /^\s*ADD\s+(?:COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?)?/i.exec(add);
      if (!clause) continue;
      const item = add.slice(clause[0].length).trim();
      const constraint = KEY_CONSTRAINT.exec(item);
      if (constraint) {
        const columns = balanced(item, constraint[0].length);
        if (columns !== undefined) sets.push(columnList(columns));
      } else if (/ADD\s+COLUMN/i.test(clause[0]) && /\b(PRIMARY\s+KEY|UNIQUE)\b/i.test(item)) {
        const column = /^("[^"]+"|`[^`]+`|\w+)/.exec(item)?.[1];
        if (column) sets.push([unquote(column)]);
      }
    }
    if (sets.length > 0) declare(declared, [unquote(match[1]!)], sets);
  }
}

/** The text from `start` to the parenthesis that closes the one just before it; undefined when unbalanced. */
function balanced(text: string, start: number): string | undefined {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return text.slice(start, i);
  }
  return undefined;
}

/** The items of a parenthesised list, split at commas outside parentheses, trimmed. */
function splitTopLevel(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      items.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(list.slice(start).trim());
  return items.filter((i) => i.length > 0);
}

/** `"a", b DESC, lower(email)`: the columns named (in an expression, the identifiers inside it that are no function). */
function columnList(list: string): string[] {
  return splitTopLevel(list).flatMap((item) => {
    const plain =
      /^("[^"]+"|`[^`]+`|\[[^\]]+\]|\w+)(?:\s*\(\d+\))?(?:\s+(?:ASC|DESC|COLLATE\s+\S+|NULLS\s+(?:FIRST|LAST)|\w+_ops))*\s*$/i.exec(item);
    if (plain) return [unquote(plain[1]!)];
    return [...item.matchAll(/("[^"]+"|`[^`]+`|\b[A-Za-z_]\w*\b)(?!\s*\()/g)]
      .map((m) => m[1]!)
      .filter((w) => !/^(ASC|DESC|NULLS|FIRST|LAST|COLLATE|text|varchar|integer|int|bigint)$/i.test(w))
      .map(unquote);
  });
}

function unquote(name: string): string {
  return name.replace(/^["`[]|["`\]]$/g, "");
}

// ---------------------------------------------------------------------------------------------------------------
// `.sql` files.

const sqlFileCache = new Map<string, { modified: number; declared: Declared }>();
const sqlFileLists = new WeakMap<ts.Program, readonly string[]>();

/**
 * The `.sql` files of the project (outside node_modules), listed once per Program: under the outermost folder holding
 * a package.json above the Program's own files (a monorepo's root, whose migrations may sit beside the packages),
 * stopping at a Git repository's root.
 */
function sqlFilesOf(program: ts.Program): readonly string[] {
  let files = sqlFileLists.get(program);
  if (files) return files;
  const roots = program.getRootFileNames().filter((f) => !/[\\/]node_modules[\\/]/.test(f));
  const common = roots.length > 0 ? roots.map((f) => path.dirname(f)).reduce(commonFolder) : undefined;
  let root: string | undefined;
  for (let dir = common, depth = 0; dir && depth < 8; dir = path.dirname(dir), depth++) {
    if (ts.sys.fileExists(path.join(dir, "package.json"))) root = dir;
    if (ts.sys.directoryExists(path.join(dir, ".git")) || path.dirname(dir) === dir) break;
  }
  files = root ? ts.sys.readDirectory(root, [".sql"], ["**/node_modules", "**/.git"]) : [];
  sqlFileLists.set(program, files);
  return files;
}

function commonFolder(a: string, b: string): string {
  while (a !== b && !b.startsWith(a.endsWith("/") ? a : a + "/")) {
    const up = path.dirname(a);
    if (up === a) return a;
    a = up;
  }
  return a;
}

function sqlFileDeclarations(file: string): Declared {
  const modified = ts.sys.getModifiedTime?.(file)?.getTime() ?? 0;
  const cached = sqlFileCache.get(file);
  if (cached && cached.modified === modified) return cached.declared;
  const declared = declaredNothing();
  const text = ts.sys.readFile(file);
  if (text && DDL.test(text)) sqlDeclarations(text, declared);
  sqlFileCache.set(file, { modified, declared });
  return declared;
}
