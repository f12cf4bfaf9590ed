// select-then-update: a value read from a row decides what a later write of the same table writes (or whether it
// runs), and nothing stops a concurrent caller from reading the same value in between: the classic lost update
// (guide: "Race Conditions": both read $100, one write overwrites the other).
//
// Safe (not reported): the read locks the row (FOR UPDATE / ORM lock) in the same transaction as the write; the write
// compares against the read value (compare-and-set: unchecked-optimistic-update's business); the write is atomic and
// does not use the read value, with any check on the written column repeated in its WHERE; the transaction is
// SERIALIZABLE (or REPEATABLE READ on PostgreSQL, which aborts the second writer) and retried. A SERIALIZABLE
// transaction opened in the same function with no visible retry gets its own finding: no update is lost, but the
// aborted call fails.
import { ts } from "../server/src/engine/ts";
import type { FileRuleContext, Fix, Rule, TextEdit } from "../server/src/engine/types";
import { FUNCTION_KINDS, boundNames, calleeName, code, enclosingFunction, expressionKey, receiverOf, importsOf, indentationAt, indentUnit, isFunctionLike, lineOf, mentions, nodesOfKinds, outerExpression, skipAwait, skipParens, spanOf, walk, type FunctionLike } from "../server/src/analysis/ast";
import { assignmentValues, isKeyColumn, readModifyWritesIn, sameTable, type AccessCondition, type DbAccess, type DbLibrary, type ReadModifyWrite } from "../server/src/analysis/db-access";
import { importEdits, runtimeImportEdits } from "../server/src/engine/runtime-import";
import { normalizePath } from "../server/src/engine/paths";
import { isRetried, rowLocksHeldAt, transactionScopeOf, type TransactionScope } from "../server/src/analysis/transactions";

/** Why a flow is safe, or undefined when it races. */
function protection(flow: ReadModifyWrite, checker: () => ts.TypeChecker): string | undefined {
  const { read, write } = flow;
  if (flow.guards.length > 0) return "compare-and-set";
  if (differentRows(flow)) return "another row";
  if (write.library === "sequelize" && write.entity && read.handle && hasSequelizeVersion(read.handle, checker)) return "compare-and-set";
  if (write.library === "redis" && isWatchedTransaction(write)) return "WATCH/MULTI";
  const scope = transactionScopeOf(write.node);
  if (scope && scope === transactionScopeOf(read.node)) {
    if (read.lock === "update" || read.lock === "no key update") return "row lock";
    if (rowLocksHeldAt(read.node, scope).some((l) => sameTable(l.access.table, read.table) && (l.mode === "write" || l.mode === "update" || l.mode === "no key update"))) return "row lock";
    if (scope.isolation === "serializable") return "serializable";
    if (scope.isolation === "repeatable read" && write.library === "pg") return "serializable";
  }
  if (!flow.data) {
    // Only the decision depends on the read. The write is safe unless the check was on a column it changes and the
    // check is not repeated in its WHERE (then two callers both pass the check: oversold stock, double booking).
    const checked = flow.control?.column;
    const changesChecked = write.assignments.some((a) => a.column === checked);
    if (!changesChecked) return "unrelated check";
    // The WHERE re-checks the column against the database's current value: a conditional update.
    if (write.conditions.some((c) => c.column === checked)) return "conditional update";
  }
  return undefined;
}

/**
 * The read and the write name their row by the same key column with different values (`WHERE id = $1` with `fromId`,
 * then `WHERE id = $2` with `toId`): the write changes another row than the one read.
 */
function differentRows(flow: ReadModifyWrite): boolean {
  for (const written of flow.write.conditions) {
    if (written.operator !== "=" || !written.value) continue;
    const read = flow.read.conditions.find((c) => c.column === written.column && c.operator === "=" && c.value);
    if (!read) continue;
    const readKey = expressionKey(read.value!);
    const writtenKey = expressionKey(written.value);
    // `WHERE id = row.id` names the row that was read.
    if (readKey !== writtenKey && flow.originOf(written.value)?.read !== flow.read) return true;
  }
  return false;
}

/**
 * A Sequelize model declared with `version: true` (in `Model.init`, `sequelize.define` or `@Table`): its instances'
 * `save()`/`update()` add `WHERE version = <read>` and throw `OptimisticLockError` on conflict.
 */
function hasSequelizeVersion(model: ts.Expression, checker: () => ts.TypeChecker): boolean {
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker().getSymbolAtLocation(model);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker().getAliasedSymbol(symbol);
  } catch {
    return false;
  }
  const name = model.getText();
  for (const declaration of symbol?.declarations ?? []) {
    const text = declaration.getSourceFile().text;
    const options = new RegExp(String.raw`(\b${name}\.init\s*\(|define\s*\(\s*["'\`]${name}["'\`]|@Table\s*\()[^]*?\bversion\s*:\s*true`);
    if (options.test(text)) return true;
  }
  return false;
}

/** `redis.multi().set(k, v).exec()` after `redis.watch(k)` in the same function: EXEC fails if the key changed. */
function isWatchedTransaction(write: DbAccess): boolean {
  if (!/\.multi\(\)/.test(write.handle?.getText() ?? "")) return false;
  const body = enclosingFunction(write.node)?.body;
  let watched = false;
  if (body) walk(body, (node) => {
    if (ts.isCallExpression(node) && /^watch$/i.test(calleeName(node) ?? "")) watched = true;
    return !watched;
  });
  return watched;
}

function writeLabel(write: DbAccess): string {
  if (write.sql) {
    const text = write.sql.statement.kind === "update" ? sqlHead(write) : write.node.getText();
    return code(text);
  }
  const callee = ts.isCallExpression(write.node) ? write.node.expression.getText().replace(/\s+/g, "") : write.node.getText();
  if (callee.length <= 50 || !ts.isCallExpression(write.node)) return code(`${callee}(…)`);
  // A long builder chain: its first call (`db.update(accounts)`) and its write (`set(…)`), which say what it does.
  let first: ts.CallExpression = write.node;
  const names: string[] = [];
  for (let current: ts.Expression = write.node; ts.isCallExpression(current); ) {
    first = current;
    names.unshift(calleeName(current) ?? "");
    const callee = skipParens(current.expression);
    if (!ts.isPropertyAccessExpression(callee)) break;
    current = skipParens(callee.expression);
  }
  const writeName = names.slice(1).find((n) => ["set", "update", "increment", "decrement", "save"].includes(n)) ?? names[names.length - 1];
  return code(`${first.getText().replace(/\s+/g, "")}…${writeName}(…)`);
}

/** `UPDATE accounts SET balance = $1` (the statement up to WHERE). */
function sqlHead(write: DbAccess): string {
  const text = write.sql!.text.replace(/\s+/g, " ").trim();
  const head = text.split(/\s+WHERE\s+/i)[0]!;
  return head.length > 70 ? `${head.slice(0, 67)}…` : head;
}

const LOCK_HINT: Record<DbLibrary, string> = {
  pg: "`SELECT … FOR UPDATE` in the same transaction",
  mysql2: "`SELECT … FOR UPDATE` in the same transaction",
  "better-sqlite3": "`BEGIN IMMEDIATE` around the read and the write",
  sql: "`SELECT … FOR UPDATE` in the same transaction",
  knex: "`.forUpdate()` on the read inside `knex.transaction`",
  prisma: "`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`",
  typeorm: '`lock: { mode: "pessimistic_write" }` inside a transaction',
  sequelize: "`lock: t.LOCK.UPDATE` with `transaction: t`",
  drizzle: '`.for("update")` on the read inside `db.transaction`',
  kysely: "`.forUpdate()` on the read inside `db.transaction()`",
  redis: "`WATCH`/`MULTI` or a Lua script",
};

function atomicHint(flow: ReadModifyWrite, column: string): string {
  switch (flow.write.library) {
    case "knex":
      return `\`.decrement("${column}", n)\` / \`.increment(…)\``;
    case "prisma":
      return `\`data: { ${column}: { decrement: n } }\``;
    case "typeorm":
    case "sequelize":
      return `\`.decrement("${column}", …)\` / \`.increment(…)\``;
    case "drizzle":
      return `\`set({ ${column}: sql\\\`\${table.${column}} - \${n}\\\` })\``;
    case "kysely":
      return `\`set((eb) => ({ ${column}: eb("${column}", "-", n) }))\``;
    case "redis":
      return "`INCRBY`/`DECRBY`";
    case "mysql2":
    case "better-sqlite3":
      return code(`SET ${column} = ${column} - ?`);
    default:
      return code(`SET ${column} = ${column} - $1`);
  }
}

function message(flow: ReadModifyWrite): string {
  const { read, write } = flow;
  const line = lineOf(read.node);
  const lock = LOCK_HINT[write.library];
  if (write.library === "redis") {
    const key = code(ts.isCallExpression(read.node) ? read.node.arguments[0]!.getText() : "key");
    return flow.data
      ? `${writeLabel(write)} writes a value computed from ${key} read at line ${line} without ${lock}: two concurrent calls both read the same value, both write their result, and one update is lost. Update atomically (${atomicHint(flow, "value")}) or use ${lock}.`
      : `${writeLabel(write)} runs only because the check of ${key} read at line ${line} passed, without ${lock}: two concurrent calls can both pass the check and both write. Use a Lua script or ${lock}.`;
  }
  const column = flow.data?.column ?? flow.control?.column ?? "the row";
  const columnText = column === "the row" ? "the row" : code(column);
  const scope = transactionScopeOf(read.node);
  const unlocked = read.lock && (!scope || scope !== transactionScopeOf(write.node))
    ? ` (the ${code(`FOR ${read.lock.toUpperCase()}`)} at line ${line} does not help: ${scope ? "the write runs outside its transaction" : "outside a transaction the lock is released when that statement ends"})`
    : "";
  if (flow.data) {
    return `${writeLabel(write)} writes a value computed from ${columnText} read at line ${line} without a row lock${unlocked}: two concurrent calls both read the same ${columnText}, both write their result, and one update is lost. Lock the row (${lock}) or update atomically (${atomicHint(flow, column)}).`;
  }
  return `${writeLabel(write)} runs only because the check of ${columnText} read at line ${line} passed, but nothing locks the row${unlocked}: two concurrent calls can both pass the check and both write (oversold stock, double booking). Lock the row (${lock}) or repeat the check in the write's WHERE and check the affected-row count.`;
}

function check(context: FileRuleContext): void {
  const reported = new Set<DbAccess>();
  for (const node of nodesOfKinds<FunctionLike>(context.sourceFile, FUNCTION_KINDS)) {
    for (const flow of readModifyWritesIn(node)) {
      if (reported.has(flow.write)) continue;
      const safe = protection(flow, () => context.checker);
      if (safe === "serializable") {
        const scope = unretriedTransaction(flow);
        if (scope) {
          reported.add(flow.write);
          reportUnretried(context, flow, scope);
        }
        continue;
      }
      if (safe) continue;
      reported.add(flow.write);
      const fixes: Fix[] = [];
      const atomic = atomicUpdateFix(flow, context);
      if (atomic) fixes.push(atomic);
      const suggestions = [rowLockSuggestion(flow, context), optimisticRetrySuggestion(flow, context)].filter((s): s is Fix => s !== undefined);
      context.report({
        message: message(flow),
        span: spanOf(flow.write.node, context.sourceFile),
        related: [{ span: spanOf(flow.read.node, context.sourceFile), message: `value read here${flow.control && !flow.data ? " and checked at line " + lineOf(flow.control.condition) : ""}` }],
        fixes,
        suggestions,
      });
    }
  }
}

/**
 * The SERIALIZABLE (or PostgreSQL REPEATABLE READ) transaction the flow runs in, when it is opened in the flow's own
 * function and no retry of it is visible there. A transaction opened by a caller, or a function whose callers may
 * retry it, is not judged: that is not knowable from here.
 */
function unretriedTransaction(flow: ReadModifyWrite): TransactionScope | undefined {
  const scope = transactionScopeOf(flow.write.node);
  const fn = enclosingFunction(flow.write.node);
  if (!scope || !fn || (scope.callback !== fn && enclosingFunction(scope.start) !== fn)) return undefined;
  return isRetried(scope) ? undefined : scope;
}

const RETRYING_TRANSACTION: Partial<Record<DbLibrary, string>> = {
  pg: '`withPgTransaction(pool, fn, { isolation: "serializable" })` retries it by itself',
  mysql2: '`withMySqlTransaction(pool, fn, { isolation: "serializable" })` retries it by itself',
};

function reportUnretried(context: FileRuleContext, flow: ReadModifyWrite, scope: TransactionScope): void {
  const { read, write } = flow;
  const column = flow.data?.column ?? flow.control?.column;
  const isolation = (scope.isolation ?? "serializable").toUpperCase();
  const remedy = RETRYING_TRANSACTION[write.library] ?? "wrap the whole transaction in the runtime's `retry`";
  context.report({
    message: `${writeLabel(write)} depends on ${column ? code(column) : "the row"} read at line ${lineOf(read.node)} inside a ${isolation} transaction that nothing here retries: when two calls overlap, the database aborts one of them (serialization failure 40001, or deadlock) instead of losing an update, and that call fails unless every caller runs it again. Retry the transaction with backoff (${remedy}) or lock the row at READ COMMITTED (${LOCK_HINT[write.library]}), where the second call waits instead of failing.`,
    span: spanOf(write.node, context.sourceFile),
    related: [
      { span: spanOf(read.node, context.sourceFile), message: "value read here" },
      { span: spanOf(scope.start, context.sourceFile), message: `${isolation} transaction opened here, not retried` },
    ],
    fixes: [],
    suggestions: [],
  });
}

export const selectThenUpdate: Rule = {
  meta: {
    id: "select-then-update",
    description: "A value read from a row decides a later write of the same table without a row lock, an atomic update or a version check (lost update).",
    defaultSeverity: "error",
    fixable: true,
    hasSuggestions: true,
    scope: "file",
  },
  checkFile: check,
};

// ---------------------------------------------------------------------------------------------------------------
// Fix 1: atomic update. Offered when the written value is `read.col ± delta` and the only check on `col` is an
// early exit `if (col < bound) throw ...`: the database computes the new value, the check moves into the WHERE, and
// the affected-row count decides whether the original exit runs. Anything else gets no fix.

interface UpdatePlan {
  column: string;
  /** The write's value `read.column ± delta` becomes `column ± delta` computed by the database. */
  update?: {
    operator: "+" | "-";
    delta: ts.Expression;
    /** The value expression in the write that becomes `delta`. */
    value: ts.Expression;
  };
  /** The early-exit check on the column, repeated in the write's WHERE; the affected-row count decides the exit. */
  guard?: { operator: string; bound: ts.Expression; /** the guard compares the new value (`col - delta`), not `col` */ onNewValue: boolean; exit: ts.Statement };
}

const NEGATE: Record<string, string> = { "<": ">=", "<=": ">", ">": "<=", ">=": "<", "===": "<>", "==": "<>", "!==": "=", "!=": "=" };
const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "===": "===", "==": "==", "!==": "!==", "!=": "!=" };

/**
 * How to make the write safe by itself: compute the new value in the database (when the written value is
 * `read.column ± delta`) and repeat the early-exit check on the column in its WHERE. Undefined when the flow has
 * another shape (then only a human can choose the fix).
 */
function updatePlan(flow: ReadModifyWrite): UpdatePlan | undefined {
  const data = flow.data;
  let plan: UpdatePlan;
  let value: ts.Expression | undefined;
  if (data) {
    if (!data.column || data.assignment.atomic || data.column !== data.assignment.column) return undefined;
    // Every other assignment must be independent of the read.
    for (const other of flow.write.assignments) {
      if (other !== data.assignment && assignmentValues(flow.write, other).some((v) => flow.originOf(v)?.read === flow.read)) return undefined;
    }
    value = skipParens(data.value);
    const computed = ts.isIdentifier(value) ? constInitializer(value) : value;
    const delta = computed && deltaOf(computed, data.column, flow);
    if (!delta) return undefined;
    plan = { column: data.column, update: { operator: delta.operator, delta: delta.delta, value: data.value } };
  } else if (flow.control?.column) plan = { column: flow.control.column };
  else return undefined;
  const control = flow.control;
  if (!control) return plan;
  if (!control.earlyExit || control.column !== plan.column || !ts.isIfStatement(control.statement)) return undefined;
  const exit = singleStatement(control.statement.thenStatement);
  if (!exit || !(ts.isThrowStatement(exit) || ts.isReturnStatement(exit))) return undefined;
  const condition = skipParens(control.condition);
  if (!ts.isBinaryExpression(condition) || !(condition.operatorToken.getText() in NEGATE)) return undefined;
  const op = condition.operatorToken.getText();
  const sides: Array<[ts.Expression, ts.Expression, string]> = [
    [condition.left, condition.right, op],
    [condition.right, condition.left, FLIP[op]!],
  ];
  for (const [subject, bound, subjectOp] of sides) {
    if (flow.originOf(bound)) continue;
    const isNewValue = !!value && ts.isIdentifier(skipParens(subject)) && ts.isIdentifier(value) && skipParens(subject).getText() === value.text;
    if (isNewValue || isColumnValue(subject, plan.column, flow)) {
      plan.guard = { operator: NEGATE[subjectOp]!, bound, onNewValue: isNewValue, exit };
      return plan;
    }
  }
  return undefined;
}

function singleStatement(statement: ts.Statement): ts.Statement | undefined {
  if (ts.isBlock(statement)) return statement.statements.length === 1 ? statement.statements[0] : undefined;
  return statement;
}

/** `const next = balance - amount` in the same function: its initializer. */
function constInitializer(identifier: ts.Identifier): ts.Expression | undefined {
  const fn = enclosingFunction(identifier);
  let found: ts.Expression | undefined;
  if (!fn?.body) return undefined;
  walk(fn.body, (node) => {
    if (found) return false;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === identifier.text && node.initializer && ts.isVariableDeclarationList(node.parent) && node.parent.flags & ts.NodeFlags.Const) found = node.initializer;
    return true;
  });
  return found && skipParens(found);
}

/** `balance - amount` / `row.qty + n` / `n + row.qty` → the operator and the delta, when one side is the column's value. */
function deltaOf(expr: ts.Expression, column: string, flow: ReadModifyWrite): { operator: "+" | "-"; delta: ts.Expression } | undefined {
  const node = skipParens(expr);
  if (!ts.isBinaryExpression(node)) return undefined;
  const kind = node.operatorToken.kind;
  if (kind !== ts.SyntaxKind.PlusToken && kind !== ts.SyntaxKind.MinusToken) return undefined;
  if (isColumnValue(node.left, column, flow) && !flow.originOf(node.right)) return { operator: kind === ts.SyntaxKind.PlusToken ? "+" : "-", delta: node.right };
  if (kind === ts.SyntaxKind.PlusToken && isColumnValue(node.right, column, flow) && !flow.originOf(node.left)) return { operator: "+", delta: node.left };
  return undefined;
}

/** `balance`, `rows[0].balance`, `Number(row.balance)`: exactly the value of `column` as read. */
function isColumnValue(expr: ts.Expression, column: string, flow: ReadModifyWrite): boolean {
  let node = skipParens(expr);
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "Number" && node.arguments.length === 1) node = skipParens(node.arguments[0]!);
  if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) return false;
  const origin = flow.originOf(node);
  return origin?.read === flow.read && origin.level === "value" && origin.column === column;
}

function atomicUpdateFix(flow: ReadModifyWrite, context: FileRuleContext): Fix | undefined {
  const plan = updatePlan(flow);
  if (!plan || (!plan.update && !plan.guard)) return undefined;
  // `title + suffix` concatenates strings: SQL's `+` would add numbers.
  if (plan.update && context.checker.getTypeAtLocation(plan.update.value).flags & ts.TypeFlags.StringLike) return undefined;
  switch (flow.write.library) {
    case "pg":
    case "mysql2":
      return sqlAtomicFix(flow, plan, context);
    case "knex":
      return knexAtomicFix(flow, plan, context);
    case "prisma":
      return prismaAtomicFix(flow, plan, context);
    default:
      return undefined;
  }
}

const FIX_TITLE = "Update atomically in the database (check moved into WHERE)";
const GUARD_TITLE = "Repeat the check in the update's WHERE and check the affected-row count";

function edit(context: FileRuleContext, start: number, end: number, newText: string): TextEdit {
  return { file: normalizePath(context.sourceFile.fileName), start, end, newText };
}

/** A name for the write's result that the function does not use yet. */
function freshName(node: ts.Node, base: string): string {
  const text = (enclosingFunction(node) ?? node.getSourceFile()).getText();
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}${i}`;
    if (!new RegExp(String.raw`\b${name}\b`).test(text)) return name;
  }
}

/** How each library reports the affected-row count of an awaited write. */
const AFFECTED: Partial<Record<DbLibrary, { declare: (name: string) => string; count: (name: string) => string }>> = {
  pg: { declare: (n) => `const ${n}`, count: (n) => `${n}.rowCount` },
  mysql2: { declare: (n) => `const [${n}]`, count: (n) => `${n}.affectedRows` },
  knex: { declare: (n) => `const ${n}`, count: (n) => n },
  prisma: { declare: (n) => `const ${n}`, count: (n) => `${n}.count` },
  typeorm: { declare: (n) => `const ${n}`, count: (n) => `${n}.affected` },
  sequelize: { declare: (n) => `const [${n}]`, count: (n) => n },
};

/**
 * Edits that make the affected-row count of `write` decide what happens next: the statement `await x.query(...)`
 * becomes `const updated = await x.query(...)` followed by `check(<count>)` (`if (updated.rowCount === 0) throw …`,
 * `assertAffected(updated.rowCount, …)`). Undefined when the write is not an awaited statement of its own or the
 * library's count is unknown.
 */
export function affectedCountCheck(write: DbAccess, context: FileRuleContext, check: (count: string) => string): TextEdit[] | undefined {
  const affected = AFFECTED[write.library];
  const outer = outerExpression(write.node as ts.Expression);
  const statement = outer.parent;
  if (!affected || !ts.isExpressionStatement(statement) || !ts.isAwaitExpression(outer)) return undefined;
  const name = freshName(statement, "updated");
  const indent = indentationAt(context.sourceFile, statement.getStart());
  const edits = [
    edit(context, statement.getStart(), statement.getStart(), `${affected.declare(name)} = `),
    edit(context, statement.getEnd(), statement.getEnd(), `\n${indent}${check(affected.count(name))}`),
  ];
  if (write.library === "mysql2") {
    // mysql2 types a result as a union of rows and header: name the header type to read `affectedRows`.
    const call = write.node as ts.CallExpression;
    if (call.typeArguments) return undefined;
    edits.push(edit(context, call.expression.getEnd(), call.expression.getEnd(), "<ResultSetHeader>"), ...resultSetHeaderImport(context));
  }
  return edits;
}

function countCheckEdits(flow: ReadModifyWrite, plan: UpdatePlan, context: FileRuleContext): TextEdit[] | undefined {
  const exit = plan.guard?.exit.getText();
  return exit ? affectedCountCheck(flow.write, context, (count) => `if (${count} === 0) ${exit}`) : [];
}

function sqlAtomicFix(flow: ReadModifyWrite, plan: UpdatePlan, context: FileRuleContext): Fix | undefined {
  const write = flow.write;
  const sql = write.sql!;
  const textNode = sql.textNode;
  const values = sql.values;
  // Edit the SQL only when it is a plain literal in the call whose source text maps 1:1 to its value.
  if (!values || (!ts.isStringLiteral(textNode) && !ts.isNoSubstitutionTemplateLiteral(textNode))) return undefined;
  if (textNode.getText().slice(1, -1) !== textNode.text) return undefined;
  const placeholders = sql.statement.placeholders;
  if (placeholders.some((p) => p.style === "interpolation")) return undefined;
  const numbered = placeholders.length > 0 ? placeholders[0]!.style === "numbered" : write.library === "pg";
  const base = textNode.getStart() + 1;
  const edits: TextEdit[] = [];
  let updatePlaceholder: string | undefined;
  if (plan.update) {
    const assignment = flow.data!.assignment.sql!;
    if (assignment.placeholders.length !== 1 || !/^\s*(\$\d+|\?)\s*$/.test(assignment.expression)) return undefined;
    updatePlaceholder = assignment.expression.trim();
    edits.push(
      edit(context, base + assignment.expressionStart, base + assignment.expressionStart, `${plan.column} ${plan.update.operator} `),
      edit(context, plan.update.value.getStart(), plan.update.value.getEnd(), plan.update.delta.getText()),
    );
  }
  const guard = plan.guard;
  if (guard) {
    const whereEnd = sql.statement.whereEnd;
    if (whereEnd === undefined) return undefined;
    const newValue = guard.onNewValue && plan.update ? `${plan.column} ${plan.update.operator} ` : undefined;
    let subjectSql: string;
    let boundSql: string;
    if (numbered) {
      subjectSql = newValue ? `${newValue}${updatePlaceholder}` : plan.column;
      // Reuse the placeholder of a value already passed (`$1` for `amount`), else pass the bound as a new one.
      const existing = values.elements.findIndex((e) => e.getText() === guard.bound.getText());
      if (plan.update && guard.bound.getText() === plan.update.delta.getText()) boundSql = updatePlaceholder!;
      else if (existing >= 0 && !(plan.update && values.elements[existing] === plan.update.value)) boundSql = `$${existing + 1}`;
      else {
        boundSql = `$${values.elements.length + 1}`;
        const last = values.elements[values.elements.length - 1];
        const at = last ? last.getEnd() : values.getStart() + 1;
        edits.push(edit(context, at, at, `${last ? ", " : ""}${guard.bound.getText()}`));
      }
    } else {
      subjectSql = newValue ? `${newValue}?` : plan.column;
      boundSql = "?";
      const inserted = newValue ? [plan.update!.delta.getText(), guard.bound.getText()] : [guard.bound.getText()];
      const index = placeholders.filter((p) => p.offset < whereEnd).length;
      const before = values.elements[index - 1];
      const at = before ? before.getEnd() : values.getStart() + 1;
      const after = values.elements[index];
      edits.push(edit(context, at, at, `${before ? ", " : ""}${inserted.join(", ")}${!before && after ? ", " : ""}`));
    }
    edits.push(edit(context, base + whereEnd, base + whereEnd, ` AND ${subjectSql} ${guard.operator} ${boundSql}`));
  }
  const counted = countCheckEdits(flow, plan, context);
  if (!counted) return undefined;
  return { title: plan.update ? FIX_TITLE : GUARD_TITLE, edits: [...edits, ...counted] };
}

/** `ResultSetHeader` from mysql2: merged into an existing `import type { … }` of the driver, else a new import. */
function resultSetHeaderImport(context: FileRuleContext): TextEdit[] {
  const modules = new Set([...importsOf(context.sourceFile).values()].map((i) => i.module));
  const module = modules.has("mysql2/promise") ? "mysql2/promise" : "mysql2";
  for (const statement of context.sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== module) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!statement.importClause?.isTypeOnly || !bindings || !ts.isNamedImports(bindings)) continue;
    if (bindings.elements.some((e) => e.name.text === "ResultSetHeader")) return [];
    const last = bindings.elements[bindings.elements.length - 1]!;
    return [edit(context, last.getEnd(), last.getEnd(), ", ResultSetHeader")];
  }
  return importEdits(context.sourceFile, module, ["type ResultSetHeader"]);
}

function knexAtomicFix(flow: ReadModifyWrite, plan: UpdatePlan, context: FileRuleContext): Fix | undefined {
  const update = plan.update;
  if (!update || flow.write.assignments.length !== 1) return undefined;
  const updateCall = findChainCall(flow.write.node as ts.CallExpression, "update");
  if (!updateCall) return undefined;
  const callee = updateCall.expression as ts.PropertyAccessExpression;
  const method = update.operator === "-" ? "decrement" : "increment";
  const guard = plan.guard;
  const guardText = guard ? (guard.onNewValue ? undefined : `.andWhere("${plan.column}", "${guard.operator}", ${guard.bound.getText()})`) : "";
  if (guardText === undefined) return undefined;
  const edits: TextEdit[] = [edit(context, callee.name.getStart(), updateCall.getEnd(), `${method}("${plan.column}", ${update.delta.getText()})`)];
  if (guardText) edits.push(edit(context, callee.name.getStart() - 1, callee.name.getStart() - 1, guardText));
  const counted = countCheckEdits(flow, plan, context);
  if (!counted) return undefined;
  return { title: FIX_TITLE, edits: [...edits, ...counted] };
}

function findChainCall(call: ts.CallExpression, name: string): ts.CallExpression | undefined {
  for (let current: ts.Expression = call; ts.isCallExpression(current) && ts.isPropertyAccessExpression(current.expression); current = current.expression.expression) {
    if (calleeName(current) === name) return current;
  }
  return undefined;
}

const PRISMA_FILTER: Record<string, string> = { ">=": "gte", ">": "gt", "<=": "lte", "<": "lt" };

function prismaAtomicFix(flow: ReadModifyWrite, plan: UpdatePlan, context: FileRuleContext): Fix | undefined {
  const call = flow.write.node as ts.CallExpression;
  const method = calleeName(call);
  if (method !== "update" && method !== "updateMany") return undefined;
  const update = plan.update;
  if (!update) return undefined;
  const edits: TextEdit[] = [edit(context, update.value.getStart(), update.value.getEnd(), `{ ${update.operator === "-" ? "decrement" : "increment"}: ${update.delta.getText()} }`)];
  const guard = plan.guard;
  if (guard) {
    if (guard.onNewValue) return undefined;
    const where = whereObject(call);
    if (!where) return undefined;
    const last = where.properties[where.properties.length - 1];
    const at = last ? last.getEnd() : where.getStart() + 1;
    const filter = PRISMA_FILTER[guard.operator];
    if (!filter) return undefined;
    edits.push(edit(context, at, at, `${last ? ", " : " "}${plan.column}: { ${filter}: ${guard.bound.getText()} }`));
    // `update` throws when the guard filters the row out; `updateMany` reports it in `count`.
    if (method === "update") {
      const name = (call.expression as ts.PropertyAccessExpression).name;
      edits.push(edit(context, name.getStart(), name.getEnd(), "updateMany"));
    }
  }
  const counted = countCheckEdits(flow, plan, context);
  if (!counted) return undefined;
  return { title: FIX_TITLE, edits: [...edits, ...counted] };
}

function whereObject(call: ts.CallExpression): ts.ObjectLiteralExpression | undefined {
  const arg = call.arguments[0] && skipParens(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg)) return undefined;
  for (const p of arg.properties) if (ts.isPropertyAssignment(p) && p.name.getText() === "where" && ts.isObjectLiteralExpression(skipParens(p.initializer))) return skipParens(p.initializer) as ts.ObjectLiteralExpression;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Suggestions that move the statements from the read to the write into a callback of the runtime: a transaction
// whose read locks the row (pessimistic), or a retry of the whole read-modify-write around a compare-and-set write
// (optimistic). Both are offered only where moving keeps the code's meaning: the read and the write are statements
// of one block, nothing declared in between is used after it, nothing in between returns or jumps out, and no
// string in between spans lines (re-indenting would change it).

/** The statements from the read to the write, when they can move into a callback unchanged. */
function movableStatements(flow: ReadModifyWrite): ts.Statement[] | undefined {
  const first = statementOf(flow.read.node);
  const last = statementOf(flow.write.node);
  if (!first || !last || first.parent !== last.parent || !ts.isBlock(first.parent)) return undefined;
  const statements = first.parent.statements;
  const range = statements.slice(statements.indexOf(first), statements.indexOf(last) + 1);
  const declared = new Set<string>();
  let movable = true;
  for (const statement of range) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) for (const n of boundNames(d.name)) declared.add(n.text);
    walk(statement, (node) => {
      if (ts.isTemplateLiteral(node) || ts.isStringLiteral(node)) movable &&= !node.getText().includes("\n");
      if (isFunctionLike(node)) return false;
      if (ts.isReturnStatement(node) || ts.isBreakStatement(node) || ts.isContinueStatement(node)) movable = false;
      return movable;
    });
  }
  if (!movable || statements.slice(statements.indexOf(last) + 1).some((s) => mentions(s, declared))) return undefined;
  return range;
}

/** Replaces `statements` by `<open>` + the statements (with `inner` edits, re-indented one level) + `<close>`. */
function wrapStatements(context: FileRuleContext, statements: readonly ts.Statement[], inner: readonly TextEdit[], open: string, close: string): TextEdit {
  const sourceFile = context.sourceFile;
  const start = statements[0]!.getStart(sourceFile);
  const end = statements[statements.length - 1]!.getEnd();
  const indent = indentationAt(sourceFile, start);
  const unit = indentUnit(sourceFile);
  const body = applyRelative(sourceFile.text.slice(start, end), start, inner)
    .split("\n")
    .map((line, i) => (i === 0 ? indent + unit + line : line.length ? unit + line : line))
    .join("\n");
  return edit(context, start, end, `${open}\n${body}\n${indent}${close}`);
}

/** The import of runtime names: from `<package>/<module>` when the runtime is a package, else the vendored file. */
function runtimeImport(context: FileRuleContext, module: string | undefined, names: string[]): Pick<Fix, "edits" | "newFiles"> {
  const setting = context.settings.runtimeImport;
  const runtime = setting.mode === "package" && module ? { edits: importEdits(context.sourceFile, `${setting.specifier}/${module}`, names), newFiles: [] } : runtimeImportEdits(context.sourceFile, context.settings, names);
  return { edits: runtime.edits, ...(runtime.newFiles.length ? { newFiles: runtime.newFiles } : {}) };
}

/** The SQL text node of a raw-SQL access, when it is a plain literal whose source text maps 1:1 to its value. */
function plainSqlLiteral(access: DbAccess): ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | undefined {
  const textNode = access.sql?.textNode;
  if (!textNode || (!ts.isStringLiteral(textNode) && !ts.isNoSubstitutionTemplateLiteral(textNode))) return undefined;
  return textNode.getText().slice(1, -1) === textNode.text ? textNode : undefined;
}

// Pessimistic: the statements run inside the runtime's `withPgTransaction` / `withMySqlTransaction` (one connection,
// COMMIT/ROLLBACK, deadlocks retried) through its connection, and the read gets `FOR UPDATE`. Offered when both run
// through the same pool outside any transaction, and the moved calls type-check on the transaction's connection: with
// pg the helper's connection type is its own `query(text, values)` (pg's overloaded `connect` defeats inference), with
// mysql2 it is the pool's `PoolConnection` (so `query<T>`/`execute` keep their types).

const ROW_LOCK_HELPERS: Partial<Record<DbLibrary, { helper: string; module: string; fits: (call: ts.CallExpression) => boolean }>> = {
  pg: { helper: "withPgTransaction", module: "postgres", fits: (call) => calleeName(call) === "query" && !call.typeArguments && !!call.arguments[0] && !ts.isObjectLiteralExpression(skipParens(call.arguments[0])) },
  mysql2: { helper: "withMySqlTransaction", module: "mysql", fits: (call) => calleeName(call) === "query" || calleeName(call) === "execute" },
};

function rowLockSuggestion(flow: ReadModifyWrite, context: FileRuleContext): Fix | undefined {
  const { read, write } = flow;
  const runtime = ROW_LOCK_HELPERS[read.library];
  if (!runtime || write.library !== read.library || !read.sql || read.lock || !read.handle || !write.handle) return undefined;
  if (transactionScopeOf(read.node) || transactionScopeOf(write.node)) return undefined;
  const pool = read.handle.getText();
  if (!ts.isIdentifier(read.handle) || write.handle.getText() !== pool) return undefined;
  // FOR UPDATE is not allowed with aggregates, DISTINCT, GROUP BY or set operations.
  if (/\b(GROUP\s+BY|DISTINCT|UNION|COUNT\s*\(|SUM\s*\(|MAX\s*\(|MIN\s*\(|AVG\s*\()/i.test(read.sql.text)) return undefined;
  const textNode = plainSqlLiteral(read);
  const statements = movableStatements(flow);
  if (!textNode || !statements) return undefined;
  let fits = true;
  const tx = freshName(statements[0]!, "tx");
  const inner: TextEdit[] = [];
  for (const statement of statements) {
    walk(statement, (node) => {
      if (ts.isCallExpression(node) && receiverOf(node)?.getText() === pool) fits &&= runtime.fits(node);
      // Only the pool's statements are awaited: the row lock is not held across anything slower.
      if (ts.isAwaitExpression(node) && enclosingFunction(node) === enclosingFunction(statement)) {
        const awaited = skipAwait(node.expression);
        fits &&= ts.isCallExpression(awaited) && receiverOf(awaited)?.getText() === pool;
      }
      if (ts.isIdentifier(node) && node.text === pool && ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node) inner.push(edit(context, node.getStart(), node.getEnd(), tx));
      return fits;
    });
  }
  if (!fits || (read.library === "mysql2" && !isPromisePool(read.handle, poolMethods(statements, pool), context.checker))) return undefined;
  const sqlEnd = textNode.getEnd() - 1 - (textNode.text.length - textNode.text.replace(/[\s;]+$/, "").length);
  inner.push(edit(context, sqlEnd, sqlEnd, " FOR UPDATE"));
  const imports = runtimeImport(context, runtime.module, [runtime.helper]);
  return {
    title: `Lock the row: read with FOR UPDATE inside ${runtime.helper}`,
    ...imports,
    edits: [wrapStatements(context, statements, inner, `await ${runtime.helper}(${pool}, async (${tx}) => {`, "});"), ...imports.edits],
  };
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
 * do not resolve fully (no Node types: its `Pool` loses the methods it inherits) gets no suggestion that would not compile.
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

// Optimistic: `col = f(read.col)` on the row read by its key becomes a compare-and-set (`… AND col = <value read>`)
// whose affected-row count is asserted, and the read-modify-write reruns with exponential backoff and jitter on a
// conflict. Offered only where that is exactly right: the write sets the column it read, on the row it read (same key
// value), and nothing in between awaits anything but the read and the write (a retry runs it again). The column
// compared is the written one when nothing else the statements use comes from the read (valueGuard), else a version
// counter the read selects, bumped by the write (versionGuard).

const OPTIMISTIC_RETRY = "{ maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 }";

function optimisticRetrySuggestion(flow: ReadModifyWrite, context: FileRuleContext): Fix | undefined {
  const { read, write, data } = flow;
  if ((write.library !== "pg" && write.library !== "mysql2") || read.library !== write.library || write.sql?.statement.kind !== "update" || !data?.column) return undefined;
  const column = data.column;
  if (data.assignment.column !== column || data.assignment.atomic || !/^[A-Za-z_]\w*$/.test(column)) return undefined;
  if (transactionScopeOf(read.node) || transactionScopeOf(write.node) || !readsOneRowByKey(flow)) return undefined;
  const statements = movableStatements(flow);
  const textNode = plainSqlLiteral(write);
  const values = write.sql.values;
  const whereEnd = write.sql.statement.whereEnd;
  if (!statements || !textNode || !values || whereEnd === undefined || values.elements.some(ts.isSpreadElement)) return undefined;
  if (write.sql.statement.placeholders.some((p) => p.style === "interpolation") || !awaitsOnlyTheFlow(flow, statements)) return undefined;
  const guard = valueGuard(flow, column, statements, context.checker) ?? versionGuard(flow);
  if (!guard) return undefined;
  // The compare-and-set: one more WHERE condition, its value passed as one more parameter.
  const inner: TextEdit[] = [];
  const placeholders = write.sql.statement.placeholders;
  let placeholder = "?";
  let at = values.getStart() + 1;
  let valueText = guard.value;
  if (write.library === "pg") {
    placeholder = `$${values.elements.length + 1}`;
    const last = values.elements[values.elements.length - 1];
    if (last) [at, valueText] = [last.getEnd(), `, ${valueText}`];
  } else {
    // `?` placeholders are positional: the new value goes after those before the end of the WHERE.
    const index = placeholders.filter((p) => p.offset < whereEnd).length;
    const before = values.elements[index - 1];
    if (before) [at, valueText] = [before.getEnd(), `, ${valueText}`];
    else if (values.elements.length > 0) valueText = `${valueText}, `;
  }
  const sqlStart = textNode.getStart() + 1;
  inner.push(edit(context, sqlStart + whereEnd, sqlStart + whereEnd, ` AND ${guard.column} = ${placeholder}`), edit(context, at, at, valueText));
  if (guard.bump) {
    const last = write.sql.statement.assignments[write.sql.statement.assignments.length - 1]!;
    const setEnd = sqlStart + last.expressionStart + last.expression.trimEnd().length;
    inner.push(edit(context, setEnd, setEnd, `, ${guard.column} = ${guard.column} + 1`));
  }
  const counted = affectedCountCheck(write, context, (count) => `assertAffected(${count}, ${JSON.stringify(`${write.table ?? "matching"} row`)});`);
  if (!counted) return undefined;
  const rangeStart = statements[0]!.getStart();
  const outside = counted.filter((e) => e.start < rangeStart);
  inner.push(...counted.filter((e) => e.start >= rangeStart));
  const imports = runtimeImport(context, undefined, ["retry", "assertAffected"]);
  return {
    title: `Optimistic update: write only if ${code(guard.column)} is unchanged${guard.bump ? " (and bump it)" : ""}, retry with backoff on conflict`,
    ...imports,
    edits: [wrapStatements(context, statements, inner, "await retry(async () => {", `}, ${OPTIMISTIC_RETRY});`), ...outside, ...imports.edits],
  };
}

interface OptimisticGuard {
  /** The column compared in the WHERE. */
  column: string;
  /** Source text of the value it must still have: the value read. */
  value: string;
  /** The write also increments the column (a version counter). */
  bump?: boolean;
}

/**
 * Compare-and-set on the written column itself: enough when everything the statements take from the read is that
 * column, and the value read is still at hand, unchanged and a plain value.
 */
function valueGuard(flow: ReadModifyWrite, column: string, statements: readonly ts.Statement[], checker: ts.TypeChecker): OptimisticGuard | undefined {
  for (const other of flow.write.assignments) {
    if (other !== flow.data!.assignment && assignmentValues(flow.write, other).some((v) => flow.originOf(v)?.read === flow.read)) return undefined;
  }
  const expected = valueAsRead(flow, column, statements);
  if (!expected || !usesOnlyColumn(flow, column, statements) || !isPlainValue(expected, checker)) return undefined;
  return { column, value: expected.getText() };
}

/** Integer version counters (timestamps and etags are left alone: a JavaScript Date loses the precision SQL compares). */
const VERSION_COUNTER = /^(version|_version|lock_?version|row_?version|revision)$/i;

/**
 * Compare-and-set on a version counter the read selects by name (`SELECT balance, rate, version FROM …`), bumped by
 * the write: catches a change of any column by a writer that bumps it too, as every writer of a versioned row must.
 * The value read is `<row>.version` of the row the written value comes from.
 */
function versionGuard(flow: ReadModifyWrite): OptimisticGuard | undefined {
  const selected = /^\s*SELECT\s+([^]*?)\s+FROM\s/i.exec(flow.read.sql?.text ?? "")?.[1]?.split(",").map((c) => c.trim()) ?? [];
  const version = selected.find((c) => VERSION_COUNTER.test(c));
  if (!version || flow.write.assignments.some((a) => a.column.toLowerCase() === version.toLowerCase())) return undefined;
  let row: ts.Expression | undefined;
  walk(flow.data!.value, (node) => {
    if (row || isFunctionLike(node)) return false;
    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && flow.originOf(node)?.level === "value") {
      const base = node.expression;
      if (flow.originOf(base)?.read === flow.read && flow.originOf(base)?.level === "row") row = base;
    }
    return !row;
  });
  return row && !isReassigned(row, flow.write.node) ? { column: version, value: `${row.getText()}.${version}`, bump: true } : undefined;
}

/** The write names the row the read read, by an equality on a key column with the same value (`WHERE id = $1` twice). */
function readsOneRowByKey(flow: ReadModifyWrite): boolean {
  const key = (c: AccessCondition) => c.operator === "=" && !!c.value && isKeyColumn(c.column);
  const readKeys = flow.read.conditions.filter(key);
  if (readKeys.length !== 1 || flow.read.conditions.length !== 1) return false;
  const readKey = readKeys[0]!;
  return flow.write.conditions.some((c) => key(c) && c.column === readKey.column && (expressionKey(c.value!) === expressionKey(readKey.value!) || flow.originOf(c.value!)?.read === flow.read));
}

/** An expression in scope at the write that holds `column` exactly as read: in the written value, or in the initializer of a `const` it names. */
function valueAsRead(flow: ReadModifyWrite, column: string, statements: readonly ts.Statement[]): ts.Expression | undefined {
  const written = skipParens(flow.data!.value);
  const initializer = ts.isIdentifier(written) ? constInitializer(written) : undefined;
  const declaredInRange = initializer && statements.includes(ts.findAncestor(initializer, ts.isVariableStatement)!);
  let found: ts.Expression | undefined;
  for (const root of declaredInRange ? [written, initializer] : [written]) {
    walk(root, (node) => {
      if (found || isFunctionLike(node)) return false;
      if ((ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && isColumnValue(node, column, flow)) found = node;
      return !found;
    });
  }
  return found && !isReassigned(found, flow.write.node) ? found : undefined;
}

/** True if the variable at the root of `expr` (`balance`, `rows` in `rows[0].balance`) is assigned anywhere in the function. */
function isReassigned(expr: ts.Expression, inside: ts.Node): boolean {
  let root: ts.Expression = expr;
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipParens(root.expression);
  const body = enclosingFunction(inside)?.body;
  if (!ts.isIdentifier(root) || !body) return true;
  const name = root.text;
  let assigned = false;
  const rootName = (target: ts.Expression): string | undefined => {
    let node = skipParens(target);
    while (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) node = skipParens(node.expression);
    return ts.isIdentifier(node) ? node.text : undefined;
  };
  walk(body, (node) => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) assigned ||= rootName(node.left) === name;
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) assigned ||= rootName(node.operand) === name;
    return !assigned;
  });
  return assigned;
}

/**
 * Everything the moved statements take from the read is `column` (or whether a row exists): a compare-and-set on that
 * column then catches every concurrent change that matters. A whole row passed on (to a call, a spread, an object)
 * could carry any column.
 */
function usesOnlyColumn(flow: ReadModifyWrite, column: string, statements: readonly ts.Statement[]): boolean {
  let only = true;
  for (const statement of statements) {
    walk(statement, (node) => {
      if (!only) return false;
      if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) return true;
      if (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) return false;
      const origin = flow.originOf(node);
      if (origin?.read !== flow.read) return true;
      if (origin.level === "value") only = origin.column === column;
      else {
        const parent = node.parent;
        only = !(ts.isCallExpression(parent) && parent.arguments.includes(node)) && !ts.isSpreadElement(parent) && !ts.isSpreadAssignment(parent) && !ts.isPropertyAssignment(parent) && !ts.isShorthandPropertyAssignment(parent) && !ts.isReturnStatement(parent);
      }
      return false;
    });
  }
  return only;
}

/** Nothing between the read and the write awaits anything else: a retry reruns the statements, and should rerun only those two. */
function awaitsOnlyTheFlow(flow: ReadModifyWrite, statements: readonly ts.Statement[]): boolean {
  let only = true;
  for (const statement of statements) {
    walk(statement, (node) => {
      if (isFunctionLike(node) || !only) return false;
      if (ts.isAwaitExpression(node)) only = skipAwait(node.expression) === flow.read.node || skipAwait(node.expression) === flow.write.node;
      if (ts.isForOfStatement(node) && node.awaitModifier) only = false;
      return only;
    });
  }
  return only;
}

/** Numbers, strings, booleans and bigints compare equal in SQL as they were read; Dates and objects may not. */
function isPlainValue(expr: ts.Expression, checker: ts.TypeChecker): boolean {
  const type = checker.getTypeAtLocation(expr);
  return (type.isUnion() ? type.types : [type]).every((t) => !(t.flags & ts.TypeFlags.Object) && !(t.flags & ts.TypeFlags.NonPrimitive));
}

function statementOf(node: ts.Node): ts.Statement | undefined {
  let current: ts.Node = node;
  while (current.parent && !ts.isBlock(current.parent)) {
    if (isFunctionLike(current.parent)) return undefined;
    current = current.parent;
  }
  return current.parent ? (current as ts.Statement) : undefined;
}

/** Applies edits given in file offsets to a slice of the file that starts at `offset`. */
function applyRelative(text: string, offset: number, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start - offset) + e.newText + out.slice(e.end - offset);
  return out;
}
