import { lockWithoutExpiry } from "../../rules/lock-without-expiry";
import { runRuleTests } from "../helpers/rule-tester";

const ioredis = `import Redis from "ioredis";\nconst redis = new Redis();\n`;
const nodeRedis = `import { createClient } from "redis";\nconst client = createClient();\n`;
const MESSAGE = (key: string, command = "SET NX") =>
  `Redis lock ${key} is taken with ${command} and no expiry: a holder that crashes (or is killed during a deploy) before releasing it leaves the key forever, and every later caller is locked out until someone deletes it by hand. ${command === "SETNX" ? "Take it with `SET key value PX <ms> NX` instead" : "Add PX (or EX) to the SET"}.`;

runRuleTests(lockWithoutExpiry, {
  valid: [
    { name: "ioredis NX with PX before it", code: `${ioredis}export async function run(id: string, token: string) {\n  return redis.set(\`lock:job:\${id}\`, token, "PX", 30000, "NX");\n}` },
    { name: "ioredis NX first, EX after", code: `${ioredis}export async function run(id: string, token: string) {\n  return redis.set("lock:" + id, token, "NX", "EX", 30);\n}` },
    { name: "PXAT", code: `${ioredis}export async function run(id: string, token: string) {\n  return redis.set("lock:" + id, token, "PXAT", Date.now() + 5000, "NX");\n}` },
    { name: "node-redis v4 options with PX", code: `${nodeRedis}export async function run(id: string, token: string) {\n  return client.set(\`lock:\${id}\`, token, { NX: true, PX: 10000 });\n}` },
    { name: "node-redis v5 condition + expiration", code: `${nodeRedis}export async function run(id: string, token: string) {\n  return client.set(\`lock:\${id}\`, token, { condition: "NX", expiration: { type: "PX", value: 10000 } });\n}` },
    { name: "SETNX with PEXPIRE chained in the same MULTI", code: `${ioredis}export async function run(id: string) {\n  return redis.multi().setnx(\`lock:\${id}\`, "1").pexpire(\`lock:\${id}\`, 30000).exec();\n}` },
    {
      name: "SETNX with PEXPIRE queued on the same MULTI variable",
      code: `${ioredis}export async function run(id: string) {\n  const tx = redis.multi();\n  tx.setnx(\`lock:\${id}\`, "1");\n  tx.pexpire(\`lock:\${id}\`, 30000);\n  return tx.exec();\n}`,
    },
    { name: "set-once marker that is never deleted is not a lock", code: `${ioredis}export async function markProcessed(id: string) {\n  return redis.set(\`processed:\${id}\`, "1", "NX");\n}` },
    { name: "SET without NX", code: `${ioredis}export async function run(id: string) {\n  await redis.set(\`lock:\${id}\`, "1");\n}` },
  ],
  invalid: [
    {
      name: "ioredis positional NX, constant value: expiry and token",
      code: `${ioredis}export async function run(id: string) {\n  const ok = await redis.set(\`lock:job:\${id}\`, "1", "NX");\n  if (!ok) return;\n  await redis.del(\`lock:job:\${id}\`);\n}`,
      errors: [{ line: 4, column: 20, endLine: 4, endColumn: 58, message: MESSAGE("`lock:job:${id}`") }],
      output: `import Redis from "ioredis";\nimport { randomUUID } from "node:crypto";\nconst redis = new Redis();\nexport async function run(id: string) {\n  const ok = await redis.set(\`lock:job:\${id}\`, randomUUID(), "PX", 30000, "NX");\n  if (!ok) return;\n  await redis.del(\`lock:job:\${id}\`);\n}`,
    },
    {
      name: "NX in lower case with single quotes and a token value, custom TTL",
      code: `${ioredis}export async function run(key: string, token: string) {\n  if (!(await redis.set(key, token, 'nx'))) throw new Error("busy");\n  await redis.del(key);\n}`,
      options: { defaultTtlMs: 5000 },
      errors: [{ line: 4, column: 15, message: MESSAGE("`key`") }],
      output: `${ioredis}export async function run(key: string, token: string) {\n  if (!(await redis.set(key, token, 'PX', 5000, 'NX'))) throw new Error("busy");\n  await redis.del(key);\n}`,
    },
    {
      name: "constant value compared elsewhere keeps its value",
      code: `${ioredis}export async function run(id: string) {\n  await redis.set("lock:" + id, "held", "NX");\n  return (await redis.get("lock:" + id)) === "held";\n}`,
      errors: [{ line: 4, column: 9, message: MESSAGE('`"lock:" + id`') }],
      output: `${ioredis}export async function run(id: string) {\n  await redis.set("lock:" + id, "held", "PX", 30000, "NX");\n  return (await redis.get("lock:" + id)) === "held";\n}`,
    },
    {
      name: "node-redis v4 { NX: true }",
      code: `${nodeRedis}import { randomUUID } from "node:crypto";\nexport async function run(id: string) {\n  const token = randomUUID();\n  const ok = await client.set(\`lock:\${id}\`, token, { NX: true });\n  return ok === "OK";\n}`,
      errors: [{ line: 6, column: 20, message: MESSAGE("`lock:${id}`") }],
      output: `${nodeRedis}import { randomUUID } from "node:crypto";\nexport async function run(id: string) {\n  const token = randomUUID();\n  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 });\n  return ok === "OK";\n}`,
    },
    {
      name: "node-redis v5 { condition: 'NX' }",
      code: `${nodeRedis}export async function run(id: string, token: string) {\n  return client.set(\`lock:\${id}\`, token, { condition: "NX" });\n}`,
      errors: [{ line: 4, column: 10, message: MESSAGE("`lock:${id}`") }],
      output: `${nodeRedis}export async function run(id: string, token: string) {\n  return client.set(\`lock:\${id}\`, token, { condition: "NX", expiration: { type: "PX", value: 30000 } });\n}`,
    },
    {
      name: "ioredis setnx used as a condition becomes SET PX NX",
      code: `${ioredis}import { randomUUID } from "node:crypto";\nexport async function run(id: string) {\n  const acquired = await redis.setnx(\`lock:\${id}\`, "1");\n  if (!acquired) return false;\n  return true;\n}`,
      errors: [{ line: 5, column: 26, message: MESSAGE("`lock:${id}`", "SETNX") }],
      output: `${ioredis}import { randomUUID } from "node:crypto";\nexport async function run(id: string) {\n  const acquired = await redis.set(\`lock:\${id}\`, randomUUID(), "PX", 30000, "NX");\n  if (!acquired) return false;\n  return true;\n}`,
    },
    {
      name: "node-redis setNX becomes set with options",
      code: `${nodeRedis}export async function run(id: string, token: string) {\n  if (await client.setNX(\`lock:\${id}\`, token)) return true;\n  return false;\n}`,
      errors: [{ line: 4, column: 13, message: MESSAGE("`lock:${id}`", "SETNX") }],
      output: `${nodeRedis}export async function run(id: string, token: string) {\n  if (await client.set(\`lock:\${id}\`, token, { NX: true, PX: 30000 })) return true;\n  return false;\n}`,
    },
    {
      name: "setnx whose 1/0 result is compared: no fix (SET returns OK/null)",
      code: `${ioredis}export async function run(id: string, token: string) {\n  const n = await redis.setnx(\`lock:\${id}\`, token);\n  return n === 1;\n}`,
      errors: [{ line: 4, column: 19, message: MESSAGE("`lock:${id}`", "SETNX") }],
      output: null,
    },
    {
      name: "setnx followed by a separate PEXPIRE: window between the two, no fix",
      code: `${ioredis}export async function run(id: string, token: string) {\n  if (!(await redis.setnx(\`lock:\${id}\`, token))) return;\n  await redis.pexpire(\`lock:\${id}\`, 30000);\n}`,
      errors: [
        {
          line: 4,
          column: 15,
          message: "Redis lock `lock:${id}` is taken with SETNX and no expiry: its expiry is set by a separate command at line 5, so a holder that crashes between the two leaves the key without expiry, and every later caller is locked out until someone deletes it by hand. Take it with `SET key value PX <ms> NX` instead.",
          related: [{ line: 5, message: "expiry set here, as a separate command" }],
        },
      ],
      output: null,
    },
    {
      name: "SETNX in a MULTI without PEXPIRE",
      code: `${ioredis}export async function run(id: string) {\n  return redis.multi().setnx(\`lock:\${id}\`, "1").exec();\n}`,
      errors: [{ line: 4, column: 10, message: MESSAGE("`lock:${id}`", "SETNX") }],
      output: null,
    },
    {
      name: "key without 'lock' in its name, but deleted later: a lock",
      code: `${ioredis}export async function run(id: string, token: string) {\n  if (!(await redis.set(\`job:\${id}\`, token, "NX"))) return;\n  try {\n    await work(id);\n  } finally {\n    await redis.del(\`job:\${id}\`);\n  }\n}\ndeclare function work(id: string): Promise<void>;`,
      errors: [{ line: 4, column: 15, message: MESSAGE("`job:${id}`") }],
      output: `${ioredis}export async function run(id: string, token: string) {\n  if (!(await redis.set(\`job:\${id}\`, token, "PX", 30000, "NX"))) return;\n  try {\n    await work(id);\n  } finally {\n    await redis.del(\`job:\${id}\`);\n  }\n}\ndeclare function work(id: string): Promise<void>;`,
    },
  ],
});
