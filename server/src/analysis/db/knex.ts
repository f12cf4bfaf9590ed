// knex: `k("accounts").where({ id }).first()` (or `this.knex("accounts")…`, `deps.trx("accounts")…` in a knex file), `k.table("t")` / `k.from("t")` / `k.select().from("t")`, ending in a
// terminal (`first`, `update`, `increment`, `del`, ...). Reads may lock (`forUpdate()`), writes may name their
// transaction (`.transacting(trx)`); `k.raw("qty - ?", [n])` as a value is computed by the database.
import { ts } from "../../engine/ts";
import { calleeName, importsOf, skipAwait, stringValue } from "../ast";
import type { DbAccess } from "./access";
import { lockOfLinks, objectAssignments, whereConditions, type Link } from "./shapes";

const KNEX_READS = new Set(["first", "select", "pluck"]);
const KNEX_WRITES = new Set(["update", "increment", "decrement", "del", "delete", "insert", "upsert"]);
const KNEX_BUILDER = new Set([
  "where",
  "andWhere",
  "whereIn",
  "orWhere",
  "whereNot",
  "from",
  "table",
  "into",
  "select",
  "first",
  "forUpdate",
  "forShare",
  "forNoKeyUpdate",
  "forKeyShare",
  "transacting",
  "returning",
  "limit",
  "orderBy",
  "update",
  "increment",
  "decrement",
  "del",
  "delete",
  "insert",
  "noWait",
  "skipLocked",
  "columns",
  "column",
  "modify",
]);

/** knex: `k("table")...` or `k.table("t")` / `k.from("t")` / `k.select().from("t")`, ending in a terminal. */
export function knexAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  if (links.length < 2) return undefined;
  let table: string | undefined;
  const first = links[0]!;
  if (first.call && ts.isIdentifier(root) && first.name === root.text) table = stringValue(first.call.arguments[0]);
  // An instance held in a field or an options property, in a knex file (`this.knex("accounts")`, `deps.trx("accounts")`).
  const callee = first.call?.expression;
  const field =
    first.call && callee && ts.isPropertyAccessExpression(callee) && !KNEX_BUILDER.has(first.name) && importsKnex(root.getSourceFile())
      ? first.call
      : undefined;
  if (field) table = stringValue(field.arguments[0]);
  if (!links.every((l, i) => (i === 0 && table !== undefined) || (l.call && KNEX_BUILDER.has(l.name)))) return undefined;
  for (const link of links)
    if ((link.name === "from" || link.name === "table" || link.name === "into") && link.call) table ??= stringValue(link.call.arguments[0]);
  if (table === undefined) return undefined;
  const names = links.map((l) => l.name);
  const writeLink = links.find((l, i) => i > 0 && KNEX_WRITES.has(l.name));
  const access: DbAccess = {
    node: call,
    library: "knex",
    kind: writeLink ? "write" : "read",
    table: table.toLowerCase(),
    handle: field ? field.expression : root,
    assignments: [],
    conditions: [],
  };
  if (!writeLink && !names.some((n, i) => i > 0 && (KNEX_READS.has(n) || n.startsWith("for")))) {
    // `await knex("t").where(...)` without a terminal is a select too.
    if (!names.includes("where")) return undefined;
  }
  if (writeLink?.name === "insert") access.insert = true;
  const lock = lockOfLinks(names);
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

/** `knex.raw("qty - ?", [n])` and `k.raw(...)` compute in the database. */
function atomicKnexValue(value: ts.Expression): boolean {
  const node = skipAwait(value);
  return ts.isCallExpression(node) && calleeName(node) === "raw";
}

/** The file imports knex (its `Knex` type for an injected instance, or the factory). */
function importsKnex(sourceFile: ts.SourceFile): boolean {
  return [...importsOf(sourceFile).values()].some((i) => i.module === "knex");
}
