// select-then-update and a row lock taken under a condition: a lock-only read under `if (marking)` protects a write
// under the same `if (marking)` (a `const`), since every path that writes took the lock; a write under another
// condition stays reported (the paths where `marking` is false write without the lock). A transaction the function
// takes from its context (`const { transaction } = ctx.state`, opened by a middleware) and dereferences for a lock
// constant (`transaction.LOCK.UPDATE`) is a transaction its statements run in.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const annotate = (writeCondition: string) => `import { Model, Sequelize, Transaction } from "sequelize";
class Note extends Model {
  declare id: string;
  declare body: string;
}
const sequelize = new Sequelize("postgres://localhost/db");

export async function annotate(id: string, mark: string | undefined) {
  await sequelize.transaction(async (transaction: Transaction) => {
    const marking = !!mark;
    if (marking) {
      await Note.unscoped().findOne({ where: { id }, attributes: ["id"], transaction, lock: transaction.LOCK.UPDATE });
    }
    const note = await Note.findByPk(id, { transaction });
    if (!note) throw new Error("missing");
    if (${writeCondition}) {
      await note.update({ body: note.body + mark }, { transaction });
    }
  });
}
`;

/** A route handler whose transaction a middleware opened and put on the context. */
const comment = (writeCondition: string) => `import { Model } from "sequelize";
class Doc extends Model {
  declare id: string;
  declare state: string;
}
type Context = { state: { transaction: any }; input: { id: string; mark?: string } };

export async function comment(ctx: Context) {
  const { transaction } = ctx.state;
  const { id, mark } = ctx.input;
  const anchored = !!mark;
  if (anchored) {
    await Doc.unscoped().findOne({ where: { id }, attributes: ["id"], transaction, lock: transaction.LOCK.UPDATE });
  }
  const doc = await Doc.findByPk(id, { transaction });
  if (!doc) throw new Error("missing");
  if (${writeCondition}) {
    await doc.update({ state: doc.state + mark }, { transaction });
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    { name: "the lock and the write under the same const condition", code: annotate("marking") },
    { name: "the same in the transaction a middleware put on the context", code: comment("anchored") },
  ],
  invalid: [
    {
      name: "the context's transaction, the write under another condition",
      code: comment("mark !== undefined"),
      errors: [{ line: 18, column: 11, messageId: "lostUpdate", data: { write: "`doc.update(…)`", column: "`state`", line: 15 } }],
    },
    {
      name: "the write under another condition: where marking is false, nothing locked the row",
      code: annotate("mark"),
      errors: [{ line: 17, column: 13, messageId: "lostUpdate", data: { write: "`note.update(…)`", column: "`body`", line: 14 } }],
    },
    {
      name: "the lock under the condition's negation: the write's paths never took it",
      code: annotate("!marking"),
      errors: [{ line: 17, column: 13, messageId: "lostUpdate", data: { write: "`note.update(…)`", column: "`body`", line: 14 } }],
    },
  ],
});
