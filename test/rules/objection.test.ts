// Objection.js models, read by select-then-update, unchecked-optimistic-update and write-skew: a model's query builder
// (`Wallet.query(trx)…`, an injected model's `this.walletModel().query(trx)…`) and an instance's own query
// (`wallet.$query(trx).patch({ … })`) read and write rows like knex's builder does. A row read without a lock and
// written back from its value is a lost update; the same read `.forUpdate()` in the transaction that writes, an atomic
// `decrement` carrying its bound, a `raw(…)` value, or a patch of values that do not come from the row are not. The
// transaction may also be reached through a member of a `const` object literal (`const deps = { ...base, knex: trx }`,
// then `row.$query(deps.knex)`): that member is the transaction, unless a spread after it or an assignment to it
// replaces it. A `patch(…).where(…)` pinning the value read is a compare-and-set whose count (the number `patch`
// returns) must be tested; `resultSize()` is a count of the set (write-skew).
import { selectThenUpdate } from "../../rules/select-then-update";
import { uncheckedOptimisticUpdate } from "../../rules/unchecked-optimistic-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const MODEL = `import { Model, raw } from "objection";
import type { Knex } from "knex";

export class Wallet extends Model {
  static tableName = "wallets";
  id!: string;
  balance!: number;
  label?: string;
}
`;

/** A wallet service whose `spend` runs `body`. */
const spend = (body: string) => `${MODEL}
export async function spend(walletId: string, amount: number, knex: Knex) {
${body}
}
`;

/** A NestJS-style service whose model is injected as a getter (`this.walletModel()`). */
const injected = (body: string) => `import type { Knex } from "knex";
import type { Wallet } from "./wallet.model";

export class WalletService {
  constructor(private readonly walletModel: () => typeof Wallet) {}
  async spend(walletId: string, amount: number, knex: Knex) {
${body}
  }
}
`;
const WALLET_MODEL = { "wallet.model.ts": MODEL };

/** Jobs claimed `FOR UPDATE SKIP LOCKED` in a transaction, then written through a dependencies object built from it. */
const claim = (deps: string) => `${MODEL}
export class Job extends Model {
  static tableName = "jobs";
  id!: string;
  attempts!: number;
}

export async function claimNext(base: { knex: Knex; log: (m: string) => void }) {
  return base.knex.transaction(async (trx) => {
    const jobs = await Job.query(trx).limit(10).forUpdate().skipLocked();
    ${deps}
    for (const job of jobs) await job.$query(deps.knex).patch({ attempts: job.attempts + 1 });
  });
}
`;

/** A document's next version number, inserted from the latest read; `migration` declares the table's unique keys. */
const nextVersion = (migration: string) => ({
  code: `import { Model } from "objection";

export class DocVersion extends Model {
  static tableName = "doc_versions";
  id!: string;
  docId!: string;
  number!: number;
}

export async function addVersion(docId: string, body: string) {
  const latest = await DocVersion.query().where("docId", docId).orderBy("number", "desc").first();
  return DocVersion.query().insertAndFetch({ docId, number: (latest?.number ?? 0) + 1, body });
}
`,
  files: {
    "migrations/001_doc_versions.ts": `import type { Knex } from "knex";
export async function up(knex: Knex) {
  await knex.raw(\`CREATE TABLE doc_versions (id uuid PRIMARY KEY, "docId" uuid NOT NULL, number integer NOT NULL, body text)\`);
  ${migration}
}
`,
  },
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "read FOR UPDATE in the transaction that patches the instance",
      code: spend(`  await Wallet.transaction(async (trx) => {
    const wallet = await Wallet.query(trx).findById(walletId).forUpdate();
    if (!wallet || wallet.balance < amount) throw new Error("insufficient");
    await wallet.$query(trx).patch({ balance: wallet.balance - amount });
  });`),
    },
    {
      name: "read FOR UPDATE inside objection's `transaction(knex, fn)` that patches it",
      code: spend(`  await transaction(knex, async (trx) => {
    const wallet = await Wallet.query(trx).findById(walletId).forUpdate();
    if (!wallet || wallet.balance < amount) throw new Error("insufficient");
    await Wallet.query(trx).findById(walletId).patch({ balance: wallet.balance - amount });
  });`).replace('import { Model, raw } from "objection";', 'import { Model, raw, transaction } from "objection";'),
    },
    {
      name: "the transaction named with knex's `.transacting(trx)` on both model queries",
      code: spend(`  await knex.transaction(async (trx) => {
    const wallet = await Wallet.query().transacting(trx).findOne("id", walletId).forUpdate();
    if (!wallet || wallet.balance < amount) throw new Error("insufficient");
    await Wallet.query().transacting(trx).findById(walletId).patch({ balance: wallet.balance - amount });
  });`),
    },
    {
      name: "an atomic decrement carrying the bound, its count tested",
      code: spend(`  const changed = await Wallet.query().findById(walletId).where("balance", ">=", amount).decrement("balance", amount);
  if (changed === 0) throw new Error("insufficient");`),
    },
    {
      name: "the new balance computed by the database (`raw`)",
      code: spend(`  const wallet = await Wallet.query().findById(walletId);
  if (!wallet) throw new Error("missing");
  await Wallet.query().findById(walletId).patch({ balance: raw("balance - ?", [amount]) as unknown as number });`),
    },
    {
      name: "a patch of the instance with values given, after a field was set on it in memory only",
      code: spend(`  const wallet = await Wallet.query(knex).findById(walletId).throwIfNotFound();
  wallet.label = \`\${wallet.label ?? ""} (seen)\`;
  await wallet.$query(knex).patch({ balance: amount });`),
    },
    {
      name: "a GraphQL client's `Client.query({ … })` is no model query",
      code: `declare const Client: { query(options: { query: string }): Promise<{ count: number }> };
declare function store(count: number): Promise<void>;
export async function sync() {
  const result = await Client.query({ query: "{ count }" });
  await store(result.count + 1);
}
`,
    },
    {
      name: "the transaction reached through a member of a dependencies object built from it",
      code: claim("const deps = { ...base, knex: trx };"),
    },
    {
      name: "a next number inserted under a unique key over (docId, number): the second insert fails, none duplicates",
      ...nextVersion('await knex.raw(`CREATE UNIQUE INDEX doc_versions_doc_number ON doc_versions ("docId", number)`);'),
    },
  ],
  invalid: [
    {
      name: "read, checked, then a patch computed from the balance read",
      code: spend(`  const wallet = await Wallet.query(knex).findById(walletId);
  if (!wallet || wallet.balance < amount) throw new Error("insufficient");
  await Wallet.query(knex).findById(walletId).patch({ balance: wallet.balance - amount });`),
      errors: [
        {
          line: 14,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`Wallet.query(knex).findById(walletId).patch(…)`", column: "`balance`", line: 12 },
        },
      ],
    },
    {
      name: "the instance's own query patched with a value computed from it",
      code: spend(`  const wallet = await Wallet.query(knex).findById(walletId).throwIfNotFound();
  await wallet.$query(knex).patch({ balance: wallet.balance - amount });`),
      errors: [
        { line: 13, column: 9, messageId: "lostUpdate", data: { write: "`wallet.$query(knex).patch(…)`", column: "`balance`", line: 12 } },
      ],
    },
    {
      name: "in a transaction, read without a lock, written by patchAndFetchById",
      code: spend(`  await Wallet.transaction(async (trx) => {
    const wallet = await Wallet.query(trx).findById(walletId);
    if (!wallet || wallet.balance < amount) throw new Error("insufficient");
    await Wallet.query(trx).patchAndFetchById(walletId, { balance: wallet.balance - amount });
  });`),
      errors: [{ line: 15, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "the read `.transacting(trx)` FOR UPDATE, the patch sent without it: outside the transaction",
      code: spend(`  await knex.transaction(async (trx) => {
    const wallet = await Wallet.query().transacting(trx).findOne("id", walletId).forUpdate();
    if (!wallet || wallet.balance < amount) throw new Error("insufficient");
    await Wallet.query().findById(walletId).patch({ balance: wallet.balance - amount });
  });`),
      errors: [{ line: 15, column: 11, messageId: "lostUpdateDespiteLock" }],
    },
    {
      name: "an injected model's getter: read, then a patch from the value read",
      code: injected(`    const wallet = await this.walletModel().query(knex).findById(walletId).throwIfNotFound();
    await this.walletModel().query(knex).findById(walletId).patch({ balance: wallet.balance + amount });`),
      files: WALLET_MODEL,
      errors: [
        { line: 8, column: 11, messageId: "lostUpdate", data: { write: "`this.walletModel()…patch(…)`", column: "`balance`", line: 7 } },
      ],
    },
    {
      name: "the dependencies object's transaction replaced by a spread after it: the patch runs outside the lock",
      code: claim("const deps = { knex: trx, ...base };"),
      errors: [{ line: 21, column: 35, messageId: "lostUpdateDespiteLock" }],
    },
    {
      name: "the dependencies object's member reassigned to the pool before the writes",
      code: claim("const deps = { ...base, knex: trx };\n    deps.knex = base.knex;"),
      errors: [{ line: 22, column: 35, messageId: "lostUpdateDespiteLock" }],
    },
    {
      name: "the same next number with a plain index only: two concurrent calls insert the same number",
      ...nextVersion('await knex.raw(`CREATE INDEX doc_versions_doc_number ON doc_versions ("docId", number)`);'),
      errors: [
        {
          line: 12,
          column: 10,
          messageId: "insertFromRead",
          data: { write: "`DocVersion.query().insertAndFetch(…)`", column: "`number`", line: 11 },
        },
      ],
    },
  ],
});

/** A retry counter raised only while it still holds the count read; `tail` follows the guarded patch. */
const guardedRetry = (declare: string, tail: string) => `import { Model } from "objection";
export class Job extends Model {
  static tableName = "jobs";
  id!: string;
  attempts!: number;
}
export async function retry(jobId: string) {
  const job = await Job.query().findById(jobId);
  if (!job) return;
  ${declare}await Job.query().patch({ attempts: job.attempts + 1 }).where({ id: jobId, attempts: job.attempts });${tail}
}
`;

// A compare-and-set through Objection's `patch(…).where(…)`: the number `patch` returns is the affected-row count.
runRuleTests(uncheckedOptimisticUpdate, {
  valid: [
    {
      name: "the count `patch` returns is tested",
      code: guardedRetry("const changed = ", '\n  if (changed === 0) throw new Error("changed meanwhile");'),
    },
  ],
  invalid: [
    {
      name: "the guarded patch's count is never looked at",
      code: guardedRetry("", ""),
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "uncheckedAfterRead",
          data: { write: "`Job.query().patch(…).where(…)`", column: "`attempts`", line: 8, count: "the number `patch` returns" },
        },
      ],
      output: guardedRetry("const updated = ", '\n  if (updated === 0) throw new ConflictError("Job changed concurrently");').replace(
        'import { Model } from "objection";',
        'import { Model } from "objection";\nimport { ConflictError } from "@locksmith/runtime";',
      ),
    },
  ],
});

/** A team's seats counted with `resultSize()`, then a member inserted; `lock` runs first in the transaction. */
const joinTeam = (lock: string) => `import { Model } from "objection";
export class Team extends Model {
  static tableName = "teams";
  id!: string;
}
export class Member extends Model {
  static tableName = "members";
  id!: string;
  teamId!: string;
  userId!: string;
}
export async function join(teamId: string, userId: string) {
  return Team.transaction(async (trx) => {
    ${lock}const seats = await Member.query(trx).where({ teamId }).resultSize();
    if (seats >= 10) throw new Error("team full");
    await Member.query(trx).insert({ teamId, userId });
  });
}
`;

// Objection's `resultSize()` is the number of matching rows: a cap checked on it is a check of the set.
runRuleTests(writeSkew, {
  valid: [
    {
      name: "the team row locked FOR UPDATE before the seats are counted",
      code: joinTeam("await Team.query(trx).findById(teamId).forUpdate();\n    "),
    },
  ],
  invalid: [
    {
      name: "seats counted with resultSize(), then a member inserted, nothing locked",
      code: joinTeam(""),
      errors: [{ line: 16, column: 11, messageId: "grows" }],
    },
  ],
});
