// select-then-update: a row renamed to free a unique value (`slug: \`${branch.slug}-${nanoid(6)}\``, `login:
// \`${account.login}__outdated-${Date.now()}\``). The value written is a column as read with only a fresh random or
// clock token added (a twin column may take the same value), and the write stores nothing else of a caller (constants and the clock): two concurrent renames
// differ only in their tokens, so no value a caller meant is lost. An append of the caller's text
// (`\`${row.notes}\n${input.note}\``) carries caller data and stays reported.
import { calleeName, isLiteral, isNullish, skipParens, ts, type AccessAssignment, type ReadModifyWrite } from "../../server/src/rule-kit";
import { isNowOrTrue, localConstInitializer } from "./harmless-writes";

/** Calls that make a fresh random value (the id generators of locks.ts's lock tokens) or read the clock. */
const FRESH_TOKEN = /^(randomUUID|randomInt|uuid|uuidv4|v4|nanoid|cuid|cuid2|createId|ulid)$/;

/**
 * Every assignment of the write is a constant, the clock, or a column's read value with fresh tokens (and
 * literals) joined to it; at least one is such a rename.
 */
export function renamesWithFreshToken(flow: ReadModifyWrite): boolean {
  const { write } = flow;
  if (write.insert || write.assignments.length === 0) return false;
  let renames = 0;
  for (const assignment of write.assignments) {
    if (isRename(assignment, flow)) renames++;
    else if (!isNowOrTrue(assignment) && !(assignment.value && !assignment.sql && isLiteralOrNull(assignment.value))) return false;
  }
  return renames > 0;
}

/** The value joins a column's read value and a fresh token, with nothing else but literals. */
function isRename(assignment: AccessAssignment, flow: ReadModifyWrite): boolean {
  if (!assignment.value || assignment.sql || assignment.atomic) return false;
  const parts = joinedParts(assignment.value, 0);
  if (!parts) return false;
  let readValue = false;
  let token = false;
  for (const part of parts) {
    const origin = flow.originOf(part);
    if (origin?.read === flow.read && origin.level === "value" && origin.column !== undefined) readValue = true;
    else if (isFreshToken(part)) token = true;
    else if (!ts.isStringLiteral(part) && !ts.isNoSubstitutionTemplateLiteral(part)) return false;
  }
  return readValue && token;
}

/** The pieces a template literal or a `+` chain joins (a local `const` followed); undefined for anything else. */
function joinedParts(expr: ts.Expression, depth: number): ts.Expression[] | undefined {
  const node = skipParens(expr);
  if (ts.isIdentifier(node) && depth < 3) {
    const init = localConstInitializer(node);
    return init ? joinedParts(init, depth + 1) : undefined;
  }
  if (ts.isTemplateExpression(node)) return node.templateSpans.map((span) => skipParens(span.expression));
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const [left, right] = [skipParens(node.left), skipParens(node.right)];
    const side = (e: ts.Expression) =>
      ts.isTemplateExpression(e) || (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken)
        ? joinedParts(e, depth)
        : [e];
    const [l, r] = [side(left), side(right)];
    return l && r ? [...l, ...r] : undefined;
  }
  return undefined;
}

/** `nanoid(6)`, `Date.now()`, `new Date().getTime()`, `randomUUID().slice(0, 8)`: a value no two callers share. */
function isFreshToken(expr: ts.Expression): boolean {
  let node = skipParens(expr);
  // `.slice(…)`, `.toString(36)`, `.substring(…)` of a token is still one.
  while (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    /^(slice|substring|substr|toString|toLowerCase|toUpperCase)$/.test(node.expression.name.text) &&
    ts.isCallExpression(skipParens(node.expression.expression))
  )
    node = skipParens(node.expression.expression);
  if (!ts.isCallExpression(node)) return false;
  if (FRESH_TOKEN.test(calleeName(node) ?? "")) return true;
  // `Date.now()`, and `new Date().getTime()`: the clock, not a date the caller gave.
  if (calleeName(node) === "now") return node.arguments.length === 0;
  const receiver = ts.isPropertyAccessExpression(node.expression) ? skipParens(node.expression.expression) : undefined;
  return (
    !!receiver &&
    /^(getTime|valueOf|toISOString)$/.test(calleeName(node) ?? "") &&
    ts.isNewExpression(receiver) &&
    ts.isIdentifier(receiver.expression) &&
    receiver.expression.text === "Date" &&
    !receiver.arguments?.length
  );
}

function isLiteralOrNull(value: ts.Expression): boolean {
  return isLiteral(value) || isNullish(skipParens(value));
}
