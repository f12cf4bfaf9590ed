// The plugin's rules under ESLint's own RuleTester, parsed by @typescript-eslint/parser without type information (the
// "syntax" mode), on the example service's files (examples/src/): exact positions, messageId + data, the fixed output
// and each suggestion's output, option validation.
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
const FILE = path.join(REPO, "examples", "src", "file.ts");

const ruleTester = new RuleTester({ languageOptions: { parser: tsParser } });

/** The compare-and-delete script unsafe-lock-release's fix inserts. */
const COMPARE_AND_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A file of the example service (examples/src/…): its path and text, for a RuleTester case. */
function example(file: string): { filename: string; code: string } {
  const filename = path.join(REPO, "examples", "src", file);
  return { filename, code: fs.readFileSync(filename, "utf8") };
}

/** `code` with lines `from`…`to` (1-based, inclusive) replaced by `lines`: a fix's or suggestion's exact output. */
function withLines(code: string, from: number, to: number, lines: string[]): string {
  const all = code.split("\n");
  assert.ok(to <= all.length, `line ${to} is past the end`);
  all.splice(from - 1, to - from + 1, ...lines);
  return all.join("\n");
}

const jobLock = example("jobs/job-lock.ts");

ruleTester.run("lock-without-expiry", plugin.rules["lock-without-expiry"]!, {
  valid: [{ name: "invoice-sync takes its lock with PX", ...example("jobs/invoice-sync.ts") }],
  invalid: [
    {
      name: "job-lock: SET NX without expiry (safe fix: PX), SETNX with a separate PEXPIRE (no fix)",
      ...jobLock,
      errors: [
        {
          line: 15,
          column: 26,
          endLine: 15,
          endColumn: 67,
          messageId: "noExpiry",
          data: { lock: "`lock:job:${jobId}`", command: "SET NX" },
        },
        { line: 27, column: 15, messageId: "separateExpiry", data: { lock: "`lock:job:${jobId}`", command: "SETNX", line: 29 } },
      ],
      output: withLines(jobLock.code, 15, 15, ['  const acquired = await redis.set(`lock:job:${jobId}`, "1", "PX", 30000, "NX");']),
    },
  ],
});

ruleTester.run("unsafe-lock-release", plugin.rules["unsafe-lock-release"]!, {
  valid: [{ name: "nightly-report releases nothing by DEL", ...example("scheduler/nightly-report.ts") }],
  invalid: [
    {
      name: "job-lock: blind DEL of a constant value (no fix: no token to compare), blind DEL with a token (safe fix)",
      ...jobLock,
      errors: [
        { line: 21, column: 11, messageId: "uncheckedConstant", data: { command: "DEL", lock: "`lock:job:${jobId}`", line: 15 } },
        { line: 48, column: 11, endLine: 48, endColumn: 41, messageId: "unchecked", data: { command: "DEL", lock: "`lock:job:${jobId}`" } },
      ],
      output: withLines(jobLock.code, 48, 48, [
        `    await redis.eval(${JSON.stringify(COMPARE_AND_DELETE)}, 1, \`lock:job:\${jobId}\`, token);`,
      ]),
    },
  ],
});

const nightlyReport = example("scheduler/nightly-report.ts");

ruleTester.run("unchecked-lock-acquisition", plugin.rules["unchecked-lock-acquisition"]!, {
  valid: [{ name: "job-lock checks every SET NX", ...jobLock }],
  invalid: [
    {
      name: "nightly-report: SET NX result discarded (a suggestion: it changes behaviour), pg_try_advisory_lock discarded",
      ...nightlyReport,
      errors: [
        {
          line: 13,
          column: 9,
          endLine: 13,
          endColumn: 84,
          messageId: "resultDiscarded",
          data: { lock: "Redis lock `lock:report:${day}`", call: "`redis.set(…)`", failure: 'null instead of "OK"' },
          suggestions: [
            {
              desc: "Stop when the lock is not acquired",
              // `acquired` is taken by the function below: the fix picks a fresh name.
              output: withLines(nightlyReport.code, 13, 13, [
                '  const acquired2 = await redis.set(`lock:report:${day}`, process.pid.toString(), "PX", 60_000, "NX");',
                '  if (acquired2 !== "OK") {',
                "    throw new Error(`lock \\`lock:report:${day}\\` is held by another process`);",
                "  }",
              ]),
            },
          ],
        },
        {
          line: 29,
          column: 11,
          messageId: "resultDiscarded",
          data: {
            lock: "PostgreSQL advisory lock (`pg_try_advisory_lock`)",
            call: '`client.query("SELECT pg_try_advisory_lock($1)", [day])`',
            failure: "false",
          },
          suggestions: [],
        },
      ],
    },
  ],
});

const pgWallet = example("wallets/pg-wallet.ts");
const LOST_UPDATE = {
  line: 12,
  column: 9,
  endLine: 12,
  endColumn: 100,
  messageId: "lostUpdate",
  data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 9 },
};
const ATOMIC_DEBIT = withLines(pgWallet.code, 12, 12, [
  '  const updated = await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, accountId]);',
  '  if (updated.rowCount === 0) throw new Error("insufficient funds");',
]);

/** A project folder where `@locksmith/runtime` does not resolve and is not vendored (removed after the tests). */
const bareProject = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-eslint-"));
after(() => fs.rmSync(bareProject, { recursive: true, force: true }));

ruleTester.run("select-then-update", plugin.rules["select-then-update"]!, {
  valid: [{ name: "pg-price-list: version-checked updates, no lost update", ...example("inventory/pg-price-list.ts") }],
  invalid: [
    {
      name: "pg-wallet: read, compute, write (safe fix: atomic update; suggestions: FOR UPDATE, optimistic retry)",
      ...pgWallet,
      errors: [
        {
          ...LOST_UPDATE,
          suggestions: [
            {
              desc: "Lock the row: read with FOR UPDATE inside withPgTransaction",
              output: withLines(pgWallet.code, 9, 12, [
                "  await withPgTransaction(pool, async (tx) => {",
                '    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);',
                ...pgWallet.code
                  .split("\n")
                  .slice(9, 11)
                  .map((line) => `  ${line}`),
                '    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);',
                "  });",
              ]),
            },
            {
              desc: "Optimistic update: write only if `balance` is unchanged, retry with backoff on conflict",
              output: withLines(pgWallet.code, 9, 12, [
                "  await retry(async () => {",
                ...pgWallet.code
                  .split("\n")
                  .slice(8, 11)
                  .map((line) => `  ${line}`),
                '    const updated = await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2 AND balance = $3", [balance - amount, accountId, balance]);',
                '    assertAffected(updated.rowCount, "accounts row");',
                "  }, { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 });",
              ]),
            },
          ],
        },
      ],
      output: ATOMIC_DEBIT,
    },
    {
      // Both suggestions would import the runtime, which resolves from nowhere here: they would have to create the
      // vendored runtime file, which an ESLint fix cannot. The safe fix needs no import.
      name: "the same where the runtime is neither installed nor vendored: the safe fix only",
      filename: path.join(bareProject, "src", "pg-wallet.ts"),
      code: pgWallet.code,
      errors: [{ ...LOST_UPDATE, suggestions: [] }],
      output: ATOMIC_DEBIT,
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
