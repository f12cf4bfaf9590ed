// Which expressions name the same handle, lock or value: `const t = tx` makes `t.query(…)` run through `tx`, and
// `const { manager } = queryRunner` makes `manager.save(…)` run through `queryRunner.manager` (and `const repo =
// tx.getRepository(Account)` makes `repo.save(…)` run through `tx`). Handles are compared by
// their canonical key: the expression's text with its first name replaced, as long as it is a `const` alias declared
// in an enclosing function (or at the top of the file), by what it aliases. No checker needed: a `const` cannot be
// reassigned, and the nearest declaration of a name in an enclosing scope is the one the name refers to. The key is
// text; `sameIdentity` also asks where each name in it is declared, so two callbacks' `tx` parameters (or a `row` of
// two loops) are two things, and `this` is one instance across the methods of a class.
import { ts } from "../engine/ts";
import { boundNames, expressionKey, isAssignmentOperator, isFunctionLike, skipParens } from "./ast";

export const MAX_ALIAS_STEPS = 8;

/** `expr`'s key with `const` aliases followed: `t.query` → `tx.query` after `const t = tx`. */
export function canonicalKey(expr: ts.Expression): string {
  let key = expressionKey(expr);
  for (let step = 0; step < MAX_ALIAS_STEPS; step++) {
    // A member of a `const` object literal first (`deps.knex` after `const deps = { ...base, knex: trx }`), then the name.
    const member = /^[\w$]+\.[\w$]+(?![\w$])/.exec(key)?.[0];
    const head = /^[\w$]+/.exec(key)?.[0];
    if (!head) break;
    const memberTarget = member === undefined ? undefined : aliasOf(member, expr);
    const target = memberTarget ?? aliasOf(head, expr);
    if (target === undefined) break;
    key = target + key.slice(memberTarget !== undefined ? member!.length : head.length);
  }
  return key;
}

/**
 * Whether `a` and `b` name the same thing: the same canonical key, and each name in it declared in the same scope
 * (the leading name after its aliases). The question every "same handle / same lock / same key" check asks.
 */
export function sameIdentity(a: ts.Expression, b: ts.Expression): boolean {
  if (a === b) return true;
  if (canonicalKey(a) !== canonicalKey(b)) return false;
  const left = referenceScopes(a);
  const right = referenceScopes(b);
  return left.length === right.length && left.every((scope, i) => scope === right[i]);
}

/** Whether `expr`'s leading name (after its aliases) is declared at the top of its file or nowhere (a global): the same for every call. */
export function isModuleLevel(expr: ts.Expression): boolean {
  const node = skipParens(expr);
  let head: ts.Expression = node;
  while (ts.isPropertyAccessExpression(head)) head = head.expression;
  if (!ts.isIdentifier(head)) return false;
  const scope = referenceScopes(head)[0];
  return scope === undefined || ts.isSourceFile(scope);
}

/** The scope that declares each name `expr` refers to, in order (undefined: a global); `this` is its class. */
function referenceScopes(expr: ts.Expression): (ts.Node | undefined)[] {
  const scopes: (ts.Node | undefined)[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) return;
    if (node.kind === ts.SyntaxKind.ThisKeyword) scopes.push(thisScope(node));
    else if (ts.isIdentifier(node)) {
      const root = aliasRoot(node);
      scopes.push(ts.isIdentifier(root) ? declaringScope(root.text, root) : thisScope(root));
    } else if (ts.isPropertyAccessExpression(node)) visit(memberAliasOf(node) ?? node.expression);
    else if (ts.isPropertyAssignment(node)) {
      if (ts.isComputedPropertyName(node.name)) visit(node.name);
      visit(node.initializer);
    } else ts.forEachChild(node, visit);
  };
  visit(skipParens(expr));
  return scopes;
}

/** The name or `this` a `const` alias chain starting at `name` ends in (`t` → `tx` after `const t = tx`). */
function aliasRoot(name: ts.Identifier): ts.Node {
  let current: ts.Node = name;
  for (let step = 0; step < MAX_ALIAS_STEPS && ts.isIdentifier(current); step++) {
    const scope = declaringScope(current.text, current);
    const declaration = scope && declaredNames(scope).get(current.text);
    const init = declaration && aliasedExpression(declaration);
    if (!init) break;
    let head: ts.Node = init;
    while (ts.isPropertyAccessExpression(head) || ts.isCallExpression(head)) head = head.expression;
    if (!ts.isIdentifier(head) && head.kind !== ts.SyntaxKind.ThisKeyword) break;
    current = head;
  }
  return current;
}

/** What the `const` declaring a name (or a field destructured from it) aliases, as `constAliases` reads it. */
function aliasedExpression(declaration: ts.Node): ts.Expression | undefined {
  const variable = ts.isBindingElement(declaration) ? declaration.parent.parent : declaration;
  if (!ts.isVariableDeclaration(variable) || !isConst(variable)) return undefined;
  if (
    ts.isBindingElement(declaration) &&
    (declaration.dotDotDotToken || declaration.initializer || !ts.isObjectBindingPattern(declaration.parent))
  )
    return undefined;
  const init = variable.initializer && skipParens(variable.initializer);
  return init && isAliasable(init) ? init : undefined;
}

/**
 * Where a name's value comes from through `const` aliases, by scope: the name (or `this`) the chain ends in, the
 * members taken on the way (`const { id } = account` → `account` and `.id`; `const k = order.id` → `order` and
 * `.id`) and the declaration of that last name (undefined for `this` or a global). The node form of `canonicalKey`
 * for one name, resolved by `declarationOf` rather than by text, so a local of the same name in another block is
 * another value.
 */
export function resolvedName(name: ts.Identifier): {
  head: ts.Identifier | ts.Expression;
  members: string;
  declaration: ts.Node | undefined;
} {
  let head: ts.Identifier | ts.Expression = name;
  let members = "";
  for (let step = 0; step < MAX_ALIAS_STEPS && ts.isIdentifier(head); step++) {
    const declaration = declarationOf(head);
    const init = declaration && aliasedExpression(declaration);
    if (!init || !(ts.isIdentifier(init) || ts.isPropertyAccessExpression(init) || init.kind === ts.SyntaxKind.ThisKeyword)) break;
    let leftmost: ts.Expression = init;
    while (ts.isPropertyAccessExpression(leftmost)) leftmost = skipParens(leftmost.expression);
    if (!ts.isIdentifier(leftmost) && leftmost.kind !== ts.SyntaxKind.ThisKeyword) break;
    const property = ts.isBindingElement(declaration) ? `.${bindingProperty(declaration)}` : "";
    members = `${expressionKey(init).slice(expressionKey(leftmost).length)}${property}${members}`;
    head = leftmost;
  }
  return { head, members, declaration: ts.isIdentifier(head) ? declarationOf(head) : undefined };
}

/** The property a binding element takes (`{ id }` → `id`, `{ id: accountId }` → `id`). */
function bindingProperty(element: ts.BindingElement): string {
  const property = element.propertyName ?? element.name;
  return ts.isIdentifier(property) || ts.isStringLiteral(property) ? property.text : expressionKey(property);
}

/** The class whose instance `this` is at `node` (arrow functions see through), or the function it belongs to. */
function thisScope(node: ts.Node): ts.Node | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (ts.isArrowFunction(current)) continue;
    if (ts.isClassLike(current)) return current;
    if (isFunctionLike(current) || ts.isSourceFile(current))
      return current.parent && ts.isClassLike(current.parent) ? current.parent : current;
  }
  return undefined;
}

/**
 * The declaration `name` refers to where it is written: the `VariableDeclaration`, parameter or binding element in the
 * nearest enclosing scope that declares that name (undefined for a global). Identity by scope, not by text: a `let` of
 * the same name in a nested block is another variable.
 */
export function declarationOf(name: ts.Identifier): ts.Node | undefined {
  // A declaration's own name refers to that declaration.
  if (ts.isBindingElement(name.parent) || ts.isVariableDeclaration(name.parent) || ts.isParameter(name.parent))
    if (name.parent.name === name) return name.parent;
  const scope = declaringScope(name.text, name);
  return scope && declaredNames(scope).get(name.text);
}

/**
 * The `var` / `let` / `const` declaration `name` refers to, by scope (`declarationOf`); for a name bound by a
 * destructuring pattern, the declaration holding the pattern. Undefined for a parameter, an import, a function, a
 * catch variable or a global.
 */
export function variableDeclarationOf(name: ts.Identifier): ts.VariableDeclaration | undefined {
  let node = declarationOf(name);
  while (node && (ts.isBindingElement(node) || ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node))) node = node.parent;
  return node && ts.isVariableDeclaration(node) ? node : undefined;
}

/** The nearest node enclosing `at` that declares `name` (a block, function, loop, catch clause or the file). */
function declaringScope(name: string, at: ts.Node): ts.Node | undefined {
  for (let scope: ts.Node | undefined = at.parent; scope; scope = scope.parent) if (declaredNames(scope).has(name)) return scope;
  return undefined;
}

const declaredNamesCache = new WeakMap<ts.Node, Map<string, ts.Node>>();

/** The names `scope` itself declares (not its nested blocks), each with its declaration. */
function declaredNames(scope: ts.Node): Map<string, ts.Node> {
  let names = declaredNamesCache.get(scope);
  if (names) return names;
  names = new Map();
  const found = names;
  const bind = (name: ts.BindingName | undefined): void => {
    if (name) for (const id of boundNames(name)) found.set(id.text, id.parent);
  };
  const declareStatements = (statements: readonly ts.Statement[]): void => {
    for (const statement of statements) {
      if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) bind(d.name);
      else if (
        (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
        statement.name
      )
        found.set(statement.name.text, statement);
      else if (ts.isImportDeclaration(statement) && statement.importClause) {
        const clause = statement.importClause;
        if (clause.name) found.set(clause.name.text, clause);
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) found.set(bindings.name.text, bindings);
        else if (bindings) for (const element of bindings.elements) found.set(element.name.text, element);
      }
    }
  };
  if (isFunctionLike(scope)) {
    for (const parameter of scope.parameters) bind(parameter.name);
    if (ts.isFunctionExpression(scope) && scope.name) found.set(scope.name.text, scope);
  } else if (ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope)) declareStatements(scope.statements);
  else if (ts.isCaseBlock(scope)) for (const clause of scope.clauses) declareStatements(clause.statements);
  else if (
    (ts.isForStatement(scope) || ts.isForInStatement(scope) || ts.isForOfStatement(scope)) &&
    scope.initializer &&
    ts.isVariableDeclarationList(scope.initializer)
  )
    for (const d of scope.initializer.declarations) bind(d.name);
  else if (ts.isCatchClause(scope)) bind(scope.variableDeclaration?.name);
  declaredNamesCache.set(scope, names);
  return names;
}

/**
 * What a handle (a transaction's `client`, `trx`, `this.manager`, `options.transaction`) is, kept where no expression
 * stands for it (a callback's parameter, a field of an options parameter): its canonical key and the scope that
 * declares the leading name after its aliases (a class for `this`, undefined for a global).
 */
export interface Identity {
  key: string;
  root: ts.Node | undefined;
}

/** The identity of the handle `expr` names. */
export function identityOf(expr: ts.Expression): Identity {
  return { key: canonicalKey(expr), root: referenceScopes(expr)[0] };
}

/**
 * True if `expr` is `handle` or a member of it (`queryRunner.manager` is part of `queryRunner`), after aliases, with
 * its leading name declared where the handle's is: a nested function's own `client` parameter is another connection.
 */
export function isPartOfHandle(expr: ts.Expression, handle: Identity): boolean {
  const key = canonicalKey(expr);
  return (key === handle.key || key.startsWith(`${handle.key}.`)) && referenceScopes(expr)[0] === handle.root;
}

/** True if `expr` names `handle` itself (not a member of it). */
export function isHandle(expr: ts.Expression, handle: Identity): boolean {
  return canonicalKey(expr) === handle.key && referenceScopes(expr)[0] === handle.root;
}

/** The key a `const` alias named `name`, visible at `at`, stands for (undefined when `name` is not such an alias). */
function aliasOf(name: string, at: ts.Node): string | undefined {
  const head = name.split(".")[0]!;
  for (let scope: ts.Node | undefined = at.parent; scope; scope = scope.parent) {
    if (!isFunctionLike(scope) && !ts.isSourceFile(scope)) continue;
    const aliases = constAliases(scope);
    const found = aliases.get(name);
    if (found !== undefined) return found ?? undefined;
    // A member's object declared here as something else hides any outer alias of that member.
    if (head !== name && aliases.has(head)) return undefined;
    // A parameter of that name shadows any outer alias.
    if (isFunctionLike(scope) && scope.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === head)) return undefined;
  }
  return undefined;
}

/**
 * The expression a member of a `const` object literal stands for (`deps.knex` → `trx` after `const deps = { ...base,
 * knex: trx }`): a name or member given to that property, with no spread after it and no assignment to the member in
 * the object's scope. The node form of the member aliases `constAliases` records.
 */
function memberAliasOf(access: ts.PropertyAccessExpression): ts.Expression | undefined {
  const object = access.expression;
  if (!ts.isIdentifier(object)) return undefined;
  const scope = declaringScope(object.text, object);
  const declaration = scope && declaredNames(scope).get(object.text);
  if (!declaration || !ts.isVariableDeclaration(declaration) || !isConst(declaration)) return undefined;
  const owner = enclosingScopeOf(declaration);
  if (!owner || constAliases(owner).get(`${object.text}.${access.name.text}`) == null) return undefined;
  return objectMembers(declaration).get(access.name.text);
}

/** The function (or file) whose `constAliases` hold a declaration's names. */
function enclosingScopeOf(node: ts.Node): ts.Node | undefined {
  for (let scope = node.parent; scope; scope = scope.parent) if (isFunctionLike(scope) || ts.isSourceFile(scope)) return scope;
  return undefined;
}

/** The aliasable properties of a `const` object literal, by name: each with no spread after it. */
function objectMembers(declaration: ts.VariableDeclaration): Map<string, ts.Expression> {
  const members = new Map<string, ts.Expression>();
  const init = declaration.initializer && skipParens(declaration.initializer);
  if (!init || !ts.isObjectLiteralExpression(init)) return members;
  for (const property of init.properties) {
    if (ts.isSpreadAssignment(property)) members.clear();
    else if (ts.isShorthandPropertyAssignment(property)) members.set(property.name.text, property.name);
    else if (ts.isPropertyAssignment(property) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) {
      const value = skipParens(property.initializer);
      if (isAliasable(value)) members.set(property.name.text, value);
      else members.delete(property.name.text);
    } else if (property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) members.delete(property.name.text);
  }
  return members;
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

/** A name, a member, `this` (`const self = this`) or a repository of a handle: what a `const` can alias. */
function isAliasable(init: ts.Expression): boolean {
  return ts.isIdentifier(init) || ts.isPropertyAccessExpression(init) || init.kind === ts.SyntaxKind.ThisKeyword || isRepositoryOf(init);
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
      const aliasable = isConst(node) && init && isAliasable(init);
      if (ts.isIdentifier(node.name)) {
        found.set(node.name.text, aliasable ? expressionKey(init) : null);
        // `const deps = { ...base, knex: trx }`: `deps.knex` stands for `trx`.
        if (isConst(node))
          for (const [member, value] of objectMembers(node)) found.set(`${node.name.text}.${member}`, expressionKey(value));
      } else if (ts.isObjectBindingPattern(node.name))
        for (const element of node.name.elements) {
          if (!ts.isIdentifier(element.name)) continue;
          const property = element.propertyName && ts.isIdentifier(element.propertyName) ? element.propertyName.text : element.name.text;
          const simple = aliasable && !element.dotDotDotToken && !element.initializer;
          found.set(element.name.text, simple ? `${expressionKey(init)}.${property}` : null);
        }
    }
    // `deps.knex = other` after `const deps = { knex: trx }`: the member no longer stands for what it was given.
    if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind)) {
      const target = skipParens(node.left);
      if (ts.isPropertyAccessExpression(target) && ts.isIdentifier(target.expression))
        reassigned.push(`${target.expression.text}.${target.name.text}`);
    }
    ts.forEachChild(node, visit);
  };
  const reassigned: string[] = [];
  const body = isFunctionLike(scope) ? scope.body : scope;
  if (body) visit(body);
  for (const member of reassigned) if (found.has(member)) found.set(member, null);
  aliasCache.set(scope, aliases);
  return aliases;
}
