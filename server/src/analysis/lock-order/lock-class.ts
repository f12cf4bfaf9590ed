// Lock identity for lock-order analysis: the lock *class* an acquisition takes (the mechanism plus what names it:
// a module- or class-level mutex, a keyed container of mutexes, a Redis key template, an advisory key, a table's
// rows) and, where the class has many instances, the key expression that picks one.
import { ts } from "../../engine/ts";
import { normalizePath } from "../../engine/paths";
import { isFunctionLike, skipParens, expressionKey, functionName, type FunctionLike } from "../ast";
import { constructedLockKey, keyedLockSource, type LockAcquisition, type LockMechanism } from "../locks";
import { normalizeSql, sqlSiteOf } from "../sql-text";
import { maskLiterals, parseSql } from "../sql";
import { placeholderValue } from "../db";
import { promiseChainOf } from "../promise-chains";
import { constAliasOf, MAX_ALIAS_STEPS } from "../identity";

/** What the lock-order graph's nodes are. Row locks join the mechanisms of locks.ts. */
export type LockKind = LockMechanism | "row-lock";

export interface LockClass {
  /** Stable across edits elsewhere: built from declaration names, key templates and table names, never offsets. */
  id: string;
  /** For messages and graphs: `usersLock`, `AccountService.lock`, `accountLocks[key]`, `lock:account:${…}`, `accounts rows`. */
  label: string;
  kind: LockKind;
  /** The file declaring the lock object, for object locks (tells apart two `accountLocks` of different files). */
  declaredIn?: string;
  /** Declared reentrant (locksmith.json `reentrant`, a `reentrant` tag): its holder may take it again. */
  reentrant?: true;
}

/** A lock's class plus the expression choosing the instance (for keyed classes). */
export interface LockIdentity {
  lockClass: LockClass;
  key?: ts.Expression;
  /** What the key selects by, when instances can be selected in more than one way (a row lock's WHERE column). */
  keyDomain?: string;
  /** Files whose declarations decided the identity (the summary is stale when they change). */
  declarationFiles: string[];
}

/** Mechanisms where taking the same lock twice from one owner waits for itself (or fails): never re-entrant. */
export const NON_REENTRANT: ReadonlySet<LockKind> = new Set<LockKind>([
  "mutex",
  "keyed-lock",
  "redis-set-nx",
  "redlock",
  "lease",
  "redis-semaphore",
  "lock-table",
]);

/** The identity of the lock `acquisition` takes, or undefined when it cannot be named precisely. */
export function lockIdentityOf(acquisition: LockAcquisition, checker: ts.TypeChecker): LockIdentity | undefined {
  if (acquisition.wrapper) return wrapperIdentity(acquisition, checker);
  switch (acquisition.mechanism) {
    case "redis-set-nx":
    case "redlock":
    case "lease":
    case "redis-semaphore": {
      const key = acquisition.key ?? constructedLockKey(acquisition);
      return key ? keyTemplateIdentity(acquisition, key) : objectIdentity(acquisition, checker);
    }
    case "pg-advisory":
      return advisoryIdentity(acquisition);
    case "mysql-named":
      return undefined;
    case "busy-key":
      return undefined; // callers turn away from a busy key instead of waiting for it: no wait, no deadlock
    case "lock-table":
      return lockTableIdentity(acquisition);
    default:
      return objectIdentity(acquisition, checker);
  }
}

/** Redis and lease locks are named by their key: `lock:account:${id}` is one class, `id` picks the instance. */
function keyTemplateIdentity(acquisition: LockAcquisition, lockKey: ts.Expression): LockIdentity | undefined {
  let key = skipParens(lockKey);
  if (ts.isArrayLiteralExpression(key)) {
    if (key.elements.length !== 1) return undefined;
    key = skipParens(key.elements[0]!);
  }
  const kind = acquisition.mechanism;
  if (ts.isStringLiteralLike(key)) return { lockClass: { id: `${kind}:${key.text}`, label: key.text, kind }, declarationFiles: [] };
  if (ts.isTemplateExpression(key) && key.templateSpans.length === 1) {
    const template = templateLabel(key);
    return { lockClass: { id: `${kind}:${template}`, label: template, kind }, key: key.templateSpans[0]!.expression, declarationFiles: [] };
  }
  // A key computed elsewhere: one class per expression and function, never merged with another.
  const fn = enclosingFunctionName(key);
  const text = expressionKey(key);
  return {
    lockClass: { id: `${kind}:${normalizePath(key.getSourceFile().fileName)}#${fn}:${text}`, label: text, kind },
    declarationFiles: [],
  };
}

/**
 * A lock table's row: the table is the class, the row's key (the value its key column is inserted with) the
 * instance; a key written as a SQL literal, or a literal or one-interpolation template in code, names a class of its
 * own, as Redis keys do. A table without a key column is one lock; a key Locksmith cannot read gives no identity.
 */
function lockTableIdentity(acquisition: LockAcquisition): LockIdentity | undefined {
  const lock = acquisition.lockTable;
  if (!lock) return undefined;
  const lockClass: LockClass = { id: `lock-table:${lock.table}`, label: `${lock.table} lock`, kind: "lock-table" };
  if (lock.keyColumn === undefined) return { lockClass, declarationFiles: [] };
  if (!lock.key) return undefined;
  if ("literal" in lock.key) return refinedClass(lockClass, lock.key.literal, []);
  const key = skipParens(lock.key.value);
  if (ts.isStringLiteralLike(key)) return refinedClass(lockClass, key.text, []);
  if (ts.isTemplateExpression(key))
    return key.templateSpans.length === 1 ? refinedClass(lockClass, templateLabel(key), [], key.templateSpans[0]!.expression) : undefined;
  return { lockClass, key, declarationFiles: [] };
}

/**
 * An instance class of `lockClass` named by a constant key or a key template (`order:${…}`), labelled by it (a lock
 * table's row with its table: `job_locks lock nightly`), the same whether the code takes it directly or by a helper.
 */
function refinedClass(lockClass: LockClass, suffix: string, declarationFiles: string[], key?: ts.Expression): LockIdentity {
  const label = lockClass.kind === "lock-table" ? `${lockClass.label} ${suffix}` : suffix;
  return { lockClass: { ...lockClass, id: `${lockClass.id}|${suffix}`, label }, ...(key ? { key } : {}), declarationFiles };
}

/** `order:${…}` for `` `order:${id}` `` (a template with one interpolation). */
function templateLabel(template: ts.TemplateExpression): string {
  return `${template.head.text}\${…}${template.templateSpans[0]!.literal.text}`;
}

/**
 * A call of a project lock helper takes the lock its body takes: the inner lock's class, with the instance chosen by
 * the argument the helper keys it by. A key built from a template names a class of its own (`withLock(\`order:${id}\`,
 * …)`: `order:${…}`, keyed by `id`), as Redis keys do. A helper keying its lock by something else than its argument
 * picks an instance unknown here: no identity; nor has a helper that may run the callback without the lock (`bypass`)
 * or whose result says whether it got the lock. A declared helper (locksmith.json, a tag) names a lock of its own.
 */
function wrapperIdentity(acquisition: LockAcquisition, checker: ts.TypeChecker): LockIdentity | undefined {
  const wrapper = acquisition.wrapper!;
  // A promise-chain queue is a mutex per chain field (every instance one class, as a mutex field): a task that waits
  // for another task of its own queue waits for itself.
  const chain = "promiseChain" in wrapper.source ? promiseChainOf(wrapper.fn) : undefined;
  if (chain) {
    const file = normalizePath(wrapper.fn.getSourceFile().fileName);
    const owner = ts.isClassLike(wrapper.fn.parent) && wrapper.fn.parent.name ? `${wrapper.fn.parent.name.text}.` : "";
    const label = `${owner}${chain.field.name.text}`;
    return { lockClass: { id: `mutex:${file}#${label}`, label, kind: "mutex", declaredIn: file }, declarationFiles: [file] };
  }
  // A try-lock helper holds the lock only when its result says so, which the held regions here do not follow.
  if (wrapper.style === "try") return undefined;
  if ("declared" in wrapper.source) return declaredIdentity(acquisition);
  if (!("inferred" in wrapper.source) || wrapper.bypass) return undefined;
  const inner = lockIdentityOf(wrapper.source.inferred, checker);
  if (!inner) return undefined;
  const declarationFiles = [...inner.declarationFiles, normalizePath(wrapper.fn.getSourceFile().fileName)];
  // One lock for every call only when the body's lock has no key at all (a mutex object), not a key built from
  // several arguments or computed inside.
  if (wrapper.keyParam === undefined) return inner.key || wrapper.source.inferred.key ? undefined : { ...inner, declarationFiles };
  // A lock object the helper picks by its key argument (`this.locks.get(key)` in a local): the helper names the class.
  return keyedByArgument(inner.key ? inner.lockClass : helperLockClass(acquisition), acquisition, declarationFiles);
}

/** The lock a helper takes that its body does not name: the helper's own (`mutex:file#withLock()`). */
function helperLockClass(acquisition: LockAcquisition): LockClass {
  const wrapper = acquisition.wrapper!;
  const file = normalizePath(wrapper.fn.getSourceFile().fileName);
  const name = functionName(wrapper.fn);
  return { id: `${wrapper.mechanism}:${file}#${name}()`, label: name, kind: wrapper.mechanism, declaredIn: file };
}

/**
 * A declared helper's lock (its body is not read): one lock for every call without a declared key (every instance of
 * its class one lock, as a mutex field), else the instance its key argument names. Reentrant when declared so.
 */
function declaredIdentity(acquisition: LockAcquisition): LockIdentity | undefined {
  const wrapper = acquisition.wrapper!;
  const declared = "declared" in wrapper.source ? wrapper.source.declared : undefined;
  const lockClass: LockClass = { ...helperLockClass(acquisition), ...(declared?.reentrant ? { reentrant: true as const } : {}) };
  const declarationFiles = [lockClass.declaredIn!];
  if (wrapper.keyParam === undefined) return { lockClass, declarationFiles };
  return keyedByArgument(lockClass, acquisition, declarationFiles);
}

/**
 * The instance of `lockClass` a helper call's key argument picks: a literal or a one-interpolation template names a
 * class of its own (`order:${…}`, keyed by its expression); anything else is the key. No identity for a template
 * with several interpolations (no finding rather than a guess).
 */
function keyedByArgument(lockClass: LockClass, acquisition: LockAcquisition, declarationFiles: string[]): LockIdentity | undefined {
  const argument = acquisition.key && skipParens(acquisition.key);
  if (!argument) return undefined;
  if (ts.isStringLiteralLike(argument)) return refinedClass(lockClass, argument.text, declarationFiles);
  if (ts.isTemplateExpression(argument))
    return argument.templateSpans.length === 1
      ? refinedClass(lockClass, templateLabel(argument), declarationFiles, argument.templateSpans[0]!.expression)
      : undefined;
  return { lockClass, key: argument, declarationFiles };
}

const ADVISORY_ARGS = /PG_(?:TRY_)?ADVISORY_(?:XACT_)?LOCK(?:_SHARED)?\s*\(([^()]*(?:\([^()]*\))?[^()]*)\)/;

/** `pg_advisory_xact_lock($1)` with values `[id]`: class "advisory", key `id`. A constant key is its own class. */
function advisoryIdentity(acquisition: LockAcquisition): LockIdentity | undefined {
  const site = sqlSiteOf(acquisition.call);
  if (!site) return undefined;
  const args = ADVISORY_ARGS.exec(normalizeSql(site.sql))?.[1]?.trim();
  if (args === undefined) return undefined;
  // `pg_advisory_xact_lock(k) FROM unnest($1) AS k`: one lock per element of the array, which is the key, not a
  // constant lock named by the alias.
  const array = unnestedArray(acquisition.call);
  if (array)
    return { lockClass: { id: "pg-advisory", label: "advisory lock", kind: "pg-advisory" }, key: array.collection, declarationFiles: [] };
  const placeholders = parseSql(`SELECT ${args}`).placeholders;
  if (placeholders.length === 0)
    return { lockClass: { id: `pg-advisory:${args}`, label: `advisory lock ${args}`, kind: "pg-advisory" }, declarationFiles: [] };
  const key = placeholders.length === 1 ? placeholderValue(site.node, placeholders[0]!) : undefined;
  if (!key) return undefined;
  return { lockClass: { id: "pg-advisory", label: "advisory lock", kind: "pg-advisory" }, key, declarationFiles: [] };
}

/** A lock object: a declared mutex/manager, or one handed out per key by a container or factory. */
function objectIdentity(acquisition: LockAcquisition, checker: ts.TypeChecker): LockIdentity | undefined {
  if (!acquisition.lockObject) return undefined;
  const keyed = keyedLockSource(acquisition.lockObject);
  const declared = declarationName(keyed ? keyed.container : acquisition.lockObject, checker);
  if (!declared) return undefined;
  const kind = acquisition.mechanism;
  const key = keyed ? keyed.key : acquisition.key;
  if (key) {
    const lockObject = skipParens(acquisition.lockObject);
    const factory = keyed && ts.isCallExpression(lockObject) && skipParens(lockObject.expression) === keyed.container;
    return {
      lockClass: {
        id: `${kind}:${declared.id}[]`,
        label: factory ? `${declared.label}(key)` : `${declared.label}[key]`,
        kind,
        declaredIn: declared.file,
      },
      key,
      declarationFiles: [declared.file],
    };
  }
  return {
    lockClass: { id: `${kind}:${declared.id}`, label: declared.label, kind, declaredIn: declared.file },
    declarationFiles: [declared.file],
  };
}

/**
 * A stable name for what `expr` refers to: `file#usersLock`, `file#AccountService.lock`. A lock passed in as a
 * parameter gets a name private to its function (its instance is unknown). A `const` alias (`const m = this.mutex`)
 * names what it aliases: it cannot be reassigned, so it is that lock.
 */
function declarationName(expr: ts.Expression, checker: ts.TypeChecker, depth = 0): { id: string; label: string; file: string } | undefined {
  const node = skipParens(expr);
  const nameNode = ts.isPropertyAccessExpression(node) ? node.name : ts.isIdentifier(node) ? node : undefined;
  if (!nameNode) return undefined;
  let symbol = checker.getSymbolAtLocation(nameNode);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (!declaration) return undefined;
  const aliased = constAliasOf(declaration);
  if (aliased && depth < MAX_ALIAS_STEPS) return declarationName(aliased, checker, depth + 1);
  const file = normalizePath(declaration.getSourceFile().fileName);
  const name = nameNode.text;
  if (ts.isParameter(declaration) && !isParameterProperty(declaration)) {
    return { id: `${file}#${enclosingFunctionName(declaration)}(${name})`, label: name, file };
  }
  const owner = classNameOf(declaration);
  const label = owner ? `${owner}.${name}` : name;
  return { id: `${file}#${label}`, label, file };
}

function isParameterProperty(parameter: ts.ParameterDeclaration): boolean {
  return (
    ts
      .getModifiers(parameter)
      ?.some(
        (m) =>
          m.kind === ts.SyntaxKind.PrivateKeyword ||
          m.kind === ts.SyntaxKind.PublicKeyword ||
          m.kind === ts.SyntaxKind.ProtectedKeyword ||
          m.kind === ts.SyntaxKind.ReadonlyKeyword,
      ) ?? false
  );
}

/** The class a member declaration (property, parameter property, `this.x =` assignment) belongs to. */
function classNameOf(declaration: ts.Node): string | undefined {
  for (let current: ts.Node | undefined = declaration.parent; current; current = current.parent) {
    if (ts.isClassDeclaration(current) || ts.isClassExpression(current)) return current.name?.text ?? "<class>";
    if (ts.isSourceFile(current) || ts.isModuleBlock(current)) return undefined;
    if (isFunctionLike(current) && !ts.isConstructorDeclaration(current) && !ts.isMethodDeclaration(current)) return undefined;
  }
  return undefined;
}

function enclosingFunctionName(node: ts.Node): string {
  for (let current = node.parent; current; current = current.parent)
    if (isFunctionLike(current)) return functionName(current as FunctionLike);
  return "<module>";
}

/**
 * The array a statement gives `unnest` as its one placeholder (`FROM unnest($1::bigint[]) AS k`,
 * `pg_advisory_xact_lock(unnest($1))`): the value bound to it, and whether the statement sorts the elements
 * (`ORDER BY`), after which PostgreSQL evaluates the select list's lock calls.
 */
export function unnestedArray(
  node: ts.CallExpression | ts.TaggedTemplateExpression,
): { collection: ts.Expression; sorted: boolean } | undefined {
  const site = sqlSiteOf(node);
  if (!site || !/\bunnest\s*\(/i.test(site.sql)) return undefined;
  const masked = maskLiterals(site.sql);
  const unnest = /\bunnest\s*\(/i.exec(masked);
  if (!unnest) return undefined;
  const open = unnest.index + unnest[0].length;
  let close = open;
  for (let depth = 1; close < masked.length && depth > 0; close++) depth += masked[close] === "(" ? 1 : masked[close] === ")" ? -1 : 0;
  const inside = parseSql(site.sql).placeholders.filter((p) => p.offset >= open && p.offset < close);
  const collection = inside.length === 1 ? placeholderValue(node, inside[0]!) : undefined;
  return collection && { collection, sorted: /\border\s+by\b/i.test(masked) };
}
