// Session 26's held-out recall set (b258–b273, bench/recall). The shapes missed by the starting build and fixed where
// one sentence covers them, each an invalid case written freshly, with the nearest correct shape as a valid case:
// - an HGETALL reads every field of a hash: a field of its reply (`meta.downloads`) raised and written back with an
//   HSET of that field is a lost update (node-redis v4 spells the hash commands `hGetAll`, `hGet`, `hSet`, `hIncrBy`);
//   a field written from another field of the reply is not that field written back;
// - a duplicate check of a table the project declares with no unique index over the looked-up columns, whose found
//   branch updates the row it found (or returns its id) and whose empty branch inserts — an upsert written by hand:
//   the insert in the empty branch is a duplicate all the same;
// - a Mongoose `find(filter)` whose rows are used only for their number (`members.length >= size`) is a count of the
//   set, as `countDocuments` is: an update that sets the filtered field to the filtered value moves a document in.
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";
import { sqlProject } from "../helpers/sql-project";

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The count is raised by HINCRBY, which hands the new value back; nothing read is written.
      name: "node-redis: a share's view count raised with hIncrBy and tested on the value it returns",
      code: `import { createClient } from "redis";
const redis = createClient();
export async function viewShare(id: string) {
  const views = await redis.hIncrBy(\`shares:\${id}\`, "views", 1);
  const cap = Number((await redis.hGet(\`shares:\${id}\`, "cap")) ?? 10);
  if (views >= cap) await redis.del(\`shares:\${id}\`);
}`,
    },
    {
      // The label is computed from the name, a field this call leaves alone: no field is written back as read.
      name: "ioredis: an HGETALL's `name` field copied, upper-cased, into its `label` field",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function relabel(id: string) {
  const profile = await redis.hgetall(\`profiles:\${id}\`);
  await redis.hset(\`profiles:\${id}\`, "label", String(profile.name ?? "").toUpperCase());
}`,
    },
  ],
  invalid: [
    {
      // Two downloads finishing together read the same count and both store it plus one.
      name: "node-redis: a download count read with hGetAll and written back plus one with hSet",
      code: `import { createClient } from "redis";
const redis = createClient();
export async function countDownload(id: string) {
  const meta = await redis.hGetAll(\`files:\${id}\`);
  const downloads = Number(meta.downloads ?? 0) + 1;
  if (downloads >= Number(meta.limit ?? 1)) return redis.del(\`files:\${id}\`);
  await redis.hSet(\`files:\${id}\`, "downloads", downloads);
}`,
      errors: [
        {
          line: 7,
          column: 9,
          message:
            "`redis.hSet(…)` writes a value computed from field `downloads` of `files:${id}` read at line 4 without `WATCH`/`MULTI` or a Lua script: two concurrent calls both read the same value, both write their result, and one update is lost.",
        },
      ],
    },
    {
      // The same with ioredis's lower-case commands: a retry counter of a job hash.
      name: "ioredis: a job's attempts read with hgetall and written back plus one with hset",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function recordAttempt(jobId: string) {
  const job = await redis.hgetall(\`jobs:\${jobId}\`);
  await redis.hset(\`jobs:\${jobId}\`, "attempts", Number(job.attempts ?? 0) + 1);
}`,
      errors: [{ line: 5, column: 9, messageId: "redisLostUpdate" }],
    },
  ],
});

/** A subscriptions table whose Stripe id is indexed for lookups but not unique (`unique`: the fix's schema). */
const SUBSCRIPTIONS = (unique: boolean) => `CREATE TABLE plan_subscriptions (
  id varchar(24) PRIMARY KEY,
  account_id varchar(24) NOT NULL,
  stripe_id varchar(255) NOT NULL,
  status varchar(50) NOT NULL
);
CREATE ${unique ? "UNIQUE " : ""}INDEX plan_subscriptions_stripe_idx ON plan_subscriptions (stripe_id);
`;

/** A Stripe subscription linked to an account: updated when its row is found, inserted otherwise. */
const LINK = (body: string) => `import knexFactory, { type Knex } from "knex";
const db = knexFactory({ client: "pg", connection: process.env.DATABASE_URL });
${body}`;

const HAND_WRITTEN_UPSERT = LINK(`export async function linkSubscription(accountId: string, stripeId: string, status: string) {
  const found = await db("plan_subscriptions").where({ stripe_id: stripeId }).first();
  if (found) {
    await db("plan_subscriptions").where({ id: found.id }).update({ status });
    return found.id;
  }
  await db("plan_subscriptions").insert({ account_id: accountId, stripe_id: stripeId, status });
}`);

runRuleTests(writeSkew, {
  valid: [
    {
      // The unique index refuses the second insert of a Stripe id: no duplicate, whichever branch runs.
      name: "knex: the hand-written upsert on a table whose Stripe id is unique",
      root: sqlProject({ "db/schema.sql": SUBSCRIPTIONS(true) }),
      code: HAND_WRITTEN_UPSERT,
    },
    {
      // The account's row is locked before the lookup: a second link of the same account waits and finds the row.
      name: "knex: the hand-written upsert after a FOR UPDATE of the account, in one transaction",
      root: sqlProject({
        "db/schema.sql": `${SUBSCRIPTIONS(false)}CREATE TABLE accounts (id varchar(24) PRIMARY KEY);\n`,
      }),
      code: LINK(`export async function linkSubscription(accountId: string, stripeId: string, status: string) {
  await db.transaction(async (trx: Knex.Transaction) => {
    await trx("accounts").where({ id: accountId }).forUpdate().first();
    const found = await trx("plan_subscriptions").where({ stripe_id: stripeId }).first();
    if (found) {
      await trx("plan_subscriptions").where({ id: found.id }).update({ status });
      return;
    }
    await trx("plan_subscriptions").insert({ account_id: accountId, stripe_id: stripeId, status });
  });
}`),
    },
  ],
  invalid: [
    {
      // Two webhooks for one new subscription both find no row and both insert it.
      name: "knex: a lookup by Stripe id whose found branch updates the row and whose empty branch inserts",
      root: sqlProject({ "db/schema.sql": SUBSCRIPTIONS(false) }),
      code: HAND_WRITTEN_UPSERT,
      errors: [
        {
          line: 9,
          column: 9,
          message:
            'Two concurrent requests can both find no row with the same `stripe_id` at line 4 before either inserts with `db("plan_subscriptions").insert(…)` at line 9, and the schema declares no unique index over them: both insert, and the row is duplicated.',
        },
      ],
    },
  ],
});

const TEAM = `import mongoose, { Schema } from "mongoose";
const Player = mongoose.model("Player", new Schema({ email: String, squad: { type: String, default: null } }));
const Squad = mongoose.model("Squad", new Schema({ code: String, size: Number }));
const SQUAD_SIZE = 5;
`;

runRuleTests(writeSkew, {
  valid: [
    {
      // The seat is taken by one conditional $inc on the squad, which matches only while the squad has room.
      name: "Mongoose: a squad's seat taken by a conditional $inc before the player's squad is set",
      code: `${TEAM}export async function joinSquad(playerId: string, code: string) {
  const seat = await Squad.findOneAndUpdate({ code, size: { $lt: SQUAD_SIZE } }, { $inc: { size: 1 } });
  if (!seat) throw new Error("squad is full");
  await Player.updateOne({ _id: playerId }, { $set: { squad: code } });
}`,
    },
    {
      // The members listed are sent back with the refusal and used for more than their number: rows, not a count.
      name: "Mongoose: the squad's members listed, their emails returned when it is full",
      code: `${TEAM}export async function joinSquad(playerId: string, code: string) {
  const members = await Player.find({ squad: code });
  if (members.length >= SQUAD_SIZE) return { full: true, members: members.map((m) => m.email) };
  await Player.updateOne({ _id: playerId }, { $set: { squad: code } });
  return { full: false, members: members.map((m) => m.email) };
}`,
    },
  ],
  invalid: [
    {
      // Five players joining a squad of one at once all count one member and all join.
      name: "Mongoose: a squad's members found and counted, then the player's squad set",
      code: `${TEAM}export async function joinSquad(playerId: string, code: string) {
  const members = await Player.find({ squad: code }).select("email");
  if (members.length >= SQUAD_SIZE) throw new Error("squad is full");
  await Player.findOneAndUpdate({ _id: playerId }, { $set: { squad: code } });
}`,
      errors: [{ line: 8, column: 9, messageId: "grows" }],
    },
  ],
});
