// Session 22's held-out precision check (issue #15): a SET NX reply compared into a `const`
// (`(await redis.set(…)) !== null`, `… === "OK"`) is the acquisition's result, so the early return that tests it
// false is the path where nothing was taken (6529seize's release-notes loop). A return after the lock is taken still
// skips the release.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

const HEAD = `import { createClient } from "redis";
const redis = createClient();
declare function rebuild(shard: string): Promise<void>;
declare function pendingChanges(shard: string): Promise<number>;
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "reply compared with null into a const; the return when it is false took nothing",
      code: `${HEAD}
export async function reindex(shard: string) {
  const key = \`reindex:\${shard}\`;
  const taken = (await redis.set(key, "1", { NX: true, EX: 900 })) !== null;
  if (!taken) {
    console.info("reindex already running", shard);
    return;
  }
  try {
    await rebuild(shard);
  } finally {
    await redis.del(key);
  }
}
`,
    },
    {
      name: 'reply compared with "OK" into a const; the return when it is false took nothing',
      code: `${HEAD}
export async function compact(shard: string) {
  const key = \`compact:\${shard}\`;
  const locked = (await redis.set(key, "1", { NX: true, PX: 60_000 })) === "OK";
  if (!locked) return false;
  try {
    await rebuild(shard);
    return true;
  } finally {
    await redis.del(key);
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "reply compared with null into a const; a later return while the lock is held skips the release",
      code: `${HEAD}
export async function reindexIfDirty(shard: string) {
  const key = \`reindex:\${shard}\`;
  const taken = (await redis.set(key, "1", { NX: true, EX: 900 })) !== null;
  if (!taken) return;
  if ((await pendingChanges(shard)) === 0) return;
  await rebuild(shard);
  await redis.del(key);
}
`,
      errors: [{ line: 8, column: 24, messageId: "releaseSkippable" }],
      output: `${HEAD}
export async function reindexIfDirty(shard: string) {
  const key = \`reindex:\${shard}\`;
  const taken = (await redis.set(key, "1", { NX: true, EX: 900 })) !== null;
  if (!taken) return;
  try {
    if ((await pendingChanges(shard)) === 0) return;
    await rebuild(shard);
  } finally {
    await redis.del(key);
  }
}
`,
    },
  ],
});
