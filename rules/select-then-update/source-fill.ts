// select-then-update: a fill from the source. The write runs only where a column it writes is still empty
// (`if (!letter.bodyText && letter.mailUid)`, `if (!job.ciRunId)`), and every value it writes is what a call that
// reads a source (named fetch / get / load / find / look up / download / retrieve) returned when given the row read
// (`fetchMailBody(…, letter.mailUid)`, `findWorkflowRun(octokit, job)`), or a constant, a time or null. Two concurrent
// fillers ask the same source for the same row and write its same answer; nothing read from the row is merged. A value
// made by a call that creates something (`stripe.customers.create`, `generateSummary`) or from the request's input
// stays reported, unless the row was found by that input (`where: { emailIndex }` with `emailIndex = blindIndex(email)`, then
// `encrypt(user.id, email)` written): every caller reaching the row then brings the same input and writes the same value. An entity saved whole (ActiveRecord `payout.save()`, `repo.save(payout)`) writes the fields set on it
// before the save (`payout.receiptHash = hash`): those are the fill's assignments.
import {
  constInitializerIn,
  enclosingFunction,
  isPrimaryKey,
  isAssignmentOperator,
  isFunctionLike,
  mayRunAfter,
  skipAwait,
  skipParens,
  ts,
  walk,
  type AccessAssignment,
  type ReadModifyWrite,
} from "../../server/src/rule-kit";

/** Calls that read a source by name: fetchBody, getRun, loadProfile, findWorkflowRun, lookUpCiRun, downloadFile. */
const SOURCE_READ = /^(fetch|get|load|find|lookUp|lookup|download|retrieve)[A-Z_]/;

export function fillsFromSource(flow: ReadModifyWrite): boolean {
  const { write, control } = flow;
  // An early exit (`if (!row.c) return`) lets the write run where the column is set: no fill.
  if (!control || control.earlyExit || write.insert) return false;
  const rowNames = namesOfRead(flow);
  if (rowNames.size === 0) return false;
  const assignments = write.assignments.length > 0 ? write.assignments : fieldsSetBeforeSave(write, rowNames);
  if (assignments.length === 0) return false;
  // The write runs only where a column it writes is empty: the check reported, or an `if` around the write (the
  // reported check may be an outer one on another column, `if (run.status !== "done") { if (!run.ciRunId) … }`).
  const conditions = [control.condition, ...thenConditionsAround(write.node)];
  if (!assignments.some((a) => conditions.some((c) => requiresEmpty(c, a.column, rowNames)))) return false;
  const fn = enclosingFunction(write.node);
  if (!fn?.body) return false;
  return assignments.every((a) => isSourceValue(a, fn.body!, rowNames) || isLookupInputValue(a, flow, fn.body!, rowNames));
}

/**
 * A value computed from the input the read found the row by (`emailIndex = blindIndex(email)` looked up, then
 * `encrypt(user.id, email)` written), and from nothing else but the row's own id: every caller that reaches this row
 * came with that same input, so each fill writes the same value. A value from an input the lookup key is not computed
 * from differs between callers and stays reported.
 */
function isLookupInputValue(assignment: AccessAssignment, flow: ReadModifyWrite, body: ts.Node, rowNames: ReadonlySet<string>): boolean {
  const value = assignment.value;
  if (!value) return false;
  // The names the read is given (its filter's values), or that these are computed from (through one `const`).
  const keyInputs = new Set<string>();
  const read = flow.read.node;
  for (const key of ts.isCallExpression(read) ? read.arguments.flatMap(identifiersIn) : []) {
    if (rowNames.has(key)) continue;
    keyInputs.add(key);
    const init = constInitializerIn(key, body);
    if (init) for (const name of identifiersIn(init)) keyInputs.add(name);
  }
  let inputs = 0;
  let ok = true;
  const visit = (node: ts.Node): void => {
    if (!ok) return;
    if (isFunctionLike(node)) {
      ok = false;
      return;
    }
    if (ts.isTypeNode(node)) return; // `as EmailAddress`
    if (ts.isCallExpression(node)) {
      node.arguments.forEach(visit); // what is called (`seal`, `this.crypto.encrypt`) is no value
      return;
    }
    // The row's own id (`user.id`): the same row for every caller.
    if (ts.isPropertyAccessExpression(node) && isPrimaryKey(node.name.text) && ts.isIdentifier(skipParens(node.expression)))
      if (rowNames.has((skipParens(node.expression) as ts.Identifier).text)) return;
    if (ts.isIdentifier(node)) {
      if (node.text === "undefined") return;
      if (keyInputs.has(node.text) && !rowNames.has(node.text)) inputs++;
      else ok = false;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(value);
  return ok && inputs > 0;
}

/** The names a value mentions, not counting property names (`a.b`'s `b`, `{ b: true }`'s `b`). */
function identifiersIn(node: ts.Node): string[] {
  const out: string[] = [];
  walk(node, (n) => {
    const named = ts.isPropertyAccessExpression(n.parent) || ts.isPropertyAssignment(n.parent);
    if (ts.isIdentifier(n) && !(named && (n.parent as ts.PropertyAccessExpression | ts.PropertyAssignment).name === n)) out.push(n.text);
    return true;
  });
  return out;
}

/**
 * A save of the read row itself (`payout.save()`, `repo.save(payout)`): every `payout.field = value` that some path of
 * the function (outside nested functions) runs before it is a field the save writes.
 */
function fieldsSetBeforeSave(write: ReadModifyWrite["write"], rowNames: ReadonlySet<string>): AccessAssignment[] {
  const entity = write.entity && skipParens(write.entity);
  if (!entity || !ts.isIdentifier(entity) || !rowNames.has(entity.text)) return [];
  const body = enclosingFunction(write.node)?.body;
  const out: AccessAssignment[] = [];
  if (body)
    walk(body, (node) => {
      if (node !== body && isFunctionLike(node)) return false;
      const kind = ts.isBinaryExpression(node) ? node.operatorToken.kind : undefined;
      if (kind && isAssignmentOperator(kind) && mayRunAfter(node, write.node)) {
        const left = skipParens((node as ts.BinaryExpression).left);
        const base = ts.isPropertyAccessExpression(left) ? skipParens(left.expression) : undefined;
        // A compound assignment (`payout.tries += 1`) merges the value read: no value of a fill.
        if (base && ts.isIdentifier(base) && base.text === entity.text)
          out.push({
            column: (left as ts.PropertyAccessExpression).name.text,
            value: kind === ts.SyntaxKind.EqualsToken ? (node as ts.BinaryExpression).right : undefined,
            atomic: false,
          });
      }
      return true;
    });
  return out;
}

/** The local names the read's row is bound to (`const letter = await …`, `const [job] = await …`). */
function namesOfRead(flow: ReadModifyWrite): Set<string> {
  const names = new Set<string>();
  let node: ts.Node = flow.read.node;
  while (ts.isAwaitExpression(node.parent) || ts.isParenthesizedExpression(node.parent)) node = node.parent;
  const declaration = node.parent;
  if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer === node) {
    if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
    else if (ts.isArrayBindingPattern(declaration.name)) {
      const first = declaration.name.elements[0];
      if (first && ts.isBindingElement(first) && ts.isIdentifier(first.name)) names.add(first.name.text);
    }
  }
  return names;
}

/** The conditions of the `if` statements whose then-branch holds `node`, inside its function. */
function thenConditionsAround(node: ts.Node): ts.Expression[] {
  const out: ts.Expression[] = [];
  for (let child = node, parent = node.parent; parent && !isFunctionLike(parent); child = parent, parent = parent.parent)
    if (ts.isIfStatement(parent) && parent.thenStatement === child) out.push(parent.expression);
  return out;
}

/** `!row.col`, `row.col == null`, `row.col === null`, `row.col === undefined` inside the condition (a conjunct). */
function requiresEmpty(condition: ts.Expression, column: string, rowNames: ReadonlySet<string>): boolean {
  let found = false;
  const isColumn = (e: ts.Expression) => {
    const node = skipParens(e);
    return (
      ts.isPropertyAccessExpression(node) &&
      node.name.text === column &&
      ts.isIdentifier(skipParens(node.expression)) &&
      rowNames.has((skipParens(node.expression) as ts.Identifier).text)
    );
  };
  const visit = (node: ts.Expression): void => {
    const e = skipParens(node);
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      visit(e.left);
      visit(e.right);
      return;
    }
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken && isColumn(e.operand)) found = true;
    if (
      ts.isBinaryExpression(e) &&
      (e.operatorToken.kind === ts.SyntaxKind.EqualsEqualsToken || e.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken) &&
      ((isColumn(e.left) && isEmptyValue(e.right)) || (isColumn(e.right) && isEmptyValue(e.left)))
    )
      found = true;
  };
  visit(condition);
  return found;
}

function isEmptyValue(e: ts.Expression): boolean {
  const node = skipParens(e);
  return node.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(node) && node.text === "undefined");
}

/** A constant, `new Date()`, or a value taken from what a source-reading call returned for the row (through one local). */
function isSourceValue(assignment: AccessAssignment, body: ts.Node, rowNames: ReadonlySet<string>): boolean {
  const value = assignment.value;
  if (!value) return false;
  let ok = true;
  let fromSource = false;
  const visit = (node: ts.Node): void => {
    if (!ok) return;
    if (ts.isIdentifier(node)) {
      const parent = node.parent;
      // A property name (`body.text`'s `text`) is not a value.
      if (ts.isPropertyAccessExpression(parent) && parent.name === node) return;
      if (node.text === "undefined" || node.text === "Date") return;
      const source = sourceCallOf(node.text, body, rowNames);
      if (source) fromSource = true;
      else ok = false;
      return;
    }
    if (isFunctionLike(node)) {
      ok = false;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(value);
  // Constants and times alone are fine; anything else must come from the source.
  return ok && (fromSource || !hasIdentifier(value));
}

function hasIdentifier(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (
      ts.isIdentifier(n) &&
      !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) &&
      n.text !== "undefined" &&
      n.text !== "Date"
    )
      found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** `const name = await fetchX(…row…)` in `body`: a call named as a source read that is given the row or a field of it. */
function sourceCallOf(name: string, body: ts.Node, rowNames: ReadonlySet<string>): ts.CallExpression | undefined {
  let found: ts.CallExpression | undefined;
  let declarations = 0;
  walk(body, (node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name) {
      declarations++;
      const init = node.initializer && skipAwait(skipParens(node.initializer));
      if (init && ts.isCallExpression(init) && SOURCE_READ.test(calledName(init)) && passesRow(init, rowNames)) found = init;
    }
    return true;
  });
  return declarations === 1 ? found : undefined;
}

function calledName(call: ts.CallExpression): string {
  const callee = skipParens(call.expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return "";
}

/** An argument mentions the row read (the row itself, or a field of it). */
function passesRow(call: ts.CallExpression, rowNames: ReadonlySet<string>): boolean {
  let found = call.arguments.some((a) => ts.isIdentifier(skipParens(a)) && rowNames.has((skipParens(a) as ts.Identifier).text));
  for (const argument of call.arguments)
    walk(argument, (node) => {
      if (ts.isIdentifier(node) && rowNames.has(node.text) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node))
        found = true;
      return !found;
    });
  return found;
}
