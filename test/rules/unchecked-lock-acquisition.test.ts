import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { REDIS_LOCK_MODULE } from "../helpers/lock-modules";
import { runRuleTests } from "../helpers/rule-tester";

const ioredis = `import Redis from "ioredis";
const redis = new Redis();
`;
/** A Redis lock class whose `claim` is the method given; `enqueue` discards its result. */
const reportQueue = (claim: string) => `${ioredis}export class ReportQueue {
  lockKey = "reports:lock";
  async unlock(token: string): Promise<void> {
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end", 1, this.lockKey, token);
  }
${claim}
  async enqueue(id: string): Promise<void> {
    const token = Math.random().toString(36);
    await this.claim(token);
    try {
      await redis.rpush("reports", id);
    } finally {
      await this.unlock(token);
    }
  }
}`;
const pg = `import { Pool } from "pg";
const pool = new Pool();
`;

const HELP = "Continue only on the success branch.";
const RETRIED_DATA = {
  lock: "The lock `locks.acquire` takes for `codes:${id}`",
  call: "`` locks.acquire(`codes:${id}`) ``",
  failure: "a falsy value",
  testLine: 5,
  line: 10,
};

/** The app's lock service taken for a template-literal key, its result tested or not. */
const lockUser = (checked: boolean) => `import { RedisLockService } from "./redis-lock";
declare function rename(id: string, name: string): Promise<void>;
export async function renameUser(locks: RedisLockService, id: string, name: string) {
  ${checked ? "if (!(await locks.acquire(\`user:\${id}\`))) return false;" : "await locks.acquire(\`user:\${id}\`);"}
  try {
    await rename(id, name);
  } finally {
    await locks.release(\`user:\${id}\`);
  }
  return true;
}`;

/**
 * A document-ownership claim per server (`SET … NX`, with or without GET); `route` sends an edit to the owner or
 * applies it here; `edit` calls `route`, or claims for effect and applies the edit.
 */
const documentOwner = (options: string, call: string) => `${ioredis}declare function applyEdit(docId: string, patch: string): Promise<void>;
declare function forward(serverId: string, docId: string, patch: string): Promise<void>;
export class DocumentOwnership {
  constructor(private readonly serverId: string) {}
  claimOwner(docId: string) {
    return redis.set(\`doc-owner:\${docId}\`, this.serverId, "PX", 30000, ${options});
  }
  async giveUp(docId: string): Promise<void> {
    await redis.del(\`doc-owner:\${docId}\`);
  }
  async route(docId: string, patch: string): Promise<void> {
    const owner = await this.claimOwner(docId);
    if (owner && owner !== this.serverId) return forward(owner, docId, patch);
    return applyEdit(docId, patch);
  }
  async edit(docId: string, patch: string): Promise<void> {
    ${call === "route" ? "await this.route(docId, patch);" : `await this.${call}(docId);\n    await applyEdit(docId, patch);`}
  }
}`;

/** A lock retried once into the same variable when the first attempt fails; `onRetryFailed` runs if the retry fails too. */
const retriedOnce = (onRetryFailed: string) => `import { RedisLockService } from "./redis-lock";
declare function generateCodes(id: string): Promise<void>;
export async function ensureCodes(locks: RedisLockService, id: string) {
  let locked = await locks.acquire(\`codes:\${id}\`);
  if (!locked) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    locked = await locks.acquire(\`codes:\${id}\`);
    ${onRetryFailed}
  }
  try {
    await generateCodes(id);
  } finally {
    await locks.release(\`codes:\${id}\`);
  }
}`;

/** A SET NX lock whose failure branch calls `reject`, declared to return `type`. */
const rejectOnBusy = (type: string, body: string) => `${ioredis}declare function runNode(id: string): Promise<void>;
function reject(message: string): ${type} {
  ${body}
}
export async function runOnce(id: string, token: string) {
  const ok = await redis.set(\`node:\${id}\`, token, "PX", 30000, "NX");
  if (!ok) {
    reject("already running");
  }
  await runNode(id);
}`;
/**
 * A watermark set once (SET NX) and read back through a method (of the key `reads`, the watermark's own by default),
 * then moved by a Lua script that SETs or DELetes it (`move`).
 */
const watermark = (options: { reads?: string; move?: "SET" | "DEL" }) => {
  const { reads = "WATERMARK_KEY", move } = options;
  const script = move && `if tonumber(ARGV[1]) > tonumber(redis.call("GET", KEYS[1]) or "0") then redis.call("${move}", KEYS[1]) end`;
  return `${ioredis}const WATERMARK_KEY = "reports:watermark";${script ? `\nconst MOVE = '${script}';` : ""}
export class Watermark {
  async init(now: number): Promise<number> {
    await redis.set(WATERMARK_KEY, String(now), "NX");
    const value = await this.read();
    if (!value) throw new Error("no watermark");
    return value;
  }
  async read(): Promise<number | null> {
    const stored = await redis.get(${reads});
    return stored === null ? null : Number(stored);
  }${script ? "\n  async advance(next: number): Promise<void> {\n    await redis.eval(MOVE, 1, WATERMARK_KEY, String(next));\n  }" : ""}
}`;
};

/** A job guard taken with SET and an expiry; `flags` are SET's arguments after the value. */
const jobGuard = (flags: string) => `import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
declare function rebuildSitemap(): Promise<void>;
export async function takeJobGuard(job: string, holder: string): Promise<boolean> {
  const reply = await redis.set(\`job-guard:\${job}\`, holder, ${flags});
  return reply === "OK";
}
export async function nightlySitemap(holder: string) {
  if (!(await takeJobGuard("sitemap", holder))) return;
  await rebuildSitemap();
}`;

/** A build's run link recorded per service with SET NX, its reply unread and the key never deleted; `stored` is the value. */
const runLink = (stored: string) => `${ioredis}export async function recordRun(release: string, service: string, url: string) {
  const runKey = \`release:\${release}:run:\${service}\`;
  await redis.set(runKey, ${stored}, "EX", 86400, "NX");
  await redis.sadd(\`release:\${release}:done\`, service);
  return redis.smembers(\`release:\${release}:done\`);
}`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "a job guard taken with SET … PX … NX whose reply is compared with OK",
      code: jobGuard('"PX", 60_000, "NX"'),
    },
    {
      // Nobody asks the reply anything: a cache fill, not a lock.
      name: "a cache entry written with SET … EX and no NX, its reply not tested",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function cacheProfile(userId: string, json: string) {
  await redis.set(\`profile:\${userId}\`, json, "EX", 300);
}`,
    },
    {
      name: "the failure branch calls a function of the file declared to return never",
      code: rejectOnBusy("never", "throw new Error(message);"),
    },
    {
      name: "the result assigned inside a try whose catch returns, tested after the try",
      code: `${ioredis}export async function run(id: string) {
  let locked: string | null;
  try {
    locked = await redis.set(\`lock:job:\${id}\`, "1", "PX", 30000, "NX");
  } catch {
    return;
  }
  if (!locked) return;
  await work(id);
}
declare function work(id: string): Promise<void>;`,
    },
    {
      name: "a read between the SET NX and its check (it writes nothing the lock protects)",
      code: `${ioredis}export async function run(id: string) {
  const locked = await redis.set(\`lock:job:\${id}\`, "1", "PX", 30000, "NX");
  const usage = Number(await redis.get(\`usage:\${id}\`));
  if (!locked) return usage;
  await work(id);
  return usage;
}
declare function work(id: string): Promise<void>;`,
    },
    {
      name: "ioredis SET NX checked with a guard clause",
      code: `${ioredis}export async function run(id: string) {
  const ok = await redis.set(\`lock:job:\${id}\`, "t", "PX", 30000, "NX");
  if (ok !== "OK") return;
  await work(id);
}
declare function work(id: string): Promise<void>;`,
    },
    {
      name: "result decides in the if condition itself",
      code: `${ioredis}export async function run(id: string) {
  if (await redis.set("lock:" + id, "t", "NX", "PX", 1000)) {
    await work(id);
  }
}
declare function work(id: string): Promise<void>;`,
    },
    {
      name: "negated in an early throw",
      code: `${ioredis}export async function run(id: string) {
  if (!(await redis.setnx("lock:" + id, "1"))) throw new Error("busy");
  await work(id);
}
declare function work(id: string): Promise<void>;`,
    },
    {
      name: "pg_try_advisory_lock result followed through rows[0]",
      code: `${pg}export async function run(id: number) {
  const client = await pool.connect();
  const { rows } = await client.query("SELECT pg_try_advisory_lock($1) AS locked", [id]);
  const locked = rows[0].locked;
  if (!locked) {
    client.release();
    return false;
  }
  await client.query("UPDATE jobs SET state = 'running' WHERE id = $1", [id]);
  return true;
}`,
    },
    {
      name: "result handed back to the caller",
      code: `${ioredis}export async function tryLock(key: string, token: string) {
  return (await redis.set(key, token, "PX", 10000, "NX")) === "OK";
}`,
    },
    {
      name: "MySQL GET_LOCK checked",
      code: `import mysql from "mysql2/promise";
const pool = mysql.createPool({});
export async function run(name: string) {
  const [rows] = await pool.query("SELECT GET_LOCK(?, 5) AS got", [name]);
  if ((rows as any)[0].got !== 1) throw new Error("busy");
  await pool.query("UPDATE jobs SET runs = runs + 1");
}`,
    },
    {
      name: "spin until acquired (the loop decides)",
      code: `${ioredis}export async function run(key: string) {
  while (!(await redis.set(key, "t", "NX", "PX", 500))) await new Promise((r) => setTimeout(r, 50));
}`,
    },
    {
      name: "plain SET without NX is not a lock",
      code: `${ioredis}export async function save(key: string) {
  await redis.set(key, "value", "PX", 1000);
}`,
    },
    {
      name: "whole critical section inside the success branch",
      code: `${ioredis}export async function run(key: string) {
  const ok = await redis.set(key, "t", { NX: true, PX: 1000 } as any);
  if (ok) {
    await work();
  }
}
declare function work(): Promise<void>;`,
    },
    {
      name: "the app's own try-lock service, its result deciding; a set-once marker helper is not a lock",
      code: `import { RedisLockService, markProcessed } from "./redis-lock";
declare function work(id: string): Promise<void>;
export async function run(locks: RedisLockService, id: string) {
  const acquired = await locks.acquire(id);
  if (!acquired) return;
  try {
    await work(id);
  } finally {
    await locks.release(id);
  }
  await markProcessed(id);
}
`,
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
    },
    {
      // Field report p07: set-if-absent initialisation: whoever wins, every caller reads the winner's value back.
      // The same SET NX released after a critical section is a lock (invalid below).
      name: "SET NX initialiser whose winning value is read back",
      code: `${ioredis}const EPOCH_KEY = "billing:epoch";
export async function billingEpoch(now: number): Promise<number> {
  await redis.set(EPOCH_KEY, String(now), "NX");
  const stored = await redis.get(EPOCH_KEY);
  return Number(stored);
}`,
    },
    { name: "SET NX initialiser whose winning value is read back through another method of the class", code: watermark({}) },
    {
      name: "SET NX initialiser read back through a method, whose key a Lua script that only sets it moves forward",
      code: watermark({ move: "SET" }),
    },
    {
      name: "SET NX of a fresh random key: a no-overwrite insert",
      code: `${ioredis}import { randomUUID } from "node:crypto";
export async function storeReceipt(body: string): Promise<string> {
  const id = randomUUID();
  await redis.set(\`receipt:\${id}\`, body, "EX", 3600, "NX");
  return id;
}`,
    },
    {
      // A method that takes the lock and gives it back in its own finally (through the class's release method) is a
      // self-contained critical section, not a helper returning holding the lock: its callers have nothing to check.
      name: "a method that releases its own try-lock in a finally, called for effect",
      code: `${ioredis}export class MetricsFlusher {
  lockKey = "metrics:flush";
  private async unlock(token: string): Promise<void> {
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end", 1, this.lockKey, token);
  }
  async flush(): Promise<void> {
    const token = Math.random().toString(36);
    const ok = await redis.set(this.lockKey, token, "EX", 60, "NX");
    if (ok !== "OK") return;
    try {
      await redis.ltrim("metrics", 500, -1);
    } finally {
      await this.unlock(token);
    }
  }
  async record(line: string): Promise<void> {
    const size = await redis.rpush("metrics", line);
    if (size >= 500) await this.flush();
  }
}`,
    },
    {
      name: "reads through Promise.all of a project helper that only reads, between the SET NX and its check",
      code: `${ioredis}async function loadQuota(key: string): Promise<Record<string, number>> {
  const raw = await redis.hgetall(key);
  return Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
}
export async function moveQuota(accountId: string) {
  const claimed = await redis.set(\`quota-move:\${accountId}\`, "1", "EX", 300, "NX");
  const [current, legacy] = await Promise.all([loadQuota(\`quota:\${accountId}\`), loadQuota(\`legacy:\${accountId}\`)]);
  if (!claimed) return { ...legacy, ...current };
  try {
    await redis.hset(\`quota:\${accountId}\`, legacy);
  } finally {
    await redis.del(\`quota-move:\${accountId}\`);
  }
}`,
    },
    {
      name: "a read through five project helpers between the SET NX and its check: reads only, however deep",
      code: `${ioredis}async function rawQuota(key: string) {
  return redis.hgetall(key);
}
async function quotaFields(key: string) {
  return rawQuota(key);
}
async function parsedQuota(key: string) {
  const raw = await quotaFields(key);
  return Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
}
async function accountQuota(accountId: string) {
  return parsedQuota(\`quota:\${accountId}\`);
}
async function currentQuota(accountId: string) {
  return accountQuota(accountId);
}
export async function resetQuota(accountId: string) {
  const claimed = await redis.set(\`quota-reset:\${accountId}\`, "1", "EX", 300, "NX");
  const current = await currentQuota(accountId);
  if (!claimed) return current;
  try {
    await redis.del(\`quota:\${accountId}\`);
  } finally {
    await redis.del(\`quota-reset:\${accountId}\`);
  }
}`,
    },
    {
      name: "a SET NX storing a serialised record whose reply nobody reads, never deleted: the first writer's record, not a lock",
      code: runLink("JSON.stringify({ service, url, at: Date.now() })"),
    },
    {
      name: "the app's lock service taken for a template-literal key, its result tested before the work",
      code: lockUser(true),
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
    },
    {
      name: "a failed attempt retried once into the same variable, the retry tested with a return",
      code: retriedOnce("if (!locked) return;"),
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
    },
    {
      name: "SETNX seeding a counter (then INCR of the same key) is not a lock: its result is meant to be ignored",
      code: `${ioredis}export async function countAttempt(jobId: string, limit: number): Promise<number> {
  const key = \`attempts:\${jobId}\`;
  await redis.setnx(key, 0);
  const attempts = await redis.incr(key);
  await redis.expire(key, 3600);
  return limit - attempts;
}`,
    },
    {
      name: "SET NX GET answers with the document's owner: a helper returning it is an owner lookup, not a try-lock",
      code: documentOwner(`"NX", "GET"`, "route"),
    },
  ],
  invalid: [
    {
      name: "the same SET NX storing a constant, its reply unread: a lock whose result is ignored",
      code: runLink(`"1"`),
      errors: [{ line: 5, column: 9, messageId: "resultDiscarded" }],
    },
    {
      name: "a job guard taken with SET … PX and no NX whose reply is compared with OK: every caller is told it holds it",
      code: jobGuard('"PX", 60_000'),
      errors: [{ line: 5, column: 23, messageId: "setWithoutNx" }],
    },
    {
      name: "node-redis: a sandbox lock set with { EX } and no NX, a reply other than OK thrown on",
      code: `import { createClient } from "redis";
const client = createClient();
declare function bootSandbox(id: string): Promise<void>;
export async function startSandbox(id: string) {
  if ((await client.set(\`sandbox:\${id}\`, "1", { EX: 30 })) !== "OK") throw new Error("sandbox busy");
  await bootSandbox(id);
}`,
      errors: [{ line: 5, column: 14, messageId: "setWithoutNx" }],
    },
    {
      name: "the same ownership claim without GET: a try-lock helper whose result the caller discards",
      code: documentOwner(`"NX"`, "claimOwner"),
      errors: [{ line: 19, column: 11, messageId: "resultDiscarded" }],
    },
    {
      name: "a failed attempt retried once, but the retry's result is only logged",
      code: retriedOnce('if (!locked) console.warn("still busy");'),
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
      errors: [{ line: 4, column: 22, messageId: "runsOnBothBranches", data: RETRIED_DATA }],
    },
    {
      name: "the failure branch calls a function that returns: the section runs without the lock",
      code: rejectOnBusy("void", "console.warn(message);"),
      errors: [{ line: 8, column: 20, messageId: "runsOnBothBranches" }],
    },
    {
      name: "the same SET NX when the Lua script deletes the key: a release, so the SET NX is a lock whose result is discarded",
      code: watermark({ move: "DEL" }),
      errors: [{ line: 7, column: 11, messageId: "resultDiscarded" }],
    },
    {
      // The valid initialiser's twin: the method called after it reads another key, so nothing reads the winner back.
      name: "SET NX whose result is discarded, then a method of the class reading another key",
      code: watermark({ reads: '"reports:watermark:previous"' }),
      errors: [{ line: 6, column: 11, messageId: "resultDiscarded" }],
    },
    {
      // SET NX GET answers with the holder's value: the message must not claim it returns null on failure.
      name: "SET NX GET whose reply is discarded before the rebuild it should gate: the failure named is the holder's value",
      code: `${ioredis}declare function rebuild(): Promise<void>;
export async function rebuildIndex(token: string) {
  await redis.set("lock:index", token, "PX", 30000, "NX", "GET");
  await rebuild();
  await redis.del("lock:index");
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "resultDiscarded",
          data: {
            lock: 'Redis lock `"lock:index"`',
            call: '`redis.set("lock:index", token, "PX", 30000, "NX", "GET")`',
            failure: "the current holder's value instead of null",
          },
        },
      ],
    },
    {
      // The call holds backticks itself: the message quotes it with a longer fence, not nested inside single ones.
      name: "the same lock service with the test left out: the call is quoted whole, template literal and all",
      code: lockUser(false),
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "resultDiscarded",
          data: {
            lock: "The lock `locks.acquire` takes for `user:${id}`",
            call: "`` locks.acquire(`user:${id}`) ``",
            failure: "a falsy value",
          },
        },
      ],
    },
    {
      name: "the same shape when one helper in the Promise.all writes: it runs before the check",
      code: `${ioredis}async function loadQuota(key: string): Promise<Record<string, number>> {
  const raw = await redis.hgetall(key);
  return Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
}
async function resetQuota(key: string): Promise<void> {
  await redis.set(key, "0");
}
export async function moveQuota(accountId: string) {
  const claimed = await redis.set(\`quota-move:\${accountId}\`, "1", "EX", 300, "NX");
  const [current] = await Promise.all([loadQuota(\`quota:\${accountId}\`), resetQuota(\`legacy:\${accountId}\`)]);
  if (!claimed) return current;
  try {
    await redis.hset(\`quota:\${accountId}\`, current);
  } finally {
    await redis.del(\`quota-move:\${accountId}\`);
  }
}`,
      errors: [
        {
          line: 11,
          column: 25,
          messageId: "runsBeforeCheck",
          data: {
            lock: "Redis lock `quota-move:${accountId}`",
            call: '`` redis.set(`quota-move:${accountId}`, "1", "EX", 300, "NX") ``',
            failure: 'null instead of "OK"',
            line: 12,
          },
        },
      ],
    },
    {
      name: "a method returning holding its try-lock, whose finally (on the failed branch only) clears its own token, result discarded",
      code: reportQueue(`  async claim(token: string): Promise<boolean> {
    const ok = await redis.set(this.lockKey, token, "EX", 60, "NX");
    if (ok === "OK") return true;
    try {
      await redis.incr("reports:contended");
    } finally {
      await this.unlock(token);
    }
    return false;
  }`),
      errors: [
        {
          line: 20,
          column: 11,
          messageId: "resultDiscarded",
          data: { lock: "Redis lock `this.lockKey` (taken by `this.claim`)", call: "`this.claim(token)`", failure: "a falsy value" },
        },
      ],
    },
    {
      name: "a method returning holding its try-lock (released only when its own setup fails), result discarded",
      code: reportQueue(`  async claim(token: string): Promise<boolean> {
    const ok = await redis.set(this.lockKey, token, "EX", 60, "NX");
    if (ok !== "OK") return false;
    try {
      await redis.incr("reports:claims");
    } catch (error) {
      await this.unlock(token);
      throw error;
    }
    return true;
  }`),
      errors: [
        {
          line: 21,
          column: 11,
          messageId: "resultDiscarded",
          data: { lock: "Redis lock `this.lockKey` (taken by `this.claim`)", call: "`this.claim(token)`", failure: "a falsy value" },
        },
      ],
    },
    {
      name: "the result assigned to a let, and the work runs before it is tested",
      code: `${ioredis}export async function run(id: string) {
  let locked: string | null = null;
  locked = await redis.set(\`lock:job:\${id}\`, "1", "PX", 30000, "NX");
  await work(id);
  return locked;
}
declare function work(id: string): Promise<void>;`,
      errors: [{ line: 5, column: 18, messageId: "runsBeforeCheck" }],
    },
    {
      name: "the app's own try-lock service, its result discarded",
      code: `import { RedisLockService } from "./redis-lock";
declare function work(id: string): Promise<void>;
export async function run(locks: RedisLockService, id: string) {
  await locks.acquire(id);
  try {
    await work(id);
  } finally {
    await locks.release(id);
  }
}
`,
      files: { "src/redis-lock.ts": REDIS_LOCK_MODULE },
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "resultDiscarded",
          data: { lock: "The lock `locks.acquire` takes for `id`", call: "`locks.acquire(id)`", failure: "a falsy value" },
        },
      ],
    },
    {
      name: "SET NX of a key named as a lock, read back to say who holds it: still a lock",
      code: `${ioredis}export async function importFeed(id: string, host: string) {
  await redis.set(\`lock:import:\${id}\`, host, "NX", "EX", 300);
  const holder = await redis.get(\`lock:import:\${id}\`);
  console.log(\`import of \${id} held by \${holder}\`);
  await importAll(id);
}
declare function importAll(id: string): Promise<void>;`,
      errors: [{ line: 4, column: 9, messageId: "resultDiscarded" }],
    },
    {
      name: "SET NX read back, but released after the work: a lock whose result is discarded",
      code: `${ioredis}const REBUILD_KEY = "search:rebuild";
export async function rebuild(host: string) {
  await redis.set(REBUILD_KEY, host, "NX", "EX", 600);
  const owner = await redis.get(REBUILD_KEY);
  await rebuildIndex(owner);
  await redis.del(REBUILD_KEY);
}
declare function rebuildIndex(owner: string | null): Promise<void>;`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "resultDiscarded",
          data: {
            lock: "Redis lock `REBUILD_KEY`",
            call: '`redis.set(REBUILD_KEY, host, "NX", "EX", 600)`',
            failure: 'null instead of "OK"',
          },
        },
      ],
    },
    {
      name: "SET NX result discarded (the lock is assumed to be always acquired)",
      code: `${ioredis}export async function run(id: string) {
  await redis.set(\`lock:job:\${id}\`, "t", "NX", "PX", 30000);
  await work(id);
}
declare function work(id: string): Promise<void>;`,
      errors: [
        {
          line: 4,
          column: 9,
          endLine: 4,
          endColumn: 60,
          messageId: "resultDiscarded",
          data: {
            lock: "Redis lock `lock:job:${id}`",
            call: '`` redis.set(`lock:job:${id}`, "t", "NX", "PX", 30000) ``',
            failure: 'null instead of "OK"',
          },
          // The golden full messages and help of this rule.
          message:
            'Redis lock `lock:job:${id}` may not be acquired — `` redis.set(`lock:job:${id}`, "t", "NX", "PX", 30000) `` returns null instead of "OK" when another holder has it — but its result is discarded: the critical section runs whether or not the lock was acquired, so two callers can run it at the same time.',
          help: HELP,
          suggestions: [
            {
              title: "Stop when the lock is not acquired",
              output: `${ioredis}export async function run(id: string) {
  const acquired = await redis.set(\`lock:job:\${id}\`, "t", "NX", "PX", 30000);
  if (acquired !== "OK") {
    throw new Error(\`lock \\\`lock:job:\${id}\\\` is held by another process\`);
  }
  await work(id);
}
declare function work(id: string): Promise<void>;`,
            },
          ],
        },
      ],
    },
    {
      name: "result bound, but the work runs before it is tested",
      code: `${ioredis}export async function run(key: string) {
  const ok = await redis.setnx(key, "1");
  await work();
  return ok;
}
declare function work(): Promise<void>;`,
      errors: [
        {
          line: 4,
          column: 20,
          messageId: "runsBeforeCheck",
          data: { lock: "Redis lock `key`", call: '`redis.setnx(key, "1")`', failure: "0", line: 5 },
          related: [{ line: 5, message: "runs even when the lock was not acquired" }],
          suggestions: [
            {
              output: `${ioredis}export async function run(key: string) {
  const ok = await redis.setnx(key, "1");
  if (!ok) {
    throw new Error(\`lock key is held by another process\`);
  }
  await work();
  return ok;
}
declare function work(): Promise<void>;`,
            },
          ],
        },
      ],
    },
    {
      name: "checked, but the work runs on both branches",
      code: `${ioredis}export async function run(key: string) {
  const ok = await redis.set(key, "t", "NX", "PX", 1000);
  if (!ok) console.warn("lock busy");
  await work();
}
declare function work(): Promise<void>;`,
      errors: [
        {
          line: 4,
          column: 20,
          messageId: "runsOnBothBranches",
          data: {
            lock: "Redis lock `key`",
            call: '`redis.set(key, "t", "NX", "PX", 1000)`',
            failure: 'null instead of "OK"',
            testLine: 5,
            line: 6,
          },
          message:
            'Redis lock `key` may not be acquired — `redis.set(key, "t", "NX", "PX", 1000)` returns null instead of "OK" when another holder has it — and although it is tested at line 5, the code at line 6 runs on both branches: the critical section runs whether or not the lock was acquired, so two callers can run it at the same time.',
          help: HELP,
          related: [{ line: 6 }],
          suggestions: [
            {
              output: `${ioredis}export async function run(key: string) {
  const ok = await redis.set(key, "t", "NX", "PX", 1000);
  if (ok !== "OK") {
    throw new Error(\`lock key is held by another process\`);
  }
  if (!ok) console.warn("lock busy");
  await work();
}
declare function work(): Promise<void>;`,
            },
          ],
        },
      ],
    },
    {
      name: "result bound, and nothing after it tests it",
      code: `${ioredis}export async function run(key: string) {
  const ok = await redis.set(key, "t", "NX", "PX", 1000);
  console.log("locked", key);
}`,
      errors: [
        {
          line: 4,
          column: 20,
          messageId: "resultNeverTested",
          data: { lock: "Redis lock `key`", call: '`redis.set(key, "t", "NX", "PX", 1000)`', failure: 'null instead of "OK"' },
          suggestions: [
            {
              output: `${ioredis}export async function run(key: string) {
  const ok = await redis.set(key, "t", "NX", "PX", 1000);
  if (ok !== "OK") {
    throw new Error(\`lock key is held by another process\`);
  }
  console.log("locked", key);
}`,
            },
          ],
        },
      ],
    },
    {
      name: "pg_try_advisory_lock result ignored",
      code: `${pg}export async function run(id: number) {
  await pool.query("SELECT pg_try_advisory_lock($1)", [id]);
  await pool.query("UPDATE jobs SET state = 'running' WHERE id = $1", [id]);
}`,
      errors: [
        {
          line: 4,
          column: 9,
          endColumn: 60,
          messageId: "resultDiscarded",
          data: {
            lock: "PostgreSQL advisory lock (`pg_try_advisory_lock`)",
            call: '`pool.query("SELECT pg_try_advisory_lock($1)", [id])`',
            failure: "false",
          },
          suggestions: [],
        },
      ],
    },
    {
      name: "node-redis v4 options object with NX, result ignored",
      code: `import { createClient } from "redis";
const client = createClient();
export async function run(key: string) {
  await client.set(key, "t", { NX: true, PX: 5000 });
  await work();
}
declare function work(): Promise<void>;`,
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "resultDiscarded",
          data: { lock: "Redis lock `key`", call: '`client.set(key, "t", { NX: true, PX: 5000 })`', failure: 'null instead of "OK"' },
        },
      ],
    },
    {
      name: "node-redis v5 condition syntax, result ignored",
      code: `import { createClient } from "redis";
const client = createClient();
export async function run(key: string) {
  await client.set(key, "t", { condition: "NX", expiration: { type: "PX", value: 5000 } });
  await work();
}
declare function work(): Promise<void>;`,
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "resultDiscarded",
          data: { lock: "Redis lock `key`", call: "`client.set(…)`", failure: 'null instead of "OK"' },
        },
      ],
    },
    {
      name: "MySQL GET_LOCK ignored",
      code: `import mysql from "mysql2/promise";
const pool = mysql.createPool({});
export async function run(name: string) {
  await pool.execute("SELECT GET_LOCK(?, 10)", [name]);
  await pool.execute("UPDATE jobs SET runs = runs + 1");
}`,
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "resultDiscarded",
          data: {
            lock: "MySQL named lock (`GET_LOCK`)",
            call: '`pool.execute("SELECT GET_LOCK(?, 10)", [name])`',
            failure: "0 on timeout and NULL on error",
          },
        },
      ],
    },
    {
      name: "SETNX of a lock key ignored, next to an INCR of another key: the lock is still unchecked",
      code: `${ioredis}export async function countAttempt(jobId: string): Promise<number> {
  await redis.setnx(\`lock:\${jobId}\`, 0);
  const attempts = await redis.incr(\`attempts:\${jobId}\`);
  await redis.del(\`lock:\${jobId}\`);
  return attempts;
}`,
      errors: [{ line: 4, column: 9, messageId: "resultDiscarded" }],
    },
  ],
});
