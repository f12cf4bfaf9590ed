import { lockWithoutExpiry } from "../../rules/lock-without-expiry";
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, validateConfig } from "../../server/src/engine/config";
import { runRuleTests } from "../helpers/rule-tester";

const ioredis = `import Redis from "ioredis";
const redis = new Redis();
`;
const nodeRedis = `import { createClient } from "redis";
const client = createClient();
`;
const luaLocks = `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
const ACQUIRE = "return redis.call('set', KEYS[1], ARGV[1], 'NX')";
const ACQUIRE_PX = "return redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
declare function work(): Promise<void>;
`;
const SCRIPT_HELP = "Give the script's SET a positive PX (milliseconds) or EX, and pass a positive expiry.";
const noExpiry = (lock: string, command = "SET NX") => ({ messageId: "noExpiry", data: { lock, command } });
const ADD_PX = "Add PX (or EX) to the SET.";
const USE_SET = "Take it with `SET key value PX <ms> NX` instead.";

/** A set-if-absent write of a JSON value under `key` (no expiry), then `after`. */
const setOnce = (key: string, value: string, after: string) => `${ioredis}import { randomUUID } from "node:crypto";
declare function notify(orgId: string): Promise<void>;
export async function once(orgId: string) {
  const first = await redis.set(${key}, ${value}, "NX");
${after}
}`;

runRuleTests(lockWithoutExpiry, {
  valid: [
    {
      name: "a send-once marker taken with SET NX EX whose result decides the send: the expiry is in the same command",
      code: `${ioredis}declare function sendReceipt(orderId: string): Promise<void>;
export async function receiptOnce(orderId: string): Promise<void> {
  const first = await redis.set(\`receipt-sent:\${orderId}\`, "1", "EX", 86400, "NX");
  if (first !== "OK") return;
  await sendReceipt(orderId);
}`,
    },
    {
      name: "a Lua script's SET NX with PX from an argument that is a positive number",
      code: `${luaLocks}export async function run(id: string) {
  const token = randomUUID();
  if (!(await redis.eval(ACQUIRE_PX, 1, \`lock:\${id}\`, token, 30_000))) return;
  try {
    await work();
  } finally {
    await redis.eval(RELEASE, 1, \`lock:\${id}\`, token);
  }
}`,
    },
    // Work claims: the correct twins of the claim cases below.
    {
      name: "a claim on work in progress taken with an expiry",
      code: `${ioredis}declare function renderInvoice(id: string): Promise<void>;
export async function buildInvoice(invoiceId: string) {
  const claimed = await redis.set(\`invoice:\${invoiceId}:processing\`, String(process.pid), "EX", 300, "NX");
  if (!claimed) return { skipped: true };
  await renderInvoice(invoiceId);
  return { built: true };
}`,
    },
    {
      name: "a set-once marker recording that the work happened decides who does it, never deleted: at most once by design",
      code: `${ioredis}declare function sendWelcomeEmail(userId: string): Promise<void>;
export async function welcome(userId: string) {
  if (!(await redis.set(\`welcomed:\${userId}\`, "1", "NX"))) return;
  await sendWelcomeEmail(userId);
}`,
    },
    {
      // Later in the text but on the other branch: the SET never follows the SET NX, so it is no outcome of the work.
      name: "a set-once marker with a plain SET of the same key only on the other branch of the if",
      code: `${ioredis}declare function buildReport(day: string): Promise<void>;
export async function report(day: string, rebuild: boolean) {
  const key = \`report:\${day}\`;
  if (!rebuild) {
    if (!(await redis.set(key, "1", "NX"))) return;
    await buildReport(day);
  } else {
    await redis.set(key, "rebuilt");
  }
}`,
    },
    {
      name: "a key named as work in progress whose result decides nothing",
      code: `${ioredis}export async function noteImport(importId: string) {
  await redis.set(\`import:\${importId}:pending\`, Date.now().toString(), "NX");
}`,
    },
    {
      name: "ioredis NX with PX before it",
      code: `${ioredis}export async function run(id: string, token: string) {
  return redis.set(\`lock:job:\${id}\`, token, "PX", 30000, "NX");
}`,
    },
    {
      name: "ioredis NX first, EX after",
      code: `${ioredis}export async function run(id: string, token: string) {
  return redis.set("lock:" + id, token, "NX", "EX", 30);
}`,
    },
    {
      name: "PXAT",
      code: `${ioredis}export async function run(id: string, token: string) {
  return redis.set("lock:" + id, token, "PXAT", Date.now() + 5000, "NX");
}`,
    },
    {
      name: "node-redis v4 options with PX",
      code: `${nodeRedis}export async function run(id: string, token: string) {
  return client.set(\`lock:\${id}\`, token, { NX: true, PX: 10000 });
}`,
    },
    {
      name: "node-redis v5 condition + expiration",
      code: `${nodeRedis}export async function run(id: string, token: string) {
  return client.set(\`lock:\${id}\`, token, { condition: "NX", expiration: { type: "PX", value: 10000 } });
}`,
    },
    {
      name: "SETNX with PEXPIRE chained in the same MULTI",
      code: `${ioredis}export async function run(id: string) {
  return redis.multi().setnx(\`lock:\${id}\`, "1").pexpire(\`lock:\${id}\`, 30000).exec();
}`,
    },
    {
      name: "SETNX with PEXPIRE queued on the same MULTI variable",
      code: `${ioredis}export async function run(id: string) {
  const tx = redis.multi();
  tx.setnx(\`lock:\${id}\`, "1");
  tx.pexpire(\`lock:\${id}\`, 30000);
  return tx.exec();
}`,
    },
    {
      name: "SETNX with PEXPIRE queued on an alias of the same MULTI variable",
      code: `${ioredis}export async function run(id: string) {
  const tx = redis.multi();
  const queue = tx;
  tx.setnx(\`lock:\${id}\`, "1");
  queue.pexpire(\`lock:\${id}\`, 30000);
  return tx.exec();
}`,
    },
    {
      name: "set-once marker that is never deleted is not a lock",
      code: `${ioredis}export async function markProcessed(id: string) {
  return redis.set(\`processed:\${id}\`, "1", "NX");
}`,
    },
    {
      name: "SET without NX",
      code: `${ioredis}export async function run(id: string) {
  await redis.set(\`lock:\${id}\`, "1");
}`,
    },
    {
      // Never deleted: the first caller's value stays for good, by design; nobody waits for the key to go.
      name: 'a JSON "already done" flag set with NX, the work done only by the first caller',
      code: setOnce(
        "`welcome-sent:${orgId}`",
        "JSON.stringify({ done: true, at: Date.now() })",
        "  if (!first) return;\n  await notify(orgId);",
      ),
    },
    {
      name: "a set-once random id stored with NX, then read back whichever caller won",
      code: setOnce('"installation:id"', "randomUUID()", '  return (await redis.get("installation:id")) ?? first;'),
    },
    {
      name: "a SETNX whose value is its own deadline, taken over (GET, compare with the clock, SET) once it has passed",
      code: `${ioredis}export async function claimDigest(team: string, leaseSeconds: number): Promise<boolean> {
  const key = \`digest:\${team}\`;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const until = nowSeconds + leaseSeconds;
  if (await redis.setnx(key, until)) {
    await redis.expire(key, leaseSeconds);
    return true;
  }
  const held = Number((await redis.get(key)) ?? 0);
  if (held >= nowSeconds) return false;
  await redis.set(key, until);
  await redis.expire(key, leaseSeconds);
  return true;
}
export async function releaseDigest(team: string): Promise<void> {
  const key = \`digest:\${team}\`;
  await redis.del(key);
}`,
    },
  ],
  invalid: [
    {
      name: "a SETNX gate whose reply decides the enqueue, given its expiry by a later EXPIRE: a claim meant to lapse, and a crash between keeps it",
      code: `${ioredis}export async function mayEnqueue(task: string, queue: string, holdSeconds: number): Promise<boolean> {
  const gateKey = \`jobs:gate:\${task}:\${queue}\`;
  const taken = await redis.setnx(gateKey, String(Date.now() + holdSeconds * 1000));
  if (taken === 1) {
    await redis.expire(gateKey, holdSeconds);
    return true;
  }
  return false;
}`,
      errors: [{ line: 5, column: 23, messageId: "separateExpiry", data: { lock: "`gateKey`", command: "SETNX", line: 7 } }],
      output: null,
    },
    {
      name: "the same NX write deleted after the work: a lock, and one that a crash leaves forever",
      code: setOnce(
        "`welcome-sent:${orgId}`",
        "JSON.stringify({ done: true, at: Date.now() })",
        "  if (!first) return;\n  try {\n    await notify(orgId);\n  } finally {\n    await redis.del(`welcome-sent:${orgId}`);\n  }",
      ),
      errors: [{ line: 6, column: 23, ...noExpiry("`welcome-sent:${orgId}`") }],
      output: setOnce(
        "`welcome-sent:${orgId}`",
        'JSON.stringify({ done: true, at: Date.now() }), "PX", 30000',
        "  if (!first) return;\n  try {\n    await notify(orgId);\n  } finally {\n    await redis.del(`welcome-sent:${orgId}`);\n  }",
      ),
    },
    {
      name: "a Lua script's SET NX without PX/EX, run by eval",
      code: `${luaLocks}export async function run(id: string) {
  const token = randomUUID();
  if (!(await redis.eval(ACQUIRE, 1, \`lock:\${id}\`, token))) return;
  try {
    await work();
  } finally {
    await redis.eval(RELEASE, 1, \`lock:\${id}\`, token);
  }
}`,
      errors: [
        {
          line: 10,
          column: 15,
          messageId: "scriptNoExpiry",
          data: { lock: "`lock:${id}`", command: "`eval()`" },
          help: SCRIPT_HELP,
        },
      ],
    },
    {
      name: "a Lua script's SET NX PX given 0 for its expiry argument",
      code: `${luaLocks}export async function run(id: string) {
  const token = randomUUID();
  if (!(await redis.eval(ACQUIRE_PX, 1, \`lock:\${id}\`, token, 0))) return;
  try {
    await work();
  } finally {
    await redis.eval(RELEASE, 1, \`lock:\${id}\`, token);
  }
}`,
      errors: [
        {
          line: 10,
          column: 15,
          messageId: "scriptZeroExpiry",
          data: { lock: "`lock:${id}`", command: "`eval()`", argument: "`0`" },
          message:
            "Redis lock `lock:${id}` is taken by the Lua script's `SET … NX` (run by `eval()`) with an expiry of 0 (`0`): Redis rejects a zero `PX`/`EX`, so the lock is never taken, and a script that skips the expiry for 0 leaves the key forever instead.",
        },
      ],
    },
    {
      name: "a script registered with defineCommand and called as a method",
      code: `${luaLocks}redis.defineCommand("takeLock", { numberOfKeys: 1, lua: ACQUIRE });
const locks = redis as Redis & { takeLock(key: string, token: string): Promise<string | null> };
export async function run(id: string) {
  const token = randomUUID();
  if (!(await locks.takeLock(\`lock:\${id}\`, token))) return;
  try {
    await work();
  } finally {
    await redis.eval(RELEASE, 1, \`lock:\${id}\`, token);
  }
}`,
      errors: [{ line: 12, column: 15, messageId: "scriptNoExpiry", data: { lock: "`lock:${id}`", command: "`takeLock()`" } }],
    },
    {
      name: "a claim on work in progress with no expiry decides who renders the invoice",
      code: `${ioredis}declare function renderInvoice(id: string): Promise<void>;
export async function buildInvoice(invoiceId: string) {
  const claimed = await redis.set(\`invoice:\${invoiceId}:processing\`, String(process.pid), "NX");
  if (!claimed) return { skipped: true };
  await renderInvoice(invoiceId);
  return { built: true };
}`,
      errors: [{ line: 5, column: 25, ...noExpiry("`invoice:${invoiceId}:processing`"), help: ADD_PX }],
      output: `${ioredis}declare function renderInvoice(id: string): Promise<void>;
export async function buildInvoice(invoiceId: string) {
  const claimed = await redis.set(\`invoice:\${invoiceId}:processing\`, String(process.pid), "PX", 30000, "NX");
  if (!claimed) return { skipped: true };
  await renderInvoice(invoiceId);
  return { built: true };
}`,
    },
    {
      name: "a claim overwritten with the outcome when the work is done (the NX value marks it under way)",
      code: `${ioredis}declare function chargeRenewal(subscriptionId: string): Promise<void>;
export async function renew(subscriptionId: string, period: string) {
  const key = \`renewal:\${subscriptionId}:\${period}\`;
  if ((await redis.set(key, "started", "NX")) !== "OK") return;
  await chargeRenewal(subscriptionId);
  await redis.set(key, "charged");
}`,
      errors: [{ line: 6, column: 14, ...noExpiry("`key`"), help: ADD_PX }],
      output: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
declare function chargeRenewal(subscriptionId: string): Promise<void>;
export async function renew(subscriptionId: string, period: string) {
  const key = \`renewal:\${subscriptionId}:\${period}\`;
  if ((await redis.set(key, randomUUID(), "PX", 30000, "NX")) !== "OK") return;
  await chargeRenewal(subscriptionId);
  await redis.set(key, "charged");
}`,
    },
    {
      name: "ioredis positional NX, constant value: expiry and token",
      code: `${ioredis}export async function run(id: string) {
  const ok = await redis.set(\`lock:job:\${id}\`, "1", "NX");
  if (!ok) return;
  await redis.del(\`lock:job:\${id}\`);
}`,
      errors: [
        {
          line: 4,
          column: 20,
          endLine: 4,
          endColumn: 58,
          ...noExpiry("`lock:job:${id}`"),
          // Golden full messages and help of this rule.
          message: `Redis lock \`lock:job:\${id}\` is taken with SET NX and no expiry: a holder that crashes (or is killed during a deploy) before releasing it leaves the key forever, and every later caller is locked out until someone deletes it by hand.`,
          help: ADD_PX,
        },
      ],
      output: `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
export async function run(id: string) {
  const ok = await redis.set(\`lock:job:\${id}\`, randomUUID(), "PX", 30000, "NX");
  if (!ok) return;
  await redis.del(\`lock:job:\${id}\`);
}`,
    },
    {
      name: "NX in lower case with single quotes and a token value, custom TTL",
      code: `${ioredis}export async function run(key: string, token: string) {
  if (!(await redis.set(key, token, 'nx'))) throw new Error("busy");
  await redis.del(key);
}`,
      options: { defaultTtlMs: 5000 },
      errors: [{ line: 4, column: 15, ...noExpiry("`key`") }],
      output: `${ioredis}export async function run(key: string, token: string) {
  if (!(await redis.set(key, token, 'PX', 5000, 'NX'))) throw new Error("busy");
  await redis.del(key);
}`,
    },
    {
      name: "constant value compared elsewhere keeps its value",
      code: `${ioredis}export async function run(id: string) {
  await redis.set("lock:" + id, "held", "NX");
  return (await redis.get("lock:" + id)) === "held";
}`,
      errors: [{ line: 4, column: 9, ...noExpiry('`"lock:" + id`') }],
      output: `${ioredis}export async function run(id: string) {
  await redis.set("lock:" + id, "held", "PX", 30000, "NX");
  return (await redis.get("lock:" + id)) === "held";
}`,
    },
    {
      name: "node-redis v4 { NX: true }",
      code: `${nodeRedis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  const ok = await client.set(\`lock:\${id}\`, token, { NX: true });
  return ok === "OK";
}`,
      errors: [{ line: 6, column: 20, ...noExpiry("`lock:${id}`") }],
      output: `${nodeRedis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 });
  return ok === "OK";
}`,
    },
    {
      name: "node-redis v5 { condition: 'NX' }",
      code: `${nodeRedis}export async function run(id: string, token: string) {
  return client.set(\`lock:\${id}\`, token, { condition: "NX" });
}`,
      errors: [{ line: 4, column: 10, ...noExpiry("`lock:${id}`") }],
      output: `${nodeRedis}export async function run(id: string, token: string) {
  return client.set(\`lock:\${id}\`, token, { condition: "NX", expiration: { type: "PX", value: 30000 } });
}`,
    },
    {
      name: "ioredis setnx used as a condition becomes SET PX NX",
      code: `${ioredis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const acquired = await redis.setnx(\`lock:\${id}\`, "1");
  if (!acquired) return false;
  return true;
}`,
      errors: [{ line: 5, column: 26, ...noExpiry("`lock:${id}`", "SETNX"), help: USE_SET }],
      output: `${ioredis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const acquired = await redis.set(\`lock:\${id}\`, randomUUID(), "PX", 30000, "NX");
  if (!acquired) return false;
  return true;
}`,
    },
    {
      name: "node-redis setNX becomes set with options",
      code: `${nodeRedis}export async function run(id: string, token: string) {
  if (await client.setNX(\`lock:\${id}\`, token)) return true;
  return false;
}`,
      errors: [{ line: 4, column: 13, ...noExpiry("`lock:${id}`", "SETNX") }],
      output: `${nodeRedis}export async function run(id: string, token: string) {
  if (await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 })) return true;
  return false;
}`,
    },
    {
      name: "setnx whose 1/0 result is compared: no fix (SET returns OK/null)",
      code: `${ioredis}export async function run(id: string, token: string) {
  const n = await redis.setnx(\`lock:\${id}\`, token);
  return n === 1;
}`,
      errors: [{ line: 4, column: 19, ...noExpiry("`lock:${id}`", "SETNX") }],
      output: null,
    },
    {
      name: "setnx followed by a separate PEXPIRE: window between the two, no fix",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.setnx(\`lock:\${id}\`, token))) return;
  await redis.pexpire(\`lock:\${id}\`, 30000);
}`,
      errors: [
        {
          line: 4,
          column: 15,
          messageId: "separateExpiry",
          data: { lock: "`lock:${id}`", command: "SETNX", line: 5 },
          message: `Redis lock \`lock:\${id}\` is taken with SETNX and no expiry: its expiry is set by a separate command at line 5, so a holder that crashes between the two leaves the key without expiry, and every later caller is locked out until someone deletes it by hand.`,
          help: USE_SET,
          related: [{ line: 5, message: "expiry set here, as a separate command" }],
        },
      ],
      output: null,
    },
    {
      name: "a SETNX whose value is a deadline that nothing reads back: a crash before its EXPIRE keeps the key forever",
      code: `${ioredis}export async function claimDigest(team: string, leaseSeconds: number): Promise<boolean> {
  const until = Math.floor(Date.now() / 1000) + leaseSeconds;
  if (!(await redis.setnx(\`digest:\${team}\`, until))) return false;
  await redis.expire(\`digest:\${team}\`, leaseSeconds);
  return true;
}
export async function releaseDigest(team: string): Promise<void> {
  await redis.del(\`digest:\${team}\`);
}`,
      errors: [{ line: 5, column: 15, messageId: "separateExpiry", data: { lock: "`digest:${team}`", command: "SETNX", line: 6 } }],
      output: null,
    },
    {
      name: "a PEXPIRE of the key in the other branch of the if never runs after the SETNX: no expiry, not a separate one",
      code: `${ioredis}export async function run(id: string, token: string, renew: boolean) {
  if (!renew) {
    const n = await redis.setnx(\`lock:\${id}\`, token);
    return n === 1;
  } else {
    await redis.pexpire(\`lock:\${id}\`, 30000);
  }
}`,
      errors: [{ line: 5, column: 21, ...noExpiry("`lock:${id}`", "SETNX") }],
      output: null,
    },
    {
      name: "SETNX in a MULTI without PEXPIRE",
      code: `${ioredis}export async function run(id: string) {
  return redis.multi().setnx(\`lock:\${id}\`, "1").exec();
}`,
      errors: [{ line: 4, column: 10, ...noExpiry("`lock:${id}`", "SETNX") }],
      output: null,
    },
    {
      name: "key without 'lock' in its name, but deleted later: a lock",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`job:\${id}\`, token, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.del(\`job:\${id}\`);
  }
}
declare function work(id: string): Promise<void>;`,
      errors: [{ line: 4, column: 15, ...noExpiry("`job:${id}`") }],
      output: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`job:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.del(\`job:\${id}\`);
  }
}
declare function work(id: string): Promise<void>;`,
    },
  ],
});

test("defaultTtlMs must be a positive whole number of milliseconds (Redis's PX), checked by the configuration", () => {
  const accepts = (defaultTtlMs: unknown) => {
    try {
      validateConfig({ rules: { "lock-without-expiry": ["error", { defaultTtlMs }] } }, "locksmith.json", [lockWithoutExpiry]);
      return true;
    } catch (error) {
      if (error instanceof ConfigError) return false;
      throw error;
    }
  };
  assert.deepEqual([1, 5000, 0, -1, 1500.5, "5000"].map(accepts), [true, true, false, false, false, false]);
});
