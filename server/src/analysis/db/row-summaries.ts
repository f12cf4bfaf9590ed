// Database accesses of project functions, seen at their call sites. `const a = await this.accounts.get(id)` reads a
// row when `get` returns what `prisma.account.findUnique({ where: { id } })` read; `await this.accounts.setBalance(id,
// b)` writes `balance` when `setBalance` runs `update({ where: { id }, data: { balance } })`. The access at the call
// site is the function's own, restated in the caller's terms: its handle, WHERE values and written values become the
// arguments the function passes on (a value the function computes itself is unknown here and left out), and `through`
// keeps the statement and the calls down to it, for the chain a finding shows. Callees are found by summaries.ts's
// resolver (the checker, across files); a helper's returned read (read-modify-write.ts) is summarised on the core's
// bottom-up fixpoint (flow/bottom-up.ts `solveBottomUp`), a wrapper's write by a walk a few calls deep.
import { ts } from "../../engine/ts";
import {
  CALL_KINDS,
  NodeFacts,
  boundNames,
  calleeName,
  enclosingFunction,
  functionName,
  importsOf,
  isLiteral,
  nodesOfKinds,
  propertyValue,
  skipAwait,
  skipParens,
  type FunctionLike,
} from "../ast";
import { canonicalKey } from "../identity";
import { projectFunctionsByName } from "../slow-calls";
import { parameterOf, programOf, type CalleeResolver } from "../summaries";
import { runsIn, transactionScopeOf } from "../transactions";
import { dbAccessOf, type AccessAssignment, type AccessCondition, type DbAccess } from "./access";
import { isPrismaAtomic } from "./prisma";
import { objectAssignments, whereObjectConditions } from "./shapes";
import { placeholderValue } from "./sql-drivers";

/** What a function's body (nested functions aside) says about the database, for `mayReachDatabase`. */
interface FunctionFacts {
  /** It runs a read. */
  reads: boolean;
  /** How many writes it runs. */
  writes: number;
  /** The names of its calls that are no database access, and whether each call's result is kept (`resultIsKept`). */
  calls: Array<{ callee: string; kept: boolean }>;
}

/** Per parse of a file: an incremental parse reuses a function's node where its calls' meaning may have changed. */
const functionFacts = new NodeFacts<FunctionLike, FunctionFacts>();

/** For tests and profiling: how many functions' bodies `mayReachDatabase` has read. */
export const databaseNameStats = { functions: 0 };

function factsOf(fn: FunctionLike & { body: ts.Node }): FunctionFacts {
  let facts = functionFacts.get(fn);
  if (facts) return facts;
  const calls = nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS, { skipFunctions: true });
  if (ts.isCallExpression(fn.body) || ts.isTaggedTemplateExpression(fn.body)) calls.unshift(fn.body);
  databaseNameStats.functions++;
  facts = { reads: false, writes: 0, calls: [] };
  for (const c of calls) {
    const access = dbAccessOf(c);
    if (access?.kind === "read") facts.reads = true;
    else if (access?.kind === "write") facts.writes++;
    else if (!access && ts.isCallExpression(c)) facts.calls.push({ callee: calleeName(c) ?? "", kept: resultIsKept(c) });
  }
  functionFacts.set(fn, facts);
  return facts;
}

interface ProgramNames {
  /** The project's functions by name (every file's `functionsByName`). */
  functions: ReadonlyMap<string, readonly FunctionLike[]>;
  /** Names decided so far, per kind. */
  reaching: Record<"read" | "write", Map<string, boolean>>;
}

const databaseNames = new WeakMap<ts.Program, ProgramNames>();

/**
 * Whether the function `call` invokes may return a row it reads (`kind` "read") or run a write ("write"): some project
 * function of its name runs such a database access in its body (nested functions aside) or calls a function of such a
 * name. Calls of other names are not resolved: resolving asks the checker for the receiver's type, the costliest step
 * of these summaries.
 */
export function mayReachDatabase(call: ts.CallExpression, resolve: CalleeResolver, kind: "read" | "write"): boolean {
  const program = programOf(resolve);
  const callee = skipParens(call.expression);
  // `import { a as b }`: the declared name; a default import's is unknown.
  const imported = ts.isIdentifier(callee) ? importsOf(call.getSourceFile()).get(callee.text)?.imported : undefined;
  const name = imported ?? calleeName(call);
  if (!program || name === undefined || name === "default" || name === "*") return true;
  let names = databaseNames.get(program);
  if (!names)
    databaseNames.set(program, (names = { functions: projectFunctionsByName(program), reaching: { read: new Map(), write: new Map() } }));
  return reachesDatabase(names, kind, name);
}

/**
 * Whether a function named `name` reaches the database (`mayReachDatabase`), deciding only the names it depends on: a
 * function that reads reaches a read, one that runs one write and no read reaches a write; a function also reaches
 * what the names it calls reach (for a read, calls whose result it keeps, as helperRead follows them; for a write,
 * from a function that runs no access itself).
 */
function reachesDatabase(names: ProgramNames, kind: "read" | "write", name: string): boolean {
  const decided = names.reaching[kind];
  const known = decided.get(name);
  if (known !== undefined) return known;
  // The undecided names `name` depends on, each with the names it calls: decided together, as the least fixpoint.
  const edges = new Map<string, string[]>();
  const reaching = new Set<string>();
  const pending = [name];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (edges.has(next)) continue;
    const callees: string[] = [];
    edges.set(next, callees);
    for (const fn of names.functions.get(next) ?? []) {
      const facts = factsOf(fn as FunctionLike & { body: ts.Node });
      if (kind === "read" ? facts.reads : !facts.reads && facts.writes === 1) reaching.add(next);
      if (kind === "write" && (facts.reads || facts.writes > 0)) continue;
      for (const call of facts.calls) if (kind === "write" || call.kept) callees.push(call.callee);
    }
    for (const callee of callees) {
      const value = decided.get(callee);
      if (value === true) reaching.add(next);
      else if (value === undefined) pending.push(callee);
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const [next, callees] of edges)
      if (!reaching.has(next) && callees.some((n) => reaching.has(n))) {
        reaching.add(next);
        changed = true;
      }
  }
  for (const next of edges.keys()) decided.set(next, reaching.has(next));
  return reaching.has(name);
}

/** `const x = await f()`, `return f()`, `() => f()` (through `await`, parentheses and `c ? f() : g()`). */
function resultIsKept(call: ts.CallExpression): boolean {
  let node: ts.Node = call;
  while (ts.isAwaitExpression(node.parent) || ts.isParenthesizedExpression(node.parent) || ts.isConditionalExpression(node.parent))
    node = node.parent;
  const parent = node.parent;
  return ts.isVariableDeclaration(parent) || ts.isReturnStatement(parent) || ts.isArrowFunction(parent);
}

const atCall = new NodeFacts<ts.CallExpression, Map<DbAccess, DbAccess>>();

/**
 * `inner`, an access of `callee` (a read it returns, the write it runs), as the call `call` of `callee` performs it.
 * One object per call and access, so that flows can compare accesses by identity.
 */
export function accessAtCall(call: ts.CallExpression, callee: FunctionLike, inner: DbAccess): DbAccess {
  let byInner = atCall.get(call);
  if (!byInner) atCall.set(call, (byInner = new Map()));
  let access = byInner.get(inner);
  if (!access) byInner.set(inner, (access = restate(call, callee, inner)));
  return access;
}

function restate(call: ts.CallExpression, callee: FunctionLike, inner: DbAccess): DbAccess {
  const parameters = parameterNames(callee);
  const argumentFor = (expr: ts.Expression): ts.Expression | undefined => {
    const index = parameterOf(expr, parameters);
    if (index < 0 || call.arguments.slice(0, index + 1).some(ts.isSpreadElement)) return undefined;
    const argument = call.arguments[index];
    if (!argument) return undefined;
    // `update({ id, data }: Input)` / `input.data`: the property of an object literal passed, where it is one.
    const node = skipParens(expr);
    if (ts.isIdentifier(node) && !ts.isIdentifier(callee.parameters[index]!.name)) return propertyValue(argument, node.text) ?? argument;
    // `options.connection.address`, also `connection.address` after `const { connection } = options`: the part of the
    // literal passed that the path names, as deep as the literal spells it out (the caller's `connection`).
    const path = /^[\w$]+(?:\.[\w$]+)*$/.test(canonicalKey(skipAwait(node))) ? canonicalKey(skipAwait(node)).split(".").slice(1) : [];
    let part: ts.Expression = argument;
    for (const name of path) {
      const inner = propertyValue(part, name);
      if (!inner) break;
      part = inner;
    }
    return part;
  };
  // A WHERE value is the argument only where the function compares the parameter itself.
  const exactly = (expr: ts.Expression) => {
    const node = skipAwait(expr);
    return ts.isIdentifier(node) || (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression))
      ? argumentFor(node)
      : undefined;
  };
  const handle = inner.handle && exactly(inner.handle);
  const transactionOption = inner.transactionOption && exactly(inner.transactionOption);
  const conditions: AccessCondition[] = inner.conditions.flatMap((c) => {
    const value = c.value && exactly(c.value);
    // `where: { ...args.where }` called with `{ where: { id } }`: the caller's conditions.
    if (c.column === "..." && value && ts.isObjectLiteralExpression(skipParens(value))) return whereObjectConditions(value);
    return [{ column: c.column, operator: c.operator, ...(value ? { value } : {}) }];
  });
  const access: DbAccess = {
    node: call,
    library: inner.library,
    kind: inner.kind,
    assignments: assignmentsAtCall(inner, argumentFor),
    conditions,
    through: {
      access: inner.through?.access ?? inner,
      calls: inner.through ? [inner.node as ts.CallExpression, ...inner.through.calls] : [],
    },
  };
  if (inner.table !== undefined) access.table = inner.library === "redis" ? redisKeyAtCall(inner, exactly) : inner.table;
  if (handle) access.handle = handle;
  if (transactionOption) access.transactionOption = transactionOption;
  if (inner.insert) access.insert = true;
  if (inner.entityClass) access.entityClass = inner.entityClass;
  if (inner.optimistic) access.optimistic = true;
  const entity = inner.entity && exactly(inner.entity);
  if (entity) access.entity = entity;
  // A row lock outlives the function only on a transaction its caller passes in: one this call site runs in, or a
  // parameter of the function around the call (whose own caller decides).
  if (inner.lock && (handle || transactionOption)) {
    const scope = transactionScopeOf(call);
    const passedOn = parameterOf(handle ?? transactionOption!, parameterNames(enclosingFunction(call))) >= 0;
    if (passedOn || (scope && runsIn(access, scope))) access.lock = inner.lock;
  }
  return access;
}

/**
 * A Redis key the function takes as a parameter is the caller's argument (`getCount(countKey)` reads `countKey`): two
 * helpers whose key parameters share a name (`cacheKey`) do not name one key, nor does a caller's variable of that name.
 */
function redisKeyAtCall(inner: DbAccess, exactly: (expr: ts.Expression) => ts.Expression | undefined): string {
  const table = inner.table!;
  const key = ts.isCallExpression(inner.node) ? inner.node.arguments[0] : undefined;
  const keyText = (expr: ts.Expression) => `redis:${expr.getText().replace(/\s+/g, "")}`;
  if (!key || table !== keyText(key)) return table;
  const argument = exactly(key);
  return argument ? keyText(argument) : table;
}

/**
 * The columns the call writes: each assignment of the function whose value comes from a parameter becomes the
 * argument; a literal stays; anything else is a column written with an unknown value. A parameter that is the whole
 * written object (`data: dto`, `{ ...dto }`, TypeORM `update(id, dto)`) becomes the properties of the object literal
 * passed, when one is.
 */
function assignmentsAtCall(inner: DbAccess, argumentFor: (expr: ts.Expression) => ts.Expression | undefined): AccessAssignment[] {
  if (inner.kind !== "write") return [];
  const atomic = inner.library === "prisma" ? isPrismaAtomic : () => false;
  const expand = (object: ts.Expression | undefined): AccessAssignment[] | undefined => {
    const argument = object && argumentFor(object);
    return argument && ts.isObjectLiteralExpression(skipParens(argument)) ? objectAssignments(argument, atomic) : undefined;
  };
  if (inner.assignments.length === 0 && !inner.sql) return expand(wholeDataOf(inner)) ?? [];
  return inner.assignments.flatMap((a): AccessAssignment[] => {
    if (a.column === "...") return expand(a.value) ?? [];
    const { value: innerValue, sql: _sql, ...rest } = a;
    const values = innerValue ? [innerValue] : (a.sql?.placeholders ?? []).map((p) => placeholderValue(inner, p));
    const value = values.map((v) => v && (isLiteral(v) ? v : argumentFor(v))).find((v) => v !== undefined);
    // A SQL assignment computed from the column itself (`balance = balance - $1`) stays atomic.
    return [{ ...rest, atomic: a.atomic || !!a.sql?.selfRelative, ...(value ? { value } : {}) }];
  });
}

/** The written object when it is not a literal: Prisma `data: dto`, TypeORM `repo.update(criteria, dto)`. */
function wholeDataOf(write: DbAccess): ts.Expression | undefined {
  const call = write.node;
  if (!ts.isCallExpression(call)) return undefined;
  if (write.library === "prisma") return propertyValue(call.arguments[0], "data") ?? propertyValue(call.arguments[0], "update");
  if (write.library === "typeorm" && !write.entity) return call.arguments[call.arguments.length - 1];
  return undefined;
}

function parameterNames(fn: FunctionLike | undefined): Array<Set<string>> {
  return fn ? fn.parameters.map((p) => new Set(boundNames(p.name).map((id) => id.text))) : [];
}

/**
 * How many calls down a wrapper's statement is looked for. Not the core's fixpoint (flow/bottom-up.ts `solveBottomUp`), on
 * purpose: a wrapper is a function running exactly one write, and followed to any depth, a function that writes its
 * caller's values and also bumps a version or cleans up through helpers a few calls down is a service step of several
 * writes, so a lost update through it would not be reported (growthbook's `updateColumn`, judged TRUE twice).
 */
const MAX_WRAPPER_DEPTH = 3;

/** Per resolver (one per Program), the write each wrapper runs when asked with so many calls left (null: none). */
const writeSummaries = new WeakMap<CalleeResolver, NodeFacts<FunctionLike, Array<DbAccess | null>>>();

/**
 * The write a call of a project wrapper runs (`this.levels.update(id, { qty })`), restated at the call: a function
 * whose body runs exactly one database write, itself or through a wrapper of its own (at most MAX_WRAPPER_DEPTH calls
 * down from the call asked about), and no read. A function that does more is a service step of its own, not a way
 * of writing. Answers are kept per depth, so a function's answer does not depend on which caller asked first.
 */
export function wrappedWriteAt(call: ts.CallExpression, resolve: CalleeResolver, depth = 0): DbAccess | undefined {
  if (call.arguments.length === 0 || depth >= MAX_WRAPPER_DEPTH || !mayReachDatabase(call, resolve, "write")) return undefined;
  const callee = resolve(call);
  if (!callee?.body) return undefined;
  let summaries = writeSummaries.get(resolve);
  if (!summaries) writeSummaries.set(resolve, (summaries = new NodeFacts()));
  let byDepth = summaries.get(callee);
  if (!byDepth) summaries.set(callee, (byDepth = []));
  let inner = byDepth[depth];
  if (inner === undefined) {
    byDepth[depth] = null; // a cycle writes nothing
    inner = byDepth[depth] = onlyWriteOf(callee, resolve, depth) ?? null;
  }
  return inner ? accessAtCall(call, callee, inner) : undefined;
}

function onlyWriteOf(fn: FunctionLike, resolve: CalleeResolver, depth: number): DbAccess | undefined {
  const calls = nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body!, CALL_KINDS, { skipFunctions: true });
  if (ts.isCallExpression(fn.body!) || ts.isTaggedTemplateExpression(fn.body!)) calls.unshift(fn.body);
  let write: DbAccess | undefined;
  for (const call of calls) {
    const access = dbAccessOf(call) ?? (ts.isCallExpression(call) ? wrappedWriteAt(call, resolve, depth + 1) : undefined);
    if (!access) continue;
    if (access.kind !== "write" || write || access.flush) return undefined;
    write = access;
  }
  return write;
}

/** The steps of an access made through project functions, for related locations: each call down, then the statement. */
export function stepsThrough(access: DbAccess, what: "row read" | "row written"): Array<{ node: ts.Node; message: string }> {
  if (!access.through) return [];
  const nodes = [...access.through.calls, access.through.access.node];
  return nodes.map((node, i) => {
    const fn = enclosingFunction(node);
    const name = fn ? `\`${functionName(fn)}\`` : "the function";
    return { node, message: i === nodes.length - 1 ? `${what} here, in ${name}` : `through ${name}` };
  });
}
