import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

const ioredis = `import Redis from "ioredis";
const redis = new Redis();
`;
const nodeRedis = `import { createClient } from "redis";
const client = createClient();
`;
const SCRIPT = `"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"`;
const unchecked = (lock: string, command = "DEL") => ({ messageId: "unchecked", data: { command, lock } });
const WITH_TOKEN =
  "Release with a compare-and-delete script (delete only if the value is still this holder's token), or use the runtime's Redis lease (`createRedisLockProvider`).";

const work = `
declare function work(id: string): Promise<void>;`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "compare-and-delete script",
      code: `${ioredis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
  }
}${work}`,
    },
    {
      name: "token compared first with GET",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await work(id);
  if ((await redis.get(\`lock:\${id}\`)) === token) await redis.del(\`lock:\${id}\`);
}${work}`,
    },
    {
      name: "token read into a variable, compared, then deleted",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await work(id);
  const current = await redis.get(\`lock:\${id}\`);
  if (current === token) {
    await redis.del(\`lock:\${id}\`);
  }
}${work}`,
    },
    {
      name: "DEL of a key never set with NX",
      code: `${ioredis}export async function evict(id: string) {
  await redis.set(\`cache:\${id}\`, "x", "PX", 1000);
  await redis.del(\`cache:\${id}\`);
}`,
    },
    {
      name: "DEL of another key",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.del(\`cache:\${id}\`);
}`,
    },
  ],
  invalid: [
    {
      name: "ioredis: DEL in finally, token in scope: compare-and-delete fix",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.del(\`lock:\${id}\`);
  }
}${work}`,
      errors: [
        {
          line: 8,
          column: 11,
          endLine: 8,
          endColumn: 34,
          ...unchecked("`lock:${id}`"),
          // Golden full messages and help of this rule.
          message:
            "DEL of Redis lock `lock:${id}` does not check that this caller still holds it: if the holder ran longer than the lock's expiry, another worker has taken the lock since, and this DEL deletes that worker's lock, letting a third one in while the second is still inside.",
          help: WITH_TOKEN,
          related: [{ line: 4, message: "lock taken here (SET NX)" }],
        },
      ],
      output: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
  }
}${work}`,
    },
    {
      name: "node-redis v4: UNLINK, token from randomUUID: node-redis eval syntax",
      code: `${nodeRedis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 });
  if (!ok) return;
  await work(id);
  await client.unlink(\`lock:\${id}\`);
}${work}`,
      errors: [{ line: 9, column: 9, ...unchecked("`lock:${id}`", "UNLINK") }],
      output: `${nodeRedis}import { randomUUID } from "node:crypto";
export async function run(id: string) {
  const token = randomUUID();
  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 });
  if (!ok) return;
  await work(id);
  await client.eval(${SCRIPT}, { keys: [\`lock:\${id}\`], arguments: [token] });
}${work}`,
    },
    {
      name: "constant value: no fix, message says why",
      code: `${ioredis}export async function run(id: string) {
  if (!(await redis.set("lock:" + id, "1", "NX", "PX", 10000))) return;
  await work(id);
  await redis.del("lock:" + id);
}${work}`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "uncheckedConstant",
          data: { command: "DEL", lock: '`"lock:" + id`', line: 4 },
          message:
            "DEL of Redis lock `\"lock:\" + id` does not check that this caller still holds it: if the holder ran longer than the lock's expiry, another worker has taken the lock since, and this DEL deletes that worker's lock, letting a third one in while the second is still inside. The value stored at line 4 is a constant, so holders cannot be told apart.",
          help: "Store a unique token and release with a compare-and-delete script, or use the runtime's Redis lease (`createRedisLockProvider`).",
        },
      ],
      output: null,
    },
    {
      name: "setnx lock released by a helper method of the same class (key is a bare name)",
      code: `${ioredis}export class JobLock {
  async acquire(key: string, token: string) {
    return redis.set(key, token, "PX", 30000, "NX");
  }
  async release(key: string) {
    await redis.del(key);
  }
}`,
      errors: [{ line: 8, column: 11, ...unchecked("`key`"), related: [{ line: 5 }] }],
      output: null,
    },
    {
      name: "DEL whose result is used: no fix",
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return 0;
  return redis.del(\`lock:\${id}\`);
}`,
      errors: [{ line: 5, column: 10, ...unchecked("`lock:${id}`") }],
      output: null,
    },
    {
      name: "two functions locking the same key: each DEL reported once",
      code: `${ioredis}export async function a(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.del(\`lock:\${id}\`);
}
export async function b(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.del(\`lock:\${id}\`);
}`,
      errors: [
        { line: 5, column: 9, ...unchecked("`lock:${id}`"), related: [{ line: 4 }] },
        { line: 9, column: 9, ...unchecked("`lock:${id}`"), related: [{ line: 8 }] },
      ],
      output: `${ioredis}export async function a(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
}
export async function b(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
}`,
    },
  ],
});
