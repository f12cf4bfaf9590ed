// Objection.js (and AdonisJS Lucid, which has the same shape): a model's query builder, `Account.query(trx)` or an
// injected model's `this.accountModel().query(trx)`, chained with knex's builder methods and the ORM's own
// (`findById`, `patch`, `patchAndFetchById`, `increment`), and an instance's `account.$query(trx).patch({ … })`,
// which writes the row the instance was read from. The model names the table (`Account`, `accountModel` → account);
// the argument of `query` / `$query` is the transaction or connection the statement runs on, the model itself when
// none is given. Reads may lock (`.forUpdate()`); `raw(…)` / `ref(…)` values and `increment` are computed by the
// database.
import { ts } from "../../engine/ts";
import { calleeName, skipAwait, skipParens, stringValue } from "../ast";
import type { AccessCondition, DbAccess } from "./access";
import { lockOfLinks, objectAssignments, whereConditions, type Link } from "./shapes";

const WRITES = new Set([
  "patch",
  "update",
  "patchAndFetchById",
  "updateAndFetchById",
  "patchAndFetch",
  "updateAndFetch",
  "increment",
  "decrement",
  "delete",
  "deleteById",
  "insert",
  "insertAndFetch",
  "insertGraph",
  "insertGraphAndFetch",
]);
const INSERTS = new Set(["insert", "insertAndFetch", "insertGraph", "insertGraphAndFetch"]);
/** Builder methods that narrow, shape or lock a query without making it another statement. */
const BUILDER = new Set([
  "where",
  "andWhere",
  "orWhere",
  "whereIn",
  "whereNot",
  "whereNotIn",
  "whereNull",
  "whereNotNull",
  "findById",
  "findByIds",
  "findOne",
  "first",
  "select",
  "columns",
  "column",
  "orderBy",
  "limit",
  "offset",
  "page",
  "count",
  "resultSize",
  "modify",
  "withGraphFetched",
  "withGraphJoined",
  "joinRelated",
  "forUpdate",
  "forShare",
  "forNoKeyUpdate",
  "forKeyShare",
  "skipLocked",
  "noWait",
  "returning",
  "throwIfNotFound",
  "transacting",
]);

/** A model's query chain: `Model.query(trx)…`, `this.modelGetter().query(trx)…`, `instance.$query(trx)…`. */
export function objectionAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const at = links.findIndex((l) => l.name === "query" || l.name === "$query");
  const query = links[at]?.call;
  const called = query && skipParens(query.expression);
  if (!query || !called || !ts.isPropertyAccessExpression(called) || at >= links.length - 1 || !isConnectionArgument(query.arguments))
    return undefined;
  const rest = links.slice(at + 1);
  if (!rest.every((l) => l.call && (BUILDER.has(l.name) || WRITES.has(l.name)))) return undefined;
  const instance = called.name.text === "$query";
  const model = instance ? undefined : modelOf(root, links.slice(0, at));
  if (!instance && !model) return undefined;
  const receiver = skipParens(called.expression);
  const connection = query.arguments[0];
  const writeLink = rest.find((l) => WRITES.has(l.name));
  const access: DbAccess = {
    node: call,
    library: "objection",
    kind: writeLink ? "write" : "read",
    handle: connection ?? receiver,
    assignments: [],
    conditions: [],
  };
  if (model) access.table = model;
  // An instance's query is its own row: what it writes is the row the instance was read from.
  if (instance) access.entity = receiver;
  const lock = lockOfLinks(rest.map((l) => l.name));
  if (lock) access.lock = lock;
  // knex's `.transacting(trx)` on a model query names its transaction too.
  const transacting = rest.find((l) => l.name === "transacting")?.call?.arguments[0];
  if (transacting) access.transactionOption = transacting;
  for (const link of rest) access.conditions.push(...conditionsOf(link));
  if (writeLink?.call) {
    const args = writeLink.call.arguments;
    const name = writeLink.name;
    if (INSERTS.has(name)) access.insert = true;
    // `row.$query().patch()` with no values writes the instance's own fields; given values, only those.
    if (instance && args.length > 0) access.givenValuesOnly = true;
    const values = name.endsWith("ById") ? args[1] : args[0];
    if (name === "increment" || name === "decrement") {
      const column = stringValue(args[0]);
      if (column) access.assignments.push({ column, atomic: true });
    } else if (!name.startsWith("delete")) access.assignments.push(...objectAssignments(values, computedByDatabase));
  }
  return access;
}

/** No argument, or one that is a transaction or connection (not SQL text, a callback or an options object). */
function isConnectionArgument(args: ts.NodeArray<ts.Expression>): boolean {
  if (args.length === 0) return true;
  if (args.length > 1) return false;
  const arg = skipParens(args[0]!);
  return !(
    ts.isStringLiteralLike(arg) ||
    ts.isTemplateExpression(arg) ||
    ts.isObjectLiteralExpression(arg) ||
    ts.isArrowFunction(arg) ||
    ts.isFunctionExpression(arg)
  );
}

/**
 * The table a model query names: a capitalised model class (`Account.query()`), or a model reached through a getter
 * or field named for it (`this.saleInvoiceModel().query()`, `this.accountModel.query()`).
 */
function modelOf(root: ts.Expression, before: Link[]): string | undefined {
  if (before.length === 0) return ts.isIdentifier(root) && /^[A-Z]/.test(root.text) ? root.text : undefined;
  const last = before[before.length - 1]!;
  if (last.call && last.call.arguments.length > 0) return undefined;
  const name = /^(.+)Model$/.exec(last.name)?.[1];
  return name && /^[a-z]/i.test(name) ? name : undefined;
}

/** A link's WHERE comparisons: `where(…)`, `findById(id)`, `findOne({ … })` / `findOne(column, value)`, `patchAndFetchById(id, …)`. */
function conditionsOf(link: Link): AccessCondition[] {
  const call = link.call!;
  if (link.name === "where" || link.name === "andWhere" || link.name === "findOne") return whereConditions(call);
  if (link.name === "findById" || link.name.endsWith("ById")) {
    const id = call.arguments[0];
    return id ? [{ column: "id", operator: "=", value: id }] : [];
  }
  return [];
}

/** `raw("balance - ?", n)`, `ref("other")`, `fn.now()`: computed by the database, not from a value read. */
function computedByDatabase(value: ts.Expression): boolean {
  const node = skipAwait(value);
  if (!ts.isCallExpression(node)) return false;
  const name = calleeName(node);
  return name === "raw" || name === "ref" || name === "now";
}
