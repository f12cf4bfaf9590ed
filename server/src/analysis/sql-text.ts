// Finding SQL in code: the text of a query given to pg / mysql2 / better-sqlite3 / knex.raw / Prisma raw /
// postgres.js / Drizzle `sql` templates, as far as it can be known statically. Interpolations become `$?`.
import { ts } from "../engine/ts";
import { calleeName, skipParens, stringValue } from "./ast";

/** Methods whose first argument (or template) is SQL text. */
export const QUERY_METHODS = new Set([
  "query",
  "execute",
  "raw",
  "exec",
  "prepare",
  "run",
  "all",
  "get",
  "$queryRaw",
  "$executeRaw",
  "$queryRawUnsafe",
  "$executeRawUnsafe",
  "unsafe",
  "queryRaw",
]);
/** Template tags whose template is SQL text. */
export const SQL_TAGS = new Set(["sql", "$queryRaw", "$executeRaw", "raw", "SQL"]);

export interface SqlSite {
  /** The call or tagged template that runs (or builds) the query. */
  node: ts.CallExpression | ts.TaggedTemplateExpression;
  /** The expression holding the SQL text. */
  textNode: ts.Node;
  /** The SQL with interpolations replaced by `$?`, whitespace as written. */
  sql: string;
}

const SQL_START =
  /^\s*(\(?\s*)(select|update|insert|delete|with|begin|start|commit|rollback|set|lock|savepoint|release|do|call|replace)\b/i;

const SELECT_STATEMENT = /^\s*(\(?\s*)(select|with)\s+\S[^]*\bfrom\b|^\s*select\s+\w+\s*\(/i;

/** The SQL text of an expression, following const variables in the same file; undefined if not knowable. */
export function sqlTextOf(expr: ts.Node | undefined, depth = 0): string | undefined {
  if (!expr || depth > 4) return undefined;
  const node = ts.isExpression(expr) ? skipParens(expr) : expr;
  const literal = stringValue(node);
  if (literal !== undefined) return literal;
  if (ts.isTemplateExpression(node)) {
    // `SELECT ${fnName}(?)` with `const fnName = "pg_advisory_xact_lock"`: text, when every interpolation is such a
    // constant (a partial substitution would renumber the remaining `$?` placeholders).
    const constants = node.templateSpans.map((s) => constantText(s.expression));
    if (constants.every((c) => c !== undefined))
      return node.head.text + node.templateSpans.map((s, i) => `${constants[i]}${s.literal.text}`).join("");
    return node.head.text + node.templateSpans.map((s) => `$?${s.literal.text}`).join("");
  }
  if (ts.isTaggedTemplateExpression(node)) return templateText(node.template);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = sqlTextOf(node.left, depth + 1);
    const right = sqlTextOf(node.right, depth + 1);
    return left !== undefined || right !== undefined ? `${left ?? "$?"}${right ?? "$?"}` : undefined;
  }
  if (ts.isObjectLiteralExpression(node)) {
    // pg: { text, values }; mysql2: { sql, values }
    for (const property of node.properties) {
      if (
        ts.isPropertyAssignment(property) &&
        ts.isIdentifier(property.name) &&
        (property.name.text === "text" || property.name.text === "sql")
      ) {
        return sqlTextOf(property.initializer, depth + 1);
      }
    }
    return undefined;
  }
  if (ts.isConditionalExpression(node)) {
    // `parentId ? sql\`… WHERE parent = ${parentId} FOR UPDATE\` : sql\`… WHERE parent IS NULL FOR UPDATE\``: the same
    // statement either way when only the WHERE conditions differ; its text is the first choice's.
    const whenTrue = sqlTextOf(node.whenTrue, depth + 1);
    const whenFalse = sqlTextOf(node.whenFalse, depth + 1);
    return whenTrue !== undefined && whenFalse !== undefined && sameStatementButWhere(whenTrue, whenFalse) ? whenTrue : undefined;
  }
  if (ts.isCallExpression(node) && calleeName(node) === "raw") return sqlTextOf(node.arguments[0], depth + 1);
  if (ts.isCallExpression(node) && calleeName(node) === "join") return joinedText(node, depth);
  if (ts.isIdentifier(node)) {
    const declaration = constDeclarationOf(node);
    return declaration?.initializer ? sqlTextOf(declaration.initializer, depth + 1) : undefined;
  }
  return undefined;
}

const WHERE_CLAUSE = /\bwhere\b[^]*?(?=\b(for\s+(update|no\s+key\s+update|share|key\s+share)|order\s+by|limit|returning)\b|;?\s*$)/i;

/** Two SQL texts that differ only in their WHERE clause (same statement, table, order, limit and row lock). */
function sameStatementButWhere(a: string, b: string): boolean {
  const shape = (sql: string) => normalizeSql(sql.replace(WHERE_CLAUSE, "where ?"));
  return shape(a) === shape(b);
}

function templateText(template: ts.TemplateLiteral): string {
  if (ts.isNoSubstitutionTemplateLiteral(template)) return template.text;
  return template.head.text + template.templateSpans.map((s) => `$?${s.literal.text}`).join("");
}

/**
 * `parts.join(" ")` of `const parts = ["BEGIN"]` (to which the function may push more: `parts.push("READ ONLY")`): the
 * statement starts with the array's own elements, in order; what is pushed later follows as unknown text.
 */
function joinedText(call: ts.CallExpression, depth: number): string | undefined {
  const receiver = ts.isPropertyAccessExpression(call.expression) ? skipParens(call.expression.expression) : undefined;
  const separator = call.arguments.length === 0 ? "," : stringValue(skipParens(call.arguments[0]!));
  const declaration = receiver && ts.isIdentifier(receiver) ? constDeclarationOf(receiver) : undefined;
  const array = declaration?.initializer && skipParens(declaration.initializer);
  if (separator === undefined || !array || !ts.isArrayLiteralExpression(array) || array.elements.length === 0) return undefined;
  const elements = array.elements.map((e) => (ts.isSpreadElement(e) ? undefined : sqlTextOf(e, depth + 1)));
  const known = elements.indexOf(undefined) < 0 ? elements.length : elements.indexOf(undefined);
  if (known === 0) return undefined;
  const head = elements.slice(0, known).join(separator);
  const added = addedTo(receiver as ts.Identifier);
  if (added === "front") return undefined;
  return known < elements.length || added === "end" ? `${head}${separator}$?` : head;
}

/** Where the block holding `array`'s declaration adds to it: only at the end (`push`), or elsewhere too (`unshift`, `splice`). */
function addedTo(array: ts.Identifier): "end" | "front" | undefined {
  const declaration = constDeclarationOf(array);
  let scope: ts.Node | undefined = declaration;
  while (scope && !ts.isBlock(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
  let found: "end" | "front" | undefined;
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === array.text &&
      /^(push|unshift|splice)$/.test(node.expression.name.text)
    )
      found = node.expression.name.text === "push" && found !== "front" ? "end" : "front";
    ts.forEachChild(node, visit);
  };
  if (scope) visit(scope);
  return found;
}

/** The string a `const` of the file bound to a string literal holds. */
function constantText(expr: ts.Expression): string | undefined {
  const node = skipParens(expr);
  const declaration = ts.isIdentifier(node) ? constDeclarationOf(node) : undefined;
  return declaration?.initializer && ts.isStringLiteralLike(skipParens(declaration.initializer))
    ? (skipParens(declaration.initializer) as ts.StringLiteralLike).text
    : undefined;
}

/** `const q = "..."` in the same file, found without the type checker (walks the enclosing scopes' statements). */
function constDeclarationOf(identifier: ts.Identifier): ts.VariableDeclaration | undefined {
  for (let scope: ts.Node | undefined = identifier.parent; scope; scope = scope.parent) {
    const statements = ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) ? scope.statements : undefined;
    if (!statements) continue;
    for (const statement of statements) {
      if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.name.text === identifier.text) return declaration;
      }
    }
  }
  return undefined;
}

/** If `node` runs or builds a SQL query whose text is known and looks like SQL, describes it. */
export function sqlSiteOf(node: ts.Node): SqlSite | undefined {
  if (ts.isTaggedTemplateExpression(node)) {
    const tag = skipParens(node.tag);
    const tagName = ts.isIdentifier(tag) ? tag.text : ts.isPropertyAccessExpression(tag) ? tag.name.text : undefined;
    if (!tagName || !SQL_TAGS.has(tagName)) return undefined;
    // `pool.query(sql\`…\`)`: the statement runs at the call, which is its site (one statement, not two).
    const parent = node.parent;
    if (ts.isCallExpression(parent) && parent.arguments[0] === node && QUERY_METHODS.has(calleeName(parent) ?? "")) return undefined;
    const sql = templateText(node.template);
    return SQL_START.test(sql) ? { node, textNode: node.template, sql } : undefined;
  }
  if (!ts.isCallExpression(node)) return undefined;
  const name = calleeName(node);
  // A `select` method given a whole SELECT statement runs it and returns its rows (node-pg-migrate's `db.select(sql)`);
  // knex's `select("id")` is given column names, Drizzle's `select()` nothing.
  const selects = name === "select";
  if (!name || (!QUERY_METHODS.has(name) && !selects)) return undefined;
  const first = node.arguments[0];
  const sql = sqlTextOf(first);
  if (sql === undefined || !(selects ? SELECT_STATEMENT : SQL_START).test(sql)) return undefined;
  return { node, textNode: first!, sql };
}

/** Uppercased SQL with string literals and comments removed: safe to search for keywords. */
export function normalizeSql(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[^]*?\*\//g, " ")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\s+/g, " ")
    .trim()
    .toUpperCase();
}
