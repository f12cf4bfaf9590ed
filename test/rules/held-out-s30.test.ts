// Session 30's held-out precision check (wt-judge). The FALSE shape fixed, written freshly:
// - a project Redis helper named after SETNX (`cache.setNX(key, value, seconds)`, an object literal's method or a
//   class method) whose own body sends `SET key value EX seconds NX`: the lock a caller takes through it expires, so a
//   holder that dies frees it when the lease runs out.
// Beside it, the nearest real mistakes stay reported: a helper of the same name whose body sends SETNX (or `SET … NX`
// without EX/PX), and a plain client's `setnx` with no expiry.
import { lockWithoutExpiry } from "../../rules/lock-without-expiry";
import { runRuleTests } from "../helpers/rule-tester";

/** A project Redis helper exported as an object literal; `take` is the body of its `setNX(key, value, seconds)`. */
const helperObject = (take: string) => `import Redis from "ioredis";
const client = new Redis();

export const cache = {
  async setNX(key: string, value: string, seconds: number): Promise<boolean> {
    ${take}
  },
  async del(key: string): Promise<void> {
    await client.del(key);
  },
};
`;

/** A nightly export guarded by the helper's lock; the lease is computed, not a literal. */
const exportJob = `import { randomUUID } from "crypto";
import { cache } from "./cache";

const LEASE_MS = 90_000;

export async function runNightlyExport(region: string, work: () => Promise<void>) {
  const key = "export-lock:" + region;
  const token = randomUUID();
  const taken = await cache.setNX(key, token, Math.ceil(LEASE_MS / 1000));
  if (!taken) return false;
  try {
    await work();
  } finally {
    await cache.del(key);
  }
  return true;
}
`;

/** The same guard with a class-based helper. */
const classHelper = (take: string) => `import Redis from "ioredis";

export class LeaseStore {
  constructor(private readonly client: Redis) {}

  async setNX(key: string, owner: string, seconds: number): Promise<boolean> {
    ${take}
  }

  async del(key: string): Promise<void> {
    await this.client.del(key);
  }
}
`;

const reindex = `import { LeaseStore } from "./lease-store";

export async function reindexShard(store: LeaseStore, shard: number, owner: string, leaseSeconds: number, work: () => Promise<void>) {
  const key = \`reindex:\${shard}\`;
  if (!(await store.setNX(key, owner, leaseSeconds))) return;
  try {
    await work();
  } finally {
    await store.del(key);
  }
}
`;

runRuleTests(lockWithoutExpiry, {
  valid: [
    {
      name: "an object literal's setNX helper whose body sends SET … EX seconds NX: the lock expires",
      files: { "src/cache.ts": helperObject('return (await client.set(key, value, "EX", seconds, "NX")) === "OK";') },
      filename: "src/nightly-export.ts",
      code: exportJob,
    },
    {
      name: "a class's setNX method whose body sends SET … PX ms NX, given a parameter for the lease",
      files: { "src/lease-store.ts": classHelper('return (await this.client.set(key, owner, "PX", seconds * 1000, "NX")) === "OK";') },
      filename: "src/reindex.ts",
      code: reindex,
    },
  ],
  invalid: [
    {
      name: "the helper of the same name sends SETNX and drops the seconds: the lock never expires",
      files: { "src/cache.ts": helperObject("return (await client.setnx(key, value)) === 1;") },
      filename: "src/nightly-export.ts",
      code: exportJob,
      errors: [{ line: 9, column: 23, messageId: "noExpiry" }],
    },
    {
      name: "a class's setNX method sending SET … NX without EX or PX",
      files: { "src/lease-store.ts": classHelper('return (await this.client.set(key, owner, "NX")) === "OK";') },
      filename: "src/reindex.ts",
      code: reindex,
      errors: [{ line: 5, column: 15, messageId: "noExpiry" }],
    },
    {
      name: "a plain client's setnx with no expiry",
      filename: "src/nightly-export.ts",
      code: `import Redis from "ioredis";
const redis = new Redis();

export async function runNightlyExport(region: string, work: () => Promise<void>) {
  const key = "export-lock:" + region;
  if ((await redis.setnx(key, "1")) !== 1) return false;
  try {
    await work();
  } finally {
    await redis.del(key);
  }
  return true;
}
`,
      errors: [{ line: 6, column: 14, messageId: "noExpiry" }],
    },
  ],
});
