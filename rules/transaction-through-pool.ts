// transaction-through-pool: `BEGIN` sent through a connection pool (`pool.query("BEGIN")`, or a project method that
// forwards to one). A pool runs each statement on whichever idle connection it hands out, so the statements after the
// BEGIN are not one transaction: they autocommit one by one, a `FOR UPDATE` lock is released as soon as its statement
// ends, COMMIT/ROLLBACK may land on a connection with no transaction, and the connection that ran BEGIN goes back to
// the pool with a transaction open, which the next borrower's statements then join.
import {
  CALL_KINDS,
  code,
  connectionPoolOf,
  dbAccessOf,
  defineRule,
  enclosingFunction,
  labelOf,
  lineOf,
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

/** The first COMMIT or ROLLBACK after `begin` in its function sent through the same receiver. */
function endThroughSamePool(begin: ts.Node, pool: ConnectionPool): { call: ts.Node; word: string } | undefined {
  const fn = enclosingFunction(begin);
  if (!fn?.body) return undefined;
  for (const call of nodesOfKinds<ts.CallExpression | ts.TaggedTemplateExpression>(fn.body, CALL_KINDS)) {
    if (call.pos <= begin.pos) continue;
    const access = dbAccessOf(call);
    const through = ts.isCallExpression(call) ? receiverOf(call) : access?.handle;
    if ((access?.kind === "commit" || access?.kind === "rollback") && through && sameIdentity(through, pool.receiver))
      return { call, word: access.kind === "commit" ? "COMMIT" : "ROLLBACK" };
  }
  return undefined;
}

function helpFor(pool: ConnectionPool): string {
  const name = labelOf(pool.receiver);
  if (pool.kind === "prisma")
    return `Use an interactive transaction, \`${name}.$transaction(async (tx) => …)\`, and send every statement through \`tx\`.`;
  if (pool.kind === "knex") return `Use \`${name}.transaction(async (trx) => …)\` and send every statement through \`trx\`.`;
  if (pool.kind === "postgres") return `Use \`${name}.begin(async (tx) => …)\` and send every statement through \`tx\`.`;
  return `Check out one connection (\`const client = await ${name}.connect()\`, mysql2: \`getConnection()\`), run BEGIN, the statements and COMMIT on it, and release it in \`finally\`; or use \`withPgTransaction\` / \`withMySqlTransaction\` from \`@locksmith/runtime\`.`;
}
