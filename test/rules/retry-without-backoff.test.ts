import { retryWithoutBackoff } from "../../rules/retry-without-backoff";
import { runRuleTests } from "../helpers/rule-tester";

const HELP = "Use the runtime's `retry` (exponential backoff with jitter, bounded attempts).";
const CONFLICT = { reason: "a serialization failure, deadlock or conflict" };

runRuleTests(retryWithoutBackoff, {
  valid: [
    {
      name: "bounded, exponential backoff with jitter",
      code: `import type { Pool } from "pg";
export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const { rows: [doc] } = await pool.query("SELECT version FROM docs WHERE id = $1", [id]);
    const result = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
    if (result.rowCount === 1) return;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
  }
  throw new Error("gave up");
}`,
    },
    {
      name: "the runtime's retry",
      code: `import type { Pool } from "pg";
import { retry } from "@locksmith/runtime";
export async function transfer(pool: Pool, from: string, to: string): Promise<void> {
  await retry(async () => {
    await pool.query("SELECT transfer($1, $2)", [from, to]);
  });
}`,
    },
    {
      name: "a loop over items that catches unrelated errors",
      code: `export async function sendAll(items: string[], send: (item: string) => Promise<void>): Promise<void> {
  let i = 0;
  while (i < items.length) {
    try {
      await send(items[i]!);
    } catch (error) {
      console.error(error);
    }
    i++;
  }
}`,
    },
    {
      name: "delay computed from the attempt counter",
      code: `import { setTimeout as sleep } from "node:timers/promises";
export async function run(step: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await step();
    } catch (error) {
      if ((error as { code?: string }).code !== "40P01") throw error;
      await sleep(100 * attempt);
    }
  }
}`,
    },
  ],
  invalid: [
    {
      name: "for (;;) retrying serialization failures at once: fixed with retry",
      code: `import type { Pool } from "pg";

export async function transfer(pool: Pool, from: string, to: string, amount: number): Promise<number> {
  for (;;) {
    try {
      const result = await pool.query("SELECT transfer($1, $2, $3)", [from, to, amount]);
      return result.rows[0].transfer;
    } catch (error) {
      if ((error as { code?: string }).code === "40001") continue;
      throw error;
    }
  }
}
`,
      errors: [
        {
          line: 4,
          column: 3,
          endLine: 4,
          endColumn: 11,
          messageId: "noDelayUnbounded",
          data: CONFLICT,
          // The golden full messages and help of this rule.
          message:
            "This loop retries after a serialization failure, deadlock or conflict immediately, with no delay, so the callers that just collided collide again and with no bound on attempts, so under lasting contention it never gives up.",
          help: HELP,
        },
      ],
      output: `import type { Pool } from "pg";
import { retry } from "@locksmith/runtime";

export async function transfer(pool: Pool, from: string, to: string, amount: number): Promise<number> {
  return await retry(async () => {
    const result = await pool.query("SELECT transfer($1, $2, $3)", [from, to, amount]);
    return result.rows[0].transfer;
  }, { retryOn: (error) => (error as { code?: string }).code === "40001" });
}
`,
    },
    {
      name: "the fix moves a multi-line template literal without changing its content",
      code: `import type { Pool } from "pg";

export async function bump(pool: Pool, id: string): Promise<number> {
  for (;;) {
    try {
      const result = await pool.query(\`
        UPDATE counters SET n = n + 1
        WHERE id = $1 RETURNING n\`, [id]);
      return result.rows[0].n;
    } catch (error) {
      if ((error as { code?: string }).code === "40001") continue;
      throw error;
    }
  }
}
`,
      errors: [{ line: 4, column: 3, messageId: "noDelayUnbounded", data: CONFLICT }],
      output: `import type { Pool } from "pg";
import { retry } from "@locksmith/runtime";

export async function bump(pool: Pool, id: string): Promise<number> {
  return await retry(async () => {
    const result = await pool.query(\`
        UPDATE counters SET n = n + 1
        WHERE id = $1 RETURNING n\`, [id]);
    return result.rows[0].n;
  }, { retryOn: (error) => (error as { code?: string }).code === "40001" });
}
`,
    },
    {
      name: "while (true) with a negated retry test",
      code: `import { ConflictError } from "@locksmith/runtime";

export async function save(write: () => Promise<string>): Promise<string> {
  while (true) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }
}
`,
      errors: [{ line: 4, column: 3, endColumn: 15, messageId: "noDelayUnbounded", data: CONFLICT }],
      output: `import { ConflictError, retry } from "@locksmith/runtime";

export async function save(write: () => Promise<string>): Promise<string> {
  return await retry(async () => {
    return await write();
  }, { retryOn: (e) => e instanceof ConflictError });
}
`,
    },
    {
      name: "version check retried after a constant delay (bounded): no safe fix",
      code: `import type { Pool } from "pg";

export async function rename(pool: Pool, id: string, title: string): Promise<void> {
  let attempt = 0;
  while (attempt < 5) {
    attempt++;
    const { rows: [doc] } = await pool.query("SELECT version FROM docs WHERE id = $1", [id]);
    const result = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [title, id, doc.version]);
    if (result.rowCount === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("gave up");
}
`,
      errors: [
        {
          line: 5,
          column: 3,
          messageId: "constantDelay",
          data: { reason: "a version check that changed no row" },
          message:
            "This loop retries after a version check that changed no row after a constant delay, so the callers that just collided stay in lock-step and collide again.",
          help: HELP,
        },
      ],
    },
    {
      name: "try-lock spin with a jittered delay but no bound",
      code: `import Redis from "ioredis";
const redis = new Redis();

export async function withLock(key: string, token: string): Promise<void> {
  while (!(await redis.set(key, token, "PX", 5000, "NX"))) {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
  }
}
`,
      errors: [{ line: 5, column: 3, messageId: "unbounded", data: { reason: "a failed try-lock" } }],
    },
    {
      name: "try-lock spin with a constant delay and no bound",
      code: `import Redis from "ioredis";
const redis = new Redis();

export async function withLock(key: string, token: string): Promise<void> {
  while (!(await redis.set(key, token, "PX", 5000, "NX"))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
`,
      errors: [{ line: 5, column: 3, messageId: "constantDelayUnbounded", data: { reason: "a failed try-lock" } }],
    },
    {
      name: "bounded, but retrying deadlocks at once: no safe fix (not the for (;;) shape)",
      code: `export async function run(step: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await step();
    } catch (error) {
      if ((error as { code?: string }).code !== "40P01") throw error;
    }
  }
}
`,
      errors: [{ line: 2, column: 3, messageId: "noDelay", data: CONFLICT }],
    },
  ],
});
