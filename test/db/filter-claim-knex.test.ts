// Proof with knex on PostgreSQL of select-then-update's filter check: a job found by `status = 'pending'` and then
// set to `running` by id alone is claimed by both of two workers that read it before either writes; with the read's
// filter repeated in the update's WHERE and its row count checked, exactly one claims it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import knexFactory, { type Knex } from "knex";
import type { Pool } from "pg";
import { selectThenUpdate } from "../../rules/select-then-update";
import { lintCode } from "../helpers/rule-tester";
import { barrier, connectPg, pgConfig, suffix } from "../runtime/services";
import { loadModule } from "./lost-update-proof";

/** A worker's claim as services write it; `pause` runs between the read and the write. */
const BY_FILTERED_READ = `import type { Knex } from "knex";
export async function claimJob(knex: Knex, jobId: number, pause: () => Promise<void>): Promise<boolean> {
  const job = await knex("jobs").where({ id: jobId, status: "pending" }).first();
  if (!job) return false;
  await pause();
  await knex("jobs").where({ id: job.id }).update({ status: "running" });
  return true;
}
`;

/** The claim as the help says: the check repeated in the WHERE, the row count deciding. */
const CONDITIONAL = `import type { Knex } from "knex";
export async function claimJob(knex: Knex, jobId: number, pause: () => Promise<void>): Promise<boolean> {
  const job = await knex("jobs").where({ id: jobId, status: "pending" }).first();
  if (!job) return false;
  await pause();
  const claimed = await knex("jobs").where({ id: job.id, status: "pending" }).update({ status: "running" });
  return claimed === 1;
}
`;

type ClaimJob = (knex: Knex, jobId: number, pause: () => Promise<void>) => Promise<boolean>;

describe("select-then-update proof: a claim by a filtered read, with knex on PostgreSQL", () => {
  const schema = `locksmith_filter_claim_${suffix()}`;
  let admin: Pool;
  let knex: Knex;

  before(async () => {
    admin = await connectPg();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.jobs (id integer PRIMARY KEY, status text NOT NULL)`);
    knex = knexFactory({ client: "pg", connection: pgConfig(), searchPath: [schema], pool: { min: 0, max: 4 } });
  });
  after(async () => {
    await knex?.destroy();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  /** Two workers claim job 1 at once, both reading before either writes; how many think they own it. */
  async function twoWorkers(code: string): Promise<number> {
    const { claimJob } = loadModule(code) as { claimJob: ClaimJob };
    await knex("jobs").delete();
    await knex("jobs").insert({ id: 1, status: "pending" });
    const bothRead = barrier(2);
    const claims = await Promise.all([claimJob(knex, 1, bothRead), claimJob(knex, 1, bothRead)]);
    return claims.filter(Boolean).length;
  }

  test("the rule reports the claim by id alone, not the conditional one", () => {
    const findings = lintCode(selectThenUpdate, { code: BY_FILTERED_READ }).diagnostics;
    assert.deepEqual(
      findings.map((d) => d.messageId),
      ["filterThenWrite"],
    );
    assert.equal(lintCode(selectThenUpdate, { code: CONDITIONAL }).diagnostics.length, 0);
  });

  test("as written, both workers claim the job", async () => {
    assert.equal(await twoWorkers(BY_FILTERED_READ), 2);
  });

  test("with the check in the WHERE and the count checked, exactly one does", async () => {
    assert.equal(await twoWorkers(CONDITIONAL), 1);
    assert.deepEqual(await knex("jobs").select("status"), [{ status: "running" }]);
  });
});
