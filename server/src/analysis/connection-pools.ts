// Connection pools: a receiver through which each statement runs on whichever idle connection the pool hands out
// (`new pg.Pool()`, mysql2's `createPool()`, a `PrismaClient`, a knex instance). Session state — a transaction opened
// by `BEGIN`, a session-level advisory lock — belongs to one connection, so sent through a pool it is lost or leaked.
// postgres.js's `postgres(url)` is a pool too, and it runs the statement itself: `sql\`SELECT …\`` on it may run on
// any of its connections (its `reserve()` and `begin()` handles are one connection).
// A `PoolClient`, a `Knex.Transaction` or a `Prisma.TransactionClient` is one connection, not a pool.
import { ts } from "../engine/ts";
import { aliasedSymbolAt, importsOf, receiverOf, skipParens } from "./ast";

/** What the pool is: a driver's pool, or a client library that pools its connections. */
export type PoolKind = "driver" | "prisma" | "knex" | "postgres";

export interface ConnectionPool {
  /** The expression the statement was sent through (the pool, or the object whose method forwards to it). */
  receiver: ts.Expression;
  kind: PoolKind;
}

/** Constructors and factories of connection pools. */
const POOL_FACTORY = /^(?:new\s+)?(?:pg\.|mysql\.|mysql2\.)?(Pool|createPool|PrismaClient|knex|Knex|postgres)\s*[(<]/;
/** Declared types of pools. */
const POOL_TYPE = /^(?:pg\.|mysql\.|mysql2\.|postgres\.)?(Pool|PrismaClient|Knex|Sql)$/;

/**
 * The pool's kind by its factory or type name (`text`, the initializer's or the type's); postgres.js's `postgres(…)`,
 * `postgres.Sql` and `Sql` only when their first name is imported from "postgres".
 */
function poolKind(name: string, text: string, declaration: ts.Node): PoolKind | undefined {
  if (name === "postgres" || name === "Sql") {
    const first = /^(?:new\s+)?([\w$]+)/.exec(text)?.[1];
    return first !== undefined && importsOf(declaration.getSourceFile()).get(first)?.module === "postgres" ? "postgres" : undefined;
  }
  return name === "PrismaClient" ? "prisma" : /^knex$/i.test(name) ? "knex" : "driver";
}

/** The pool factories of each driver's module, by exported name ("default" and "*" for the module itself). */
const POOL_EXPORTS: Readonly<Record<string, Readonly<Record<string, PoolKind>>>> = {
  knex: { default: "knex", "*": "knex", knex: "knex" },
  pg: { Pool: "driver" },
  mysql: { createPool: "driver" },
  mysql2: { createPool: "driver" },
  "mysql2/promise": { createPool: "driver" },
  "@prisma/client": { PrismaClient: "prisma" },
  postgres: { default: "postgres", "*": "postgres" },
};

/**
 * A pool made by a factory known by where it is imported from, whatever its local name: `knexFactory({…})` with
 * `import knexFactory from "knex"`, `new PgPool()` with `import { Pool as PgPool } from "pg"`, `new pg.Pool()` with
 * `import * as pg from "pg"`, `require("knex")({…})`.
 */
function importedPoolFactory(initializer: ts.Expression): PoolKind | undefined {
  if (!ts.isCallExpression(initializer) && !ts.isNewExpression(initializer)) return undefined;
  const callee = skipParens(initializer.expression);
  // `require("knex")(config)`: the module itself is called.
  if (ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "require") {
    const module = callee.arguments[0] && ts.isStringLiteralLike(callee.arguments[0]) ? callee.arguments[0].text : undefined;
    return module === undefined ? undefined : POOL_EXPORTS[module]?.["default"];
  }
  const imports = importsOf(initializer.getSourceFile());
  if (ts.isIdentifier(callee)) {
    const info = imports.get(callee.text);
    return info && POOL_EXPORTS[info.module]?.[info.imported];
  }
  // `pg.Pool`, `mysql.createPool`: a factory of a module imported whole.
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const info = imports.get(callee.expression.text);
    return info && (info.imported === "*" || info.imported === "default") ? POOL_EXPORTS[info.module]?.[callee.name.text] : undefined;
  }
  return undefined;
}

/** The pool types of each driver's module, by exported name. */
const POOL_TYPE_EXPORTS: Readonly<Record<string, Readonly<Record<string, PoolKind>>>> = {
  knex: { Knex: "knex" },
  pg: { Pool: "driver" },
  mysql2: { Pool: "driver" },
  "mysql2/promise": { Pool: "driver" },
  "@prisma/client": { PrismaClient: "prisma" },
  postgres: { Sql: "postgres" },
};

/** A declared type that is a pool by where it is imported from (`pool: PgPool` with `import { Pool as PgPool } from "pg"`). */
function importedPoolType(type: ts.TypeNode): PoolKind | undefined {
  if (!ts.isTypeReferenceNode(type)) return undefined;
  const imports = importsOf(type.getSourceFile());
  const name = type.typeName;
  if (ts.isIdentifier(name)) {
    const info = imports.get(name.text);
    return info && POOL_TYPE_EXPORTS[info.module]?.[info.imported];
  }
  const info = ts.isIdentifier(name.left) ? imports.get(name.left.text) : undefined;
  return info && (info.imported === "*" || info.imported === "default") ? POOL_TYPE_EXPORTS[info.module]?.[name.right.text] : undefined;
}

/** The declaration `expr` names (through an import's alias), when it is a variable, property or parameter. */
function declarationOf(expr: ts.Expression, checker: ts.TypeChecker): ts.Declaration | undefined {
  const symbol = aliasedSymbolAt(ts.isPropertyAccessExpression(expr) ? expr.name : expr, () => checker);
  return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
}

function isNamedValue(node: ts.Node): node is ts.VariableDeclaration | ts.PropertyDeclaration | ts.ParameterDeclaration {
  return ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isParameter(node);
}

/** The pool `expr` is, by the initializer or declared type of what it names; undefined when it is not one. */
function poolNamedBy(expr: ts.Expression, checker: ts.TypeChecker): PoolKind | undefined {
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  const declaration = declarationOf(expr, checker);
  if (!declaration) return undefined;
  const named = isNamedValue(declaration) ? declaration : undefined;
  // `export default { pool, query: … }` names the object; a shorthand `pool` in it is the pool itself.
  const value = ts.isShorthandPropertyAssignment(declaration)
    ? checker.getShorthandAssignmentValueSymbol(declaration)?.valueDeclaration
    : named;
  const initializer = value && isNamedValue(value) ? value.initializer : undefined;
  const made = initializer && POOL_FACTORY.exec(skipParens(initializer).getText());
  if (made) return poolKind(made[1]!, made[0], declaration);
  const imported = initializer && importedPoolFactory(skipParens(initializer));
  if (imported) return imported;
  const typed = named?.type && POOL_TYPE.exec(named.type.getText());
  return typed ? poolKind(typed[1]!, typed[0], declaration) : named?.type && importedPoolType(named.type);
}

/**
 * A method that only forwards its statement to a pool (`query: (text, params) => pool.query(text, params)`, a class
 * method returning `this.pool.query(sql)`, or one whose only statement is `await this.pool.query(sql)`): the pool it
 * forwards to.
 */
function forwardedPool(call: ts.CallExpression, checker: ts.TypeChecker): PoolKind | undefined {
  if (!ts.isPropertyAccessExpression(call.expression)) return undefined;
  const declaration = declarationOf(call.expression, checker);
  const fn =
    declaration && (ts.isPropertyAssignment(declaration) || ts.isPropertyDeclaration(declaration))
      ? declaration.initializer && skipParens(declaration.initializer)
      : declaration;
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn))) return undefined;
  const first = fn.parameters[0];
  if (!first || !ts.isIdentifier(first.name)) return undefined;
  const returned = soleExpression(fn);
  let inner = returned && skipParens(returned);
  while (inner && ts.isAwaitExpression(inner)) inner = skipParens(inner.expression);
  if (!inner || !ts.isCallExpression(inner)) return undefined;
  const text = inner.arguments[0] && skipParens(inner.arguments[0]);
  if (!text || !ts.isIdentifier(text) || text.text !== first.name.text) return undefined;
  const target = receiverOf(inner);
  return target ? poolNamedBy(target, checker) : undefined;
}

/** The one expression a function body computes: its expression body, its only `return`, or its only statement. */
function soleExpression(fn: ts.ArrowFunction | ts.FunctionExpression | ts.MethodDeclaration): ts.Expression | undefined {
  if (!fn.body) return undefined;
  if (!ts.isBlock(fn.body)) return fn.body;
  const statements = fn.body.statements;
  const last = statements.length === 1 ? statements[0] : undefined;
  if (last && ts.isExpressionStatement(last)) return last.expression;
  return last && ts.isReturnStatement(last) ? last.expression : undefined;
}

/** Prisma's raw queries: `$queryRaw` / `$executeRaw` (tagged or called) and their `Unsafe` forms. */
function isPrismaRawQuery(call: ts.CallExpression | ts.TaggedTemplateExpression): boolean {
  const callee = skipParens(ts.isTaggedTemplateExpression(call) ? call.tag : call.expression);
  return ts.isPropertyAccessExpression(callee) && /^\$(query|execute)Raw(Unsafe)?$/.test(callee.name.text);
}

/**
 * A Prisma client, not a transaction's handle: only a client and an interactive transaction's handle have raw
 * queries, and a handle is the callback's (or a helper's) parameter, so a receiver that is imported, a module's
 * variable or a class's field is the client, which runs each statement on any connection of its pool.
 */
function isSharedClient(receiver: ts.Expression, checker: ts.TypeChecker): boolean {
  if (!ts.isIdentifier(receiver) && !ts.isPropertyAccessExpression(receiver)) return false;
  const symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(receiver) ? receiver.name : receiver);
  return (symbol?.declarations ?? []).some((d) => {
    if (ts.isImportSpecifier(d) || ts.isImportClause(d)) return true;
    // A field or variable declared as a transaction client (`tx: Prisma.TransactionClient`) is a handle.
    if ((ts.isPropertyDeclaration(d) || ts.isParameter(d) || ts.isVariableDeclaration(d)) && /Transaction/.test(d.type?.getText() ?? ""))
      return false;
    if (ts.isParameter(d)) return ts.isParameterPropertyDeclaration(d, d.parent);
    return (
      ts.isPropertyDeclaration(d) ||
      (ts.isVariableDeclaration(d) && ts.isVariableStatement(d.parent.parent) && ts.isSourceFile(d.parent.parent.parent))
    );
  });
}

/**
 * The connection pool a statement sent by `call` (`pool.query(…)`, a tagged template on `prisma.$queryRaw`) goes
 * through, else undefined: the receiver is a pool by its declaration, or the method called forwards to one.
 */
export function connectionPoolOf(
  call: ts.CallExpression | ts.TaggedTemplateExpression,
  checker: ts.TypeChecker,
): ConnectionPool | undefined {
  const tag = ts.isTaggedTemplateExpression(call) ? skipParens(call.tag) : undefined;
  // postgres.js: the tag is the pool (`sql\`…\``, `this.sql\`…\``).
  if (tag && poolNamedBy(tag, checker) === "postgres") return { receiver: tag, kind: "postgres" };
  const receiver = ts.isCallExpression(call) ? receiverOf(call) : tag && ts.isPropertyAccessExpression(tag) ? tag.expression : undefined;
  if (!receiver) return undefined;
  if (isPrismaRawQuery(call) && isSharedClient(receiver, checker)) return { receiver, kind: "prisma" };
  const kind = poolNamedBy(receiver, checker) ?? (ts.isCallExpression(call) ? forwardedPool(call, checker) : undefined);
  return kind ? { receiver, kind } : undefined;
}
