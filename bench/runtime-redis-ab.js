// `npm run bench:runtime:redis-ab`: Redis leases against redis-semaphore as an A/B in one process, finer than
// `npm run bench:runtime`. It starts a redis-server of its own on a free port (`--save ''`, killed on exit), then runs
// blocks of 100 acquire + release, one after another on one ioredis connection, alternating the variants block by
// block (in reverse order every other block), so that load from other work falls on each alike. Prints each variant's
// CPU per operation and, against redis-semaphore, the median of the per-block ratios and the ratio of the totals.
// The `raw` variants are the same Redis calls made directly with ioredis, with nothing around them: the floor under
// each library (our script with its fence, and redis-semaphore's `SET NX PX`, each with a compare-and-delete).
//
// `--other DIR` adds the variant `other`: the same as `ours` with the CommonJS build in DIR (for example a copy of
// runtime/dist/cjs made before a change), to compare two versions of the runtime under the same load.
//
//   node bench/runtime-redis-ab.js [--blocks 400] [--variants ours,redis-semaphore,raw-ours,raw-script-set,raw-set] [--other DIR]
"use strict";
const { spawn } = require("node:child_process");
const net = require("node:net");
const { parseArgs } = require("node:util");
const Redis = require("ioredis");
const { Mutex: RedisMutex } = require("redis-semaphore");
const { createRedisLockProvider } = require("@locksmith/runtime/redis");

const { values: args } = parseArgs({
  options: {
    blocks: { type: "string", default: "400" },
    variants: { type: "string", default: "ours,redis-semaphore,raw-ours,raw-script-set,raw-set" },
    other: { type: "string" },
  },
});
const BLOCKS = Number(args.blocks);
const BLOCK = 100;
const BASE = "redis-semaphore";

/** The runtime's acquire script, as it sends it with `EVAL` to a server that lacks it (for the raw variant). */
async function acquireScript() {
  let text;
  const spy = {
    evalsha: () => Promise.reject(new Error("NOSCRIPT")),
    eval: (script) => ((text ??= script), Promise.resolve(null)),
  };
  await createRedisLockProvider(spy).tryAcquire("script");
  return text;
}
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function main() {
  const port = await freePort();
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  process.on("exit", () => server.kill("SIGKILL"));
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1, retryStrategy: (n) => (n < 50 ? 100 : null) });
  client.on("error", () => undefined);
  await client.ping();
  const [acquireSha, releaseSha] = [await client.script("LOAD", await acquireScript()), await client.script("LOAD", RELEASE)];
  // A script that only runs SET NX PX: what calling a script costs, apart from what ours does.
  const setSha = await client.script("LOAD", "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])");
  const locks = createRedisLockProvider(client, { prefix: "ab:", ttlMs: 10_000 });
  let n = 0;
  const all = {
    ours: async () => {
      for (let i = 0; i < BLOCK; i++) await (await locks.acquire("ours")).release();
    },
    "redis-semaphore": async () => {
      for (let i = 0; i < BLOCK; i++) {
        const mutex = new RedisMutex(client, "ab:rs", { lockTimeout: 10_000 });
        await mutex.acquire();
        await mutex.release();
      }
    },
    "raw-ours": async () => {
      for (let i = 0; i < BLOCK; i++) {
        const token = `token${++n}`;
        await client.evalsha(acquireSha, 2, "ab:{raw}", "ab:{raw}:fence", token, 10_000);
        await client.evalsha(releaseSha, 1, "ab:{raw}", token);
      }
    },
    "raw-script-set": async () => {
      for (let i = 0; i < BLOCK; i++) {
        const token = `token${++n}`;
        await client.evalsha(setSha, 2, "ab:{script}", "ab:{script}:fence", token, 10_000);
        await client.evalsha(releaseSha, 1, "ab:{script}", token);
      }
    },
    "raw-set": async () => {
      for (let i = 0; i < BLOCK; i++) {
        const token = `token${++n}`;
        await client.set("ab:set", token, "PX", 10_000, "NX");
        await client.evalsha(releaseSha, 1, "ab:set", token);
      }
    },
  };
  if (args.other) {
    const others = require(require("node:path").resolve(args.other, "redis.js")).createRedisLockProvider(client, {
      prefix: "ab-other:",
      ttlMs: 10_000,
    });
    all.other = async () => {
      for (let i = 0; i < BLOCK; i++) await (await others.acquire("other")).release();
    };
  }
  const names = args.variants.split(",");
  if (args.other) names.push("other");
  for (const name of names) if (!all[name]) throw new Error(`unknown variant ${name}`);
  if (!names.includes(BASE)) names.unshift(BASE);
  for (let i = 0; i < 20; i++) for (const name of names) await all[name](); // warm-up
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  for (let b = 0; b < BLOCKS; b++) {
    for (const name of b % 2 ? [...names].reverse() : names) {
      const start = process.cpuUsage();
      await all[name]();
      const used = process.cpuUsage(start);
      cpu[name].push(used.user + used.system);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  console.log(`${BLOCKS} blocks of ${BLOCK} acquire + release on a private redis-server; CPU ratios are ${BASE}'s CPU over the variant's`);
  for (const name of names) {
    const ratios = cpu[name].map((c, i) => cpu[BASE][i] / c);
    console.log(
      `${name.padEnd(16)} ${(sum(cpu[name]) / BLOCKS / BLOCK).toFixed(1).padStart(6)} µs CPU per op   block median ${median(ratios).toFixed(3)}×   totals ${(sum(cpu[BASE]) / sum(cpu[name])).toFixed(3)}×`,
    );
  }
  client.disconnect();
  server.kill("SIGKILL");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
