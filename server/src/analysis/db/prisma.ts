// Prisma: `prisma.account.findUnique({ where })`, `tx.account.update({ where, data })` and the other model
// methods. The model is the table; `where` gives equality conditions (compound unique keys and `{ gte: n }` filters
// too), `data` the assignments, where `{ increment: 1 }` and friends are computed by the database. Raw SQL through
// `$queryRaw` is sql-drivers.ts. The database names of a model (`@@map`, `@map`) come from the schema file
// (prismaModelNames).
import * as path from "node:path";
import { ts } from "../../engine/ts";
import { propertyValue, receiverOf, skipParens } from "../ast";
import type { DbAccess } from "./access";
import { drizzleConditions } from "./drizzle-kysely";
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
      if (unique && ts.isObjectLiteralExpression(unique) && a.column === "NOT") {
        // `NOT: { id: other.id }`: every row but the one named (only plain values; nested filters are left out).
        for (const inner of objectAssignments(unique, () => false))
          if (inner.value && !ts.isObjectLiteralExpression(skipParens(inner.value)))
            access.conditions.push({ column: inner.column, operator: "<>", value: inner.value });
      } else if (unique && ts.isObjectLiteralExpression(unique) && a.column.includes("_")) {
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
  } else if (whereObject && ts.isCallExpression(whereObject) && isDrizzleRelationalQuery(modelAccess)) {
    // Drizzle's relational queries filter with the select builder's operators: `where: eq(users.id, id)`.
    access.conditions.push(...drizzleConditions(whereObject));
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

const PRISMA_FILTERS: Record<string, string> = {
  equals: "=",
  gte: ">=",
  gt: ">",
  lte: "<=",
  lt: "<",
  not: "<>",
  in: "in",
  notIn: "not in",
};

/** `{ increment: 1 }`, `{ decrement: n }`, `{ multiply }`, `{ divide }` run in the database. */
export function isPrismaAtomic(value: ts.Expression): boolean {
  const node = skipParens(value);
  return (
    ts.isObjectLiteralExpression(node) &&
    node.properties.some((p) => ["increment", "decrement", "multiply", "divide"].includes(propertyName(p) ?? ""))
  );
}

/** A model's names in the database: its table, and the column of each field. */
export interface PrismaModelNames {
  table: string;
  column(field: string): string;
}

const schemaTexts = new Map<string, { modified: number; text: string } | null>();

/**
 * The database names of the model a client property names (`account` → model `Account`, in any case), from the Prisma schema
 * nearest the file: `prisma/schema.prisma`, `schema.prisma` or the files of `prisma/schema/`, in the file's folder or
 * one above it, else the workspace's one model of that name (schemaModel). `@@map("accounts")` names the table and
 * `@map("account_id")` a column; without them Prisma uses the model's and the field's names. Undefined when no schema
 * is found or it has no such model.
 */
export function prismaModelNames(property: string, fileName: string): PrismaModelNames | undefined {
  const found = schemaModel(property, fileName);
  if (!found) return undefined;
  const { model, body } = found;
  const table = /^\s*@@map\(\s*(?:name:\s*)?"([^"]+)"/m.exec(body)?.[1] ?? model;
  const columns = new Map<string, string>();
  for (const field of body.matchAll(/^\s*(\w+)\s[^\n]*?@map\(\s*(?:name:\s*)?"([^"]+)"/gm)) columns.set(field[1]!, field[2]!);
  return { table, column: (name) => columns.get(name) ?? name };
}

/**
 * The model a client property names (`account` → `Account`, in any case) in the schema nearest the file: its name and
 * body. A model that schema lacks is looked for in the workspace's other schemas (a monorepo's database package,
 * `packages/db/prisma/schema.prisma`), and taken when exactly one model of that name is found there.
 */
function schemaModel(property: string, fileName: string): SchemaModel | undefined {
  const folder = path.dirname(fileName);
  const text = nearestSchema(folder);
  const near = text === undefined ? undefined : modelIn(text, property);
  if (near) return near;
  const found = workspaceModels(folder).get(property.toLowerCase());
  return found?.size === 1 ? [...found.values()][0] : undefined;
}

type SchemaModel = { model: string; body: string };
const modelsByRoot = new Map<string, { texts: readonly (string | undefined)[]; models: Map<string, Map<string, SchemaModel>> }>();

/** The models of the workspace's schemas by lower-case name, each with its distinct bodies (copies of one model agree). */
function workspaceModels(folder: string): ReadonlyMap<string, ReadonlyMap<string, SchemaModel>> {
  const root = workspaceRoot(folder);
  if (!root) return new Map();
  const texts = workspaceSchemaFiles(root).map(schemaText);
  const cached = modelsByRoot.get(root);
  if (cached && cached.texts.length === texts.length && cached.texts.every((t, i) => t === texts[i])) return cached.models;
  const models = new Map<string, Map<string, SchemaModel>>();
  for (const text of texts)
    for (const match of text?.matchAll(MODEL) ?? []) {
      const [, model, body] = match as unknown as [string, string, string];
      const bodies = models.get(model.toLowerCase()) ?? new Map<string, SchemaModel>();
      bodies.set(body.replace(/\s+/g, " ").trim(), { model, body });
      models.set(model.toLowerCase(), bodies);
    }
  modelsByRoot.set(root, { texts, models });
  return models;
}

const MODEL = /^\s*model\s+(\w+)\s*\{([^}]*)\}/gm;

function modelIn(text: string, property: string): SchemaModel | undefined {
  for (const match of text.matchAll(MODEL)) {
    const [, model, body] = match as unknown as [string, string, string];
    if (model.toLowerCase() === property.toLowerCase()) return { model, body };
  }
  return undefined;
}

const WORKSPACE_MARKERS = ["pnpm-workspace.yaml", "lerna.json", "nx.json", "turbo.json", "rush.json"];
const workspaceSchemas = new Map<string, readonly string[]>();

/**
 * The `.prisma` files under a workspace root (`node_modules` is not searched), found once per root.
 */
function workspaceSchemaFiles(root: string): readonly string[] {
  let files = workspaceSchemas.get(root);
  if (!files) workspaceSchemas.set(root, (files = ts.sys.readDirectory(root, [".prisma"], ["**/node_modules", "**/dist", "**/.git"])));
  return files;
}

const workspaceRoots = new Map<string, string | undefined>();

/** The nearest folder above `folder` with a workspace marker or a `package.json` that declares `workspaces`. */
function workspaceRoot(folder: string): string | undefined {
  if (!workspaceRoots.has(folder)) workspaceRoots.set(folder, findWorkspaceRoot(folder));
  return workspaceRoots.get(folder);
}

function findWorkspaceRoot(folder: string): string | undefined {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (WORKSPACE_MARKERS.some((marker) => ts.sys.fileExists(path.join(dir, marker)))) return dir;
    const manifest = path.join(dir, "package.json");
    if (ts.sys.fileExists(manifest) && /"workspaces"\s*:/.test(ts.sys.readFile(manifest) ?? "")) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The field sets the model's unique indexes cover in its Prisma schema (schemaModel) (`@id` / `@unique` on a field,
 * `@@id([a, b])`, `@@unique([a, b])`), by model name in any case; undefined when no schema holds the model.
 */
export function prismaUniqueFieldSets(property: string, fileName: string): string[][] | undefined {
  const body = schemaModel(property, fileName)?.body;
  if (body === undefined) return undefined;
  const sets: string[][] = [];
  for (const field of body.matchAll(/^\s*(\w+)\s[^\n]*@(id|unique)\b/gm)) sets.push([field[1]!]);
  for (const block of body.matchAll(/@@(?:id|unique)\(\s*(?:fields:\s*)?\[([^\]]*)\]/g))
    sets.push(
      block[1]!
        .split(",")
        .map((f) => f.trim().replace(/\(.*$/, ""))
        .filter((f) => f.length > 0),
    );
  return sets;
}

/**
 * Whether every datasource of the Prisma schema nearest the file is SQLite (`provider = "sqlite"`). SQLite has no row
 * locks: a write transaction holds the database-wide write lock, so the order in which it writes rows cannot deadlock.
 * False when no schema is found or any datasource names another provider (or takes it from an env variable).
 */
export function prismaSchemaIsSqlite(fileName: string): boolean {
  const text = nearestSchema(path.dirname(fileName));
  if (!text) return false;
  const providers = [...text.matchAll(/^\s*datasource\s+\w+\s*\{([^}]*)\}/gm)].map(
    (block) => /^\s*provider\s*=\s*(.+?)\s*$/m.exec(block[1]!)?.[1],
  );
  return providers.length > 0 && providers.every((provider) => provider === '"sqlite"');
}

const schemaFiles = new Map<string, readonly string[]>();

/** The text of the schema nearest `folder` (its files found once per folder; their text re-read when changed). */
function nearestSchema(folder: string): string | undefined {
  let files = schemaFiles.get(folder);
  if (!files) schemaFiles.set(folder, (files = schemaFilesFrom(folder)));
  const texts = files.map(schemaText).filter((t) => t !== undefined);
  return texts.length > 0 ? texts.join("\n") : undefined;
}

function schemaFilesFrom(folder: string): readonly string[] {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, "prisma", "schema.prisma"), path.join(dir, "schema.prisma")])
      if (ts.sys.fileExists(candidate)) return [candidate, ...folderSchemaFiles(path.join(path.dirname(candidate), "schema"))];
    const files = folderSchemaFiles(path.join(dir, "prisma", "schema"));
    if (files.length > 0) return files;
    if (path.dirname(dir) === dir) return [];
  }
}

/**
 * The `.prisma` files of a schema folder (Prisma's `prismaSchemaFolder`: models in `prisma/schema/*.prisma`, often
 * beside a `prisma/schema.prisma` that holds only the generator and the datasource, so both are read).
 */
function folderSchemaFiles(folder: string): readonly string[] {
  return ts.sys.directoryExists(folder) ? ts.sys.readDirectory(folder, [".prisma"]) : [];
}

/** A schema file's text, re-read when it changes (the language server outlives edits of it). */
function schemaText(file: string): string | undefined {
  const modified = ts.sys.getModifiedTime?.(file)?.getTime();
  if (modified === undefined) return undefined;
  const cached = schemaTexts.get(file);
  if (cached && cached.modified === modified) return cached.text;
  const read = ts.sys.readFile(file);
  const text = read === undefined ? undefined : withoutComments(read);
  schemaTexts.set(file, text === undefined ? null : { modified, text });
  return text;
}

/** The schema without `//` and `///` comments (a `}` in a comment would end a model early); strings are kept. */
function withoutComments(schema: string): string {
  return schema.replace(/("(?:[^"\\\n]|\\.)*")|\/\/[^\n]*/g, (_comment, string: string | undefined) => string ?? "");
}

/** `db.query.users` (`tx.query.users`): a Drizzle relational query's table, whose `findFirst` looks like Prisma's. */
function isDrizzleRelationalQuery(model: ts.PropertyAccessExpression): boolean {
  const holder = skipParens(model.expression);
  return ts.isPropertyAccessExpression(holder) && holder.name.text === "query";
}

/** An access read here as Prisma's that is a Drizzle relational query (`db.query.users.findFirst`): its handle is `db.query`. */
export function isDrizzleRelationalAccess(access: DbAccess): boolean {
  const handle = access.library === "prisma" && access.handle ? skipParens(access.handle) : undefined;
  return !!handle && ts.isPropertyAccessExpression(handle) && handle.name.text === "query";
}
