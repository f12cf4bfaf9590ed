// Session 19's held-out precision check (issue #15): the FALSE shapes fixed, each a valid case written freshly in the judged
// shape, beside the real bug it resembles, which stays reported.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

/** A key-value class with a token lock; `drop` is the name of its plain delete method, `unlock` its release's body. */
const kvStore = (drop: string, unlock: string) => `import { RedisClientType } from "redis";
export class KvStore {
  constructor(private readonly client: RedisClientType, private readonly prefix?: string) {}
  private scoped(name: string): string {
    return this.prefix !== undefined ? \`\${this.prefix}:\${name}\` : name;
  }
  async tryLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const reply = await this.client.set(this.scoped(name), owner, { PX: ttlMs, NX: true });
    return reply === "OK";
  }
  async unlock(name: string, owner: string): Promise<void> {
${unlock}
  }
  ${drop}(name: string): Promise<number> {
    return this.client.del(this.scoped(name));
  }
}
`;

const COMPARE_AND_DELETE = `    await this.client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", { keys: [this.scoped(name)], arguments: [owner] });`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a cache class's del(key) beside its token lock: the DEL it wraps is not a call of the method that releases a lock",
      code: kvStore("del", COMPARE_AND_DELETE),
    },
    {
      name: "the same delete named otherwise",
      code: kvStore("remove", COMPARE_AND_DELETE),
    },
  ],
  invalid: [
    {
      name: "the class's own release deletes the key without comparing the owner",
      code: kvStore("remove", "    await this.client.del(this.scoped(name));"),
      errors: [{ line: 12, column: 11, messageId: "unchecked" }],
    },
  ],
});

/** A lock helper whose SET NX reply is stored in a `let` in either branch; `after` is what follows the `if`. */
const claimHelper = (after: string) => `import Redis from "ioredis";
const redis = new Redis();
declare function rebuildIndex(name: string): Promise<void>;
export const tryClaim = async (name: string, seconds = 0) => {
  let reply;
  if (seconds) {
    reply = await redis.set(name, "held", "EX", seconds, "NX");
  } else {
    reply = await redis.set(name, "held", "NX");
  }
${after}
};
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "the reply stored in either branch is returned as a comparison with OK after the if: the caller tests it",
      code: claimHelper('  return reply === "OK";'),
    },
    {
      name: "the reply stored in an unbraced branch is tested after the if",
      code: `import Redis from "ioredis";
const redis = new Redis();
declare function rebuildIndex(name: string): Promise<void>;
export async function rebuild(name: string, seconds: number) {
  let reply = null;
  if (seconds > 0) reply = await redis.set(name, "held", "EX", seconds, "NX");
  if (reply !== "OK") return;
  await rebuildIndex(name);
}
`,
    },
  ],
  invalid: [
    {
      name: "the reply stored in either branch, then the work runs without a test of it",
      code: claimHelper("  await rebuildIndex(name);"),
      errors: [
        { line: 7, column: 19, messageId: "runsBeforeCheck" },
        { line: 9, column: 19, messageId: "runsBeforeCheck" },
      ],
    },
  ],
});

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "a mutex that queues requests to a rate-limited API: the fetch, its body and a pause are the whole section",
      code: `import { Mutex } from "async-mutex";
const oneAtATime = new Mutex();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export async function fetchQuote(symbol: string): Promise<number> {
  return oneAtATime.runExclusive(async () => {
    const response = await fetch(\`https://quotes.example.com/v1/\${symbol}\`);
    if (response.status === 429) await pause(1000);
    const body: { price?: number } | undefined = await response.json();
    if (!body?.price) throw new Error("no quote");
    return body.price;
  });
}
`,
    },
  ],
  invalid: [
    {
      name: "the section fills a module Map from the response: the mutex guards the cache, and callers wait for the fetch",
      code: `import { Mutex } from "async-mutex";
const lock = new Mutex();
const quotes = new Map<string, number>();
export async function refreshQuote(symbol: string): Promise<number> {
  return lock.runExclusive(async () => {
    const response = await fetch(\`https://quotes.example.com/v1/\${symbol}\`);
    const body: { price: number } = await response.json();
    quotes.set(symbol, body.price);
    return body.price;
  });
}
`,
      errors: [{ line: 6, column: 22, messageId: "underMutex" }],
    },
    {
      name: "the marker deleted after the credit is a lock released: an HTTP call before the DEL holds it longer",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function refreshCollection(queue: string, collection: string): Promise<void> {
  if (await redis.set(\`\${queue}:busy\`, "1", "EX", 60, "NX")) {
    await fetch(\`https://metadata.example.com/refresh/\${collection}\`);
    await redis.del(\`\${queue}:busy\`);
  }
}
`,
      errors: [{ line: 5, column: 5, messageId: "underExpiringLease" }],
    },
    {
      name: "the same section also keeps the latest quote in a module variable: the mutex guards state, and callers wait for the fetch",
      code: `import { Mutex } from "async-mutex";
const lock = new Mutex();
let latest: { symbol: string; price: number } | undefined;
export async function refreshQuote(symbol: string): Promise<number> {
  return lock.runExclusive(async () => {
    const response = await fetch(\`https://quotes.example.com/v1/\${symbol}\`);
    const body: { price: number } = await response.json();
    latest = { symbol, price: body.price };
    return body.price;
  });
}
`,
      errors: [{ line: 6, column: 22, messageId: "underMutex" }],
    },
  ],
});
