// select-then-update's pessimistic suggestion: the statements from the read to the write run inside the runtime's
// `withPgTransaction` / `withMySqlTransaction` (one connection, COMMIT/ROLLBACK, deadlocks retried) through its
// connection, and the read gets `FOR UPDATE`. Offered when both run through the same pool outside any transaction,
// and the moved calls type-check on the transaction's connection: with pg the helper's connection type is its own
// `query(text, values)` (pg's overloaded `connect` defeats inference), with mysql2 it is the pool's `PoolConnection`
// (so `query<T>`/`execute` keep their types). A suggestion, not a fix: it changes how long the row is locked.
import {
  calleeName,
  enclosingFunction,
  freshName,
  receiverOf,
  skipAwait,
  skipParens,
  transactionScopeOf,
  ts,
  walk,
  wrapStatements,
  type DbLibrary,
  type Fix,
  type ReadModifyWrite,
  type RuntimeSubpath,
  type TextEdit,
} from "../../server/src/rule-kit";
import { atOffset, movableStatements, plainSqlLiteral, type FixContext } from "./flow-code";

const ROW_LOCK_HELPERS: Partial<
  Record<DbLibrary, { helper: string; subpath: RuntimeSubpath; fits: (call: ts.CallExpression) => boolean }>
> = {
  pg: {
    helper: "withPgTransaction",
    subpath: "postgres",
    fits: (call) =>
      calleeName(call) === "query" &&
      !call.typeArguments &&
      !!call.arguments[0] &&
      !ts.isObjectLiteralExpression(skipParens(call.arguments[0])),
  },
  mysql2: {
    helper: "withMySqlTransaction",
    subpath: "mysql",
    fits: (call) => calleeName(call) === "query" || calleeName(call) === "execute",
  },
};

/** Aggregates, DISTINCT, GROUP BY and set operations do not allow FOR UPDATE. */
const NOT_LOCKABLE = /\b(GROUP\s+BY|DISTINCT|UNION|COUNT\s*\(|SUM\s*\(|MAX\s*\(|MIN\s*\(|AVG\s*\()/i;

export function rowLockSuggestion(flow: ReadModifyWrite, context: FixContext): Fix | undefined {
  const { read, write } = flow;
  const { fixer, sourceFile } = context;
  const runtime = ROW_LOCK_HELPERS[read.library];
  if (!runtime || write.library !== read.library || !read.sql || read.lock || !read.handle || !write.handle) return undefined;
  if (transactionScopeOf(read.node) || transactionScopeOf(write.node)) return undefined;
  const pool = read.handle.getText();
  if (!ts.isIdentifier(read.handle) || write.handle.getText() !== pool || NOT_LOCKABLE.test(read.sql.text)) return undefined;
  const textNode = plainSqlLiteral(read);
  const statements = movableStatements(flow);
  if (!textNode || !statements) return undefined;
  let fits = true;
  const tx = freshName(enclosingFunction(statements[0]!) ?? sourceFile, "tx");
  const inner: TextEdit[] = [];
  for (const statement of statements) {
    walk(statement, (node) => {
      if (ts.isCallExpression(node) && receiverOf(node)?.getText() === pool) fits &&= runtime.fits(node);
      // Only the pool's statements are awaited: the row lock is not held across anything slower.
      if (ts.isAwaitExpression(node) && enclosingFunction(node) === enclosingFunction(statement)) {
        const awaited = skipAwait(node.expression);
        fits &&= ts.isCallExpression(awaited) && receiverOf(awaited)?.getText() === pool;
      }
      if (ts.isIdentifier(node) && node.text === pool && ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node)
        inner.push(fixer.replace(node, tx));
      return fits;
    });
  }
  if (!fits || (read.library === "mysql2" && !isPromisePool(read.handle, poolMethods(statements, pool), context.checker))) return undefined;
  // `FOR UPDATE` goes after the statement's last word, before any trailing `;` or whitespace of the literal.
  const sqlEnd = textNode.getEnd() - 1 - (textNode.text.length - textNode.text.replace(/[\s;]+$/, "").length);
  inner.push(fixer.insertBefore(atOffset(sqlEnd), " FOR UPDATE"));
  return fixer.fix(
    `Lock the row: read with FOR UPDATE inside ${runtime.helper}`,
    wrapStatements(sourceFile, statements, `await ${runtime.helper}(${pool}, async (${tx}) => {`, "});", inner),
    fixer.runtimeImport([runtime.helper], runtime.subpath),
  );
}

function poolMethods(statements: readonly ts.Statement[], pool: string): Set<string> {
  const methods = new Set<string>();
  for (const statement of statements) {
    walk(statement, (node) => {
      if (ts.isCallExpression(node) && receiverOf(node)?.getText() === pool) methods.add(calleeName(node) ?? "");
      return true;
    });
  }
  return methods;
}

/**
 * A mysql2 promise pool that `withMySqlTransaction` accepts, and whose connection (what the helper hands to its
 * callback) has every method the moved statements call: the pool has `query`, and `getConnection()` resolves to a
 * connection with `query`, `release` and `methods`. Asked of the type checker, so a project where the driver's types
 * do not resolve fully (no Node types: its `Pool` loses the methods it inherits) gets no suggestion that would not
 * compile.
 */
function isPromisePool(pool: ts.Expression, methods: ReadonlySet<string>, checker: ts.TypeChecker): boolean {
  const type = checker.getTypeAtLocation(pool);
  const getConnection = type.getProperty("getConnection");
  if (!getConnection || !type.getProperty("query")) return false;
  return checker
    .getTypeOfSymbolAtLocation(getConnection, pool)
    .getCallSignatures()
    .some((signature) => {
      if (signature.parameters.length !== 0) return false;
      const returned = checker.getReturnTypeOfSignature(signature);
      const connection = returned.getSymbol()?.name === "Promise" ? checker.getAwaitedType(returned) : undefined;
      return !!connection && ["query", "release", ...methods].every((m) => connection.getProperty(m));
    });
}
