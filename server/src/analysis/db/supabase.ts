// Supabase (postgrest-js): `supabase.from("t").select(…).eq("id", id).single()`, `.update({…}).eq(…)`,
// `.insert(…)`, `.upsert(…)`, `.delete().eq(…)`. PostgREST runs each call as a statement of its own: the client has no
// row locks and no transactions (those need a database function called through `.rpc()`, which is not an access here).
import { ts } from "../../engine/ts";
import { importsOf, skipParens, stringValue } from "../ast";
import type { AccessCondition, DbAccess } from "./access";
import { objectAssignments, whereObjectConditions, type Link } from "./shapes";

const OPERATIONS = new Set(["select", "update", "insert", "upsert", "delete"]);
/** Filters whose column is the first argument; `eq` is the only equality. */
const FILTERS = new Set(["eq", "neq", "gt", "gte", "lt", "lte", "is", "in", "like", "ilike", "contains", "containedBy", "filter", "not"]);
const MODIFIERS = new Set([
  "match",
  "or",
  "select",
  "single",
  "maybeSingle",
  "order",
  "limit",
  "range",
  "returns",
  "throwOnError",
  "abortSignal",
  "csv",
  "overrideTypes",
]);

export function supabaseAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const from = links[0];
  const operation = links[1];
  if (from?.name !== "from" || !from.call || !operation?.call || !OPERATIONS.has(operation.name)) return undefined;
  const table = stringValue(from.call.arguments[0]);
  if (!table || !links.slice(2).every((l) => l.call && (FILTERS.has(l.name) || MODIFIERS.has(l.name)))) return undefined;
  if (!isSupabaseClient(root)) return undefined;
  const conditions: AccessCondition[] = [];
  for (const link of links.slice(2)) {
    const args = link.call!.arguments;
    const column = stringValue(args[0]);
    if (link.name === "eq" && column && args[1]) conditions.push({ column, operator: "=", value: args[1] });
    else if (link.name === "is" && column && args[1]) conditions.push({ column, operator: "=", value: args[1] });
    else if (FILTERS.has(link.name) && column) conditions.push({ column, operator: link.name, ...(args[1] ? { value: args[1] } : {}) });
    else if (link.name === "match") conditions.push(...whereObjectConditions(args[0]));
  }
  const base = { node: call, library: "supabase" as const, table: table.toLowerCase(), handle: root, conditions };
  if (operation.name === "select") return { ...base, kind: "read", assignments: [] };
  const values = operation.call.arguments[0] && skipParens(operation.call.arguments[0]);
  // An array inserts several rows: their columns are not one row's assignments.
  const assignments = values && ts.isObjectLiteralExpression(values) ? objectAssignments(values, () => false) : [];
  const insert = operation.name === "insert" || operation.name === "upsert";
  return { ...base, kind: "write", assignments, ...(insert ? { insert: true } : {}) };
}

/**
 * The chain starts at a Supabase client: the file imports a module named after Supabase (`@supabase/supabase-js`,
 * `@supabase/ssr`, a project's `@/utils/supabase/server`), or the client's own name says so (`supabase`, `sb`).
 */
function isSupabaseClient(root: ts.Expression): boolean {
  const text = skipParens(root).getText();
  if (/supabase/i.test(text)) return true;
  return [...importsOf(root.getSourceFile()).values()].some((i) => /supabase/i.test(i.module));
}
