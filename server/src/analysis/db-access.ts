// Recognising reads and writes of database rows (and Redis keys) in code, whatever the library: raw SQL through
// pg / mysql2 / better-sqlite3, query builders (knex, Drizzle, Kysely), ORMs (Prisma, TypeORM, Sequelize) and Redis
// GET/SET. One recogniser shared by every rule, so that "a write of table T" means the same thing in every finding.
//
// Recognition is syntactic (method names, chain shapes, SQL text); it is cheap for the common non-candidate call
// (a switch on the callee name) and never asks the type checker.
import { ts } from "../engine/ts";
import { CALL_KINDS, NodeFacts, calleeName, importsOf, isFunctionLike, nodesOfKinds, propertyValue, receiverOf, skipAwait, skipParens, stringValue, walk, type FunctionLike } from "./ast";
import { alwaysExits } from "./control-flow";
import { sqlSiteOf } from "./sql-text";
import { parseSql, type IsolationLevel, type RowLockMode, type SqlAssignment, type SqlPlaceholder, type SqlStatement } from "./sql";

export type DbLibrary = "pg" | "mysql2" | "better-sqlite3" | "sql" | "knex" | "prisma" | "typeorm" | "sequelize" | "drizzle" | "kysely" | "redis";
export type AccessKind = "read" | "write" | "begin" | "commit" | "rollback" | "set-isolation";

/** One column a write sets. */
export interface AccessAssignment {
  column: string;
  /** The JS expression whose value is written, when the value comes from code (`data: { balance: next }`). */
  value?: ts.Expression;
  /** The new value is computed by the database from the current one (`qty = qty - 1`, `{ decrement: 1 }`, `increment()`). */
  atomic: boolean;
  /** Raw SQL only: the parsed assignment. */
  sql?: SqlAssignment;
}

/** One comparison of a write's (or read's) WHERE: `version = $3` → { column: "version", operator: "=", value: row.version }. */
export interface AccessCondition {
  column: string;
  operator: string;
  value?: ts.Expression;
}

export interface DbAccess {
  /** The call (or tagged template) whose completion means the statement ran: the one that is awaited. */
  node: ts.CallExpression | ts.TaggedTemplateExpression;
  library: DbLibrary;
  kind: AccessKind;
  /** Lower-case table / model / Redis key text; compare with `sameTable`. */
  table?: string;
  /** What the statement runs through (`pool`, `client`, `trx`, `tx`, `prisma`, `repo`); decides transaction membership. */
  handle?: ts.Expression;
  /** Sequelize `{ transaction: t }`, knex `.transacting(trx)`: the transaction handle named explicitly. */
  transactionOption?: ts.Expression;
  /** A read that locks the rows it returns. */
  lock?: RowLockMode;
  /** Writes: the columns set. */
  assignments: AccessAssignment[];
  /** The WHERE comparisons that could be recognised. */
  conditions: AccessCondition[];
  /** ORM writes of an entity object (`repo.save(account)`, `account.save()`): the entity. */
  entity?: ts.Expression;
  /** Raw SQL: the statement, its text node, and the JS expression behind each placeholder. */
  sql?: { statement: SqlStatement; text: string; textNode: ts.Node; values?: ts.ArrayLiteralExpression };
  isolation?: IsolationLevel;
}

const singularCache = new Map<string, string>();

/** `accounts` / `Account` / `"Account"` name the same table (Prisma models are singular, SQL tables often plural). */
export function sameTable(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return singular(a) === singular(b);
}

function singular(name: string): string {
  let cached = singularCache.get(name);
  if (cached === undefined) {
    cached = name.toLowerCase().replace(/["`]/g, "").replace(/_/g, "").replace(/(ies)$/, "y").replace(/(s)$/, "");
    singularCache.set(name, cached);
  }
  return cached;
}

/** The JS expression a SQL placeholder stands for, when it is written in the call. */
export function placeholderValue(access: DbAccess, placeholder: SqlPlaceholder): ts.Expression | undefined {
  if (!access.sql) return undefined;
  if (placeholder.style === "interpolation") {
    const template = templateOf(access.sql.textNode);
    return template && ts.isTemplateExpression(template) ? template.templateSpans[placeholder.index]?.expression : undefined;
  }
  const element = access.sql.values?.elements[placeholder.index];
  return element && !ts.isSpreadElement(element) && !ts.isOmittedExpression(element) ? element : undefined;
}

function templateOf(node: ts.Node): ts.TemplateLiteral | undefined {
  if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node;
  if (ts.isTaggedTemplateExpression(node)) return node.template;
  return undefined;
}

const cache = new NodeFacts<ts.Node, DbAccess | null>();

/** If `node` runs a database statement (or Redis command), describes it. Cached per node. */
export function dbAccessOf(node: ts.Node): DbAccess | undefined {
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return undefined;
  let access = cache.get(node);
  if (access === undefined) {
    access = recognise(node) ?? null;
    cache.set(node, access);
  }
  return access ?? undefined;
}

/** Every database access in `root` (including nested functions), in source order. */
const fileAccesses = new WeakMap<ts.SourceFile, DbAccess[]>();

export function dbAccessesIn(root: ts.Node): DbAccess[] {
  // A whole file is asked for once per transaction scope: walk it once.
  if (ts.isSourceFile(root)) {
    let cached = fileAccesses.get(root);
    if (!cached) fileAccesses.set(root, (cached = collectAccesses(root)));
    return cached;
  }
  return collectAccesses(root);
}

function collectAccesses(root: ts.Node): DbAccess[] {
  const out: DbAccess[] = [];
  for (const node of nodesOfKinds(root, CALL_KINDS)) {
    const access = dbAccessOf(node);
    if (access) out.push(access);
  }
  return out.sort((a, b) => a.node.getStart() - b.node.getStart());
}

function recognise(node: ts.CallExpression | ts.TaggedTemplateExpression): DbAccess | undefined {
  if (ts.isTaggedTemplateExpression(node)) return rawSqlAccess(node);
  // Only the outermost call of a chain is an access (`knex("t").where(...).first()`, not `knex("t")`).
  if (isChainLink(node)) return undefined;
  const name = calleeName(node);
  if (name === undefined) return undefined;
  return rawSqlAccess(node) ?? redisAccess(node, name) ?? prismaAccess(node, name) ?? ormAccess(node, name) ?? chainAccess(node);
}

/** True if `call` is followed by `.method(...)` (it is an inner link of a builder chain). */
function isChainLink(call: ts.CallExpression): boolean {
  const parent = call.parent;
  return ts.isPropertyAccessExpression(parent) && parent.expression === call && ts.isCallExpression(parent.parent) && parent.parent.expression === parent;
}

// ---------------------------------------------------------------------------------------------------------------
// Raw SQL: pg, mysql2, better-sqlite3, knex.raw, Prisma $queryRaw, Drizzle sql``.

function rawSqlAccess(node: ts.CallExpression | ts.TaggedTemplateExpression): DbAccess | undefined {
  let site = sqlSiteOf(node);
  let values: ts.ArrayLiteralExpression | undefined;
  if (site && ts.isCallExpression(node) && calleeName(node) === "prepare") return undefined; // prepared, runs later
  if (!site && ts.isCallExpression(node)) {
    // better-sqlite3: db.prepare(sql).run(a, b) — the statement runs at the outer call, with its arguments as values.
    const name = calleeName(node);
    const inner = receiverOf(node);
    if ((name === "run" || name === "get" || name === "all" || name === "iterate") && inner && ts.isCallExpression(inner) && calleeName(inner) === "prepare") {
      site = sqlSiteOf(inner);
      // A synthesised array holding the real argument nodes: placeholderValue returns nodes of the file.
      if (site) values = ts.factory.createArrayLiteralExpression(node.arguments.map((a) => a));
    }
  }
  if (!site) return undefined;
  if (!values && ts.isCallExpression(site.node)) values = valuesArgument(site.node);
  const statement = parseSql(site.sql);
  const kind = statementKind(statement);
  if (!kind) return undefined;
  const handle = ts.isCallExpression(node) ? rootOf(node) : ts.isPropertyAccessExpression(node.tag) ? node.tag.expression : undefined;
  const access: DbAccess = {
    node,
    library: rawLibrary(node),
    kind,
    assignments: [],
    conditions: [],
    sql: { statement, text: site.sql, textNode: propertyValue(site.textNode as ts.Expression, "text") ?? propertyValue(site.textNode as ts.Expression, "sql") ?? site.textNode, ...(values ? { values } : {}) },
  };
  if (handle) access.handle = handle;
  if (statement.table) access.table = statement.table;
  if (statement.lock) access.lock = statement.lock;
  if (statement.isolation) access.isolation = statement.isolation;
  for (const assignment of statement.assignments) {
    const value = assignment.placeholders.length === 1 && assignment.expression.trim().length <= 3 ? placeholderValue(access, assignment.placeholders[0]!) : undefined;
    access.assignments.push({ column: assignment.column, ...(value ? { value } : {}), atomic: assignment.selfRelative, sql: assignment });
  }
  for (const condition of statement.conditions) {
    const value = condition.placeholders.length === 1 ? placeholderValue(access, condition.placeholders[0]!) : undefined;
    access.conditions.push({ column: condition.column, operator: condition.operator, ...(value ? { value } : {}) });
  }
  return access;
}

function statementKind(statement: SqlStatement): AccessKind | undefined {
  switch (statement.kind) {
    case "select":
      return "read";
    case "update":
    case "insert":
    case "delete":
      return "write";
    case "begin":
    case "commit":
    case "rollback":
    case "set-isolation":
      return statement.kind;
    default:
      return undefined;
  }
}

/** pg `query(text, values)` / `query({ text, values })`, mysql2 `execute(sql, values)` / `query({ sql, values })`. */
function valuesArgument(call: ts.CallExpression): ts.ArrayLiteralExpression | undefined {
  const second = call.arguments[1] && skipParens(call.arguments[1]);
  if (second && ts.isArrayLiteralExpression(second)) return second;
  const first = call.arguments[0] && skipParens(call.arguments[0]);
  if (first && ts.isObjectLiteralExpression(first)) {
    for (const property of first.properties) {
      if (ts.isPropertyAssignment(property) && propertyName(property) === "values" && ts.isArrayLiteralExpression(skipParens(property.initializer))) return skipParens(property.initializer) as ts.ArrayLiteralExpression;
    }
  }
  return undefined;
}

/** Which driver runs raw SQL, from the file's imports (placeholder style breaks a tie). */
function rawLibrary(node: ts.CallExpression | ts.TaggedTemplateExpression): DbLibrary {
  const modules = new Set([...importsOf(node.getSourceFile()).values()].map((i) => i.module));
  const name = ts.isCallExpression(node) ? calleeName(node) : undefined;
  if (name && /^\$(query|execute)Raw/.test(name)) return "prisma";
  if (ts.isTaggedTemplateExpression(node)) return modules.has("drizzle-orm") ? "drizzle" : modules.has("kysely") ? "kysely" : "sql";
  if (name === "raw") return "knex";
  if (name === "run" || name === "get" || name === "all" || name === "iterate") return "better-sqlite3";
  const hasPg = modules.has("pg") || [...modules].some((m) => /locksmith[/-]runtime.*postgres|\/postgres$/.test(m));
  const hasMysql = modules.has("mysql2") || modules.has("mysql2/promise") || [...modules].some((m) => /locksmith[/-]runtime.*mysql|\/mysql$/.test(m));
  if (hasPg && !hasMysql) return "pg";
  if (hasMysql && !hasPg) return "mysql2";
  if (modules.has("better-sqlite3")) return "better-sqlite3";
  return "sql";
}

// ---------------------------------------------------------------------------------------------------------------
// Builder chains: knex, Drizzle, Kysely (and TypeORM / Sequelize method calls, which are one-link chains).

interface Link {
  name: string;
  call?: ts.CallExpression;
}

/** `knex("t").where(w).first()` → root `knex`, links [knex("t"), where(w), first()]. */
function chainOf(call: ts.CallExpression): { root: ts.Expression; links: Link[] } {
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

/** The innermost expression of a call chain: `this.db.accounts.update(...)` → `this`; `pool.query(...)` → `pool`. */
export function rootOf(call: ts.CallExpression): ts.Expression {
  return chainOf(call).root;
}

const KNEX_READS = new Set(["first", "select", "pluck"]);
const KNEX_WRITES = new Set(["update", "increment", "decrement", "del", "delete", "insert", "upsert"]);
const KNEX_BUILDER = new Set(["where", "andWhere", "whereIn", "orWhere", "whereNot", "from", "table", "into", "select", "first", "forUpdate", "forShare", "forNoKeyUpdate", "forKeyShare", "transacting", "returning", "limit", "orderBy", "update", "increment", "decrement", "del", "delete", "insert", "noWait", "skipLocked", "columns", "column", "modify"]);

function chainAccess(call: ts.CallExpression): DbAccess | undefined {
  const { root, links } = chainOf(call);
  return knexAccess(root, links, call) ?? drizzleAccess(root, links, call) ?? kyselyAccess(root, links, call) ?? typeormBuilderAccess(root, links, call);
}

/** knex: `k("table")...` or `k.table("t")` / `k.from("t")` / `k.select().from("t")`, ending in a terminal. */
function knexAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  if (links.length < 2) return undefined;
  let table: string | undefined;
  const first = links[0]!;
  if (first.call && ts.isIdentifier(root) && first.name === root.text) table = stringValue(first.call.arguments[0]);
  if (!links.every((l, i) => (i === 0 && table !== undefined) || (l.call && KNEX_BUILDER.has(l.name)))) return undefined;
  for (const link of links) if ((link.name === "from" || link.name === "table" || link.name === "into") && link.call) table ??= stringValue(link.call.arguments[0]);
  if (table === undefined) return undefined;
  const names = links.map((l) => l.name);
  const writeLink = links.find((l, i) => i > 0 && KNEX_WRITES.has(l.name));
  const access: DbAccess = { node: call, library: "knex", kind: writeLink ? "write" : "read", table: table.toLowerCase(), handle: root, assignments: [], conditions: [] };
  if (!writeLink && !names.some((n, i) => i > 0 && (KNEX_READS.has(n) || n.startsWith("for")))) {
    // `await knex("t").where(...)` without a terminal is a select too.
    if (!names.includes("where")) return undefined;
  }
  const lock = names.includes("forUpdate") ? "update" : names.includes("forNoKeyUpdate") ? "no key update" : names.includes("forShare") ? "share" : names.includes("forKeyShare") ? "key share" : undefined;
  if (lock) access.lock = lock;
  const transacting = links.find((l) => l.name === "transacting")?.call?.arguments[0];
  if (transacting) access.transactionOption = transacting;
  for (const link of links) if (link.name === "where" || link.name === "andWhere") access.conditions.push(...whereConditions(link.call!));
  if (writeLink?.call) {
    const args = writeLink.call.arguments;
    if (writeLink.name === "update") access.assignments.push(...objectAssignments(args[0], atomicKnexValue));
    if (writeLink.name === "increment" || writeLink.name === "decrement") {
      const column = stringValue(args[0]);
      if (column) access.assignments.push({ column, atomic: true });
      else access.assignments.push(...objectAssignments(args[0], () => true));
    }
  }
  return access;
}

/** knex `where({ id, version: v })` / `where("version", v)` / `where("qty", ">=", n)`. */
function whereConditions(call: ts.CallExpression): AccessCondition[] {
  const args = call.arguments;
  const column = stringValue(args[0]);
  if (column && args.length === 2) return [{ column, operator: "=", value: args[1]! }];
  if (column && args.length === 3) return [{ column, operator: stringValue(args[1]) ?? "?", value: args[2]! }];
  const object = args[0] && skipParens(args[0]);
  if (object && ts.isObjectLiteralExpression(object)) return objectAssignments(object, () => false).map((a) => ({ column: a.column, operator: "=", ...(a.value ? { value: a.value } : {}) }));
  return [];
}

/** `knex.raw("qty - ?", [n])` and `k.raw(...)` compute in the database. */
function atomicKnexValue(value: ts.Expression): boolean {
  const node = skipAwait(value);
  return ts.isCallExpression(node) && calleeName(node) === "raw";
}

/** `{ a: x, b }` → assignments; `atomic(value)` says whether a value is computed by the database. */
function objectAssignments(arg: ts.Expression | undefined, atomic: (value: ts.Expression) => boolean): AccessAssignment[] {
  const object = arg && skipParens(arg);
  if (!object || !ts.isObjectLiteralExpression(object)) return [];
  const out: AccessAssignment[] = [];
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property)) {
      const column = propertyName(property);
      if (column) out.push({ column, value: property.initializer, atomic: atomic(property.initializer) });
    } else if (ts.isShorthandPropertyAssignment(property)) {
      out.push({ column: property.name.text, value: property.name, atomic: false });
    } else if (ts.isSpreadAssignment(property)) {
      out.push({ column: "...", value: property.expression, atomic: false });
    }
  }
  return out;
}

function propertyName(property: ts.ObjectLiteralElementLike): string | undefined {
  const name = property.name;
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}


/** Drizzle: `db.select().from(accounts).where(...)[.for("update")]`, `db.update(accounts).set({...}).where(...)`. */
function drizzleAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const names = links.map((l) => l.name);
  const fromLink = links.find((l) => l.name === "from" && l.call);
  const updateLink = links.find((l, i) => l.name === "update" && l.call && i === 0);
  const setLink = links.find((l) => l.name === "set" && l.call);
  const tableExpr = (updateLink ?? fromLink)?.call?.arguments[0];
  if (!tableExpr || !ts.isIdentifier(skipParens(tableExpr))) return undefined;
  const table = (skipParens(tableExpr) as ts.Identifier).text.toLowerCase();
  if (updateLink && setLink) {
    const access: DbAccess = { node: call, library: "drizzle", kind: "write", table, handle: root, assignments: objectAssignments(setLink.call!.arguments[0], isSqlTemplateUsingColumn), conditions: [] };
    return access;
  }
  if (names[0] === "select" && fromLink) {
    const access: DbAccess = { node: call, library: "drizzle", kind: "read", table, handle: root, assignments: [], conditions: [] };
    const forLink = links.find((l) => l.name === "for" && l.call);
    const mode = forLink && stringValue(forLink.call!.arguments[0]);
    if (mode === "update" || mode === "no key update" || mode === "share" || mode === "key share") access.lock = mode;
    return access;
  }
  return undefined;
}

/** Drizzle `sql\`${accounts.balance} - ${n}\`` computes in the database. */
function isSqlTemplateUsingColumn(value: ts.Expression): boolean {
  const node = skipParens(value);
  return ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === "sql";
}

/** Kysely: `db.selectFrom("t")...executeTakeFirst()`, `db.updateTable("t").set(...).where(...).execute()`. */
function kyselyAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const start = links.find((l) => (l.name === "selectFrom" || l.name === "updateTable") && l.call);
  if (!start) return undefined;
  const table = stringValue(start.call!.arguments[0])?.split(/\s+/)[0]?.toLowerCase();
  if (!table) return undefined;
  const terminal = links[links.length - 1]!.name;
  if (!/^execute/.test(terminal)) return undefined;
  const names = links.map((l) => l.name);
  if (start.name === "selectFrom") {
    const access: DbAccess = { node: call, library: "kysely", kind: "read", table, handle: root, assignments: [], conditions: [] };
    const lock = names.includes("forUpdate") ? "update" : names.includes("forNoKeyUpdate") ? "no key update" : names.includes("forShare") ? "share" : names.includes("forKeyShare") ? "key share" : undefined;
    if (lock) access.lock = lock;
    return access;
  }
  const setLink = links.find((l) => l.name === "set" && l.call);
  const setArg = setLink?.call?.arguments[0] && skipParens(setLink.call.arguments[0]);
  // `set((eb) => ({ qty: eb("qty", "-", n) }))` is an expression update: computed by the database.
  const assignments = setArg && isFunctionLikeExpression(setArg) ? objectAssignments(returnedObject(setArg), () => true) : objectAssignments(setArg, isSqlTemplateUsingColumn);
  const conditions = links.filter((l) => l.name === "where" && l.call).flatMap((l) => whereConditions(l.call!));
  return { node: call, library: "kysely", kind: "write", table, handle: root, assignments, conditions };
}

function isFunctionLikeExpression(node: ts.Expression): node is ts.ArrowFunction | ts.FunctionExpression {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

function returnedObject(fn: ts.ArrowFunction | ts.FunctionExpression): ts.Expression | undefined {
  if (ts.isArrowFunction(fn) && !ts.isBlock(fn.body)) return skipParens(fn.body);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Prisma: `prisma.account.findUnique({ where })`, `tx.account.update({ where, data })`.

const PRISMA_READS = new Set(["findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany"]);
const PRISMA_WRITES = new Set(["update", "updateMany", "upsert", "delete", "deleteMany", "create", "createMany"]);

function prismaAccess(call: ts.CallExpression, name: string): DbAccess | undefined {
  if (!PRISMA_READS.has(name) && !PRISMA_WRITES.has(name)) return undefined;
  const model = receiverOf(call);
  if (!model || !ts.isPropertyAccessExpression(skipParens(model))) return undefined;
  const modelAccess = skipParens(model) as ts.PropertyAccessExpression;
  const arg = call.arguments[0];
  const where = propertyValue(arg, "where");
  const data = propertyValue(arg, name === "upsert" ? "update" : "data");
  // Evidence it is Prisma: the `find*` names are Prisma's own; writes take `{ where, data }`.
  if (PRISMA_WRITES.has(name) && !data && !name.startsWith("delete")) return undefined;
  if (name.startsWith("find") && name !== "findMany" && !where) return undefined;
  const access: DbAccess = {
    node: call,
    library: "prisma",
    kind: PRISMA_READS.has(name) ? "read" : "write",
    table: modelAccess.name.text.toLowerCase(),
    handle: modelAccess.expression,
    assignments: [],
    conditions: [],
  };
  const whereObject = where && skipParens(where);
  if (whereObject && ts.isObjectLiteralExpression(whereObject)) {
    for (const a of objectAssignments(whereObject, () => false)) {
      const unique = a.value && skipParens(a.value);
      // Compound unique keys `{ id_version: { id, version } }` compare every listed column.
      if (unique && ts.isObjectLiteralExpression(unique) && a.column.includes("_")) {
        for (const inner of objectAssignments(unique, () => false)) access.conditions.push({ column: inner.column, operator: "=", ...(inner.value ? { value: inner.value } : {}) });
      } else if (unique && ts.isObjectLiteralExpression(unique)) {
        // Filters: `{ balance: { gte: amount } }`.
        for (const filter of objectAssignments(unique, () => false)) {
          const operator = PRISMA_FILTERS[filter.column];
          if (operator) access.conditions.push({ column: a.column, operator, ...(filter.value ? { value: filter.value } : {}) });
        }
      } else access.conditions.push({ column: a.column, operator: "=", ...(a.value ? { value: a.value } : {}) });
    }
  }
  if (data) access.assignments.push(...objectAssignments(data, isPrismaAtomic));
  return access;
}

const PRISMA_FILTERS: Record<string, string> = { equals: "=", gte: ">=", gt: ">", lte: "<=", lt: "<", not: "<>" };

/** `{ increment: 1 }`, `{ decrement: n }`, `{ multiply }`, `{ divide }` run in the database. */
function isPrismaAtomic(value: ts.Expression): boolean {
  const node = skipParens(value);
  return ts.isObjectLiteralExpression(node) && node.properties.some((p) => ["increment", "decrement", "multiply", "divide"].includes(propertyName(p) ?? ""));
}

// ---------------------------------------------------------------------------------------------------------------
// TypeORM and Sequelize: repository / model methods and entity writes.
//
// TypeORM: `repo.findOne({ where, lock: { mode: "pessimistic_write" } })`, `repo.findOneBy({ id })`,
// `manager.findOne(Account, {...})`, `repo.save(entity)`, `repo.update(criteria, partial)`, `repo.increment(...)`, and
// the query builder (`createQueryBuilder(…).setLock("pessimistic_write")…getOne()`, `….update(Account).set(…).execute()`).
// Sequelize: `Account.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE })`, `Account.findOne({ where })`,
// `account.save()`, `account.update({...})`, `Account.update({...}, { where })`, `account.increment("balance", { by })`.

const TYPEORM_READS = new Set(["findOne", "findOneBy", "findOneOrFail", "findOneByOrFail", "findBy", "find"]);
const SEQUELIZE_READS = new Set(["findByPk", "findOne", "findAll"]);
const ORM_WRITES = new Set(["save", "update", "increment", "decrement"]);

function ormAccess(call: ts.CallExpression, name: string): DbAccess | undefined {
  const receiver = receiverOf(call);
  if (!receiver) return undefined;
  const modules = [...importsOf(call.getSourceFile()).values()].map((i) => i.module);
  const typeorm = modules.includes("typeorm");
  const sequelize = modules.some((m) => m === "sequelize" || m === "sequelize-typescript" || m === "@sequelize/core");
  if (typeorm && (TYPEORM_READS.has(name) || ORM_WRITES.has(name))) return typeormAccess(call, name, receiver);
  if (sequelize && (SEQUELIZE_READS.has(name) || ORM_WRITES.has(name))) return sequelizeAccess(call, name, receiver);
  return undefined;
}

/** `dataSource.getRepository(Account)` / `manager.getRepository(Account)` / a variable holding one → "account". */
function repositoryTable(repo: ts.Expression): string {
  let node = skipParens(repo);
  if (ts.isIdentifier(node)) {
    const declaration = localDeclaration(node);
    if (declaration?.initializer) node = skipAwait(declaration.initializer);
  }
  if (ts.isCallExpression(node) && calleeName(node) === "getRepository" && node.arguments[0] && ts.isIdentifier(node.arguments[0])) return node.arguments[0].text.toLowerCase();
  return `repository:${skipParens(repo).getText().replace(/\s+/g, "")}`;
}

function localDeclaration(identifier: ts.Identifier): ts.VariableDeclaration | undefined {
  let found: ts.VariableDeclaration | undefined;
  walk(identifier.getSourceFile(), (node) => {
    if (found) return false;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === identifier.text && node.getStart() < identifier.getStart()) found = node;
    return true;
  });
  return found;
}

const TYPEORM_LOCKS: Record<string, RowLockMode> = {
  pessimistic_write: "update",
  pessimistic_write_or_fail: "update",
  pessimistic_partial_write: "update",
  for_no_key_update: "no key update",
  pessimistic_read: "share",
  for_key_share: "key share",
};

function typeormAccess(call: ts.CallExpression, name: string, receiver: ts.Expression): DbAccess | undefined {
  // `manager.findOne(Account, options)` names the entity first; `repo.findOne(options)` does not.
  const first = call.arguments[0] && skipParens(call.arguments[0]);
  const entityFirst = !!first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text) && call.arguments.length >= 2;
  const args = entityFirst ? call.arguments.slice(1) : [...call.arguments];
  const table = entityFirst ? (first as ts.Identifier).text.toLowerCase() : repositoryTable(receiver);
  const base = { node: call, library: "typeorm" as const, handle: receiver, assignments: [] as AccessAssignment[], conditions: [] as AccessCondition[] };
  if (TYPEORM_READS.has(name)) {
    const options = args[0];
    const where = name.endsWith("By") || name === "findOneByOrFail" ? options : propertyValue(options, "where");
    const access: DbAccess = { ...base, kind: "read", table, conditions: whereObjectConditions(where) };
    const mode = stringValue(propertyValue(propertyValue(options, "lock"), "mode"));
    if (mode && TYPEORM_LOCKS[mode]) access.lock = TYPEORM_LOCKS[mode];
    return access;
  }
  if (name === "save") {
    const entity = args[0];
    if (!entity) return undefined;
    const access: DbAccess = { ...base, kind: "write", entity };
    // `manager.save(entity)` writes whatever table the entity came from.
    if (entityFirst || !/manager$/i.test(receiver.getText())) access.table = table;
    return access;
  }
  if (name === "update" && args.length >= 2) return { ...base, kind: "write", table, conditions: whereObjectConditions(args[0]), assignments: objectAssignments(args[1], () => false) };
  if ((name === "increment" || name === "decrement") && args.length >= 3) {
    const column = stringValue(args[1]);
    return { ...base, kind: "write", table, conditions: whereObjectConditions(args[0]), assignments: column ? [{ column, atomic: true }] : [] };
  }
  return undefined;
}

const TYPEORM_BUILDER_READS = new Set(["getOne", "getOneOrFail", "getMany", "getManyAndCount", "getRawOne", "getRawMany", "getCount", "getExists"]);

/**
 * TypeORM's query builder: `manager.createQueryBuilder(Account, "a").setLock("pessimistic_write").where("a.id = :id",
 * { id }).getOne()` (a read; also `repo.createQueryBuilder("a")`, `.from(Account, "a")`) and
 * `manager.createQueryBuilder().update(Account).set({ balance: () => "balance - 1" }).where(…).execute()` (a write;
 * a function value is SQL computed by the database).
 */
function typeormBuilderAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const start = links.findIndex((l) => l.name === "createQueryBuilder" && l.call);
  if (start < 0 || ![...importsOf(call.getSourceFile()).values()].some((i) => i.module === "typeorm")) return undefined;
  const terminal = links[links.length - 1]!.name;
  const link = (name: string) => links.slice(start).find((l) => l.name === name && l.call)?.call;
  const entityName = (arg: ts.Expression | undefined) => (arg && ts.isIdentifier(skipParens(arg)) && /^[A-Z]/.test(skipParens(arg).getText()) ? skipParens(arg).getText().toLowerCase() : undefined);
  const builder = links[start]!.call!;
  const repository = links[start - 1]?.name === "getRepository" ? entityName(links[start - 1]!.call?.arguments[0]) : undefined;
  const receiver = ts.isPropertyAccessExpression(builder.expression) ? builder.expression.expression : undefined;
  const conditions = links.filter((l) => (l.name === "where" || l.name === "andWhere") && l.call).flatMap((l) => builderConditions(l.call!));
  const base = { node: call, library: "typeorm" as const, handle: root, assignments: [] as AccessAssignment[], conditions };
  const update = link("update");
  if (update && terminal === "execute") {
    const table = entityName(update.arguments[0]);
    const assignments = objectAssignments(link("set")?.arguments[0], (value) => isFunctionLikeExpression(skipParens(value)));
    return table ? { ...base, kind: "write", table, assignments } : undefined;
  }
  if (!TYPEORM_BUILDER_READS.has(terminal)) return undefined;
  const table = entityName(builder.arguments[0]) ?? entityName(link("from")?.arguments[0]) ?? repository ?? (receiver && builder.arguments.length === 1 ? repositoryTable(receiver) : undefined);
  if (!table) return undefined;
  const access: DbAccess = { ...base, kind: "read", table };
  const mode = stringValue(link("setLock")?.arguments[0]);
  if (mode && TYPEORM_LOCKS[mode]) access.lock = TYPEORM_LOCKS[mode];
  return access;
}

/** `where("a.id = :id AND a.version = :version", { id, version })` → the comparisons with their parameter values. */
function builderConditions(call: ts.CallExpression): AccessCondition[] {
  const text = stringValue(call.arguments[0]);
  if (!text) return [];
  const out: AccessCondition[] = [];
  for (const part of text.split(/\s+AND\s+/i)) {
    const match = /^\s*(?:\w+\.)?(\w+)\s*(=|<>|!=|>=|<=|>|<)\s*:(\w+)\s*$/.exec(part);
    if (!match) continue;
    const value = propertyValue(call.arguments[1], match[3]!);
    out.push({ column: match[1]!, operator: match[2]!, ...(value ? { value } : {}) });
  }
  return out;
}

function sequelizeAccess(call: ts.CallExpression, name: string, receiver: ts.Expression): DbAccess | undefined {
  const isModel = ts.isIdentifier(skipParens(receiver)) && /^[A-Z]/.test(skipParens(receiver).getText());
  const options = (index: number) => call.arguments[index];
  const base = { node: call, library: "sequelize" as const, handle: receiver, assignments: [] as AccessAssignment[], conditions: [] as AccessCondition[] };
  const withTransaction = (access: DbAccess, opts: ts.Expression | undefined): DbAccess => {
    const transaction = propertyValue(opts, "transaction");
    if (transaction) access.transactionOption = transaction;
    const lock = propertyValue(opts, "lock");
    if (lock) {
      const text = lock.getText();
      access.lock = /SHARE/i.test(text) ? "share" : /KEY_SHARE/i.test(text) ? "key share" : /NO_KEY_UPDATE/i.test(text) ? "no key update" : lock.kind === ts.SyntaxKind.FalseKeyword ? access.lock! : "update";
      if (lock.kind === ts.SyntaxKind.FalseKeyword) delete access.lock;
    }
    return access;
  };
  const table = isModel ? skipParens(receiver).getText().toLowerCase() : undefined;
  if (SEQUELIZE_READS.has(name)) {
    if (!isModel) return undefined;
    const opts = name === "findByPk" ? options(1) : options(0);
    return withTransaction({ ...base, kind: "read", table: table!, conditions: whereObjectConditions(propertyValue(opts, "where")) }, opts);
  }
  if (isModel) {
    // Model.update(values, { where }) / Model.increment(fields, { by, where })
    if (name === "update") return withTransaction({ ...base, kind: "write", table: table!, assignments: objectAssignments(options(0), () => false), conditions: whereObjectConditions(propertyValue(options(1), "where")) }, options(1));
    if (name === "increment" || name === "decrement") return withTransaction({ ...base, kind: "write", table: table!, assignments: incrementColumns(options(0)), conditions: whereObjectConditions(propertyValue(options(1), "where")) }, options(1));
    return undefined;
  }
  // Instance methods: the receiver is the entity.
  if (name === "save") return withTransaction({ ...base, kind: "write", entity: receiver }, options(0));
  if (name === "update") return withTransaction({ ...base, kind: "write", entity: receiver, assignments: objectAssignments(options(0), () => false) }, options(1));
  if (name === "increment" || name === "decrement") return withTransaction({ ...base, kind: "write", entity: receiver, assignments: incrementColumns(options(0)) }, options(1));
  return undefined;
}

/** `"balance"`, `["a", "b"]` or `{ balance: 5 }` → atomic assignments. */
function incrementColumns(arg: ts.Expression | undefined): AccessAssignment[] {
  const node = arg && skipParens(arg);
  if (!node) return [];
  const single = stringValue(node);
  if (single) return [{ column: single, atomic: true }];
  if (ts.isArrayLiteralExpression(node)) return node.elements.map((e) => stringValue(e)).filter((c): c is string => !!c).map((column) => ({ column, atomic: true }));
  return objectAssignments(node, () => true);
}

function whereObjectConditions(where: ts.Expression | undefined): AccessCondition[] {
  return objectAssignments(where, () => false).map((a) => ({ column: a.column, operator: "=", ...(a.value ? { value: a.value } : {}) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Redis: GET / SET of a key (SET NX is a lock, see locks.ts), INCRBY and friends are atomic writes.

const REDIS_READS = new Set(["get", "GET", "hget", "HGET"]);
const REDIS_WRITES = new Set(["set", "SET", "hset", "HSET", "incr", "INCR", "incrby", "INCRBY", "decr", "DECR", "decrby", "DECRBY", "hincrby", "HINCRBY", "incrbyfloat", "INCRBYFLOAT"]);

function redisAccess(call: ts.CallExpression, name: string): DbAccess | undefined {
  if (!REDIS_READS.has(name) && !REDIS_WRITES.has(name)) return undefined;
  const receiver = receiverOf(call);
  if (!receiver || !isRedisClient(receiver)) return undefined;
  const keyArg = call.arguments[0];
  if (!keyArg) return undefined;
  const lower = name.toLowerCase();
  const isHash = lower.startsWith("h");
  const key = keyArg.getText() + (isHash && call.arguments[1] ? `#${call.arguments[1].getText()}` : "");
  const access: DbAccess = { node: call, library: "redis", kind: REDIS_READS.has(name) ? "read" : "write", table: `redis:${key.replace(/\s+/g, "")}`, handle: receiver, assignments: [], conditions: [] };
  if (access.kind === "write") {
    if (lower === "set" || lower === "hset") {
      // SET with NX/XX or GET options is a lock or a conditional write, not a plain overwrite.
      if (call.arguments.slice(2).some((a) => /^(NX|XX)$/i.test(stringValue(a) ?? "") || (ts.isObjectLiteralExpression(a) && /\b(NX|XX|condition)\b/i.test(a.getText())))) return undefined;
      const value = call.arguments[isHash ? 2 : 1];
      access.assignments.push({ column: "value", ...(value ? { value } : {}), atomic: false });
    } else access.assignments.push({ column: "value", atomic: true });
  }
  return access;
}

/** `redis`, `this.redis`, `client` created by ioredis / node-redis: by name or import. */
function isRedisClient(receiver: ts.Expression): boolean {
  const text = skipParens(receiver).getText();
  if (/redis/i.test(text)) return true;
  const modules = [...importsOf(receiver.getSourceFile()).values()].map((i) => i.module);
  return ts.isIdentifier(skipParens(receiver)) && modules.some((m) => m === "ioredis" || m === "redis") && /^(client|cache|kv)$/i.test(text);
}

/** Columns that hold a row version by convention: comparing one in a WHERE is an optimistic-lock guard. */
export function isVersionColumn(column: string): boolean {
  return /^(version|_version|lock_?version|row_?version|revision|rev|etag|updated_?at)$/i.test(column);
}

// ---------------------------------------------------------------------------------------------------------------
// Read → write flows: where a value read from a row decides what a later write of the same table writes (data
// dependence) or whether it runs at all (control dependence). Values are followed through destructuring,
// `rows[0].x`, local variables, object spreads, entity mutations and helper functions of the same file.

/** What a local name holds: the read's result / a row of it ("row"), or a value computed from its columns ("value"). */
export interface ReadValue {
  read: DbAccess;
  level: "row" | "value";
  /** The column the value was computed from, when known (`balance` for `rows[0].balance - amount`). */
  column?: string;
}

/** A write of the table a read (earlier in the same function) read, and how the read's values reach it. */
export interface ReadModifyWrite {
  read: DbAccess;
  write: DbAccess;
  /** An assigned value computed from the read (the first one found). */
  data?: { column?: string; assignment: AccessAssignment; value: ts.Expression };
  /** A condition on the read's values that decides whether the write runs (the innermost one). */
  control?: { column?: string; condition: ts.Expression; statement: ts.Statement; earlyExit: boolean };
  /** WHERE comparisons of the write against values from the read (compare-and-set guards). */
  guards: AccessCondition[];
  /** What an expression holds, as known at the write (for fixes that rewrite the values). */
  originOf(expr: ts.Expression): ReadValue | undefined;
}

/** Names of result properties that hold rows, not column values. */
const CONTAINERS = new Set(["rows", "0", "recordset", "records", "data", "result", "results"]);
/** Properties that say whether there are rows, not what they hold. */
const EXISTENCE = new Set(["length", "rowCount", "affectedRows", "count", "size"]);

const flowCache = new NodeFacts<FunctionLike, ReadModifyWrite[]>();

/** The read-modify-write flows of one function body (nested functions are analysed on their own). Cached per function. */
export function readModifyWritesIn(fn: FunctionLike): ReadModifyWrite[] {
  let flows = flowCache.get(fn);
  if (!flows) {
    flows = computeReadModifyWrites(fn);
    flowCache.set(fn, flows);
  }
  return flows;
}

const FLOW_KINDS = [ts.SyntaxKind.VariableDeclaration, ts.SyntaxKind.BinaryExpression, ...CALL_KINDS];

function computeReadModifyWrites(fn: FunctionLike): ReadModifyWrite[] {
  if (!fn.body) return [];
  const values = new Map<string, ReadValue>();
  const out: ReadModifyWrite[] = [];
  // Declarations, assignments and statements in the order they run (nested functions run at another time).
  for (const node of nodesOfKinds(fn.body, FLOW_KINDS, { skipFunctions: true })) {
    if (ts.isVariableDeclaration(node)) {
      if (node.initializer) bindDeclaration(node.name, node.initializer, values);
    } else if (ts.isBinaryExpression(node)) {
      if (isAssignmentOperator(node.operatorToken.kind)) bindAssignment(node, values);
    } else {
      const access = dbAccessOf(node);
      if (access?.kind === "write") out.push(...flowsInto(access, values));
    }
  }
  return out;
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** The read whose result `expr` is (`await pool.query(...)`, `await loadAccount(id)`), if any. */
function readOf(expr: ts.Expression, depth = 0): ReadValue | undefined {
  const node = skipAwait(expr);
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return undefined;
  const access = dbAccessOf(node);
  if (access?.kind === "read") return { read: access, level: "row" };
  return ts.isCallExpression(node) && depth < 3 ? helperRead(node, depth) : undefined;
}

/** A read nested in an expression (`Number(await redis.get(key))`): its result, converted, is a value. */
function readInside(expr: ts.Expression): ReadValue | undefined {
  let found: DbAccess | undefined;
  walk(expr, (node) => {
    if (found || isFunctionLike(node)) return false;
    const access = dbAccessOf(node);
    if (access?.kind === "read") found = access;
    return !found;
  });
  return found ? { read: found, level: "value", ...(found.library === "redis" ? { column: "value" } : {}) } : undefined;
}

const helperCache = new NodeFacts<ts.Node, ReadValue | null>();

/** A call of a function of the same file that returns (a value derived from) a read. */
function helperRead(call: ts.CallExpression, depth: number): ReadValue | undefined {
  const callee = skipParens(call.expression);
  if (!ts.isIdentifier(callee) && !(ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword)) return undefined;
  const name = ts.isIdentifier(callee) ? callee.text : callee.name.text;
  const fn = sameFileFunction(call.getSourceFile(), name, ts.isIdentifier(callee));
  if (!fn?.body) return undefined;
  let summary = helperCache.get(fn);
  if (summary === undefined) {
    helperCache.set(fn, null); // recursion guard
    const values = new Map<string, ReadValue>();
    let returned: ReadValue | undefined;
    const body = fn.body;
    if (!ts.isBlock(body)) returned = readOf(body, depth + 1) ?? valueOf(body, values);
    else {
      walk(body, (node) => {
        if (isFunctionLike(node)) return false;
        if (ts.isVariableDeclaration(node) && node.initializer) bindDeclaration(node.name, node.initializer, values, depth + 1);
        if (ts.isReturnStatement(node) && node.expression && !returned) returned = readOf(node.expression, depth + 1) ?? valueOf(node.expression, values);
        return true;
      });
    }
    summary = returned ?? null;
    helperCache.set(fn, summary);
  }
  return summary ?? undefined;
}

/** Functions of a file by name (plain functions and methods apart), indexed once per file: helpers are looked up often. */
const functionIndex = new WeakMap<ts.SourceFile, { plain: Map<string, FunctionLike>; methods: Map<string, FunctionLike> }>();

function sameFileFunction(sourceFile: ts.SourceFile, name: string, plain: boolean): FunctionLike | undefined {
  let index = functionIndex.get(sourceFile);
  if (!index) {
    const built = { plain: new Map<string, FunctionLike>(), methods: new Map<string, FunctionLike>() };
    // First declaration wins, as the file-order search it replaces did.
    const add = (map: Map<string, FunctionLike>, key: string, fn: FunctionLike) => {
      if (!map.has(key)) map.set(key, fn);
    };
    for (const node of nodesOfKinds(sourceFile, [ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.VariableDeclaration, ts.SyntaxKind.MethodDeclaration])) {
      if (ts.isFunctionDeclaration(node) && node.name) add(built.plain, node.name.text, node);
      else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isFunctionLike(skipParens(node.initializer))) add(built.plain, node.name.text, skipParens(node.initializer) as FunctionLike);
      else if (ts.isMethodDeclaration(node) && ts.isIdentifier(node.name)) add(built.methods, node.name.text, node);
    }
    functionIndex.set(sourceFile, (index = built));
  }
  return (plain ? index.plain : index.methods).get(name);
}

function bindDeclaration(name: ts.BindingName, initializer: ts.Expression, values: Map<string, ReadValue>, depth = 0): void {
  const origin = readOf(initializer, depth) ?? valueOf(initializer, values) ?? readInside(initializer);
  if (!origin) return;
  bindPattern(name, origin, values);
}

/** `const { rows: [account] } = ...` / `const [rows] = ...` keep row level; `const { balance } = row` is the column. */
function bindPattern(name: ts.BindingName, origin: ReadValue, values: Map<string, ReadValue>): void {
  if (ts.isIdentifier(name)) {
    values.set(name.text, origin);
    return;
  }
  for (const element of name.elements) {
    if (ts.isOmittedExpression(element)) continue;
    if (ts.isArrayBindingPattern(name)) {
      bindPattern(element.name, origin, values);
      continue;
    }
    const key = element.propertyName && (ts.isIdentifier(element.propertyName) || ts.isStringLiteral(element.propertyName)) ? element.propertyName.text : ts.isIdentifier(element.name) ? element.name.text : undefined;
    if (element.dotDotDotToken || (key && CONTAINERS.has(key)) || origin.level === "value") bindPattern(element.name, origin, values);
    else if (key && !EXISTENCE.has(key)) bindPattern(element.name, { read: origin.read, level: "value", column: key }, values);
  }
}

function bindAssignment(node: ts.BinaryExpression, values: Map<string, ReadValue>): void {
  const left = skipParens(node.left);
  const origin = valueOf(node.right, values) ?? (node.operatorToken.kind !== ts.SyntaxKind.EqualsToken ? valueOf(left, values) : undefined);
  if (ts.isIdentifier(left)) {
    if (origin) values.set(left.text, origin);
    else if (node.operatorToken.kind === ts.SyntaxKind.EqualsToken) values.delete(left.text);
    return;
  }
  // `account.balance -= amount` / `account.balance = next`: the entity now carries a value computed from the read.
  if (ts.isPropertyAccessExpression(left) && ts.isIdentifier(left.expression) && origin) {
    const entity = values.get(left.expression.text);
    if (entity?.level === "row") mutatedEntities.set(entity, { column: left.name.text, node });
  }
}

/** Entities whose fields were set from read values (for `repo.save(entity)` / `entity.save()`). */
const mutatedEntities = new WeakMap<ReadValue, { column: string; node: ts.Node }>();

/** The read value `expr` carries: the first read-derived name it mentions (column values before rows). */
function valueOf(expr: ts.Expression, values: ReadonlyMap<string, ReadValue>): ReadValue | undefined {
  if (values.size === 0) return undefined;
  let row: ReadValue | undefined;
  let value: ReadValue | undefined;
  const visit = (node: ts.Node): void => {
    if (value || isFunctionLike(node)) return;
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const base = rowBase(node, values);
      if (base) {
        const column = ts.isPropertyAccessExpression(node) ? node.name.text : stringValue(node.argumentExpression);
        if (column && !EXISTENCE.has(column) && !CONTAINERS.has(column) && !/^\d+$/.test(column)) value = { read: base.read, level: "value", column };
        else row ??= base;
        return;
      }
    }
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) {
      const origin = values.get(node.text);
      if (origin?.level === "value") value = origin;
      else if (origin) row ??= origin;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(expr);
  return value ?? row;
}

/** `rows[0].balance` → the origin of `rows`; `account.balance` → the origin of `account` (row level only). */
function rowBase(node: ts.PropertyAccessExpression | ts.ElementAccessExpression, values: ReadonlyMap<string, ReadValue>): ReadValue | undefined {
  let base: ts.Expression = skipParens(node.expression);
  while (ts.isElementAccessExpression(base) || (ts.isPropertyAccessExpression(base) && CONTAINERS.has(base.name.text))) base = skipParens(base.expression);
  if (!ts.isIdentifier(base)) return undefined;
  const origin = values.get(base.text);
  return origin?.level === "row" ? origin : undefined;
}

/** True if `expr` reads a column value of the read (not just whether a row exists). */
function readsColumn(expr: ts.Expression, read: DbAccess, values: ReadonlyMap<string, ReadValue>): ReadValue | undefined {
  const origin = valueOf(expr, values);
  return origin && origin.read === read && origin.level === "value" ? origin : undefined;
}

function flowsInto(write: DbAccess, values: ReadonlyMap<string, ReadValue>): ReadModifyWrite[] {
  const reads = new Set<DbAccess>();
  // An entity write (`repo.save(account)`, `account.save()`) writes the table its entity was read from.
  const entityOrigin = write.entity && ts.isIdentifier(skipParens(write.entity)) ? values.get((skipParens(write.entity) as ts.Identifier).text) : undefined;
  if (entityOrigin && entityOrigin.level === "row" && (write.table === undefined || sameTable(write.table, entityOrigin.read.table))) reads.add(entityOrigin.read);
  for (const origin of values.values()) if (write.table !== undefined && sameTable(origin.read.table, write.table) && origin.read.node.getEnd() <= write.node.getStart()) reads.add(origin.read);
  const out: ReadModifyWrite[] = [];
  for (const read of reads) {
    const snapshot = new Map(values);
    const flow: ReadModifyWrite = { read, write, guards: [], originOf: (expr) => valueOf(expr, snapshot) };
    for (const assignment of write.assignments) {
      for (const value of assignmentValues(write, assignment)) {
        const origin = valueOf(value, values);
        if (origin?.read === read && !flow.data) flow.data = { ...(origin.column ? { column: origin.column } : {}), assignment, value };
      }
    }
    if (write.entity) {
      const origin = values.get(skipParens(write.entity).getText());
      const mutation = origin && origin.read === read ? mutatedEntities.get(origin) : undefined;
      if (mutation && !flow.data) flow.data = { column: mutation.column, assignment: { column: mutation.column, atomic: false }, value: write.entity };
    }
    for (const condition of write.conditions) {
      const origin = condition.value && valueOf(condition.value, values);
      if (origin?.read === read && origin.level === "value" && origin.column && !isKeyColumn(condition.column)) flow.guards.push(condition);
    }
    const control = controllingCondition(write.node, read, values);
    if (control) flow.control = control;
    if (flow.data || flow.control || flow.guards.length > 0) out.push(flow);
  }
  return out;
}

/** `WHERE id = row.id` names the row; it is not a compare-and-set guard. */
export function isKeyColumn(column: string): boolean {
  return /^(id|uuid|key|pk|_id)$/i.test(column) || /Id$|_id$/.test(column);
}

/** The JS expressions a write assigns: the property value, or every placeholder value of a SQL assignment. */
export function assignmentValues(write: DbAccess, assignment: AccessAssignment): ts.Expression[] {
  if (assignment.sql) return assignment.sql.placeholders.map((p) => placeholderValue(write, p)).filter((v): v is ts.Expression => v !== undefined);
  return assignment.value ? [assignment.value] : [];
}

/** The innermost `if` / loop / early-exit guard on a column of `read` that `node` depends on. */
function controllingCondition(node: ts.Node, read: DbAccess, values: ReadonlyMap<string, ReadValue>): ReadModifyWrite["control"] {
  for (let child: ts.Node = node, parent = node.parent; parent && !isFunctionLike(parent); child = parent, parent = parent.parent) {
    if (ts.isIfStatement(parent) && child !== parent.expression) {
      const origin = readsColumn(parent.expression, read, values);
      if (origin) return { ...(origin.column ? { column: origin.column } : {}), condition: parent.expression, statement: parent, earlyExit: false };
    }
    if ((ts.isWhileStatement(parent) || ts.isConditionalExpression(parent)) && child !== (ts.isWhileStatement(parent) ? parent.expression : parent.condition)) {
      const condition = ts.isWhileStatement(parent) ? parent.expression : parent.condition;
      const origin = readsColumn(condition, read, values);
      if (origin) return { ...(origin.column ? { column: origin.column } : {}), condition, statement: ts.isWhileStatement(parent) ? parent : enclosingStatementOf(parent), earlyExit: false };
    }
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      const statements = parent.statements;
      for (let i = statements.indexOf(child as ts.Statement) - 1; i >= 0; i--) {
        const statement = statements[i]!;
        if (ts.isIfStatement(statement) && !statement.elseStatement && alwaysExits(statement.thenStatement)) {
          const origin = readsColumn(statement.expression, read, values);
          if (origin) return { ...(origin.column ? { column: origin.column } : {}), condition: statement.expression, statement, earlyExit: true };
        }
      }
    }
  }
  return undefined;
}

function enclosingStatementOf(node: ts.Node): ts.Statement {
  let current = node;
  while (!ts.isStatement(current) && current.parent) current = current.parent;
  return current as ts.Statement;
}
