// select-then-update's safe fix: the database computes the new value and checks the condition itself. Offered when the
// written value is `read.col ± delta` and the only check on `col` is an early exit `if (col < bound) throw ...`: the
// check moves into the UPDATE's WHERE, and the affected-row count decides whether the original exit runs. When only
// the decision depends on the read (`if (seat.status !== "available") throw`), the guard variant repeats the check in
// the WHERE and leaves the SET alone. Anything else gets no fix.
import {
  affectedCountCheck,
  assignmentValues,
  calleeName,
  isNullish,
  skipParens,
  ts,
  type Fix,
  type ReadModifyWrite,
  type TextEdit,
} from "../../server/src/rule-kit";
import { atOffset, constInitializer, isColumnValue, openingBracket, plainSqlLiteral, type FixContext } from "./flow-code";

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
  guard?: {
    operator: string;
    bound: ts.Expression;
    /** The guard compares the new value (`col - delta`), not `col`. */
    onNewValue: boolean;
    exit: ts.Statement;
  };
}

const NEGATE: Record<string, string> = { "<": ">=", "<=": ">", ">": "<=", ">=": "<", "===": "<>", "==": "<>", "!==": "=", "!=": "=" };
const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "===": "===", "==": "==", "!==": "!==", "!=": "!=" };

const FIX_TITLE = "Update atomically in the database (check moved into WHERE)";
const GUARD_TITLE = "Repeat the check in the update's WHERE and check the affected-row count";

export function atomicUpdateFix(flow: ReadModifyWrite, context: FixContext): Fix | undefined {
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
      if (other !== data.assignment && assignmentValues(flow.write, other).some((v) => flow.originOf(v)?.read === flow.read))
        return undefined;
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
    // SQL's `col = NULL` is never true: a null check is repeated as `IS NULL` (equality only); `undefined` is no SQL value.
    const nullTest = isNull(bound) && !plan.update && ["=", "<>"].includes(NEGATE[subjectOp]!);
    if ((isNullish(bound) || ts.isVoidExpression(skipParens(bound))) && !nullTest) continue;
    const isNewValue =
      !!value && ts.isIdentifier(skipParens(subject)) && ts.isIdentifier(value) && skipParens(subject).getText() === value.text;
    if (isNewValue || isColumnValue(subject, plan.column, flow)) {
      plan.guard = { operator: NEGATE[subjectOp]!, bound, onNewValue: isNewValue, exit };
      return plan;
    }
  }
  return undefined;
}

/**
 * The write stores `read.column ± delta` (through a `const`, a conversion such as `String(…)`, or an entity field
 * assignment `account.balance -= amount`), and the value is not a string (`title + suffix` concatenates): exactly
 * what an atomic increment or decrement expresses. Undefined for any other value (dates, JSON, relations, ids).
 */
export function arithmeticUpdate(flow: ReadModifyWrite, checker: ts.TypeChecker): { column: string; operator: "+" | "-" } | undefined {
  const data = flow.data;
  if (!data?.column || data.assignment.atomic || data.column !== data.assignment.column) return undefined;
  const column = data.column;
  const mutation = data.mutation;
  let operator: "+" | "-" | undefined;
  // The expression whose type tells arithmetic from concatenation.
  let computed: ts.Expression | undefined;
  if (mutation && mutation.operatorToken.kind !== ts.SyntaxKind.EqualsToken) {
    const kind = mutation.operatorToken.kind;
    if ((kind === ts.SyntaxKind.PlusEqualsToken || kind === ts.SyntaxKind.MinusEqualsToken) && !flow.originOf(mutation.right))
      operator = kind === ts.SyntaxKind.PlusEqualsToken ? "+" : "-";
    computed = mutation.left;
  } else {
    computed = unconverted(mutation ? mutation.right : data.value);
    if (ts.isIdentifier(computed)) computed = constInitializer(computed);
    computed = computed && unconverted(computed);
    operator = computed && deltaOf(computed, column, flow)?.operator;
  }
  if (!operator || !computed || checker.getTypeAtLocation(computed).flags & ts.TypeFlags.StringLike) return undefined;
  return { column, operator };
}

/** `String(x)`, `Number(x)`, `x.toString()` → `x`: conversions that keep the arithmetic inside. */
function unconverted(expr: ts.Expression): ts.Expression {
  const node = skipParens(expr);
  if (ts.isCallExpression(node)) {
    const callee = skipParens(node.expression);
    if (ts.isIdentifier(callee) && (callee.text === "String" || callee.text === "Number") && node.arguments.length === 1)
      return skipParens(node.arguments[0]!);
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "toString" && node.arguments.length === 0)
      return skipParens(callee.expression);
  }
  return node;
}

function singleStatement(statement: ts.Statement): ts.Statement | undefined {
  if (ts.isBlock(statement)) return statement.statements.length === 1 ? statement.statements[0] : undefined;
  return statement;
}

/** `balance - amount` / `row.qty + n` / `n + row.qty` → the operator and the delta, when one side is the column's value. */
function deltaOf(expr: ts.Expression, column: string, flow: ReadModifyWrite): { operator: "+" | "-"; delta: ts.Expression } | undefined {
  const node = skipParens(expr);
  if (!ts.isBinaryExpression(node)) return undefined;
  const kind = node.operatorToken.kind;
  if (kind !== ts.SyntaxKind.PlusToken && kind !== ts.SyntaxKind.MinusToken) return undefined;
  if (isColumnValue(node.left, column, flow) && !flow.originOf(node.right))
    return { operator: kind === ts.SyntaxKind.PlusToken ? "+" : "-", delta: node.right };
  if (kind === ts.SyntaxKind.PlusToken && isColumnValue(node.right, column, flow) && !flow.originOf(node.left))
    return { operator: "+", delta: node.left };
  return undefined;
}

const isNull = (e: ts.Expression) => skipParens(e).kind === ts.SyntaxKind.NullKeyword;

/** The affected-row count runs the original early exit (no edits when there is no guard; undefined when impossible). */
function countCheckEdits(flow: ReadModifyWrite, plan: UpdatePlan, context: FixContext): TextEdit[] | undefined {
  const exit = plan.guard?.exit.getText();
  return exit ? affectedCountCheck(flow.write, context, (count) => `if (${count} === 0) ${exit}`) : [];
}

function sqlAtomicFix(flow: ReadModifyWrite, plan: UpdatePlan, context: FixContext): Fix | undefined {
  const { fixer } = context;
  const write = flow.write;
  const sql = write.sql!;
  const values = sql.values;
  // Edit the SQL only when it is a plain literal in the call whose source text maps 1:1 to its value.
  const textNode = plainSqlLiteral(write);
  if (!values || !textNode) return undefined;
  const placeholders = sql.statement.placeholders;
  if (placeholders.some((p) => p.style === "interpolation")) return undefined;
  const numbered = placeholders.length > 0 ? placeholders[0]!.style === "numbered" : write.library === "pg";
  /** Inserts `text` at `offset` of the SQL's value. */
  const insertInSql = (offset: number, text: string) => fixer.insertBefore(atOffset(textNode.getStart() + 1 + offset), text);
  const edits: TextEdit[] = [];
  let updatePlaceholder: string | undefined;
  if (plan.update) {
    const assignment = flow.data!.assignment.sql!;
    if (assignment.placeholders.length !== 1 || !/^\s*(\$\d+|\?)\s*$/.test(assignment.expression)) return undefined;
    updatePlaceholder = assignment.expression.trim();
    edits.push(
      insertInSql(assignment.expressionStart, `${plan.column} ${plan.update.operator} `),
      fixer.replace(plan.update.value, plan.update.delta.getText()),
    );
  }
  const guard = plan.guard;
  if (guard && isNull(guard.bound)) {
    const whereEnd = sql.statement.whereEnd;
    if (whereEnd === undefined) return undefined;
    edits.push(insertInSql(whereEnd, ` AND ${plan.column} IS ${guard.operator === "=" ? "" : "NOT "}NULL`));
  } else if (guard) {
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
        const bound = guard.bound.getText();
        edits.push(last ? fixer.insertAfter(last, `, ${bound}`) : fixer.insertAfter(openingBracket(values), bound));
      }
    } else {
      subjectSql = newValue ? `${newValue}?` : plan.column;
      boundSql = "?";
      // `?` placeholders are positional: the new values go after those before the end of the WHERE.
      const inserted = (newValue ? [plan.update!.delta.getText(), guard.bound.getText()] : [guard.bound.getText()]).join(", ");
      const index = placeholders.filter((p) => p.offset < whereEnd).length;
      const before = values.elements[index - 1];
      const after = values.elements[index];
      if (before) edits.push(fixer.insertAfter(before, `, ${inserted}`));
      else edits.push(fixer.insertAfter(openingBracket(values), `${inserted}${after ? ", " : ""}`));
    }
    edits.push(insertInSql(whereEnd, ` AND ${subjectSql} ${guard.operator} ${boundSql}`));
  }
  const counted = countCheckEdits(flow, plan, context);
  if (!counted) return undefined;
  return fixer.fix(plan.update ? FIX_TITLE : GUARD_TITLE, ...edits, ...counted);
}

function knexAtomicFix(flow: ReadModifyWrite, plan: UpdatePlan, context: FixContext): Fix | undefined {
  const { fixer } = context;
  const update = plan.update;
  if (!update || flow.write.assignments.length !== 1) return undefined;
  const updateCall = findChainCall(flow.write.node as ts.CallExpression, "update");
  if (!updateCall) return undefined;
  const callee = updateCall.expression as ts.PropertyAccessExpression;
  const method = update.operator === "-" ? "decrement" : "increment";
  const guard = plan.guard;
  if (guard?.onNewValue) return undefined;
  // `.update({ balance: … })` becomes `.andWhere("balance", ">=", amount).decrement("balance", amount)`.
  const updateToEnd = { start: callee.name.getStart(), end: updateCall.getEnd() };
  const edits = [fixer.replace(updateToEnd, `${method}("${plan.column}", ${update.delta.getText()})`)];
  const dot = callee.name.getStart() - 1;
  if (guard) edits.push(fixer.insertBefore(atOffset(dot), `.andWhere("${plan.column}", "${guard.operator}", ${guard.bound.getText()})`));
  const counted = countCheckEdits(flow, plan, context);
  if (!counted) return undefined;
  return fixer.fix(FIX_TITLE, ...edits, ...counted);
}

function findChainCall(call: ts.CallExpression, name: string): ts.CallExpression | undefined {
  for (
    let current: ts.Expression = call;
    ts.isCallExpression(current) && ts.isPropertyAccessExpression(current.expression);
    current = current.expression.expression
  ) {
    if (calleeName(current) === name) return current;
  }
  return undefined;
}

const PRISMA_FILTER: Record<string, string> = { ">=": "gte", ">": "gt", "<=": "lte", "<": "lt" };

function prismaAtomicFix(flow: ReadModifyWrite, plan: UpdatePlan, context: FixContext): Fix | undefined {
  const { fixer } = context;
  const call = flow.write.node as ts.CallExpression;
  const method = calleeName(call);
  if (method !== "update" && method !== "updateMany") return undefined;
  const update = plan.update;
  if (!update) return undefined;
  const edits = [fixer.replace(update.value, `{ ${update.operator === "-" ? "decrement" : "increment"}: ${update.delta.getText()} }`)];
  const guard = plan.guard;
  if (guard) {
    if (guard.onNewValue) return undefined;
    const where = whereObject(call);
    const filter = PRISMA_FILTER[guard.operator];
    if (!where || !filter) return undefined;
    const last = where.properties[where.properties.length - 1];
    const condition = `${plan.column}: { ${filter}: ${guard.bound.getText()} }`;
    edits.push(last ? fixer.insertAfter(last, `, ${condition}`) : fixer.insertAfter(openingBracket(where), ` ${condition}`));
    // `update` throws when the guard filters the row out; `updateMany` reports it in `count`.
    if (method === "update") edits.push(fixer.replace((call.expression as ts.PropertyAccessExpression).name, "updateMany"));
  }
  const counted = countCheckEdits(flow, plan, context);
  if (!counted) return undefined;
  return fixer.fix(FIX_TITLE, ...edits, ...counted);
}

function whereObject(call: ts.CallExpression): ts.ObjectLiteralExpression | undefined {
  const arg = call.arguments[0] && skipParens(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg)) return undefined;
  for (const p of arg.properties) {
    if (ts.isPropertyAssignment(p) && p.name.getText() === "where" && ts.isObjectLiteralExpression(skipParens(p.initializer)))
      return skipParens(p.initializer) as ts.ObjectLiteralExpression;
  }
  return undefined;
}
