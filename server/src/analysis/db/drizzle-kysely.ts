// Drizzle and Kysely, the typed query builders: Drizzle `db.select().from(accounts).where(...).for("update")` and
// `db.update(accounts).set({...}).where(...)`; Kysely `db.selectFrom("t")...executeTakeFirst()` and
// `db.updateTable("t").set(...).where(...).execute()`. A `sql` template or a Kysely expression callback as a SET
// value is computed by the database.
import { ts } from "../../engine/ts";
import { calleeName, enclosingFunction, importsOf, propertyValue, skipParens, stringValue } from "../ast";
import type { AccessCondition, DbAccess } from "./access";
import { insertedRow, isFunctionLikeExpression, lockOfLinks, objectAssignments, whereConditions, type Link } from "./shapes";

/** Drizzle: `db.select().from(accounts).where(...)[.for("update")]`, `db.update(accounts).set({...}).where(...)`. */
export function drizzleAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const names = links.map((l) => l.name);
  const fromLink = links.find((l) => l.name === "from" && l.call);
  const insertLink = links.find((l, i) => l.name === "insert" && l.call && i === 0);
  if (insertLink) return drizzleInsert(root, links, call, insertLink);
  const updateLink = links.find((l, i) => l.name === "update" && l.call && i === 0);
  const setLink = links.find((l) => l.name === "set" && l.call);
  const tableExpr = (updateLink ?? fromLink)?.call?.arguments[0];
  const table = tableExpr && drizzleTableName(tableExpr);
  if (!table) return undefined;
  if (updateLink && setLink) {
    const access: DbAccess = {
      node: call,
      library: "drizzle",
      kind: "write",
      table,
      handle: root,
      assignments: objectAssignments(setLink.call!.arguments[0], isSqlTemplateUsingColumn),
      conditions: drizzleWhere(links),
    };
    return access;
  }
  if (names[0] === "select" && fromLink) {
    if (isDrizzleSubquery(call, names)) return undefined;
    const access: DbAccess = {
      node: call,
      library: "drizzle",
      kind: "read",
      table,
      handle: root,
      assignments: [],
      conditions: drizzleWhere(links),
    };
    const forLink = links.find((l) => l.name === "for" && l.call);
    const mode = forLink && stringValue(forLink.call!.arguments[0]);
    if (mode === "update" || mode === "no key update" || mode === "share" || mode === "key share") access.lock = mode;
    return access;
  }
  return undefined;
}

/**
 * Drizzle `db.insert(t).values({ … })`: an insert of those fields; with `.onConflictDoUpdate({ target, set })` the
 * statement updates the row whose target column holds the inserted value when there is one, so it is that update
 * (its `set`, filtered by the target), the branch in which a value read before matters.
 */
function drizzleInsert(root: ts.Expression, links: Link[], call: ts.CallExpression, insertLink: Link): DbAccess | undefined {
  const tableExpr = insertLink.call!.arguments[0];
  const values = links.find((l) => l.name === "values" && l.call)?.call?.arguments[0];
  const table = tableExpr && drizzleTableName(tableExpr);
  if (!table || !values) return undefined;
  const base = {
    node: call,
    library: "drizzle" as const,
    kind: "write" as const,
    table,
    handle: root,
  };
  const conflict = links.find((l) => l.name === "onConflictDoUpdate" && l.call)?.call?.arguments[0];
  const set = conflict && propertyValue(conflict, "set");
  const target = conflict && propertyValue(conflict, "target");
  // The conflict target is a column or a list of them (a composite key: `[t.postId, t.userId]`). Where the row
  // inserted gives each of them a value, the row updated is the one holding those values; rows built elsewhere (a
  // mapped list) name no row here, and the statement stays the insert of the set.
  const targetNode = target && skipParens(target);
  const targetColumns = !targetNode ? [] : ts.isArrayLiteralExpression(targetNode) ? targetNode.elements.map(skipParens) : [targetNode];
  if (set && targetColumns.length > 0 && targetColumns.every((t) => ts.isPropertyAccessExpression(t))) {
    const inserted = objectAssignments(values, () => false);
    const conditions: AccessCondition[] = [];
    for (const column of targetColumns.map((t) => (t as ts.PropertyAccessExpression).name.text)) {
      const value = inserted.find((a) => a.column === column)?.value;
      if (value) conditions.push({ column, operator: "=", value });
    }
    if (targetColumns.length === 1 || conditions.length === targetColumns.length)
      return { ...base, assignments: objectAssignments(set, isSqlTemplateUsingColumn), conditions };
  }
  return { ...base, insert: true, assignments: objectAssignments(insertedRow(values), () => false), conditions: [] };
}

// A Drizzle select that is only built, never run: the statement it is embedded in runs it as a subquery, inside
// that statement, so it reads no row of its own.
const SUBQUERY_OPERATORS = new Set(["inArray", "notInArray", "exists", "notExists"]);

/**
 * A Drizzle select chain that is a subquery, not a read: `.as("alias")`, or a builder embedded (never awaited) in a
 * `sql` template or an `inArray` / `exists` filter, directly or through a `const` used only there
 * (`const n = db.select({ c: count() })…; db.update(t).set({ n: sql\`${n}\` })` counts inside the UPDATE).
 */
function isDrizzleSubquery(call: ts.CallExpression, names: readonly string[]): boolean {
  if (names[names.length - 1] === "as") return true;
  if (isEmbeddedQuery(call)) return true;
  let parent = call.parent;
  while (ts.isParenthesizedExpression(parent)) parent = parent.parent;
  if (!ts.isVariableDeclaration(parent) || parent.initializer === undefined || !ts.isIdentifier(parent.name)) return false;
  const list = parent.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return false;
  const name = parent.name.text;
  const scope = enclosingFunction(parent) ?? parent.getSourceFile();
  let uses = 0;
  let embeddedOnly = true;
  const visit = (node: ts.Node): void => {
    if (!embeddedOnly) return;
    if (ts.isIdentifier(node) && node.text === name && node !== parent.name && isReference(node)) {
      uses++;
      if (!isEmbeddedQuery(node)) embeddedOnly = false;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(scope);
  return embeddedOnly && uses > 0;
}

/** `node` (a query builder) is a `${…}` of a `sql` template or an argument of `inArray` / `exists`, not awaited. */
function isEmbeddedQuery(node: ts.Expression): boolean {
  let parent = node.parent;
  while (ts.isParenthesizedExpression(parent)) parent = parent.parent;
  if (ts.isTemplateSpan(parent)) {
    const tagged = parent.parent.parent;
    return ts.isTaggedTemplateExpression(tagged) && ts.isIdentifier(tagged.tag) && tagged.tag.text === "sql";
  }
  return (
    ts.isCallExpression(parent) &&
    parent.arguments.some((a) => skipParens(a) === node || a === node) &&
    SUBQUERY_OPERATORS.has(calleeName(parent) ?? "")
  );
}

/** An identifier that names a value (not a property name or a declaration's own name). */
function isReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent)) && parent.name === node)
    return false;
  return true;
}

/** A Drizzle table by the name of its declaration: `accounts`, or `schema.accounts` through the schema's namespace. */
function drizzleTableName(expr: ts.Expression): string | undefined {
  const node = skipParens(expr);
  if (ts.isIdentifier(node)) return node.text.toLowerCase();
  return ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) ? node.name.text.toLowerCase() : undefined;
}

/** The conditions of a Drizzle chain's `.where(…)`. */
export function drizzleWhere(links: readonly Link[]): AccessCondition[] {
  const where = links.find((l) => l.name === "where" && l.call)?.call?.arguments[0];
  return where ? drizzleConditions(where) : [];
}

const DRIZZLE_OPERATORS: Readonly<Record<string, string>> = { eq: "=", ne: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };

/**
 * The conjuncts of a Drizzle filter that compare a column with a value: `and(eq(t.teamId, teamId), ne(t.id, id))` →
 * `teamId = teamId`, `id <> id`; `isNull(t.col)` → `col IS NULL`. Anything else (`or(…)`, `sql\`…\``, `inArray`) pins
 * nothing and is left out.
 */
export function drizzleConditions(filter: ts.Expression): AccessCondition[] {
  const node = skipParens(filter);
  if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression)) return [];
  const name = node.expression.text;
  if (name === "and") return node.arguments.flatMap(drizzleConditions);
  const [column, value] = node.arguments;
  const col = column && skipParens(column);
  // `isNull(t.claimedAt)`: a test of the column alone, as SQL's `claimed_at IS NULL`.
  if (name === "isNull" && col && node.arguments.length === 1 && ts.isPropertyAccessExpression(col))
    return [{ column: col.name.text, operator: "IS NULL" }];
  const operator = DRIZZLE_OPERATORS[name];
  if (!operator || !col || !value) return [];
  return ts.isPropertyAccessExpression(col) ? [{ column: col.name.text, operator, value }] : [];
}

/** Drizzle `sql\`${accounts.balance} - ${n}\`` computes in the database. */
function isSqlTemplateUsingColumn(value: ts.Expression): boolean {
  const node = skipParens(value);
  return ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === "sql";
}

/** Kysely: `db.selectFrom("t")...executeTakeFirst()`, `db.updateTable("t").set(...).where(...).execute()`. */
export function kyselyAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const insert = links[0]?.name === "insertInto" ? kyselyInsert(root, links, call) : undefined;
  if (insert) return insert;
  const start = links.find((l) => (l.name === "selectFrom" || l.name === "updateTable") && l.call);
  if (!start) return undefined;
  const table = stringValue(start.call!.arguments[0])?.split(/\s+/)[0]?.toLowerCase();
  if (!table) return undefined;
  const terminal = links[links.length - 1]!.name;
  if (!/^execute/.test(terminal)) return undefined;
  const names = links.map((l) => l.name);
  const conditions = links.filter((l) => l.name === "where" && l.call).flatMap((l) => whereConditions(l.call!));
  if (start.name === "selectFrom") {
    const access: DbAccess = { node: call, library: "kysely", kind: "read", table, handle: root, assignments: [], conditions };
    const lock = lockOfLinks(names);
    if (lock) access.lock = lock;
    return access;
  }
  const setLink = links.find((l) => l.name === "set" && l.call);
  const setArg = setLink?.call?.arguments[0] && skipParens(setLink.call.arguments[0]);
  // `set((eb) => ({ qty: eb("qty", "-", n) }))` is an expression update: computed by the database.
  const assignments =
    setArg && isFunctionLikeExpression(setArg)
      ? objectAssignments(returnedObject(setArg), () => true)
      : objectAssignments(setArg, isSqlTemplateUsingColumn);
  return { node: call, library: "kysely", kind: "write", table, handle: root, assignments, conditions };
}

/**
 * Kysely `db.insertInto("t").values({ … }).execute()`: an insert of that row. A statement with `onConflict(…)`,
 * `onDuplicateKeyUpdate(…)`, `ignore()` / `orIgnore()` / `orReplace()` (an upsert, or an insert that may do nothing) or
 * an `INSERT … SELECT` (`expression(…)`) is left unrecognised.
 */
function kyselyInsert(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const table = stringValue(links[0]!.call?.arguments[0])?.split(/\s+/)[0]?.toLowerCase();
  const values = links.find((l) => l.name === "values" && l.call)?.call?.arguments[0];
  if (!table || !values || !/^execute/.test(links[links.length - 1]!.name)) return undefined;
  if (links.some((l) => /^(onConflict|onDuplicateKeyUpdate|ignore|orIgnore|orReplace|expression)$/.test(l.name))) return undefined;
  return {
    node: call,
    library: "kysely",
    kind: "write",
    table,
    handle: root,
    insert: true,
    assignments: objectAssignments(insertedRow(values), () => false),
    conditions: [],
  };
}

function returnedObject(fn: ts.ArrowFunction | ts.FunctionExpression): ts.Expression | undefined {
  if (ts.isArrowFunction(fn) && !ts.isBlock(fn.body)) return skipParens(fn.body);
  return undefined;
}

const sqliteSchemas = new WeakMap<ts.Program, boolean>();

const SQLITE_MODULE = /^drizzle-orm\/(sqlite-core|libsql|d1|better-sqlite3|bun-sqlite|expo-sqlite|op-sqlite|durable-sqlite)(\/|$)/;
const OTHER_MODULE = /^drizzle-orm\/(pg-core|mysql-core|singlestore-core|node-postgres|postgres-js|neon|mysql2|planetscale)/;

/** Which Drizzle dialects a file imports: SQLite's (its core or a driver), another's. */
function drizzleDialects(file: ts.SourceFile): { sqlite: boolean; other: boolean } {
  let sqlite = false;
  let other = false;
  for (const { module } of importsOf(file).values()) {
    if (SQLITE_MODULE.test(module)) sqlite = true;
    if (OTHER_MODULE.test(module)) other = true;
  }
  return { sqlite, other };
}

/**
 * Whether the file's Drizzle tables are SQLite's: the file itself imports `drizzle-orm/sqlite-core` (or a SQLite
 * driver: libSQL, D1, better-sqlite3, bun:sqlite) and no other dialect, whatever other files use (a project with a
 * PostgreSQL and a SQLite storage side by side); a file importing no dialect asks the project: some file imports
 * SQLite's and none another's (asked once per Program).
 */
export function drizzleSchemaIsSqlite(file: ts.SourceFile, program: ts.Program | undefined): boolean {
  const own = drizzleDialects(file);
  if (own.sqlite || own.other) return own.sqlite && !own.other;
  if (!program) return false;
  const known = sqliteSchemas.get(program);
  if (known !== undefined) return known;
  let sqlite = false;
  let other = false;
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile) continue;
    const dialects = drizzleDialects(sourceFile);
    sqlite ||= dialects.sqlite;
    other ||= dialects.other;
  }
  const answer = sqlite && !other;
  sqliteSchemas.set(program, answer);
  return answer;
}
