// select-then-update, session 17: a knex instance held in a class field (`this.knex("t")…`) is read and written like
// one held in a variable (bench/recall b126: an allowance checked, then raised by `.increment()`), next to correct
// look-alikes that stay silent.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A quota service over a knex field; `body` runs inside `spend(address)`. */
const quota = (body: string) => `import type { Knex } from "knex";
export class TranslationQuota {
  constructor(private readonly knex: Knex, private readonly monthly: number) {}
  async spend(address: string) {
${body}
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "knex field: the increment carries the bound in its WHERE and its row count decides",
      code: quota(`    const raised = await this.knex("quotas").where({ address }).andWhere("used", "<", this.monthly).increment("used", 1);
    if (raised === 0) throw new Error("quota used up");`),
    },
    {
      name: "knex field: the row read FOR UPDATE in the transaction that raises it",
      code: quota(`    await this.knex.transaction(async (trx) => {
      const row = await trx("quotas").where({ address }).forUpdate().first();
      if (row && row.used >= this.monthly) throw new Error("quota used up");
      await trx("quotas").where({ address }).increment("used", 1);
    });`),
    },
    {
      name: "knex field: a row of another table written after the check",
      code: quota(`    const row = await this.knex("quotas").where({ address }).first();
    if (row && row.used >= this.monthly) throw new Error("quota used up");
    await this.knex("quota_log").insert({ address, at: new Date() });`),
    },
  ],
  invalid: [
    {
      name: "knex field: the allowance checked against the stored count, then raised by a separate increment (b126)",
      code: quota(`    const row = await this.knex("quotas").where({ address }).first();
    if (row && row.used >= this.monthly) throw new Error("quota used up");
    await this.knex("quotas").where({ address }).increment("used", 1);`),
      errors: [
        {
          line: 7,
          column: 11,
          messageId: "checkThenWrite",
          data: { write: '`this.knex("quotas").where({address}).increment(…)`', column: "`used`", line: 5 },
        },
      ],
    },
  ],
});
