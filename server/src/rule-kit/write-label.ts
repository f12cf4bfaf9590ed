// How messages name a database write: a short call (`prisma.account.update(…)`), a builder chain's first call and its
// write (`db.update(accounts)…set(…)`), a MikroORM flush the ORM runs by itself, or the head of a SQL statement.
import { ts } from "../engine/ts";
import { calleeName, code, skipParens } from "../analysis/ast";
import type { DbAccess } from "../analysis/db";

export function writeLabel(write: DbAccess): string {
  if (write.sql) return code(sqlHead(write));
  if (write.implicitFlush && ts.isCallExpression(write.node))
    return ts.isDecorator(write.node.parent)
      ? `The flush when the \`@${shortCall(write.node.expression)}()\` method returns`
      : `The flush at the end of ${code(`${shortCall(write.node.expression)}(…)`)}`;
  if (!ts.isCallExpression(write.node)) return code(`${write.node.getText()}(…)`);
  if (write.node.expression.getText().replace(/\s+/g, "").length <= 50) return code(`${shortCall(write.node.expression)}(…)`);
  // A long builder chain: its first call (`db.update(accounts)`) and its write (`set(…)`), which say what it does.
  let first: ts.CallExpression = write.node;
  const names: string[] = [];
  for (let current: ts.Expression = write.node; ts.isCallExpression(current);) {
    first = current;
    names.unshift(calleeName(current) ?? "");
    const callee = skipParens(current.expression);
    if (!ts.isPropertyAccessExpression(callee)) break;
    current = skipParens(callee.expression);
  }
  const writeName = names.slice(1).find((n) => ["set", "update", "increment", "decrement", "save"].includes(n)) ?? names[names.length - 1];
  // A long receiver that is no builder chain (`this.clientFor(tenant).account.update`): its arguments elided.
  if (first === write.node) return code(`${shortCall(write.node.expression)}(…)`);
  return code(`${shortCall(first)}…${writeName}(…)`);
}

/** Source text without spaces, where the arguments of a call longer than a short name become `…`: `knex("accounts").where({id})`, `prisma.x.update(…)`. */
function shortCall(expr: ts.Expression): string {
  const node = skipParens(expr);
  if (ts.isCallExpression(node)) {
    const args = node.arguments
      .map((a) => a.getText())
      .join(",")
      .replace(/\s+/g, "");
    return `${shortCall(node.expression)}(${args.length <= 20 ? args : "…"})`;
  }
  if (ts.isPropertyAccessExpression(node)) return `${shortCall(node.expression)}.${node.name.getText()}`;
  return node.getText().replace(/\s+/g, "");
}

/** `UPDATE accounts SET balance = $1` (the statement up to WHERE). */
export function sqlHead(write: DbAccess): string {
  const text = write.sql!.text.replace(/\s+/g, " ").trim();
  const head = text.split(/\s+WHERE\s+/i)[0]!;
  return head.length > 70 ? `${head.slice(0, 67)}…` : head;
}
