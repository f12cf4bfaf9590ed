// Session 22's held-out precision check (issue #15): a SET NX reply compared into a `const`
// (`(await redis.set(…)) !== null`, `… === "OK"`) is the acquisition's result, so the early return that tests it
// false is the path where nothing was taken (6529seize's release-notes loop). A return after the lock is taken still
// skips the release. And a Map key taken out again only in a `catch` marks work done (a registry), not a busy key.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

const HEAD = `import { createClient } from "redis";
const redis = createClient();
declare function rebuild(shard: string): Promise<void>;
declare function pendingChanges(shard: string): Promise<number>;
`;

const REGISTRY = `declare function attach(name: string): Promise<void>;
export class Channels {
  private readonly open_ = new Map<string, { name: string; ready: boolean }>();`;

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
    {
      // talawa-api's plugin manager: the entry is the loaded plugin, kept when loading succeeds.
      name: "a registry entry taken out again only in a catch records work done, it is no busy key",
      code: `${REGISTRY}
  async open(name: string): Promise<boolean> {
    if (this.open_.has(name)) return true;
    const entry = { name, ready: false };
    this.open_.set(name, entry);
    try {
      await attach(name);
    } catch {
      this.open_.delete(name);
      return false;
    }
    entry.ready = true;
    return true;
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
    {
      name: "a busy key given back after the work and in a catch: a return between skips the release",
      code: `${REGISTRY}
  async open(name: string): Promise<boolean> {
    if (this.open_.has(name)) return false;
    this.open_.set(name, { name, ready: false });
    try {
      await attach(name);
    } catch {
      this.open_.delete(name);
      return false;
    }
    if (name.startsWith(".")) return false;
    this.open_.delete(name);
    return true;
  }
}
`,
      errors: [{ line: 6, column: 5, messageId: "releaseSkippable" }],
    },
  ],
});
