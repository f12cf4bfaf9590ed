// Session 30's held-out precision check (wt-judge). The FALSE shape fixed, written freshly:
// - a project Redis helper named after SETNX (`cache.setNX(key, value, seconds)`, an object literal's method or a
//   class method) whose own body sends `SET key value EX seconds NX`: the lock a caller takes through it expires, so a
//   holder that dies frees it when the lease runs out.
// - a row lock (`FOR UPDATE`) taken in the callback of a project transaction wrapper reached through other project
//   functions: an exported function hands its callback to a method of a shared manager (`managerFor(pool).serial(fn)`),
//   which hands it to another method (`this.within(fn, "SERIALIZABLE")`), which sends BEGIN through a private helper
//   that builds the statement from an array (`const words = ["BEGIN"]; words.push(…); client.query(words.join(" "))`)
//   and then calls the callback with that connection: the lock is held until the wrapper's COMMIT.
// Beside each, the nearest real mistakes stay reported: a helper of the same name whose body sends SETNX (or `SET … NX`
// without EX/PX), a plain client's `setnx` with no expiry; a helper that sends `SET statement_timeout` instead of
// BEGIN, and a chain whose last method runs the callback on a pooled connection with no transaction.
import { lockWithoutExpiry } from "../../rules/lock-without-expiry";
import { selectThenUpdate } from "../../rules/select-then-update";
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

/** A ledger's transaction manager; `opening` is the body of its private helper that starts the transaction. */
const ledgerTx = (opening: string) => `import { Pool, PoolClient } from "pg";

export class LedgerTx {
  constructor(private readonly pool: Pool) {}

  async within<T>(work: (client: PoolClient) => Promise<T>, level?: string): Promise<T> {
    const client = await this.pool.connect();
    try {
      await this.open(client, level);
      const out = await work(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK");
      throw err;
    } finally {
      client.release();
    }
  }

  async serial<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.within(work, "SERIALIZABLE");
  }

  private async open(client: PoolClient, level?: string): Promise<void> {
    ${opening}
  }
}

let shared: LedgerTx | undefined;
export function managerFor(pool: Pool): LedgerTx {
  if (!shared) shared = new LedgerTx(pool);
  return shared;
}

const pool = new Pool();
export function inSerialTx<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  return managerFor(pool).serial(work);
}
`;

const BEGIN_FROM_WORDS = `const words = ["BEGIN"];
    if (level) words.push(\`ISOLATION LEVEL \${level}\`);
    await client.query(words.join(" "));`;

/** Moves credit out of an account under the row lock the wrapper's transaction holds. */
const withdraw = `import { inSerialTx } from "./ledger-tx";

export async function withdraw(accountId: string, cents: number) {
  return inSerialTx(async (client) => {
    const found = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
    const balance = found.rows[0].balance as number;
    if (balance < cents) throw new Error("insufficient funds");
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - cents, accountId]);
  });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "pg: FOR UPDATE in a callback handed through two project methods to one whose helper sends BEGIN built by join",
      files: { "src/ledger-tx.ts": ledgerTx(BEGIN_FROM_WORDS) },
      filename: "src/withdraw.ts",
      code: withdraw,
    },
    {
      name: "pg: the same chain, the helper sending a literal BEGIN",
      files: { "src/ledger-tx.ts": ledgerTx('await client.query("BEGIN");') },
      filename: "src/withdraw.ts",
      code: withdraw,
    },
  ],
  invalid: [
    {
      name: "pg: the helper sets a statement timeout instead of BEGIN: each statement commits alone and FOR UPDATE lapses",
      files: { "src/ledger-tx.ts": ledgerTx('await client.query("SET statement_timeout = 5000");') },
      filename: "src/withdraw.ts",
      code: withdraw,
      errors: [{ line: 8, column: 11, messageId: "lostUpdateDespiteLock" }],
    },
    {
      name: "pg: a chain whose last method runs the callback on a pooled connection with no transaction",
      files: {
        "src/ledger-tx.ts": `import { Pool, PoolClient } from "pg";
const pool = new Pool();
class Runner {
  async within<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }
}
const runner = new Runner();
export function inSerialTx<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  return runner.within(work);
}
`,
      },
      filename: "src/withdraw.ts",
      code: withdraw,
      errors: [{ line: 8, column: 11, messageId: "lostUpdateDespiteLock" }],
    },
  ],
});
