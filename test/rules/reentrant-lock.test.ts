import { reentrantLock } from "../../rules/reentrant-lock";
import { runRuleTests } from "../helpers/rule-tester";

const HANGS = "the lock is not reentrant, so the second acquisition waits for the first, which is never released: this hangs forever. Call a variant that assumes the lock is held, or release it before the call.";
const REFUSED = "the key is already taken by this same owner, so the second acquisition fails (or waits until the first one expires). Call a variant that assumes the lock is held, or release it before the call.";
const inventory = `import { Mutex } from "async-mutex";\nexport class Inventory {\n  private readonly lock = new Mutex();\n`;

runRuleTests(reentrantLock, {
  valid: [
    { name: "released before the second acquisition", code: `${inventory}  async run() {\n    const release = await this.lock.acquire();\n    release();\n    await this.lock.runExclusive(async () => {});\n  }\n}` },
    { name: "two different mutexes", code: `import { Mutex } from "async-mutex";\nconst a = new Mutex();\nconst b = new Mutex();\nexport async function run() {\n  await a.runExclusive(async () => {\n    await b.runExclusive(async () => {});\n  });\n}` },
    { name: "a callee called after the lock is released", code: `${inventory}  async reserve() {\n    await this.lock.runExclusive(async () => {});\n    await this.restock();\n  }\n  async restock() {\n    await this.lock.runExclusive(async () => {});\n  }\n}` },
    { name: "different keys of a keyed lock (argument order is another rule)", code: `import { LockManager } from "@locksmith/runtime";\nconst locks = new LockManager();\nexport async function run(a: string, b: string) {\n  await locks.lock(a, async () => {\n    await locks.lock(b, async () => {});\n  });\n}` },
    { name: "PostgreSQL advisory locks are reentrant per session", code: `import { Pool } from "pg";\nconst pool = new Pool();\nexport async function run(id: number) {\n  const client = await pool.connect();\n  await client.query("SELECT pg_advisory_lock($1)", [id]);\n  await client.query("SELECT pg_advisory_lock($1)", [id]);\n  await client.query("SELECT pg_advisory_unlock_all()");\n}` },
    { name: "a recursive-looking call to a different object's method is not resolved to this one", code: `${inventory}  async run(other: { restock(): Promise<void> }) {\n    await this.lock.runExclusive(async () => {\n      await other.restock();\n    });\n  }\n  async restock() {\n    await this.lock.runExclusive(async () => {});\n  }\n}` },
  ],
  invalid: [
    {
      name: "directly nested",
      code: `${inventory}  async run() {\n    const release = await this.lock.acquire();\n    try {\n      await this.lock.runExclusive(async () => {});\n    } finally {\n      release();\n    }\n  }\n}`,
      errors: [{ line: 7, column: 13, endColumn: 51, message: `\`Inventory.run\` acquires \`Inventory.lock\` while already holding it: ${HANGS}`, related: [{ line: 5, message: "`Inventory.lock` acquired here by `Inventory.run`" }] }],
    },
    {
      name: "through a this. call",
      code: `${inventory}  async reserve(sku: string) {\n    await this.lock.runExclusive(async () => {\n      await this.restock(sku);\n    });\n  }\n  async restock(sku: string) {\n    await this.lock.runExclusive(async () => {\n      console.log(sku);\n    });\n  }\n}`,
      errors: [
        {
          line: 6,
          column: 13,
          message: `\`Inventory.reserve\` holds \`Inventory.lock\` and calls \`Inventory.restock\`, which acquires it again: ${HANGS}`,
          related: [{ line: 5 }, { line: 10, message: "`Inventory.lock` acquired here by `Inventory.restock` while `Inventory.lock` is held" }],
        },
      ],
    },
    {
      name: "through two levels of calls across files",
      files: { "src/audit.ts": `import { ordersLock } from "./file";\nexport async function audit() {\n  await record();\n}\nasync function record() {\n  await ordersLock.runExclusive(async () => {});\n}` },
      code: `import { Mutex } from "async-mutex";\nimport { audit } from "./audit";\nexport const ordersLock = new Mutex();\nexport async function placeOrder() {\n  await ordersLock.runExclusive(async () => {\n    await audit();\n  });\n}`,
      errors: [
        {
          line: 6,
          column: 11,
          message: `\`placeOrder\` holds \`ordersLock\` and calls \`audit\`, which calls \`record\`, which acquires it again: ${HANGS}`,
          related: [{ line: 5 }, { line: 3, filename: "src/audit.ts" }, { line: 6, filename: "src/audit.ts" }],
        },
      ],
    },
    {
      name: "the same key of a keyed lock, passed through a call",
      code: `import { LockManager } from "@locksmith/runtime";\nconst locks = new LockManager();\nasync function audit(accountId: string) {\n  await locks.lock(accountId, async () => {});\n}\nexport async function withdraw(id: string) {\n  await locks.lock(id, async () => {\n    await audit(id);\n  });\n}`,
      errors: [{ line: 8, column: 11, message: `\`withdraw\` holds \`locks[key]\` and calls \`audit\`, which acquires it again: ${HANGS}` }],
    },
    {
      name: "the same Redis lock key",
      code: `import Redis from "ioredis";\nconst redis = new Redis();\nexport async function run(id: string) {\n  await redis.set(\`lock:job:\${id}\`, "1", "PX", 5000, "NX");\n  await redis.set(\`lock:job:\${id}\`, "1", "PX", 5000, "NX");\n  await redis.del(\`lock:job:\${id}\`);\n}`,
      errors: [{ line: 5, column: 9, message: `\`run\` acquires \`lock:job:\${…}\` while already holding it: ${REFUSED}` }],
    },
  ],
});
