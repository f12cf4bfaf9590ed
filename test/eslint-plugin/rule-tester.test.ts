// The plugin's rules under ESLint's own RuleTester, parsed by @typescript-eslint/parser without type information (the
// "syntax" mode): exact positions, messageId + data, fixed output and each suggestion's output, option validation.
// The same cases as Locksmith's rule tables (test/rules/), so a difference is the plugin's, not the rule's.
import { after, describe, it, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Linter, RuleTester } from "eslint";
import * as tsParser from "@typescript-eslint/parser";
import plugin from "../../eslint-plugin/src/index";

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const REPO = path.resolve(__dirname, "..", "..", "..");
/** A file inside the repository: `@locksmith/runtime` (a workspace package) resolves from it, so fixes import it. */
const FILE = path.join(REPO, "test", "eslint-plugin", "virtual", "src", "file.ts");

const ruleTester = new RuleTester({ languageOptions: { parser: tsParser } });

const ioredis = `import Redis from "ioredis";
const redis = new Redis();
`;
const work = `
declare function work(id: string): Promise<void>;`;
const SCRIPT = `"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"`;

ruleTester.run("lock-without-expiry", plugin.rules["lock-without-expiry"]!, {
  valid: [
    {
      name: "ioredis NX with PX before it",
      filename: FILE,
      code: `${ioredis}export async function run(id: string, token: string) {
  return redis.set(\`lock:job:\${id}\`, token, "PX", 30000, "NX");
}`,
    },
  ],
  invalid: [
    {
      name: "a claim on work in progress with no expiry: safe fix adds PX",
      filename: FILE,
      code: `${ioredis}declare function renderInvoice(id: string): Promise<void>;
export async function buildInvoice(invoiceId: string) {
  const claimed = await redis.set(\`invoice:\${invoiceId}:processing\`, String(process.pid), "NX");
  if (!claimed) return { skipped: true };
  await renderInvoice(invoiceId);
  return { built: true };
}`,
      errors: [
        {
          line: 5,
          column: 25,
          endLine: 5,
          endColumn: 96,
          messageId: "noExpiry",
          data: { lock: "`invoice:${invoiceId}:processing`", command: "SET NX" },
        },
      ],
      output: `${ioredis}declare function renderInvoice(id: string): Promise<void>;
export async function buildInvoice(invoiceId: string) {
  const claimed = await redis.set(\`invoice:\${invoiceId}:processing\`, String(process.pid), "PX", 30000, "NX");
  if (!claimed) return { skipped: true };
  await renderInvoice(invoiceId);
  return { built: true };
}`,
    },
  ],
});

ruleTester.run("unchecked-lock-acquisition", plugin.rules["unchecked-lock-acquisition"]!, {
  valid: [
    {
      name: "the critical section runs only when SET NX returned OK",
      filename: FILE,
      code: `${ioredis}export async function run(id: string) {
  if ((await redis.set(\`lock:job:\${id}\`, "t", "NX", "PX", 30000)) !== "OK") return;
  await work(id);
}${work}`,
    },
  ],
  invalid: [
    {
      name: "SET NX result discarded: a suggestion (it changes behaviour), no safe fix",
      filename: FILE,
      code: `${ioredis}export async function run(id: string) {
  await redis.set(\`lock:job:\${id}\`, "t", "NX", "PX", 30000);
  await work(id);
}${work}`,
      errors: [
        {
          line: 4,
          column: 9,
          endLine: 4,
          endColumn: 60,
          messageId: "resultDiscarded",
          data: {
            lock: "Redis lock `lock:job:${id}`",
            call: 'redis.set(`lock:job:${id}`, "t", "NX", "PX", 30000)',
            failure: 'null instead of "OK"',
          },
          suggestions: [
            {
              desc: "Stop when the lock is not acquired",
              output: `${ioredis}export async function run(id: string) {
  const acquired = await redis.set(\`lock:job:\${id}\`, "t", "NX", "PX", 30000);
  if (acquired !== "OK") {
    throw new Error(\`lock \\\`lock:job:\${id}\\\` is held by another process\`);
  }
  await work(id);
}${work}`,
            },
          ],
        },
      ],
    },
  ],
});

ruleTester.run("unsafe-lock-release", plugin.rules["unsafe-lock-release"]!, {
  valid: [
    {
      name: "compare-and-delete script",
      filename: FILE,
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
  }
}${work}`,
    },
  ],
  invalid: [
    {
      name: "DEL without checking the token: safe fix",
      filename: FILE,
      code: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.del(\`lock:\${id}\`);
  }
}${work}`,
      errors: [{ line: 8, column: 11, endLine: 8, endColumn: 34, messageId: "unchecked", data: { command: "DEL", lock: "`lock:${id}`" } }],
      output: `${ioredis}export async function run(id: string, token: string) {
  if (!(await redis.set(\`lock:\${id}\`, token, "PX", 30000, "NX"))) return;
  try {
    await work(id);
  } finally {
    await redis.eval(${SCRIPT}, 1, \`lock:\${id}\`, token);
  }
}${work}`,
    },
  ],
});

const DEBIT = `import { Pool } from "pg";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  const balance: number = rows[0].balance;
  if (balance < amount) throw new Error("insufficient funds");
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
}
`;
const DEBIT_ERROR = {
  line: 7,
  column: 9,
  endLine: 7,
  endColumn: 100,
  messageId: "lostUpdate",
  data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 4 },
};
const DEBIT_FIXED = `import { Pool } from "pg";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  const balance: number = rows[0].balance;
  if (balance < amount) throw new Error("insufficient funds");
  const updated = await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, accountId]);
  if (updated.rowCount === 0) throw new Error("insufficient funds");
}
`;

/** A project folder where `@locksmith/runtime` does not resolve and is not vendored (removed after the tests). */
const bareProject = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-eslint-"));
after(() => fs.rmSync(bareProject, { recursive: true, force: true }));

ruleTester.run("select-then-update", plugin.rules["select-then-update"]!, {
  valid: [
    {
      name: "atomic update with the check in WHERE",
      filename: FILE,
      code: `import { Pool } from "pg";
export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  const updated = await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, accountId]);
  if (updated.rowCount === 0) throw new Error("insufficient funds");
}`,
    },
  ],
  invalid: [
    {
      name: "read, compute, write: safe fix (atomic update) and two suggestions that import the runtime",
      filename: FILE,
      code: DEBIT,
      errors: [
        {
          ...DEBIT_ERROR,
          suggestions: [
            {
              desc: "Lock the row: read with FOR UPDATE inside withPgTransaction",
              output: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
  });
}
`,
            },
            {
              desc: "Optimistic update: write only if `balance` is unchanged, retry with backoff on conflict",
              output: `import { Pool } from "pg";
import { assertAffected, retry } from "@locksmith/runtime";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  await retry(async () => {
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    const updated = await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2 AND balance = $3", [balance - amount, accountId, balance]);
    assertAffected(updated.rowCount, "accounts row");
  }, { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 });
}
`,
            },
          ],
        },
      ],
      output: DEBIT_FIXED,
    },
    {
      // Both suggestions would have to create the vendored runtime file, which an ESLint fix cannot: left out.
      name: "the same where the runtime is neither installed nor vendored: the safe fix only",
      filename: path.join(bareProject, "src", "debit.ts"),
      code: DEBIT,
      errors: [{ ...DEBIT_ERROR, suggestions: [] }],
      output: DEBIT_FIXED,
    },
  ],
});

const UNDER_MUTEX = `import { Mutex } from "async-mutex";
import { geocode } from "@acme/geo";
declare const repo: { load(id: string): Promise<{ total: number }>; save(id: string, total: number): Promise<void> };
const lock = new Mutex();
export async function update(id: string) {
  await lock.runExclusive(async () => {
    const order = await repo.load(id);
    await geocode(id);
    await repo.save(id, order.total);
  });
}
`;

ruleTester.run("lock-across-await", plugin.rules["lock-across-await"]!, {
  valid: [{ name: "geocode is not known to be slow", filename: FILE, code: UNDER_MUTEX }],
  invalid: [
    {
      name: "configured slow call, through ESLint's rule options",
      filename: FILE,
      code: UNDER_MUTEX,
      options: [{ slowCalls: [{ module: "@acme/geo", call: "geocode", reason: "calls the geocoding service" }] }],
      errors: [
        {
          line: 8,
          column: 5,
          messageId: "underMutex",
          data: { call: "`geocode`", reason: "calls the geocoding service", lock: "`lock`" },
          suggestions: [],
        },
      ],
    },
  ],
});

test("ESLint validates the options against the rule's schema", () => {
  const linter = new Linter({ cwd: REPO });
  const config = (slowCalls: unknown): Linter.Config => ({
    files: ["**/*.ts"],
    languageOptions: { parser: tsParser },
    plugins: { locksmith: plugin },
    rules: { "locksmith/lock-across-await": ["warn", { slowCalls }] },
  });
  assert.throws(() => linter.verify(UNDER_MUTEX, config([{ module: "@acme/geo" }]), FILE), /should have required property 'call'/);
  assert.deepEqual(
    linter
      .verify(UNDER_MUTEX, config([{ module: "@acme/geo", call: "geocode" }]), FILE)
      .map((m) => [m.line, m.ruleId, m.severity, m.message]),
    [
      [
        8,
        "locksmith/lock-across-await",
        1,
        "`geocode` is configured as slow, and it is awaited while holding `lock`: every other caller waiting for `lock` waits for it too.",
      ],
    ],
  );
});
