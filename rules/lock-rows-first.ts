// inconsistent-lock-order's suggestion for two rows locked in argument order through an ORM or query builder (two
// `update`s keyed by `fromId` then `toId` in one interactive transaction): one statement before them that locks both
// rows in key order, on the same transaction, so that two opposite calls queue on the first row instead of each
// holding one. Written in the library's own terms; the lock-order analysis reads it as the whole class held first.
import {
  dbAccessOf,
  enclosingStatement,
  canonicalKey,
  indentationAt,
  prismaModelNames,
  receiverOf,
  skipParens,
  ts,
  type DbAccess,
  type Fix,
  type ProjectRuleContext,
} from "../server/src/rule-kit";

/** Lock both rows first, in key order: undefined when the two statements are not one library's, table's and key's. */
export function lockRowsFirstSuggestion(
  context: Pick<ProjectRuleContext, "fixerFor">,
  outerCall: ts.CallExpression,
  innerCall: ts.CallExpression,
): Fix | undefined {
  const outer = dbAccessOf(outerCall);
  const inner = dbAccessOf(innerCall);
  if (!outer || !inner || outer.library !== inner.library || outer.table !== inner.table) return undefined;
  const outerKey = keyOf(outer);
  const innerKey = keyOf(inner);
  const through = (a: DbAccess) => a.transactionOption ?? a.handle;
  if (!outerKey || !innerKey || outerKey.column !== innerKey.column || !/^[A-Za-z_]\w*$/.test(outerKey.column)) return undefined;
  // One transaction: the same handle, through `const` aliases (`const t = trx`).
  if (!through(outer) || !through(inner) || canonicalKey(through(outer)!) !== canonicalKey(through(inner)!)) return undefined;
  const statement = enclosingStatement(outerCall);
  if (!statement || !ts.isBlock(statement.parent)) return undefined;
  const text = lockText(outer, outerCall, outerKey.column, [outerKey.value.getText(), innerKey.value.getText()]);
  if (!text) return undefined;
  const sourceFile = outerCall.getSourceFile();
  const fixer = context.fixerFor(sourceFile);
  const indent = indentationAt(sourceFile, statement.getStart(sourceFile));
  return fixer.fix(`Lock both rows first, in ${outerKey.column} order`, fixer.insertBefore(statement, `${text}\n${indent}`));
}

function keyOf(access: DbAccess): { column: string; value: ts.Expression } | undefined {
  const condition = access.conditions.find((c) => c.operator === "=" && c.value);
  return condition?.value ? { column: condition.column, value: condition.value } : undefined;
}

/**
 * The locking statement: knex `whereIn(…).orderBy(…).forUpdate()`, Sequelize `findAll({ lock })`, Prisma `$queryRaw …
 * FOR UPDATE`, TypeORM `createQueryBuilder(…).setLock("pessimistic_write")…getMany()`.
 */
function lockText(access: DbAccess, call: ts.CallExpression, column: string, [first, second]: string[]): string | undefined {
  const keys = `[${first}, ${second}]`;
  switch (access.library) {
    case "knex": {
      const table = rootCall(call);
      return table && `await ${table.getText()}.whereIn("${column}", ${keys}).orderBy("${column}").forUpdate();`;
    }
    case "sequelize": {
      const model = receiverOf(call);
      const t = access.transactionOption;
      if (!model || !t || !ts.isIdentifier(skipParens(model))) return undefined;
      return `await ${model.getText()}.findAll({ where: { ${column}: ${keys} }, order: [["${column}", "ASC"]], lock: ${t.getText()}.LOCK.UPDATE, transaction: ${t.getText()} });`;
    }
    case "prisma": {
      // `tx.account.update(…)`: the model `Account`, its table and key column as the schema maps them. Without the
      // schema the names are unknown (`@@map` is common): no SQL is guessed, the help says what to do.
      const model = receiverOf(call);
      const client =
        model && ts.isPropertyAccessExpression(skipParens(model)) ? (skipParens(model) as ts.PropertyAccessExpression) : undefined;
      const names = client && prismaModelNames(client.name.text, call.getSourceFile().fileName);
      if (!client || !names) return undefined;
      const key = names.column(column);
      return `await ${client.expression.getText()}.$queryRaw\`SELECT "${key}" FROM "${names.table}" WHERE "${key}" IN (\${${first}}, \${${second}}) ORDER BY "${key}" FOR UPDATE\`;`;
    }
    case "typeorm": {
      // `manager.decrement(Account, { id }, …)`: the entity's query builder on the same manager (TypeORM's `find`
      // would need `In` imported).
      const manager = receiverOf(call);
      const entity = call.arguments[0] && skipParens(call.arguments[0]);
      if (!manager || !ts.isIdentifier(skipParens(manager)) || !entity || !ts.isIdentifier(entity) || !/^[A-Z]/.test(entity.text))
        return undefined;
      return `await ${manager.getText()}.createQueryBuilder(${entity.text}, "row").setLock("pessimistic_write").where("row.${column} IN (:...keys)", { keys: ${keys} }).orderBy("row.${column}").getMany();`;
    }
    default:
      return undefined;
  }
}

/** `trx("accounts")` in `trx("accounts").where(…).decrement(…)`. */
function rootCall(call: ts.CallExpression): ts.CallExpression | undefined {
  let current: ts.Expression = call;
  while (ts.isCallExpression(current) && ts.isPropertyAccessExpression(skipParens(current.expression)))
    current = skipParens((skipParens(current.expression) as ts.PropertyAccessExpression).expression);
  return ts.isCallExpression(current) && ts.isIdentifier(skipParens(current.expression)) ? current : undefined;
}
