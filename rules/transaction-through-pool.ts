// transaction-through-pool: `BEGIN` sent through a connection pool (`pool.query("BEGIN")`, or a project method that
// forwards to one). A pool runs each statement on whichever idle connection it hands out, so the statements after the
// BEGIN are not one transaction: they autocommit one by one, a `FOR UPDATE` lock is released as soon as its statement
// ends, COMMIT/ROLLBACK may land on a connection with no transaction, and the connection that ran BEGIN goes back to
// the pool with a transaction open, which the next borrower's statements then join.
import {
  CALL_KINDS,
  alwaysExits,
  code,
  connectionPoolOf,
  dbAccessOf,
  defineRule,
  enclosingFunction,
  isInside,
  labelOf,
  lineOf,
  mayRunAfter,
  nodesOfKinds,
  receiverOf,
  sameIdentity,
  spanOf,
  ts,
  type ConnectionPool,
} from "../server/src/rule-kit";

export const transactionThroughPool = defineRule({
  meta: {
    id: "transaction-through-pool",
    description:
      "`BEGIN` sent through a connection pool: each statement may run on another connection, so nothing after it is one transaction and its row locks are not held.",
    defaultSeverity: "error",
    fixable: false,
    messages: {
      beginThroughPool:
        "{{begin}} is sent through the connection pool {{pool}}, which runs each statement on whichever connection is idle: the statements after it{{until}} are not one transaction (each commits on its own, and a `FOR UPDATE` lock ends with its statement), and the connection that ran {{begin}} goes back to the pool with a transaction open, which the next caller's statements join.",
    },
  },
  checkFile(context) {
    const { sourceFile } = context;
    for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(sourceFile, CALL_KINDS)) {
      const access = dbAccessOf(call);
      if (access?.kind !== "begin") continue;
      const pool = connectionPoolOf(call, context.checker);
      if (!pool) continue;
      const end = endThroughSamePool(call, pool);
      context.report({
        messageId: "beginThroughPool",
        data: {
          begin: code(/^\W*start\b/i.test(access.sql?.text ?? "") ? "START TRANSACTION" : "BEGIN"),
          pool: code(labelOf(pool.receiver)),
          until: end ? ` up to the ${code(end.word)} at line ${lineOf(end.call)}` : "",
        },
        help: helpFor(pool),
        span: spanOf(call, sourceFile),
        related: end
          ? [{ span: spanOf(end.call, sourceFile), message: `${end.word}, through the pool: it may run on another connection` }]
          : [],
      });
    }
  },
});

/**
 * The COMMIT or ROLLBACK through the same receiver that ends what `begin` opened: of those some path runs after `begin`
 * (not one in the other branch of an `if`), the first in the text, where one in a branch that always leaves after it
 * (a guard's `ROLLBACK; return`) counts only when no other does: the statements after the guard belong to the
 * transaction up to its COMMIT.
 */
function endThroughSamePool(begin: ts.Node, pool: ConnectionPool): { call: ts.Node; word: string } | undefined {
  const fn = enclosingFunction(begin);
  if (!fn?.body) return undefined;
  const ends: Array<{ call: ts.Node; word: string }> = [];
  for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS)) {
    if (call === begin) continue;
    const access = dbAccessOf(call);
    const through = ts.isCallExpression(call) ? receiverOf(call) : access?.handle;
    if (
      (access?.kind === "commit" || access?.kind === "rollback") &&
      through &&
      sameIdentity(through, pool.receiver) &&
      mayRunAfter(begin, call)
    )
      ends.push({ call, word: access.kind === "commit" ? "COMMIT" : "ROLLBACK" });
  }
  return ends.find((end) => !inGuardThatLeaves(end.call, begin, fn)) ?? ends[0];
}

/** `node` is in a branch of an `if` that always leaves (returns, throws), a branch that does not hold `begin`. */
function inGuardThatLeaves(node: ts.Node, begin: ts.Node, fn: ts.Node): boolean {
  for (let current: ts.Node = node; current.parent && current.parent !== fn; current = current.parent) {
    const parent = current.parent;
    if (ts.isIfStatement(parent) && parent.expression !== current && !isInside(begin, current) && alwaysExits(current as ts.Statement))
      return true;
  }
  return false;
}

function helpFor(pool: ConnectionPool): string {
  const name = labelOf(pool.receiver);
  if (pool.kind === "prisma")
    return `Use an interactive transaction, \`${name}.$transaction(async (tx) => …)\`, and send every statement through \`tx\`.`;
  if (pool.kind === "knex") return `Use \`${name}.transaction(async (trx) => …)\` and send every statement through \`trx\`.`;
  if (pool.kind === "postgres") return `Use \`${name}.begin(async (tx) => …)\` and send every statement through \`tx\`.`;
  return `Check out one connection (\`const client = await ${name}.connect()\`, mysql2: \`getConnection()\`), run BEGIN, the statements and COMMIT on it, and release it in \`finally\`; or use \`withPgTransaction\` / \`withMySqlTransaction\` from \`@locksmith/runtime\`.`;
}
