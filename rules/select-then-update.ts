// select-then-update: a value read from a row decides what a later write of the same table writes (or whether it
// runs), and nothing stops a concurrent caller from reading the same value in between: the classic lost update
// (guide: "Race Conditions": both read $100, one write overwrites the other).
//
// Safe (not reported): the read locks the row (FOR UPDATE / ORM lock) in the same transaction as the write; the write
// compares against the read value (compare-and-set: unchecked-optimistic-update's business); the write is atomic and
// does not use the read value, with any check on the written column repeated in its WHERE; the transaction is
// SERIALIZABLE (or REPEATABLE READ on PostgreSQL, which aborts the second writer).
import { ts } from "../server/src/engine/ts";
import type { FileRuleContext, Fix, Rule, TextEdit } from "../server/src/engine/types";
import { boundNames, calleeName, code, enclosingFunction, expressionKey, receiverOf, importsOf, indentationAt, indentUnit, isFunctionLike, lineOf, mentions, outerExpression, skipParens, spanOf, walk } from "../server/src/analysis/ast";
import { assignmentValues, readModifyWritesIn, sameTable, type DbAccess, type DbLibrary, type ReadModifyWrite } from "../server/src/analysis/db-access";
import { importEdits, runtimeImportEdits } from "../server/src/engine/runtime-import";
import { normalizePath } from "../server/src/engine/paths";
import { rowLocksHeldAt, transactionScopeOf } from "../server/src/analysis/transactions";

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
  walk(context.sourceFile, (node) => {
    if (!isFunctionLike(node)) return;
    for (const flow of readModifyWritesIn(node)) {
      if (reported.has(flow.write) || protection(flow, () => context.checker)) continue;
      reported.add(flow.write);
      const fixes: Fix[] = [];
      const atomic = atomicUpdateFix(flow, context);
      if (atomic) fixes.push(atomic);
      const locked = rowLockSuggestion(flow, context);
      context.report({
        message: message(flow),
        span: spanOf(flow.write.node, context.sourceFile),
        related: [{ span: spanOf(flow.read.node, context.sourceFile), message: `value read here${flow.control && !flow.data ? " and checked at line " + lineOf(flow.control.condition) : ""}` }],
        fixes,
        suggestions: locked ? [locked] : [],
      });
    }
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
 * Edits that make the affected-row count of `write` decide whether `exit` runs: the statement
 * `await x.query(...)` becomes `const updated = await x.query(...)` followed by `if (<count> === 0) <exit>`.
 * Undefined when the write is not an awaited statement of its own or the library's count is unknown.
 */
export function affectedCountCheck(write: DbAccess, context: FileRuleContext, exit: string): TextEdit[] | undefined {
  const affected = AFFECTED[write.library];
  const outer = outerExpression(write.node as ts.Expression);
  const statement = outer.parent;
  if (!affected || !ts.isExpressionStatement(statement) || !ts.isAwaitExpression(outer)) return undefined;
  const name = freshName(statement, "updated");
  const indent = indentationAt(context.sourceFile, statement.getStart());
  const edits = [
    edit(context, statement.getStart(), statement.getStart(), `${affected.declare(name)} = `),
    edit(context, statement.getEnd(), statement.getEnd(), `\n${indent}if (${affected.count(name)} === 0) ${exit}`),
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
  return plan.guard ? affectedCountCheck(flow.write, context, plan.guard.exit.getText()) : [];
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
// Suggestion (pg): pessimistic row lock. The statements from the read to the write run inside the runtime's
// `withPgTransaction` (one connection, COMMIT/ROLLBACK, deadlocks retried), and the read gets `FOR UPDATE`. Offered
// when that keeps the code's meaning and types: both run through the same pool outside any transaction with
// `query(text, values)` calls, they are statements of one block, nothing declared in between is used after it, and
// nothing in between returns or jumps out. (mysql2 gets no suggestion: the runtime's MySQL helper does not accept
// every mysql2 call shape, so the rewritten code would not always compile.)

function rowLockSuggestion(flow: ReadModifyWrite, context: FileRuleContext): Fix | undefined {
  const { read, write } = flow;
  if (write.library !== "pg" || read.library !== "pg" || !read.sql || read.lock || !read.handle || !write.handle) return undefined;
  if (transactionScopeOf(read.node) || transactionScopeOf(write.node)) return undefined;
  const pool = read.handle.getText();
  if (!ts.isIdentifier(read.handle) || write.handle.getText() !== pool) return undefined;
  // FOR UPDATE is not allowed with aggregates, DISTINCT, GROUP BY or set operations.
  if (/\b(GROUP\s+BY|DISTINCT|UNION|COUNT\s*\(|SUM\s*\(|MAX\s*\(|MIN\s*\(|AVG\s*\()/i.test(read.sql.text)) return undefined;
  const textNode = read.sql.textNode;
  if ((!ts.isStringLiteral(textNode) && !ts.isNoSubstitutionTemplateLiteral(textNode)) || textNode.getText().slice(1, -1) !== textNode.text) return undefined;
  const first = statementOf(read.node);
  const last = statementOf(write.node);
  if (!first || !last || first.parent !== last.parent || !ts.isBlock(first.parent)) return undefined;
  const statements = first.parent.statements;
  const range = statements.slice(statements.indexOf(first), statements.indexOf(last) + 1);
  const after = statements.slice(statements.indexOf(last) + 1);
  const declared = new Set<string>();
  let jumps = false;
  for (const statement of range) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) for (const n of boundNames(d.name)) declared.add(n.text);
    walk(statement, (node) => {
      if (isFunctionLike(node)) return false;
      if (ts.isReturnStatement(node) || ts.isBreakStatement(node) || ts.isContinueStatement(node)) jumps = true;
      return !jumps;
    });
  }
  if (jumps || after.some((s) => mentions(s, declared))) return undefined;
  const sourceFile = context.sourceFile;
  // The runtime's transaction handle has `query(text, values)` only: no `{ text, values }`, no type arguments.
  let compatible = true;
  for (const statement of range) {
    walk(statement, (node) => {
      if (ts.isCallExpression(node) && receiverOf(node)?.getText() === pool) {
        const sqlArgument = node.arguments[0];
        if (calleeName(node) !== "query" || node.typeArguments || !sqlArgument || ts.isObjectLiteralExpression(skipParens(sqlArgument))) compatible = false;
      }
      return compatible;
    });
  }
  if (!compatible) return undefined;
  const tx = freshName(first, "tx");
  const indent = indentationAt(sourceFile, first.getStart(sourceFile));
  const unit = indentUnit(sourceFile);
  // Inside the range: statements through the pool run through the transaction's connection; the read locks its rows.
  const rangeStart = first.getStart(sourceFile);
  const inner: TextEdit[] = [];
  walk(first.parent, (node) => {
    if (node.getStart(sourceFile) < rangeStart || node.getEnd() > last.getEnd()) return node.getEnd() > rangeStart && node.getStart(sourceFile) < last.getEnd();
    if (ts.isIdentifier(node) && node.text === pool && ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node) inner.push({ file: "", start: node.getStart(sourceFile), end: node.getEnd(), newText: tx });
    return true;
  });
  const sqlEnd = textNode.getEnd() - 1 - (textNode.text.length - textNode.text.replace(/[\s;]+$/, "").length);
  inner.push({ file: "", start: sqlEnd, end: sqlEnd, newText: " FOR UPDATE" });
  const original = sourceFile.text.slice(rangeStart, last.getEnd());
  const rewritten = applyRelative(original, rangeStart, inner);
  const body = rewritten
    .split("\n")
    .map((line, i) => (i === 0 ? indent + unit + line : line.length ? unit + line : line))
    .join("\n");
  const text = `await withPgTransaction(${pool}, async (${tx}) => {\n${body}\n${indent}});`;
  const setting = context.settings.runtimeImport;
  const runtime =
    setting.mode === "package" ? { edits: importEdits(sourceFile, `${setting.specifier}/postgres`, ["withPgTransaction"]), newFiles: [] } : runtimeImportEdits(sourceFile, context.settings, ["withPgTransaction"]);
  return {
    title: "Lock the row: read with FOR UPDATE inside withPgTransaction",
    edits: [edit(context, rangeStart, last.getEnd(), text), ...runtime.edits],
    ...(runtime.newFiles.length ? { newFiles: runtime.newFiles } : {}),
  };
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
function applyRelative(text: string, offset: number, edits: TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start - offset) + e.newText + out.slice(e.end - offset);
  return out;
}
