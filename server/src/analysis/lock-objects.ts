// What a lock *object* is: which library's mutex, semaphore, keyed lock or lock provider an expression holds, from
// the import of its constructor or factory, a type annotation, or (asked only here) where the checker says it was
// declared. Which exports make which lock is data in `models/lock-libraries.ts`; `locks.ts` builds acquisitions and
// releases on top of this.
import { ts } from "../engine/ts";
import { importedBinding, isFunctionLike, skipAwait, skipParens, type FunctionLike } from "./ast";
import { LOCK_LIBRARY_MODELS, lockObjectModel, type LockLibraryModel, type LockMechanism } from "./models/lock-libraries";
import { constAliasOf, MAX_ALIAS_STEPS } from "./identity";

type Models = readonly LockLibraryModel[];

/**
 * How the recogniser reaches the type checker: only to find where a receiver was declared. Answering undefined means
 * "no declaration can be a lock object here" (see `lockCheckerFor`), and nothing is asked.
 */
export type CheckerGetter = () => ts.TypeChecker | undefined;

export type { LockMechanism } from "./models/lock-libraries";
export { RUNTIME_MODULE } from "./models/lock-libraries";

export type ObjectKind = {
  mechanism: LockMechanism;
  /** The `library` of the model that recognised it. */
  library: string;
};

/** The kind an object entry names; a wrapper's is that of the lock it wraps. */
function kindOfEntry(
  found: ReturnType<typeof lockObjectModel>,
  call: ts.CallExpression | ts.NewExpression,
  sourceFile: ts.SourceFile,
  models: Models,
): ObjectKind | undefined {
  if (!found) return undefined;
  const { model, object } = found;
  if (object.via !== "wrapper") return { mechanism: object.mechanism, library: model.library };
  const inner = call.arguments?.[object.arg];
  return inner ? kindOfCreation(inner, sourceFile, models) : undefined;
}

/** What kind of lock object a constructor or factory call creates, from its import. */
function kindOfCreation(expr: ts.Expression, sourceFile: ts.SourceFile, models: Models): ObjectKind | undefined {
  const node = skipAwait(expr);
  if (ts.isNewExpression(node)) {
    const binding = importedBinding(node.expression, sourceFile);
    // A `Mutex`/`Semaphore` that is not imported is the project's own class (effect has a Semaphore, for one):
    // its semantics are unknown, so it is not treated as a lock.
    if (!binding) return undefined;
    const name = binding.imported === "default" || binding.imported === "*" ? binding.module : binding.imported;
    return kindOfEntry(lockObjectModel(models, binding.module, name, "new"), node, sourceFile, models);
  }
  if (ts.isCallExpression(node)) {
    const binding = importedBinding(node.expression, sourceFile);
    if (!binding) return undefined;
    const found =
      lockObjectModel(models, binding.module, binding.imported, "wrapper") ??
      lockObjectModel(models, binding.module, binding.imported, "factory");
    return kindOfEntry(found, node, sourceFile, models);
  }
  return undefined;
}

/** A type annotation naming a lock class (`private lock: Mutex`). */
function kindOfTypeNode(typeNode: ts.TypeNode | undefined, sourceFile: ts.SourceFile, models: Models): ObjectKind | undefined {
  // `am.Mutex` (a namespace-qualified type) is not resolved: only an imported identifier names a lock type.
  if (!typeNode || !ts.isTypeReferenceNode(typeNode) || !ts.isIdentifier(typeNode.typeName)) return undefined;
  const binding = importedBinding(typeNode.typeName, sourceFile);
  const found = binding && lockObjectModel(models, binding.module, binding.imported, "type");
  return found && found.object.via === "type" ? { mechanism: found.object.mechanism, library: found.model.library } : undefined;
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
export function lockObjectKind(
  expr: ts.Expression,
  checker: CheckerGetter,
  models: Models = LOCK_LIBRARY_MODELS,
  depth = 0,
): ObjectKind | undefined {
  const node = skipParens(expr);
  const sourceFile = node.getSourceFile();
  const keyed = keyedLockSource(node);
  if (ts.isNewExpression(node) || ts.isCallExpression(node))
    return kindOfCreation(node, sourceFile, models) ?? (keyed && keyedElementKind(keyed.container, checker, models));
  if (keyed) return keyedElementKind(keyed.container, checker, models);
  for (const declaration of declarationsOf(node, checker)) {
    // `const m = this.mutex`: the lock the alias names.
    const aliased = constAliasOf(declaration);
    if (aliased && depth < MAX_ALIAS_STEPS) return lockObjectKind(aliased, checker, models, depth + 1);
    const declFile = declaration.getSourceFile();
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isParameter(declaration)) {
      // `new Mutex()`, or a lock taken out of a keyed container: `let mutex = this.mutexes.get(key)`.
      const fromContainer = declaration.initializer && keyedLockSource(declaration.initializer);
      const fromInit = declaration.initializer
        ? (kindOfCreation(declaration.initializer, declFile, models) ??
          (fromContainer && keyedElementKind(fromContainer.container, checker, models)))
        : undefined;
      const kind = fromInit ?? kindOfTypeNode(declaration.type, declFile, models);
      if (kind) return kind;
    }
    if (ts.isPropertyAssignment(declaration)) {
      const kind = kindOfCreation(declaration.initializer, declFile, models);
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
function keyedElementKind(container: ts.Expression, checker: CheckerGetter, models: Models): ObjectKind | undefined {
  const declarations = declarationsOf(container, checker);
  const lastTypeArgument = (args: ts.NodeArray<ts.TypeNode> | undefined) => args?.[args.length - 1];
  for (const declaration of declarations) {
    const declFile = declaration.getSourceFile();
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) {
      const init = declaration.initializer && skipParens(declaration.initializer);
      if (init && isFunctionLike(init)) return factoryKind(init, models);
      const annotated =
        declaration.type && ts.isTypeReferenceNode(declaration.type)
          ? kindOfTypeNode(lastTypeArgument(declaration.type.typeArguments), declFile, models)
          : undefined;
      const created = init && ts.isNewExpression(init) ? kindOfTypeNode(lastTypeArgument(init.typeArguments), declFile, models) : undefined;
      if (annotated ?? created) return annotated ?? created;
    }
    if (ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration)) {
      const kind = factoryKind(declaration, models);
      if (kind) return kind;
    }
  }
  return undefined;
}

/** A function returning a lock: by its return type annotation, else by the lock it creates. */
function factoryKind(fn: FunctionLike, models: Models): ObjectKind | undefined {
  const declFile = fn.getSourceFile();
  const annotated = kindOfTypeNode(fn.type, declFile, models);
  if (annotated || !fn.body) return annotated;
  let created: ObjectKind | undefined;
  const visit = (node: ts.Node): void => {
    if (created) return;
    if (ts.isNewExpression(node)) created = kindOfCreation(node, declFile, models);
    if (!created) ts.forEachChild(node, visit);
  };
  visit(fn.body);
  return created;
}
