import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests, type InvalidCase } from "../helpers/rule-tester";

const ADVICE = "Move the call before the critical section when its inputs are ready before the lock, or split the section: read under the lock, make the call without it, then re-acquire and re-validate (see the rule's documentation).";
const MUTEX_COST = (lock: string) => `every other caller waiting for ${lock} waits for it too. ${ADVICE}`;
const LEASE_COST = `if it outlasts the lease, the lock expires mid-call and a second holder can enter the critical section while this one is still in it. ${ADVICE}`;
const TX_COST = `every transaction that touches those rows waits for it, and the connection stays checked out of the pool meanwhile. ${ADVICE}`;
const HTTP = "makes an HTTP request, as slow as the remote service";

const repo = `declare const repo: { load(id: string): Promise<{ total: number }>; save(id: string, total: number): Promise<void> };\n`;

/** A critical section around `slow` (one awaited statement) between a repo load and save, under an async-mutex. */
function underMutex(imports: string, slow: string): string {
  return `import { Mutex } from "async-mutex";\n${imports}${repo}const lock = new Mutex();\nexport async function update(id: string) {\n  await lock.runExclusive(async () => {\n    const order = await repo.load(id);\n    ${slow}\n    await repo.save(id, order.total);\n  });\n}\n`;
}

/** Every default slow call, each under the same mutex; the slow statement is on `line`. */
function slowCallCase(name: string, imports: string, slow: string, callee: string, reason: string): InvalidCase {
  const code = underMutex(imports, slow);
  const line = code.split("\n").findIndex((l) => l.includes(slow)) + 1;
  return { name, code, errors: [{ line, column: 5, message: `\`${callee}\` ${reason}, and it is awaited while holding \`lock\`: ${MUTEX_COST("`lock`")}`, related: [{ line: line - 2, message: "`lock` taken here" }] }] };
}

runRuleTests(lockAcrossAwait, {
  valid: [
    { name: "database calls inside the critical section only", code: underMutex("", "await repo.load(id);") },
    {
      name: "single-flight: a mutex around nothing but the slow call",
      code: `import { Mutex } from "async-mutex";\nconst lock = new Mutex();\nlet cached: unknown;\nexport async function token() {\n  return lock.runExclusive(async () => {\n    if (!cached) cached = await (await fetch("https://auth/token")).json();\n    return cached;\n  });\n}\n`,
    },
    {
      name: "semaphores bound concurrency on purpose",
      code: `import { Semaphore } from "async-mutex";\n${repo}const permits = new Semaphore(4);\nexport async function run(id: string) {\n  await permits.runExclusive(async () => {\n    await repo.load(id);\n    await fetch("https://x");\n  });\n}\n`,
    },
    {
      name: "slow call after the release in finally",
      code: `import { Mutex } from "@locksmith/runtime";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  const handle = await lock.acquire();\n  try {\n    const order = await repo.load(id);\n    await repo.save(id, order.total + 1);\n  } finally {\n    handle.release();\n  }\n  await fetch("https://hooks/updated");\n}\n`,
    },
    {
      name: "slow call before the critical section",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  const rate = await (await fetch("https://rates")).json();\n  await lock.runExclusive(async () => {\n    const order = await repo.load(id);\n    await repo.save(id, order.total * rate);\n  });\n}\n`,
    },
    {
      name: "slow call in a nested callback that runs later",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    const order = await repo.load(id);\n    setImmediate(async () => { await fetch("https://later"); });\n    await repo.save(id, order.total);\n  });\n}\n`,
    },
    {
      name: "Redis lease: sleeping in the spin loop while the lock is busy",
      code: `import Redis from "ioredis";\nconst redis = new Redis();\nexport async function run(id: string, token: string) {\n  while (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) {\n    await new Promise((resolve) => setTimeout(resolve, 50));\n  }\n  await redis.del(\`lock:\${id}\`);\n}\n`,
    },
    {
      name: "Redis lease: retry with sleep when SET NX failed",
      code: `import Redis from "ioredis";\nconst redis = new Redis();\nexport async function run(id: string, token: string) {\n  for (;;) {\n    const ok = await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX");\n    if (ok) break;\n    await new Promise((resolve) => setTimeout(resolve, 50));\n  }\n}\n`,
    },
    {
      name: "pg transaction: slow call before the first row lock and after COMMIT",
      code: `import { Pool } from "pg";\nconst pool = new Pool();\nexport async function run(id: string) {\n  const client = await pool.connect();\n  try {\n    await client.query("BEGIN");\n    const quote = await (await fetch("https://quotes")).json();\n    await client.query("UPDATE orders SET price = $1 WHERE id = $2", [quote.price, id]);\n    await client.query("COMMIT");\n    await fetch("https://hooks/priced");\n  } finally {\n    client.release();\n  }\n}\n`,
    },
    {
      name: "TypeORM and Sequelize: unlocked reads in a transaction hold no row lock yet",
      code: `import { DataSource } from "typeorm";\nimport { Sequelize } from "sequelize";\nimport { Order } from "./order";\nexport async function run(dataSource: DataSource, id: string) {\n  await dataSource.transaction(async (manager) => {\n    const o = await manager.createQueryBuilder(Order, "o").where("o.id = :id", { id }).getOne();\n    await fetch("https://hooks");\n  });\n}\nexport async function runSequelize(sequelize: Sequelize, id: string) {\n  await sequelize.transaction(async (t) => {\n    await Order.findByPk(id, { transaction: t });\n    await fetch("https://hooks");\n  });\n}\n`,
    },
    {
      name: "prisma transaction with only database calls",
      code: `import { PrismaClient } from "@prisma/client";\nconst prisma = new PrismaClient();\nexport async function run(id: string) {\n  await prisma.$transaction(async (tx) => {\n    await tx.order.update({ where: { id }, data: { total: { increment: 1 } } });\n    await tx.auditLog.create({ data: { id } });\n  });\n}\n`,
    },
    {
      name: "project function that does only database work",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nasync function recompute(id: string) {\n  const order = await repo.load(id);\n  await repo.save(id, order.total);\n}\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    await recompute(id);\n    await recompute(id);\n  });\n}\n`,
    },
    {
      name: "a local function named fetch is project code, not HTTP",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nasync function fetch(id: string) { return repo.load(id); }\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    const order = await fetch(id);\n    await repo.save(id, order.total);\n  });\n}\n`,
    },
  ],
  invalid: [
    // ---- every default slow call, under an async-mutex runExclusive
    slowCallCase("global fetch", "", `await fetch(\`https://rates/\${id}\`);`, "fetch", HTTP),
    slowCallCase("axios default export", `import axios from "axios";\n`, `await axios.post("https://hooks", { id });`, "axios.post", HTTP),
    slowCallCase("axios instance from axios.create", `import axios from "axios";\nconst api = axios.create({ baseURL: "https://api" });\n`, `await api.get(\`/orders/\${id}\`);`, "api.get", HTTP),
    slowCallCase("got with .json()", `import got from "got";\n`, `await got(\`https://api/\${id}\`).json();`, "got", HTTP),
    slowCallCase("undici request", `import { request } from "undici";\n`, `await request("https://api");`, "request", HTTP),
    slowCallCase("node-fetch", `import nodeFetch from "node-fetch";\n`, `await nodeFetch("https://api");`, "nodeFetch", HTTP),
    slowCallCase("ky", `import ky from "ky";\n`, `await ky.get("https://api").json();`, "ky.get", HTTP),
    slowCallCase("superagent", `import superagent from "superagent";\n`, `await superagent.post("https://api").send({ id });`, "superagent.post", HTTP),
    slowCallCase("https.get wrapped in a promise", `import https from "node:https";\n`, `await new Promise((resolve) => https.get("https://api", resolve));`, "https.get", HTTP),
    slowCallCase("Stripe client in a module variable", `import Stripe from "stripe";\nconst stripe = new Stripe("sk");\n`, `await stripe.charges.create({ amount: 100, currency: "usd" });`, "stripe.charges.create", "calls the Stripe API over HTTP"),
    slowCallCase("AWS SDK v3 client", `import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";\nconst s3 = new S3Client({});\n`, `await s3.send(new PutObjectCommand({ Bucket: "b", Key: id }));`, "s3.send", "calls the AWS API over HTTP"),
    slowCallCase("OpenAI", `import OpenAI from "openai";\nconst openai = new OpenAI();\n`, `await openai.chat.completions.create({ model: "m", messages: [] });`, "openai.chat.completions.create", "calls the OpenAI API over HTTP"),
    slowCallCase("SendGrid", `import sgMail from "@sendgrid/mail";\n`, `await sgMail.send({ to: "a@b.c", from: "d@e.f", subject: id, text: id });`, "sgMail.send", "calls the SendGrid API over HTTP"),
    slowCallCase("Twilio", `import twilio from "twilio";\nconst sms = twilio("sid", "token");\n`, `await sms.messages.create({ to: "+1", from: "+2", body: id });`, "sms.messages.create", "calls the Twilio API over HTTP"),
    slowCallCase("nodemailer sendMail", `import nodemailer from "nodemailer";\nconst mailer = nodemailer.createTransport({});\n`, `await mailer.sendMail({ to: "a@b.c", text: id });`, "mailer.sendMail", "sends an email over SMTP"),
    slowCallCase("setTimeout sleep", "", `await new Promise((resolve) => setTimeout(resolve, 1000));`, "setTimeout", "sleeps"),
    slowCallCase("timers/promises setTimeout", `import { setTimeout as sleep } from "node:timers/promises";\n`, `await sleep(1000);`, "sleep", "sleeps"),
    slowCallCase("promisified child_process exec", `import { exec } from "node:child_process";\nimport { promisify } from "node:util";\nconst run = promisify(exec);\n`, `await run(\`convert \${id}.png \${id}.pdf\`);`, "run", "waits for a child process"),
    {
      name: "configured slow call",
      code: underMutex(`import { geocode } from "@acme/geo";\n`, "await geocode(id);"),
      options: { slowCalls: [{ module: "@acme/geo", call: "geocode", reason: "calls the geocoding service" }] },
      errors: [{ line: 8, column: 5, message: /^`geocode` calls the geocoding service, and it is awaited while holding `lock`/ }],
    },
    // ---- mutex forms
    {
      name: "async-mutex acquire … release in finally",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  const release = await lock.acquire();\n  try {\n    const order = await repo.load(id);\n    await fetch("https://hooks");\n    await repo.save(id, order.total);\n  } finally {\n    release();\n  }\n}\n`,
      errors: [{ line: 8, column: 5, message: `\`fetch\` ${HTTP}, and it is awaited while holding \`lock\`: ${MUTEX_COST("`lock`")}`, related: [{ line: 5 }] }],
    },
    {
      name: "runtime Mutex.run and this.lock",
      code: `import { Mutex } from "@locksmith/runtime";\n${repo}export class Orders {\n  private readonly lock = new Mutex();\n  async run(id: string) {\n    await this.lock.run(async () => {\n      const order = await repo.load(id);\n      await fetch("https://hooks");\n      await repo.save(id, order.total);\n    });\n  }\n}\n`,
      errors: [{ line: 8, column: 7, message: /while holding `this\.lock`: every other caller waiting for `this\.lock` waits for it too/ }],
    },
    {
      name: "runtime LockManager.lock(key, fn)",
      code: `import { LockManager } from "@locksmith/runtime";\n${repo}const locks = new LockManager();\nexport async function run(id: string) {\n  await locks.lock(id, async () => {\n    const order = await repo.load(id);\n    await fetch("https://hooks");\n    await repo.save(id, order.total);\n  });\n}\n`,
      errors: [{ line: 7, column: 5, message: /while holding `locks` key `id`/ }],
    },
    {
      name: "runtime lockAll(keys, fn)",
      code: `import { lockAll } from "@locksmith/runtime";\n${repo}export async function run(a: string, b: string) {\n  await lockAll([a, b], async () => {\n    const order = await repo.load(a);\n    await fetch("https://hooks");\n    await repo.save(b, order.total);\n  });\n}\n`,
      errors: [{ line: 6, column: 5, message: /while holding `lockAll\(\[a, b\]\)`/ }],
    },
    {
      name: "await using a runtime handle",
      code: `import { Mutex } from "@locksmith/runtime";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  {\n    await using handle = await lock.acquire();\n    const order = await repo.load(id);\n    await fetch("https://hooks");\n    await repo.save(id, order.total);\n  }\n  await fetch("https://after");\n}\n`,
      errors: [{ line: 8, column: 5 }],
    },
    {
      name: "released on an early-return path only: still held on the main path",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  const release = await lock.acquire();\n  const order = await repo.load(id);\n  if (order.total === 0) {\n    release();\n    return;\n  }\n  await fetch("https://hooks");\n  await repo.save(id, order.total);\n  release();\n}\n`,
      errors: [{ line: 11, column: 3 }],
    },
    // ---- interprocedural chains
    {
      name: "chain of one: `enrich` calls `fetch`",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nasync function enrich(id: string) {\n  const res = await fetch(\`https://catalog/\${id}\`);\n  return res.json();\n}\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    const order = await repo.load(id);\n    await enrich(id);\n    await repo.save(id, order.total);\n  });\n}\n`,
      errors: [{ line: 11, column: 5, message: `\`enrich\` calls \`fetch\`, which ${HTTP}, and it is awaited while holding \`lock\`: ${MUTEX_COST("`lock`")}`, related: [{ line: 9, message: "`lock` taken here" }, { line: 5, message: "`fetch` called here" }] }],
    },
    {
      name: "chain of two through a method and a returned promise",
      code: `import { Mutex } from "async-mutex";\nimport axios from "axios";\n${repo}const lock = new Mutex();\nclass Catalog {\n  price(id: string) {\n    return axios.get(\`https://catalog/\${id}\`);\n  }\n  async enrich(id: string) {\n    return (await this.price(id)).data;\n  }\n}\nconst catalog = new Catalog();\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    const order = await repo.load(id);\n    await catalog.enrich(id);\n    await repo.save(id, order.total);\n  });\n}\n`,
      errors: [{ line: 17, column: 5, message: /^`Catalog\.enrich` calls `Catalog\.price`, which calls `axios\.get`, which makes an HTTP request/, related: [{ line: 15 }, { line: 7 }] }],
    },
    {
      name: "chain of three across files",
      code: `import { Mutex } from "async-mutex";\nimport { syncOrder } from "./sync";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    const order = await repo.load(id);\n    await syncOrder(id);\n    await repo.save(id, order.total);\n  });\n}\n`,
      files: {
        "src/sync.ts": `import { notify } from "./notify";\nexport async function syncOrder(id: string) {\n  await notify(id);\n}\n`,
        "src/notify.ts": `const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));\nexport async function notify(id: string) {\n  await sleep(100);\n  return id;\n}\n`,
      },
      errors: [{ line: 8, column: 5, message: /^`syncOrder` calls `notify`, which calls `sleep`, which calls `setTimeout`, which sleeps, and it is awaited while holding `lock`/, related: [{ line: 6 }, { line: 1, filename: "src/notify.ts", message: "`setTimeout` called here" }] }],
    },
    // ---- leases
    {
      name: "ioredis SET NX PX lease",
      code: `import Redis from "ioredis";\nimport { randomUUID } from "node:crypto";\nconst redis = new Redis();\nexport async function run(id: string) {\n  const token = randomUUID();\n  if (!(await redis.set(\`lock:invoice:\${id}\`, token, "PX", 30000, "NX"))) return;\n  try {\n    await fetch(\`https://billing/\${id}\`);\n  } finally {\n    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, \`lock:invoice:\${id}\`, token);\n  }\n  await fetch("https://after");\n}\n`,
      errors: [{ line: 8, column: 5, message: `\`fetch\` ${HTTP}, and it is awaited while holding Redis lock \`lock:invoice:\${id}\`: ${LEASE_COST}`, related: [{ line: 6, message: "Redis lock `lock:invoice:${id}` taken here" }] }],
    },
    {
      name: "node-redis v4 options object, `if (ok)` success branch",
      code: `import { createClient } from "redis";\nconst client = createClient();\nexport async function run(id: string, token: string) {\n  const ok = await client.set(\`lock:\${id}\`, token, { NX: true, PX: 10000 });\n  if (ok === "OK") {\n    await fetch("https://x");\n  } else {\n    await fetch("https://busy");\n  }\n}\n`,
      errors: [{ line: 6, column: 5, message: /lock expires mid-call/ }],
    },
    {
      name: "node-redis v5 condition / expiration",
      code: `import { createClient } from "redis";\nconst client = createClient();\nexport async function run(id: string, token: string) {\n  if (!(await client.set(\`lock:\${id}\`, token, { condition: "NX", expiration: { type: "PX", value: 10000 } }))) return;\n  await fetch("https://x");\n}\n`,
      errors: [{ line: 5, column: 3, message: /lock expires mid-call/ }],
    },
    {
      name: "'NX' before PX, and setnx without expiry (no expiry: other processes wait)",
      code: `import Redis from "ioredis";\nconst redis = new Redis();\nexport async function a(id: string, t: string) {\n  if (!(await redis.set("lock:" + id, t, "NX", "PX", 5000))) return;\n  await fetch("https://a");\n}\nexport async function b(id: string, t: string) {\n  if (!(await redis.setnx("lock:" + id, t))) return;\n  await fetch("https://b");\n}\n`,
      errors: [
        { line: 5, column: 3, message: /lock expires mid-call/ },
        { line: 9, column: 3, message: /: every other process waiting for Redis lock `"lock:" \+ id` waits for it too\./ },
      ],
    },
    {
      name: "redlock.using and redlock.acquire",
      code: `import Redlock from "redlock";\nimport Redis from "ioredis";\nconst redlock = new Redlock([new Redis()]);\nexport async function a(id: string) {\n  await redlock.using([\`order:\${id}\`], 10000, async () => {\n    await fetch("https://a");\n  });\n}\nexport async function b(id: string) {\n  const lock = await redlock.acquire([\`order:\${id}\`], 10000);\n  await fetch("https://b");\n  await lock.release();\n  await fetch("https://after");\n}\n`,
      errors: [
        { line: 6, column: 5, message: /while holding `redlock` key \[`order:\$\{id\}`\]: if it outlasts the lease/ },
        { line: 11, column: 3, message: /if it outlasts the lease/ },
      ],
    },
    {
      name: "redis-semaphore Mutex",
      code: `import { Mutex } from "redis-semaphore";\nimport Redis from "ioredis";\nexport async function run(id: string) {\n  const mutex = new Mutex(new Redis(), \`order:\${id}\`);\n  await mutex.acquire();\n  try {\n    await fetch("https://x");\n  } finally {\n    await mutex.release();\n  }\n}\n`,
      errors: [{ line: 7, column: 5, message: /while holding `mutex`: if it outlasts the lease/ }],
    },
    {
      name: "runtime Redis lease provider withLease",
      code: `import Redis from "ioredis";\nimport { createRedisLockProvider } from "@locksmith/runtime/redis";\nconst locks = createRedisLockProvider(new Redis() as any);\nexport async function run(id: string) {\n  await locks.withLease(\`invoice:\${id}\`, async () => {\n    await fetch("https://x");\n  });\n}\n`,
      errors: [{ line: 6, column: 5, message: /if it outlasts the lease/ }],
    },
    {
      name: "PostgreSQL session advisory lock",
      code: `import { Pool } from "pg";\nconst pool = new Pool();\nexport async function run(id: number) {\n  const client = await pool.connect();\n  await client.query("SELECT pg_advisory_lock($1)", [id]);\n  await fetch("https://x");\n  await client.query("SELECT pg_advisory_unlock($1)", [id]);\n  await fetch("https://after");\n  client.release();\n}\n`,
      errors: [{ line: 6, column: 3, message: /while holding PostgreSQL advisory lock \(`pg_advisory_lock`\): every other process waiting for/ }],
    },
    // ---- the move-before-the-lock suggestion
    {
      name: "suggestion: inputs ready before the lock, only a database read before it in the section",
      code: `import { Mutex } from "async-mutex";\nimport { Pool } from "pg";\nconst pool = new Pool();\nconst lock = new Mutex();\nexport async function convert(id: string, currency: string) {\n  await lock.runExclusive(async () => {\n    const { rows } = await pool.query("SELECT total FROM orders WHERE id = $1", [id]);\n    const rate = await (await fetch(\`https://rates/\${currency}\`)).json();\n    await pool.query("UPDATE orders SET total = $1 WHERE id = $2", [rows[0].total * rate, id]);\n  });\n}\n`,
      errors: [
        {
          line: 8,
          column: 25,
          message: /^`fetch` makes an HTTP request, as slow as the remote service, and it is awaited while holding `lock`/,
          suggestions: [
            {
              title: "Move the call before `lock` is taken (its inputs are ready before the lock)",
              output: `import { Mutex } from "async-mutex";\nimport { Pool } from "pg";\nconst pool = new Pool();\nconst lock = new Mutex();\nexport async function convert(id: string, currency: string) {\n  const rate = await (await fetch(\`https://rates/\${currency}\`)).json();\n  await lock.runExclusive(async () => {\n    const { rows } = await pool.query("SELECT total FROM orders WHERE id = $1", [id]);\n    await pool.query("UPDATE orders SET total = $1 WHERE id = $2", [rows[0].total * rate, id]);\n  });\n}\n`,
            },
          ],
        },
      ],
    },
    {
      name: "suggestion: acquire … try/finally form",
      code: `import { Mutex } from "@locksmith/runtime";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  const handle = await lock.acquire();\n  try {\n    await fetch(\`https://audit/\${id}\`);\n    const order = await repo.load(id);\n    await repo.save(id, order.total);\n  } finally {\n    handle.release();\n  }\n}\n`,
      errors: [
        {
          line: 7,
          column: 5,
          suggestions: [
            {
              output: `import { Mutex } from "@locksmith/runtime";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  await fetch(\`https://audit/\${id}\`);\n  const handle = await lock.acquire();\n  try {\n    const order = await repo.load(id);\n    await repo.save(id, order.total);\n  } finally {\n    handle.release();\n  }\n}\n`,
            },
          ],
        },
      ],
    },
    {
      name: "no suggestion: the call reads a value loaded under the lock",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    const order = await repo.load(id);\n    await fetch(\`https://audit/\${order.total}\`);\n    await repo.save(id, order.total);\n  });\n}\n`,
      errors: [{ line: 7, column: 5, suggestions: [] }],
    },
    {
      name: "no suggestion: a write comes before the call in the section",
      code: `import { Mutex } from "async-mutex";\n${repo}const lock = new Mutex();\nexport async function run(id: string) {\n  await lock.runExclusive(async () => {\n    await repo.save(id, 0);\n    await fetch(\`https://hooks/\${id}\`);\n  });\n}\n`,
      errors: [{ line: 7, column: 5, suggestions: [] }],
    },
    {
      name: "a response body read is reported once, on the fetch",
      code: underMutex("", "const rate = await (await fetch(\"https://rates\")).json();"),
      errors: [{ line: 7, column: 25, message: /^`fetch` makes an HTTP request/ }],
    },
    {
      name: "Drizzle transaction with .for(\"update\")",
      code: `import { drizzle } from "drizzle-orm/node-postgres";\nimport { eq } from "drizzle-orm";\nimport { orders } from "./schema";\nconst db = drizzle("postgres://");\nexport async function run(id: string) {\n  await db.transaction(async (tx) => {\n    const [o] = await tx.select().from(orders).where(eq(orders.id, id)).for("update");\n    await fetch("https://hooks");\n    await tx.update(orders).set({ total: o.total + 1 }).where(eq(orders.id, id));\n  });\n}\n`,
      errors: [{ line: 8, column: 5, message: /while the transaction on `tx` holds row locks \(taken by a locking read \(FOR UPDATE\) of `orders` at line 7\)/ }],
    },
    // ---- transactions holding row locks
    {
      name: "pg BEGIN … FOR UPDATE … COMMIT",
      code: `import { Pool } from "pg";\nconst pool = new Pool();\nexport async function run(id: string) {\n  const client = await pool.connect();\n  try {\n    await client.query("BEGIN");\n    const { rows } = await client.query("SELECT total FROM orders WHERE id = $1 FOR UPDATE", [id]);\n    await fetch("https://hooks");\n    await client.query("UPDATE orders SET total = $1 WHERE id = $2", [rows[0].total + 1, id]);\n    await client.query("COMMIT");\n  } finally {\n    client.release();\n  }\n}\n`,
      errors: [{ line: 8, column: 5, message: `\`fetch\` ${HTTP}, and it is awaited while the transaction on \`client\` holds row locks (taken by a locking read (FOR UPDATE) of \`orders\` at line 7): ${TX_COST}`, related: [{ line: 7, message: "row locks taken here, held until COMMIT/ROLLBACK" }] }],
    },
    {
      name: "knex.transaction with forUpdate",
      code: `import knexFactory from "knex";\nconst knex = knexFactory({ client: "pg" });\nexport async function run(id: string) {\n  await knex.transaction(async (trx) => {\n    const row = await trx("orders").where({ id }).forUpdate().first();\n    await fetch("https://hooks");\n    await trx("orders").where({ id }).update({ total: row.total + 1 });\n  });\n}\n`,
      errors: [{ line: 6, column: 5, message: /while the transaction on `trx` holds row locks \(taken by a locking read \(FOR UPDATE\) of `orders` at line 5\)/ }],
    },
    {
      name: "prisma.$transaction: after an update, not before",
      code: `import { PrismaClient } from "@prisma/client";\nconst prisma = new PrismaClient();\nexport async function run(id: string) {\n  await prisma.$transaction(async (tx) => {\n    await fetch("https://before");\n    await tx.order.update({ where: { id }, data: { total: { increment: 1 } } });\n    await fetch("https://after");\n  });\n}\n`,
      errors: [{ line: 7, column: 5, message: /while the transaction on `tx` holds row locks \(taken by a write of `order` at line 6\)/ }],
    },
    {
      name: "Kysely transaction with forUpdate",
      code: `import { Kysely } from "kysely";\ndeclare const db: Kysely<any>;\nexport async function run(id: string) {\n  await db.transaction().execute(async (trx) => {\n    const o = await trx.selectFrom("orders").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();\n    await fetch("https://hooks");\n    await trx.updateTable("orders").set({ total: o.total + 1 }).where("id", "=", id).execute();\n  });\n}\n`,
      errors: [{ line: 6, column: 5, message: /while the transaction on `trx` holds row locks/ }],
    },
    {
      name: "TypeORM: manager.findOne with a pessimistic_write lock, and a query builder setLock, inside dataSource.transaction",
      code: `import { DataSource } from "typeorm";\nimport { Order } from "./order";\nexport async function run(dataSource: DataSource, id: string) {\n  await dataSource.transaction(async (manager) => {\n    const o = await manager.findOne(Order, { where: { id }, lock: { mode: "pessimistic_write" } });\n    await fetch("https://hooks");\n    await manager.save(o);\n  });\n}\nexport async function runBuilder(dataSource: DataSource, id: string) {\n  await dataSource.transaction(async (manager) => {\n    await manager.getRepository(Order).createQueryBuilder("o").setLock("pessimistic_write").where("o.id = :id", { id }).getOne();\n    await fetch("https://hooks");\n  });\n}\n`,
      errors: [
        { line: 6, column: 5, message: /while the transaction on `manager` holds row locks \(taken by a locking read \(FOR UPDATE\) of `order` at line 5\)/, related: [{ line: 5, message: "row locks taken here, held until COMMIT/ROLLBACK" }] },
        { line: 13, column: 5, message: /while the transaction on `manager` holds row locks \(taken by a locking read \(FOR UPDATE\) of `order` at line 12\)/, related: [{ line: 12 }] },
      ],
    },
    {
      name: "TypeORM: queryRunner transaction after a write through queryRunner.manager",
      code: `import { DataSource } from "typeorm";\nimport { Order } from "./order";\nexport async function run(dataSource: DataSource, id: string) {\n  const queryRunner = dataSource.createQueryRunner();\n  await queryRunner.startTransaction();\n  await queryRunner.manager.update(Order, { id }, { status: "paid" });\n  await fetch("https://hooks");\n  await queryRunner.commitTransaction();\n}\n`,
      errors: [{ line: 7, column: 3, message: /while the transaction on `queryRunner` holds row locks \(taken by a write of `order` at line 6\)/ }],
    },
    {
      name: "Sequelize: findByPk with t.LOCK.UPDATE in a managed transaction, Model.update in an unmanaged one",
      code: `import { Sequelize } from "sequelize";\nimport { Order } from "./models";\nexport async function run(sequelize: Sequelize, id: string) {\n  await sequelize.transaction(async (t) => {\n    const o = await Order.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });\n    await fetch("https://hooks");\n    await o!.save({ transaction: t });\n  });\n}\nexport async function pay(sequelize: Sequelize, id: string) {\n  const t = await sequelize.transaction();\n  await Order.update({ status: "paid" }, { where: { id }, transaction: t });\n  await fetch("https://hooks");\n  await t.commit();\n}\n`,
      errors: [
        { line: 6, column: 5, message: /while the transaction on `t` holds row locks \(taken by a locking read \(FOR UPDATE\) of `order` at line 5\)/ },
        { line: 13, column: 3, message: /while the transaction on `t` holds row locks \(taken by a write of `order` at line 12\)/ },
      ],
    },
    {
      name: "runtime withPgTransaction",
      code: `import { Pool } from "pg";\nimport { withPgTransaction } from "@locksmith/runtime/postgres";\nconst pool = new Pool();\nexport async function run(id: string) {\n  await withPgTransaction(pool, async (tx) => {\n    await tx.query("SELECT * FROM orders WHERE id = $1 FOR UPDATE", [id]);\n    await fetch("https://hooks");\n  });\n}\n`,
      errors: [{ line: 7, column: 5, message: /while the transaction on `tx` holds row locks/ }],
    },
  ],
});
