// Prisma: `prisma.account.findUnique({ where })`, `tx.account.update({ where, data })` and the other model
// methods. The model is the table; `where` gives equality conditions (compound unique keys and `{ gte: n }` filters
// too), `data` the assignments, where `{ increment: 1 }` and friends are computed by the database. Raw SQL through
// `$queryRaw` is sql-drivers.ts.
import { ts } from "../../engine/ts";
import { propertyValue, receiverOf, skipParens } from "../ast";
import type { DbAccess } from "./access";
import { objectAssignments, propertyName } from "./shapes";

const PRISMA_READS = new Set(["findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany"]);
const PRISMA_WRITES = new Set(["update", "updateMany", "upsert", "delete", "deleteMany", "create", "createMany"]);

export function prismaAccess(call: ts.CallExpression, name: string): DbAccess | undefined {
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
        for (const inner of objectAssignments(unique, () => false))
          access.conditions.push({ column: inner.column, operator: "=", ...(inner.value ? { value: inner.value } : {}) });
      } else if (unique && ts.isObjectLiteralExpression(unique)) {
        // Filters: `{ balance: { gte: amount } }`.
        for (const filter of objectAssignments(unique, () => false)) {
          const operator = PRISMA_FILTERS[filter.column];
          if (operator) access.conditions.push({ column: a.column, operator, ...(filter.value ? { value: filter.value } : {}) });
        }
      } else access.conditions.push({ column: a.column, operator: "=", ...(a.value ? { value: a.value } : {}) });
    }
  }
  if (name === "create" || name === "createMany") access.insert = true;
  for (const assignment of data ? objectAssignments(data, isPrismaAtomic) : []) {
    if (assignment.value && isRelationLink(assignment.value)) assignment.relation = true;
    access.assignments.push(assignment);
  }
  return access;
}

/**
 * `{ connect: { id } }`, `{ connectOrCreate: … }`, `{ disconnect: true }`: links rows of another model by key. A nested
 * `{ update: { where, data } }` changes the related rows it names, not which rows are related: no column of this row.
 */
function isRelationLink(value: ts.Expression): boolean {
  const node = skipParens(value);
  return (
    ts.isObjectLiteralExpression(node) &&
    node.properties.length > 0 &&
    node.properties.every((p) => ["connect", "connectOrCreate", "disconnect", "update", "updateMany"].includes(propertyName(p) ?? ""))
  );
}

const PRISMA_FILTERS: Record<string, string> = { equals: "=", gte: ">=", gt: ">", lte: "<=", lt: "<", not: "<>" };

/** `{ increment: 1 }`, `{ decrement: n }`, `{ multiply }`, `{ divide }` run in the database. */
export function isPrismaAtomic(value: ts.Expression): boolean {
  const node = skipParens(value);
  return (
    ts.isObjectLiteralExpression(node) &&
    node.properties.some((p) => ["increment", "decrement", "multiply", "divide"].includes(propertyName(p) ?? ""))
  );
}
