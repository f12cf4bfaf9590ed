import type { Knex } from "knex";
// The allowance is checked against the stored count, then the count is raised by a separate increment: two requests
// hitting two servers both read 31 of 32 and both are answered, so the quota is exceeded.
export class LookupAllowance {
  constructor(
    private readonly knex: Knex,
    private readonly perAccount: number,
  ) {}
  async answerLookup(address: string, answer: () => Promise<string>) {
    const row = await this.knex("lookup_accounts").where({ address }).first("lookups");
    if (row && row.lookups >= this.perAccount) throw new Error("lookup allowance used up");
    await this.knex("lookup_accounts").where({ address }).increment("lookups", 1);
    return answer();
  }
  // Correct: the increment itself asks for room, and its row count decides.
  async answerLookupGuarded(address: string, answer: () => Promise<string>) {
    const raised = await this.knex("lookup_accounts").where({ address }).andWhere("lookups", "<", this.perAccount).increment("lookups", 1);
    if (raised === 0) throw new Error("lookup allowance used up");
    return answer();
  }
}
