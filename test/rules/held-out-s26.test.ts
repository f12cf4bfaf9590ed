// Session 26's held-out recall set (b258–b273, bench/recall). The shapes missed by the starting build and fixed where
// one sentence covers them, each an invalid case written freshly, with the nearest correct shape as a valid case:
// - an HGETALL reads every field of a hash: a field of its reply (`meta.downloads`) raised and written back with an
//   HSET of that field is a lost update (node-redis v4 spells the hash commands `hGetAll`, `hGet`, `hSet`, `hIncrBy`);
//   a field written from another field of the reply is not that field written back.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

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
