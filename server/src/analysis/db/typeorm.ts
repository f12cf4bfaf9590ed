// TypeORM: repository and entity-manager methods — `repo.findOne({ where, lock: { mode: "pessimistic_write" } })`,
// `repo.findOneBy({ id })`, `manager.findOne(Account, {...})`, `repo.save(entity)`, `repo.update(criteria, partial)`,
// `repo.increment(...)` — and the query builder (`createQueryBuilder(…).setLock("pessimistic_write")…getOne()`,
// `….update(Account).set(…).execute()`). The table is the entity class, or the repository's when it can be traced.
import { ts } from "../../engine/ts";
import { calleeName, importsOf, propertyValue, skipAwait, skipParens, stringValue } from "../ast";
import { variableDeclarationOf } from "../identity";
import type { RowLockMode } from "../sql";
import type { AccessAssignment, AccessCondition, DbAccess } from "./access";
import { injectedEntity, isFunctionLikeExpression, objectAssignments, optionOnOneBranch, whereObjectConditions, type Link } from "./shapes";

export const TYPEORM_READS = new Set(["findOne", "findOneBy", "findOneOrFail", "findOneByOrFail", "findBy", "find"]);

/** `dataSource.getRepository(Account)` / `manager.getRepository(Account)` / a variable holding one → "account". */
function repositoryTable(repo: ts.Expression): string {
  let node = skipParens(repo);
  if (ts.isIdentifier(node)) {
    const declaration = variableDeclarationOf(node);
    if (declaration?.initializer) node = skipAwait(declaration.initializer);
  }
  if (ts.isCallExpression(node) && calleeName(node) === "getRepository" && node.arguments[0] && ts.isIdentifier(node.arguments[0]))
    return node.arguments[0].text.toLowerCase();
  // `@InjectRepository(Account) private readonly accounts: Repository<Account>` → "account".
  const injected = injectedEntity(repo);
  if (injected) return injected.text.toLowerCase();
  return `repository:${skipParens(repo).getText().replace(/\s+/g, "")}`;
}

const TYPEORM_LOCKS: Record<string, RowLockMode> = {
  pessimistic_write: "update",
  pessimistic_write_or_fail: "update",
  pessimistic_partial_write: "update",
  for_no_key_update: "no key update",
  pessimistic_read: "share",
  for_key_share: "key share",
};

export function typeormAccess(call: ts.CallExpression, name: string, receiver: ts.Expression): DbAccess | undefined {
  // `manager.findOne(Account, options)` names the entity first; `repo.findOne(options)` does not.
  const first = call.arguments[0] && skipParens(call.arguments[0]);
  const entityFirst = !!first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text) && call.arguments.length >= 2;
  const args = entityFirst ? call.arguments.slice(1) : [...call.arguments];
  const table = entityFirst ? (first as ts.Identifier).text.toLowerCase() : repositoryTable(receiver);
  const base = {
    node: call,
    library: "typeorm" as const,
    handle: receiver,
    assignments: [] as AccessAssignment[],
    conditions: [] as AccessCondition[],
  };
  if (TYPEORM_READS.has(name)) {
    const options = args[0];
    const where = name.endsWith("By") || name === "findOneByOrFail" ? options : propertyValue(options, "where");
    const access: DbAccess = { ...base, kind: "read", table, conditions: whereObjectConditions(where) };
    const lock = propertyValue(options, "lock");
    const mode = stringValue(propertyValue(lock, "mode"));
    if (mode && TYPEORM_LOCKS[mode]) access.lock = TYPEORM_LOCKS[mode];
    // `lock: { mode: "optimistic", version }` throws OptimisticLockVersionMismatchError when the row's version differs.
    if (mode === "optimistic" && propertyValue(lock, "version")) access.optimistic = true;
    // `lock: lockRow ? { mode: "pessimistic_write" } : undefined`: asked for on one branch only.
    const oneBranch = lock && optionOnOneBranch(lock);
    const branchMode = oneBranch && stringValue(propertyValue(oneBranch.value, "mode"));
    if (oneBranch && branchMode && TYPEORM_LOCKS[branchMode]) access.lockOnlyIf = { ...oneBranch, mode: TYPEORM_LOCKS[branchMode] };
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
  if (name === "update" && args.length >= 2)
    return {
      ...base,
      kind: "write",
      table,
      conditions: whereObjectConditions(args[0]),
      assignments: objectAssignments(args[1], () => false),
    };
  if ((name === "increment" || name === "decrement") && args.length >= 3) {
    const column = stringValue(args[1]);
    return {
      ...base,
      kind: "write",
      table,
      conditions: whereObjectConditions(args[0]),
      assignments: column ? [{ column, atomic: true }] : [],
    };
  }
  return undefined;
}

const TYPEORM_BUILDER_READS = new Set([
  "getOne",
  "getOneOrFail",
  "getMany",
  "getManyAndCount",
  "getRawOne",
  "getRawMany",
  "getCount",
  "getExists",
]);

/**
 * TypeORM's query builder: `manager.createQueryBuilder(Account, "a").setLock("pessimistic_write").where("a.id = :id",
 * { id }).getOne()` (a read; also `repo.createQueryBuilder("a")`, `.from(Account, "a")`) and
 * `manager.createQueryBuilder().update(Account).set({ balance: () => "balance - 1" }).where(…).execute()` (a write;
 * a function value is SQL computed by the database).
 */
export function typeormBuilderAccess(root: ts.Expression, links: Link[], call: ts.CallExpression): DbAccess | undefined {
  const start = links.findIndex((l) => l.name === "createQueryBuilder" && l.call);
  if (start < 0 || ![...importsOf(call.getSourceFile()).values()].some((i) => i.module === "typeorm")) return undefined;
  const terminal = links[links.length - 1]!.name;
  const link = (name: string) => links.slice(start).find((l) => l.name === name && l.call)?.call;
  const entityName = (arg: ts.Expression | undefined) =>
    arg && ts.isIdentifier(skipParens(arg)) && /^[A-Z]/.test(skipParens(arg).getText())
      ? skipParens(arg).getText().toLowerCase()
      : undefined;
  const builder = links[start]!.call!;
  const repository = links[start - 1]?.name === "getRepository" ? entityName(links[start - 1]!.call?.arguments[0]) : undefined;
  const receiver = ts.isPropertyAccessExpression(builder.expression) ? builder.expression.expression : undefined;
  const conditions = links
    .filter((l) => (l.name === "where" || l.name === "andWhere") && l.call)
    .flatMap((l) => builderConditions(l.call!));
  const base = { node: call, library: "typeorm" as const, handle: root, assignments: [] as AccessAssignment[], conditions };
  const update = link("update");
  // A repository's builder (`repo.createQueryBuilder().update()`) updates the repository's entity.
  const repositoryOfBuilder = repository ?? (receiver && builder.arguments.length <= 1 ? repositoryTable(receiver) : undefined);
  if (update && terminal === "execute") {
    const table = entityName(update.arguments[0]) ?? (update.arguments.length === 0 ? repositoryOfBuilder : undefined);
    const assignments = objectAssignments(link("set")?.arguments[0], (value) => isFunctionLikeExpression(skipParens(value)));
    return table ? { ...base, kind: "write", table, assignments } : undefined;
  }
  if (!TYPEORM_BUILDER_READS.has(terminal)) return undefined;
  const table =
    entityName(builder.arguments[0]) ??
    entityName(link("from")?.arguments[0]) ??
    repository ??
    (receiver && builder.arguments.length === 1 ? repositoryTable(receiver) : undefined);
  if (!table) return undefined;
  const access: DbAccess = { ...base, kind: "read", table };
  const selected = selectedNames(links.slice(start));
  if (selected) access.selected = selected;
  const mode = stringValue(link("setLock")?.arguments[0]);
  if (mode && TYPEORM_LOCKS[mode]) access.lock = TYPEORM_LOCKS[mode];
  return access;
}

/** `where("a.id = :id AND a.version = :version", { id, version })` → the comparisons with their parameter values. */
function builderConditions(call: ts.CallExpression): AccessCondition[] {
  // `where({ id })`: the object form.
  const object = call.arguments[0] && skipParens(call.arguments[0]);
  if (object && ts.isObjectLiteralExpression(object)) return whereObjectConditions(object);
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

/**
 * The property names a builder read's rows may have when its `select`/`addSelect` calls name columns
 * (`.select("e.id", "id").addSelect("e.position")`): each selection's alias, column and `alias_column` (the raw
 * result's key when no alias is given), and any word of an expression (`MAX(e.position)`). Undefined without a select
 * (whole rows), or when one selects a whole entity alias (`select("e")`) or something not written as a string.
 */
function selectedNames(links: readonly Link[]): ReadonlySet<string> | undefined {
  const selects = links.filter((l) => (l.name === "select" || l.name === "addSelect") && l.call);
  if (selects.length === 0) return undefined;
  const names = new Set<string>();
  for (const { call } of selects) {
    const [what, alias] = call!.arguments;
    if (!what) return undefined;
    const list = skipParens(what);
    const items = ts.isArrayLiteralExpression(list) ? [...list.elements] : [what];
    if (items.length === 0) return undefined;
    for (const item of items) {
      const text = stringValue(item);
      // A whole entity (`select("e")`), a subquery builder or a computed selection: anything may be returned.
      if (text === undefined || /^\s*\w+\s*$/.test(text) || text.includes("*")) return undefined;
      for (const match of text.matchAll(/(\w+)\.(\w+)/g)) names.add(match[2]!).add(`${match[1]}_${match[2]}`);
      for (const word of text.match(/\w+/g) ?? []) names.add(word);
    }
    const name = alias === undefined ? undefined : stringValue(alias);
    if (alias !== undefined && name === undefined) return undefined;
    if (name) names.add(name);
  }
  return names;
}
