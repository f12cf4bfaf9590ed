// What a lock *object* is: which library's mutex, semaphore, keyed lock or lock provider an expression holds, from
// the import of its constructor or factory, a type annotation, or (asked only here) where the checker says it was
// declared. `locks.ts` builds acquisitions and releases on top of this.
import { ts } from "../engine/ts";
import { importedBinding, isFunctionLike, skipAwait, skipParens, type FunctionLike } from "./ast";

/**
 * How the recogniser reaches the type checker: only to find where a receiver was declared. Answering undefined means
 * "no declaration can be a lock object here" (see `lockCheckerFor`), and nothing is asked.
 */
export type CheckerGetter = () => ts.TypeChecker | undefined;

/** The library or protocol behind a lock. */
export type LockMechanism =
  | "mutex" // async-mutex Mutex / runtime Mutex (in-process, non-reentrant)
  | "semaphore" // async-mutex Semaphore / runtime Semaphore
  | "rwlock" // runtime RWLock
  | "keyed-lock" // runtime LockManager, async-lock
  | "redis-set-nx" // SET key value NX [PX ms], SETNX
  | "redlock" // node-redlock
  | "redis-semaphore" // redis-semaphore Mutex/Semaphore
  | "lease" // runtime Redis/PostgreSQL/MySQL lock providers
  | "pg-advisory" // pg_advisory_lock and friends
  | "mysql-named"; // GET_LOCK

const ASYNC_MUTEX = new Set(["async-mutex"]);
export const RUNTIME_MODULE = /(^@locksmith\/runtime(\/.*)?$)|(locksmith-runtime(\.ts|\.js)?$)/;
const REDIS_SEMAPHORE = "redis-semaphore";

export type ObjectKind = {
  mechanism: LockMechanism;
  library: "async-mutex" | "runtime" | "redlock" | "redis-semaphore" | "async-lock" | "unknown";
};

/** What kind of lock object a constructor or factory call creates, from its import. */
function kindOfCreation(expr: ts.Expression, sourceFile: ts.SourceFile): ObjectKind | undefined {
  const node = skipAwait(expr);
  if (ts.isNewExpression(node)) {
    const binding = importedBinding(node.expression, sourceFile);
    const name =
      binding?.imported === "default" || binding?.imported === "*"
        ? binding.module
        : (binding?.imported ?? (ts.isIdentifier(node.expression) ? node.expression.text : undefined));
    const module = binding?.module;
    if (module && ASYNC_MUTEX.has(module)) {
      if (name === "Mutex") return { mechanism: "mutex", library: "async-mutex" };
      if (name === "Semaphore") return { mechanism: "semaphore", library: "async-mutex" };
    }
    if (module && RUNTIME_MODULE.test(module)) {
      if (name === "Mutex") return { mechanism: "mutex", library: "runtime" };
      if (name === "Semaphore") return { mechanism: "semaphore", library: "runtime" };
      if (name === "RWLock") return { mechanism: "rwlock", library: "runtime" };
      if (name === "LockManager") return { mechanism: "keyed-lock", library: "runtime" };
    }
    if (module === "redlock") return { mechanism: "redlock", library: "redlock" };
    if (module === REDIS_SEMAPHORE) return { mechanism: "redis-semaphore", library: "redis-semaphore" };
    if (module === "async-lock") return { mechanism: "keyed-lock", library: "async-lock" };
    // A `Mutex`/`Semaphore` that is not imported is the project's own class (effect has a Semaphore, for one):
    // its semantics are unknown, so it is not treated as a lock.
    return undefined;
  }
  if (ts.isCallExpression(node)) {
    const binding = importedBinding(node.expression, sourceFile);
    if (binding?.module && ASYNC_MUTEX.has(binding.module) && (binding.imported === "withTimeout" || binding.imported === "tryAcquire")) {
      const inner = node.arguments[0];
      return inner ? kindOfCreation(inner, sourceFile) : undefined;
    }
    if (binding?.module && RUNTIME_MODULE.test(binding.module) && /^create(Redis|Pg|MySql)LockProvider$/.test(binding.imported)) {
      return { mechanism: "lease", library: "runtime" };
    }
  }
  return undefined;
}

/** A type annotation naming a lock class (`private lock: Mutex`). */
function kindOfTypeNode(typeNode: ts.TypeNode | undefined, sourceFile: ts.SourceFile): ObjectKind | undefined {
  if (!typeNode || !ts.isTypeReferenceNode(typeNode)) return undefined;
  const typeName = typeNode.typeName;
  const expr = ts.isIdentifier(typeName)
    ? typeName
    : ts.isQualifiedName(typeName) && ts.isIdentifier(typeName.left)
      ? ts.factory.createPropertyAccessExpression(typeName.left, typeName.right.text)
      : undefined;
  if (!expr) return undefined;
  const binding = ts.isIdentifier(expr) ? importedBinding(expr, sourceFile) : undefined;
  const name = binding?.imported ?? (ts.isIdentifier(typeName) ? typeName.text : typeName.right.text);
  const module = binding?.module;
  if (module && ASYNC_MUTEX.has(module))
    return name === "Mutex" || name === "MutexInterface"
      ? { mechanism: "mutex", library: "async-mutex" }
      : name === "Semaphore" || name === "SemaphoreInterface"
        ? { mechanism: "semaphore", library: "async-mutex" }
        : undefined;
  if (module && RUNTIME_MODULE.test(module)) {
    const byName: Record<string, LockMechanism> = {
      Mutex: "mutex",
      Semaphore: "semaphore",
      RWLock: "rwlock",
      LockManager: "keyed-lock",
      LockProvider: "lease",
      RedisLockProvider: "lease",
    };
    return byName[name] ? { mechanism: byName[name]!, library: "runtime" } : undefined;
  }
  if (module === "redlock") return { mechanism: "redlock", library: "redlock" };
  if (module === REDIS_SEMAPHORE) return { mechanism: "redis-semaphore", library: "redis-semaphore" };
  return undefined;
}

/**
 * Where an identifier or `obj.prop` was declared, following an import to the other module's declaration
 * (`import { usersLock } from "./locks"`). Asks the checker only for this one name.
 */
function declarationsOf(expr: ts.Expression, getChecker: CheckerGetter): readonly ts.Declaration[] {
  const target = ts.isPropertyAccessExpression(expr) ? expr.name : ts.isIdentifier(expr) ? expr : undefined;
  if (!target) return [];
  const checker = getChecker();
  if (!checker) return [];
  try {
    let symbol = checker.getSymbolAtLocation(target);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol?.declarations ?? [];
  } catch {
    return [];
  }
}

/**
 * The kind of lock object `expr` is, from where it was declared: a variable/property initialised with `new Mutex()`,
 * annotated `: Mutex`, or a constructor parameter property. Uses the checker only to find the declaration.
 */
export function lockObjectKind(expr: ts.Expression, checker: CheckerGetter): ObjectKind | undefined {
  const node = skipParens(expr);
  const sourceFile = node.getSourceFile();
  const keyed = keyedLockSource(node);
  if (ts.isNewExpression(node) || ts.isCallExpression(node))
    return kindOfCreation(node, sourceFile) ?? (keyed && keyedElementKind(keyed.container, checker));
  if (keyed) return keyedElementKind(keyed.container, checker);
  for (const declaration of declarationsOf(node, checker)) {
    const declFile = declaration.getSourceFile();
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isParameter(declaration)) {
      const fromInit = declaration.initializer ? kindOfCreation(declaration.initializer, declFile) : undefined;
      const kind = fromInit ?? kindOfTypeNode(declaration.type, declFile);
      if (kind) return kind;
    }
    if (ts.isPropertyAssignment(declaration)) {
      const kind = kindOfCreation(declaration.initializer, declFile);
      if (kind) return kind;
    }
  }
  // `this.lock = new Mutex()` in a constructor, with the property declared without initializer or type.
  return undefined;
}

/**
 * A lock handed out per key by a container or factory, by shape: `mutexes.get(id)`, `mutexes[id]`, `mutexFor(id)`,
 * `this.mutexFor(id)`. Whether the container really holds locks is decided by `lockObjectKind`.
 */
export function keyedLockSource(expr: ts.Expression): { container: ts.Expression; key: ts.Expression } | undefined {
  const node = skipParens(expr);
  if (ts.isElementAccessExpression(node)) return { container: node.expression, key: node.argumentExpression };
  if (!ts.isCallExpression(node) || node.arguments.length !== 1) return undefined;
  const callee = skipParens(node.expression);
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === "get") return { container: callee.expression, key: node.arguments[0]! };
  if (ts.isIdentifier(callee) || (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword))
    return { container: callee, key: node.arguments[0]! };
  return undefined;
}

/**
 * The kind of lock a keyed container holds: a `Map<K, Mutex>` / `Record<K, Mutex>` (from its annotation or
 * `new Map<K, Mutex>()`), or a factory declared to return a lock or creating one in its body.
 */
function keyedElementKind(container: ts.Expression, checker: CheckerGetter): ObjectKind | undefined {
  const declarations = declarationsOf(container, checker);
  const lastTypeArgument = (args: ts.NodeArray<ts.TypeNode> | undefined) => args?.[args.length - 1];
  for (const declaration of declarations) {
    const declFile = declaration.getSourceFile();
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) {
      const init = declaration.initializer && skipParens(declaration.initializer);
      if (init && isFunctionLike(init)) return factoryKind(init);
      const annotated =
        declaration.type && ts.isTypeReferenceNode(declaration.type)
          ? kindOfTypeNode(lastTypeArgument(declaration.type.typeArguments), declFile)
          : undefined;
      const created = init && ts.isNewExpression(init) ? kindOfTypeNode(lastTypeArgument(init.typeArguments), declFile) : undefined;
      if (annotated ?? created) return annotated ?? created;
    }
    if (ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration)) {
      const kind = factoryKind(declaration);
      if (kind) return kind;
    }
  }
  return undefined;
}

/** A function returning a lock: by its return type annotation, else by the lock it creates. */
function factoryKind(fn: FunctionLike): ObjectKind | undefined {
  const declFile = fn.getSourceFile();
  const annotated = kindOfTypeNode(fn.type, declFile);
  if (annotated || !fn.body) return annotated;
  let created: ObjectKind | undefined;
  const visit = (node: ts.Node): void => {
    if (created) return;
    if (ts.isNewExpression(node)) created = kindOfCreation(node, declFile);
    if (!created) ts.forEachChild(node, visit);
  };
  visit(fn.body);
  return created;
}
