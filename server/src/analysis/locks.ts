// Recognising lock operations: where a lock is acquired (and how), and where it is released.
// One recogniser for every rule, so that "what is a lock" means the same thing in every finding.
//
// Evidence is syntactic first (imports, constructors, SQL text, `NX` arguments), and the type checker is asked only
// for a receiver whose origin syntax cannot tell. A call is only treated as a lock operation with evidence: a method
// merely named `acquire` on an unknown object is not enough.
import { ts } from "../engine/ts";
import {
  CALL_KINDS,
  calleeName,
  code,
  expressionKey,
  importedBinding,
  importsOf,
  isFunctionLike,
  nodesOfKinds,
  outerExpression,
  receiverOf,
  skipParens,
  stringValue,
  type FunctionLike,
} from "./ast";
import { QUERY_METHODS, normalizeSql, sqlSiteOf } from "./sql-text";
import { RUNTIME_MODULE, lockObjectKind, type CheckerGetter, type LockMechanism } from "./lock-objects";

export { keyedLockSource, lockObjectKind, type CheckerGetter, type LockMechanism } from "./lock-objects";

export type AcquisitionStyle =
  /** Waits until granted or throws: `await mutex.acquire()`, `pg_advisory_lock`. */
  | "blocking"
  /** May fail and says so in its result: `SET NX`, `pg_try_advisory_lock`, `GET_LOCK`, `tryAcquire()`. */
  | "try"
  /** Runs a callback while held and releases afterwards: `runExclusive(fn)`, `redlock.using`, `lockAll(keys, fn)`. */
  | "scoped";

export interface LockAcquisition {
  call: ts.CallExpression | ts.TaggedTemplateExpression;
  mechanism: LockMechanism;
  style: AcquisitionStyle;
  /** The lock object (`this.accountsLock`), when the lock is an object. */
  lockObject?: ts.Expression;
  /** The key naming the lock (Redis key, advisory key, keyed-lock key), when there is one. */
  key?: ts.Expression;
  /** For scoped forms: the callback that runs while the lock is held. */
  callback?: FunctionLike;
  /** Whether the lock expires by itself (Redis PX/EX, leases, redlock's TTL). */
  expires: boolean;
  /** True for transaction-scoped locks (pg_advisory_xact_lock): released by COMMIT/ROLLBACK, never by hand. */
  transactionScoped: boolean;
  /** Human-readable name for messages: "`this.accountsLock`", "Redis lock `lock:order:${id}`". */
  label: string;
}

export interface LockRelease {
  call: ts.CallExpression | ts.TaggedTemplateExpression;
}

const SCOPED_METHODS: Record<string, LockMechanism[]> = {
  runExclusive: ["mutex", "semaphore"],
  run: ["mutex", "semaphore", "keyed-lock"],
  runRead: ["rwlock"],
  runWrite: ["rwlock"],
  lock: ["keyed-lock"],
  lockAll: ["keyed-lock"],
  using: ["redlock"],
  withLease: ["lease"],
  withLock: ["lease", "keyed-lock"],
};

/** Source text for a message, shortened. */
function labelOf(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function lastFunctionArgument(call: ts.CallExpression): FunctionLike | undefined {
  for (let i = call.arguments.length - 1; i >= 0; i--) {
    const arg = skipParens(call.arguments[i]!);
    if (isFunctionLike(arg)) return arg;
  }
  return undefined;
}

/** Whether a node-redis / ioredis `set` call carries NX (positional 'NX' or { NX: true } / { condition: 'NX' }). */
function redisSetFlags(call: ts.CallExpression): { nx: boolean; expires: boolean } {
  let nx = false;
  let expires = false;
  for (const arg of call.arguments.slice(2)) {
    const value = stringValue(skipParens(arg))?.toUpperCase();
    if (value === "NX") nx = true;
    if (value && ["PX", "EX", "PXAT", "EXAT"].includes(value)) expires = true; // KEEPTTL keeps "no expiry" on a new key
    const obj = skipParens(arg);
    if (ts.isObjectLiteralExpression(obj)) {
      for (const property of obj.properties) {
        if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
        const key =
          property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text.toUpperCase() : "";
        const initializer = ts.isPropertyAssignment(property) ? skipParens(property.initializer) : undefined;
        if (key === "NX" && initializer?.kind !== ts.SyntaxKind.FalseKeyword) nx = true;
        if (key === "CONDITION" && stringValue(initializer)?.toUpperCase() === "NX") nx = true;
        if (["PX", "EX", "PXAT", "EXAT"].includes(key)) expires = true;
        if (key === "EXPIRATION") expires = true; // node-redis v5: { expiration: { type: 'PX', value } }
      }
    }
  }
  return { nx, expires };
}

const ADVISORY = /\b(PG_TRY_ADVISORY_XACT_LOCK|PG_TRY_ADVISORY_LOCK|PG_ADVISORY_XACT_LOCK|PG_ADVISORY_LOCK)(_SHARED)?\s*\(/;

/**
 * If `node` acquires a lock, describes the acquisition. Cheap for non-candidates: a switch on the callee name and,
 * for SQL, a keyword test, before anything touches the checker.
 */
export function lockAcquisitionOf(node: ts.Node, checker: CheckerGetter): LockAcquisition | undefined {
  if (!ts.isCallExpression(node) && !ts.isTaggedTemplateExpression(node)) return undefined;
  if (ts.isCallExpression(node)) {
    const name = calleeName(node);
    if (name === undefined) return undefined;
    const receiver = receiverOf(node);
    if (QUERY_METHODS.has(name)) {
      // `run`/`get`/`execute` are also lock methods (runtime `Mutex.run`): only SQL text decides here.
      const site = sqlSiteOf(node);
      if (site) return sqlLockOf(site.node, site.sql);
    }

    // Redis SET NX / SETNX: the NX flag is evidence enough, whatever the client.
    if ((name === "set" || name === "SET") && receiver && node.arguments.length >= 3) {
      const flags = redisSetFlags(node);
      if (flags.nx) return redisAcquisition(node, flags.expires);
    }
    if ((name === "setnx" || name === "setNX" || name === "SETNX") && receiver && node.arguments.length >= 2)
      return redisAcquisition(node, false);

    if (name === "lockAll" && !receiver) {
      const binding = importedBinding(node.expression, node.getSourceFile());
      const callback = lastFunctionArgument(node);
      if (binding && RUNTIME_MODULE.test(binding.module) && callback) {
        return {
          call: node,
          mechanism: "keyed-lock",
          style: "scoped",
          key: node.arguments[0],
          callback,
          expires: false,
          transactionScoped: false,
          label: code(`lockAll(${labelOf(node.arguments[0] ?? node)})`),
        };
      }
    }

    if (!receiver) return undefined;
    const isScoped = name in SCOPED_METHODS;
    const isAcquire =
      name === "acquire" ||
      name === "tryAcquire" ||
      name === "acquireRead" ||
      name === "acquireWrite" ||
      name === "read" ||
      name === "write";
    if (!isScoped && !isAcquire) return undefined;
    const kind = lockObjectKind(receiver, checker);
    if (!kind) return undefined;
    const label = code(labelOf(receiver));
    const callback = lastFunctionArgument(node);

    if (isScoped && SCOPED_METHODS[name]!.includes(kind.mechanism) && callback) {
      const key =
        kind.mechanism === "keyed-lock" || kind.mechanism === "redlock" || kind.mechanism === "lease" ? node.arguments[0] : undefined;
      return {
        call: node,
        mechanism: kind.mechanism,
        style: "scoped",
        lockObject: receiver,
        ...(key ? { key } : {}),
        callback,
        expires: kind.mechanism === "redlock" || kind.mechanism === "lease",
        transactionScoped: false,
        label: key ? `${label} key ${code(labelOf(key))}` : label,
      };
    }
    if (!isAcquire) return undefined;
    if ((name === "read" || name === "write") && kind.mechanism !== "rwlock") return undefined;
    // async-lock's acquire(key, fn) and runtime LockManager.lock/acquire(key) are keyed.
    if (callback && (kind.library === "async-lock" || kind.mechanism === "keyed-lock")) {
      return {
        call: node,
        mechanism: "keyed-lock",
        style: "scoped",
        lockObject: receiver,
        key: node.arguments[0]!,
        callback,
        expires: false,
        transactionScoped: false,
        label: `${label} key ${code(labelOf(node.arguments[0]!))}`,
      };
    }
    const ifAvailable = node.arguments.some(
      (a) =>
        ts.isObjectLiteralExpression(a) &&
        a.properties.some(
          (p) => p.name?.getText() === "ifAvailable" && ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.TrueKeyword,
        ),
    );
    const style: AcquisitionStyle =
      name === "tryAcquire" && (kind.library === "redis-semaphore" || kind.library === "runtime" || kind.mechanism === "lease")
        ? "try"
        : ifAvailable
          ? "try"
          : "blocking";
    const key =
      kind.mechanism === "keyed-lock" || kind.mechanism === "redlock" || kind.mechanism === "lease" ? node.arguments[0] : undefined;
    return {
      call: node,
      mechanism: kind.mechanism,
      style,
      lockObject: receiver,
      ...(key ? { key } : {}),
      expires: kind.mechanism === "redlock" || kind.mechanism === "lease" || kind.mechanism === "redis-semaphore",
      transactionScoped: false,
      label: key ? `${label} key ${code(labelOf(key))}` : label,
    };
  }

  // SQL advisory / named locks: `SELECT pg_try_advisory_lock($1)`, `SELECT GET_LOCK('name', 10)`.
  const site = sqlSiteOf(node);
  return site ? sqlLockOf(site.node, site.sql) : undefined;
}

function redisAcquisition(call: ts.CallExpression, expires: boolean): LockAcquisition {
  const key = call.arguments[0]!;
  return {
    call,
    mechanism: "redis-set-nx",
    style: "try",
    lockObject: receiverOf(call)!,
    key,
    expires,
    transactionScoped: false,
    label: `Redis lock ${code(labelOf(key))}`,
  };
}

function sqlLockOf(call: ts.CallExpression | ts.TaggedTemplateExpression, sql: string): LockAcquisition | undefined {
  const upper = normalizeSql(sql);
  const advisory = ADVISORY.exec(upper);
  if (advisory) {
    const fn = advisory[1]!;
    const isTry = fn.startsWith("PG_TRY");
    const xact = fn.includes("XACT");
    return {
      call,
      mechanism: "pg-advisory",
      style: isTry ? "try" : "blocking",
      expires: false,
      transactionScoped: xact,
      label: `PostgreSQL advisory lock (\`${fn.toLowerCase()}\`)`,
    };
  }
  if (/\bGET_LOCK\s*\(/.test(upper)) {
    return {
      call,
      mechanism: "mysql-named",
      style: "try",
      expires: false,
      transactionScoped: false,
      label: "MySQL named lock (`GET_LOCK`)",
    };
  }
  return undefined;
}

/** The lock object or key an acquisition and a release must share, as text. */
function identityKey(acquisition: LockAcquisition): string | undefined {
  if (acquisition.key) return expressionKey(acquisition.key);
  if (acquisition.lockObject) return expressionKey(acquisition.lockObject);
  return undefined;
}

/**
 * Names bound to what an acquisition returns: `const release = await m.acquire()`, `const [, release] = ...`,
 * `const lock = await redlock.acquire(...)`, `const ok = await redis.set(...)`.
 */
export function resultBinding(acquisition: LockAcquisition): ts.BindingName | undefined {
  const outer = outerExpression(acquisition.call as ts.Expression);
  const parent = outer.parent;
  if (parent && ts.isVariableDeclaration(parent) && parent.initializer === outer) return parent.name;
  return undefined;
}

/**
 * Whether `call` releases the lock `acquisition` took. Matches: calling the release function it returned, `.release()`
 * / `.unlock()` on its handle or on the same lock object, Redis DEL/UNLINK (or a compare-and-delete script) of the same
 * key, and the SQL unlock functions.
 */
export function isReleaseOf(
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  acquisition: LockAcquisition,
  resultNames: ReadonlySet<string>,
): boolean {
  if (ts.isCallExpression(call)) {
    const callee = skipParens(call.expression);
    const name = calleeName(call);
    if (ts.isIdentifier(callee)) return resultNames.has(callee.text); // release()
    const receiver = receiverOf(call);
    if (!receiver || !name) return false;
    const receiverText = expressionKey(receiver);
    if (
      (name === "release" || name === "unlock" || name === "releaseLock") &&
      (resultNames.has(receiverText) || (acquisition.lockObject && receiverText === expressionKey(acquisition.lockObject)))
    )
      return true;
    if (acquisition.mechanism === "redis-set-nx") {
      const id = identityKey(acquisition);
      if (
        (name === "del" || name === "unlink" || name === "DEL" || name === "UNLINK") &&
        call.arguments[0] &&
        expressionKey(call.arguments[0]) === id
      )
        return true;
      if (
        (name === "eval" || name === "evalsha" || name === "EVAL" || /^release/i.test(name)) &&
        call.arguments.some((a) => expressionKey(a) === id)
      )
        return true;
      if (
        name === "eval" &&
        call.arguments.some((a) => ts.isObjectLiteralExpression(a) && a.getText().includes(acquisition.key!.getText()))
      )
        return true;
    }
  }
  if (acquisition.mechanism === "pg-advisory" || acquisition.mechanism === "mysql-named") {
    const site = sqlSiteOf(call);
    if (!site) return false;
    const upper = normalizeSql(site.sql);
    return acquisition.mechanism === "pg-advisory"
      ? /\bPG_ADVISORY_UNLOCK(_SHARED|_ALL)?\s*\(/.test(upper)
      : /\bRELEASE_(ALL_)?LOCKS?\s*\(/.test(upper);
  }
  return false;
}

/** True if the acquisition is `await using x = ...` (released by the language at scope exit). */
export function isDisposedByUsing(acquisition: LockAcquisition): boolean {
  const binding = resultBinding(acquisition);
  const list = binding?.parent?.parent;
  return !!list && ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Using) !== 0;
}

const acquisitionsCache = new WeakMap<ts.Program, WeakMap<ts.SourceFile, LockAcquisition[]>>();

/**
 * Every lock acquisition in a file, in source order, computed once per Program and file and shared by all rules
 * (a SourceFile is reused across Programs when unchanged, but what its receivers resolve to may not be).
 */
export function lockAcquisitionsIn(
  sourceFile: ts.SourceFile,
  program: ts.Program,
  realChecker: () => ts.TypeChecker,
): readonly LockAcquisition[] {
  const checker = lockCheckerFor(program, realChecker);
  let perFile = acquisitionsCache.get(program);
  if (!perFile) acquisitionsCache.set(program, (perFile = new WeakMap()));
  let found = perFile.get(sourceFile);
  if (!found) {
    const list: LockAcquisition[] = [];
    for (const node of nodesOfKinds(sourceFile, CALL_KINDS)) {
      const acquisition = lockAcquisitionOf(node, checker);
      if (acquisition) list.push(acquisition);
    }
    perFile.set(sourceFile, (found = list));
  }
  return found;
}

const LOCK_LIBRARY = /^(async-mutex|redlock|redis-semaphore|async-lock)$/;
const usesLockLibraries = new WeakMap<ts.Program, boolean>();

/**
 * The checker getter to use for `program`: the real one when some project file imports a lock library (async-mutex,
 * redlock, redis-semaphore, async-lock, the runtime), else one that answers undefined — with no lock library in the
 * project no declaration can be a lock object, and such a project never pays for creating the checker here.
 */
export function lockCheckerFor(program: ts.Program, checker: () => ts.TypeChecker): CheckerGetter {
  let uses = usesLockLibraries.get(program);
  if (uses === undefined) {
    uses = program
      .getSourceFiles()
      .some(
        (sf) =>
          !sf.isDeclarationFile && [...importsOf(sf).values()].some((i) => LOCK_LIBRARY.test(i.module) || RUNTIME_MODULE.test(i.module)),
      );
    usesLockLibraries.set(program, uses);
  }
  return uses ? checker : () => undefined;
}
