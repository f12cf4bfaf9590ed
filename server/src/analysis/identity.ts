// Which expressions name the same handle: `const t = tx` makes `t.query(…)` run through `tx`, and
// `const { manager } = queryRunner` makes `manager.save(…)` run through `queryRunner.manager` (and `const repo =
// tx.getRepository(Account)` makes `repo.save(…)` run through `tx`). Handles are compared by
// their canonical key: the expression's text with its first name replaced, as long as it is a `const` alias declared
// in an enclosing function (or at the top of the file), by what it aliases. No checker needed: a `const` cannot be
// reassigned, and the nearest declaration of a name in an enclosing scope is the one the name refers to.
import { ts } from "../engine/ts";
import { expressionKey, isFunctionLike, skipParens } from "./ast";

export const MAX_ALIAS_STEPS = 8;

/** `expr`'s key with `const` aliases followed: `t.query` → `tx.query` after `const t = tx`. */
export function canonicalKey(expr: ts.Expression): string {
  let key = expressionKey(expr);
  for (let step = 0; step < MAX_ALIAS_STEPS; step++) {
    const head = /^[\w$]+/.exec(key)?.[0];
    if (!head) break;
    const target = aliasOf(head, expr);
    if (target === undefined) break;
    key = target + key.slice(head.length);
  }
  return key;
}

/** True if `expr` is `handle` or a member of it (`queryRunner.manager` is part of `queryRunner`), after aliases. */
export function isPartOfHandle(expr: ts.Expression, handle: string): boolean {
  const key = canonicalKey(expr);
  return key === handle || key.startsWith(`${handle}.`);
}

/** The key a `const` alias named `name`, visible at `at`, stands for (undefined when `name` is not such an alias). */
function aliasOf(name: string, at: ts.Node): string | undefined {
  for (let scope: ts.Node | undefined = at.parent; scope; scope = scope.parent) {
    if (!isFunctionLike(scope) && !ts.isSourceFile(scope)) continue;
    const found = constAliases(scope).get(name);
    if (found !== undefined) return found ?? undefined;
    // A parameter of that name shadows any outer alias.
    if (isFunctionLike(scope) && scope.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === name)) return undefined;
  }
  return undefined;
}

/**
 * What a `const` declaration of one name aliases, when its initializer is a name or a member (`const m = this.mutex`
 * → `this.mutex`): the name cannot be reassigned, so it always refers to that. The node form of what `canonicalKey`
 * follows by text, for callers that ask the checker about the aliased expression.
 */
export function constAliasOf(declaration: ts.Node): ts.Expression | undefined {
  if (!ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name) || !isConst(declaration)) return undefined;
  const init = declaration.initializer && skipParens(declaration.initializer);
  return init && (ts.isIdentifier(init) || ts.isPropertyAccessExpression(init)) ? init : undefined;
}

function isConst(declaration: ts.VariableDeclaration): boolean {
  return ts.isVariableDeclarationList(declaration.parent) && (declaration.parent.flags & ts.NodeFlags.Const) !== 0;
}

/** `tx.getRepository(Account)`, `manager.withRepository(this.accounts)`: a repository that runs through `tx` / `manager`. */
function isRepositoryOf(init: ts.Expression): boolean {
  if (!ts.isCallExpression(init) || !ts.isPropertyAccessExpression(init.expression)) return false;
  return /^(getRepository|withRepository|getCustomRepository)$/.test(init.expression.name.text);
}

const aliasCache = new WeakMap<ts.Node, Map<string, string | null>>();

/**
 * The `const` declarations directly in `scope` (not in nested functions) that alias another name or member:
 * `const t = tx`, `const repo = tx.manager`, `const { manager } = queryRunner`. Any other declaration of a name maps
 * to null, so that it hides an outer alias of the same name.
 */
function constAliases(scope: ts.Node): Map<string, string | null> {
  let aliases = aliasCache.get(scope);
  if (aliases) return aliases;
  aliases = new Map();
  const found = aliases;
  const visit = (node: ts.Node): void => {
    if (node !== scope && isFunctionLike(node)) return;
    if (ts.isVariableDeclaration(node)) {
      const init = node.initializer && skipParens(node.initializer);
      const aliasable = isConst(node) && init && (ts.isIdentifier(init) || ts.isPropertyAccessExpression(init) || isRepositoryOf(init));
      if (ts.isIdentifier(node.name)) found.set(node.name.text, aliasable ? expressionKey(init) : null);
      else if (ts.isObjectBindingPattern(node.name))
        for (const element of node.name.elements) {
          if (!ts.isIdentifier(element.name)) continue;
          const property = element.propertyName && ts.isIdentifier(element.propertyName) ? element.propertyName.text : element.name.text;
          const simple = aliasable && !element.dotDotDotToken && !element.initializer;
          found.set(element.name.text, simple ? `${expressionKey(init)}.${property}` : null);
        }
    }
    ts.forEachChild(node, visit);
  };
  const body = isFunctionLike(scope) ? scope.body : scope;
  if (body) visit(body);
  aliasCache.set(scope, aliases);
  return aliases;
}
