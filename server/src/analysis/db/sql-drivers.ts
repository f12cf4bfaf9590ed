// Raw SQL through a driver: pg `query(text, values)` / `query({ text, values })`, mysql2 `execute(sql, values)`,
// better-sqlite3 `prepare(sql).run(a, b)`, knex.raw, Prisma `$queryRaw`, Drizzle / Kysely `sql` templates. The
// statement is parsed (sql.ts) for its kind, table, SET list, WHERE and row lock, and each placeholder is tied to
// the JS expression it stands for.
import { ts } from "../../engine/ts";
import { calleeName, importsOf, propertyValue, receiverOf, skipParens } from "../ast";
import { sqlSiteOf, type SqlSite } from "../sql-text";
import { parseSql, type SqlPlaceholder, type SqlStatement } from "../sql";
import type { AccessKind, DbAccess, DbLibrary } from "./access";
import { chainFromHandle, chainOf, propertyName } from "./shapes";

/** The statement `node` runs, with the JS value behind each placeholder of its SET list and WHERE. */
export function rawSqlAccess(node: ts.CallExpression | ts.TaggedTemplateExpression): DbAccess | undefined {
  if (ts.isCallExpression(node) && calleeName(node) === "prepare") return undefined; // prepared, runs later
  const args = sqlArgumentsOf(node);
  if (!args) return undefined;
  const { site, textNode, values } = args;
  const statement = parseSql(site.sql);
  const kind = statementKind(statement);
  if (!kind) return undefined;
  // The connection the statement is sent on: `params.client` of `params.client.query(…)`, not the options object.
  const handle = ts.isCallExpression(node)
    ? chainFromHandle(chainOf(node)).root
    : ts.isPropertyAccessExpression(node.tag)
      ? node.tag.expression
      : undefined;
  const access: DbAccess = {
    node,
    library: rawLibrary(node),
    kind,
    assignments: [],
    conditions: [],
    sql: { statement, text: site.sql, textNode, ...(values ? { values } : {}) },
  };
  if (handle) access.handle = handle;
  // Sequelize's `sequelize.query(sql, { transaction, replacements })`: the options name the transaction it runs in.
  const transaction =
    ts.isCallExpression(node) && calleeName(node) === "query" ? propertyValue(node.arguments[1], "transaction") : undefined;
  if (transaction) access.transactionOption = transaction;
  const table = statement.table ?? interpolatedTable(access, site.sql);
  if (table) access.table = table;
  if (statement.lock) access.lock = statement.lock;
  if (statement.isolation) access.isolation = statement.isolation;
  if (statement.kind === "insert") access.insert = true;
  for (const assignment of statement.assignments) {
    const value =
      assignment.placeholders.length === 1 && assignment.expression.trim().length <= 3
        ? placeholderValue(access, assignment.placeholders[0]!)
        : undefined;
    access.assignments.push({ column: assignment.column, ...(value ? { value } : {}), atomic: assignment.selfRelative, sql: assignment });
  }
  for (const condition of statement.conditions) {
    const value = condition.placeholders.length === 1 ? placeholderValue(access, condition.placeholders[0]!) : undefined;
    access.conditions.push({ column: condition.column, operator: condition.operator, ...(value ? { value } : {}) });
  }
  return access;
}

// Where a statement names its (first) table: `SELECT … FROM`, `INSERT INTO`, `UPDATE`, `DELETE FROM`.
const TABLE_POSITION = /^\s*(?:SELECT\b[\s\S]*?\bFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\$\?/i;

/**
 * A table object interpolated where the statement names its table (Drizzle ``sql`SELECT … FROM ${seats}` ``, which
 * renders as the table's name): that table, by the name of the object, as Drizzle's builders name it.
 */
function interpolatedTable(access: DbAccess, sql: string): string | undefined {
  const match = TABLE_POSITION.exec(sql);
  if (!match || !access.sql) return undefined;
  const offset = match.index + match[0].length - 2;
  const placeholder = access.sql.statement.placeholders.find((p) => p.style === "interpolation" && p.offset === offset);
  const value = placeholder && placeholderValue(access, placeholder);
  const node = value && skipParens(value);
  return node && ts.isIdentifier(node) ? node.text.toLowerCase() : undefined;
}

/** The SQL `node` runs, the node holding its text, and the values array its placeholders index. */
function sqlArgumentsOf(
  node: ts.CallExpression | ts.TaggedTemplateExpression,
): { site: SqlSite; textNode: ts.Node; values?: ts.ArrayLiteralExpression } | undefined {
  let site = sqlSiteOf(node);
  let values: ts.ArrayLiteralExpression | undefined;
  if (!site && ts.isCallExpression(node)) {
    // better-sqlite3: db.prepare(sql).run(a, b) — the statement runs at the outer call, with its arguments as values.
    // Cloudflare D1: db.prepare(sql).bind(a, b).first() / .run() / .all() / .raw() — the values are bind's arguments.
    const prepared = preparedStatementOf(node);
    if (prepared) {
      site = sqlSiteOf(prepared.prepare);
      // A synthesised array holding the real argument nodes: placeholderValue returns nodes of the file.
      if (site) values = ts.factory.createArrayLiteralExpression(prepared.values.map((a) => a));
    }
  }
  if (!site) return undefined;
  if (!values && ts.isCallExpression(site.node)) values = valuesArgument(site.node);
  const textNode =
    propertyValue(site.textNode as ts.Expression, "text") ?? propertyValue(site.textNode as ts.Expression, "sql") ?? site.textNode;
  return { site, textNode, ...(values ? { values } : {}) };
}

const RUN_PREPARED = new Set(["run", "get", "all", "iterate", "first", "raw"]);

/**
 * A prepared statement run by `node`: better-sqlite3 `prepare(sql).run(a, b)` (values: the run's arguments) or D1
 * `prepare(sql).bind(a, b).first()` (values: bind's), with `d1` when the statement is bound or run by a method only D1
 * has (`first`, `raw`).
 */
function preparedStatementOf(
  node: ts.CallExpression,
): { prepare: ts.CallExpression; values: readonly ts.Expression[]; d1: boolean } | undefined {
  const name = calleeName(node);
  if (!name || !RUN_PREPARED.has(name)) return undefined;
  let inner = receiverOf(node);
  let bound: ts.CallExpression | undefined;
  if (inner && ts.isCallExpression(inner) && calleeName(inner) === "bind") {
    bound = inner;
    inner = receiverOf(inner);
  }
  if (!inner || !ts.isCallExpression(inner) || calleeName(inner) !== "prepare") return undefined;
  const d1 = !!bound || name === "first" || name === "raw";
  if (d1 && node.arguments.length > 0 && name !== "first" && name !== "raw") return undefined;
  return { prepare: inner, values: bound ? bound.arguments : d1 ? [] : node.arguments, d1 };
}

/**
 * The JS expression a SQL placeholder stands for, when it is written in the call: an element of the values array or
 * a template interpolation. Takes a recognised access, or the call (or tagged template) that runs the SQL.
 */
export function placeholderValue(
  source: DbAccess | ts.CallExpression | ts.TaggedTemplateExpression,
  placeholder: SqlPlaceholder,
): ts.Expression | undefined {
  const sql = "library" in source ? source.sql : sqlArgumentsOf(source);
  if (!sql) return undefined;
  if (placeholder.style === "interpolation") {
    const template = templateOf(sql.textNode);
    return template && ts.isTemplateExpression(template) ? template.templateSpans[placeholder.index]?.expression : undefined;
  }
  const element = sql.values?.elements[placeholder.index];
  return element && !ts.isSpreadElement(element) && !ts.isOmittedExpression(element) ? element : undefined;
}

function templateOf(node: ts.Node): ts.TemplateLiteral | undefined {
  if (ts.isExpression(node)) node = skipParens(node);
  if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node;
  if (ts.isTaggedTemplateExpression(node)) return node.template;
  return undefined;
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
      if (
        ts.isPropertyAssignment(property) &&
        propertyName(property) === "values" &&
        ts.isArrayLiteralExpression(skipParens(property.initializer))
      )
        return skipParens(property.initializer) as ts.ArrayLiteralExpression;
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
  const prepared = ts.isCallExpression(node) ? preparedStatementOf(node) : undefined;
  if (prepared?.d1) return "sql";
  if (name === "run" || name === "get" || name === "all" || name === "iterate") return "better-sqlite3";
  const hasPg = modules.has("pg") || [...modules].some((m) => /locksmith[/-]runtime.*postgres|\/postgres$/.test(m));
  const hasMysql =
    modules.has("mysql2") || modules.has("mysql2/promise") || [...modules].some((m) => /locksmith[/-]runtime.*mysql|\/mysql$/.test(m));
  if (hasPg && !hasMysql) return "pg";
  if (hasMysql && !hasPg) return "mysql2";
  if (modules.has("better-sqlite3")) return "better-sqlite3";
  return "sql";
}
