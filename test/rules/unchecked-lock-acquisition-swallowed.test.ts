// unchecked-lock-acquisition: a waiting acquisition that can fail by throwing (redlock giving up, simple-redis-mutex's
// `failAfterMillis`, a wait limit), inside a `try` whose `catch` can let the failure through to the section after it
// (labelled bug b123). simple-redis-mutex's `lock(client, key, options)` is a model entry (a function that acquires
// and returns its release), not code. Silent: a `catch` that rethrows or returns, a test of the handle before the
// section, and a retry loop that goes on only once the lock is taken.
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";

/** A document editor taking a simple-redis-mutex lock; `onFailure` is the body of the catch, `guard` precedes the work. */
const editor = (onFailure: string, guard = "") => `import type Redis from "ioredis";
import { lock } from "simple-redis-mutex";

export class DocumentLocks {
  constructor(private readonly redis: Redis) {}
  async edit<T>(docId: string, change: () => Promise<T>): Promise<T> {
    let release: (() => Promise<void>) | undefined;
    try {
      release = await lock(this.redis, \`doc:\${docId}\`, { timeoutMillis: 10_000, failAfterMillis: 2_000 });
    } catch (error) {
      ${onFailure}
    }${guard}
    try {
      return await change();
    } finally {
      if (release) await release();
    }
  }
}
`;

/** A redlock v5 section whose acquisition failure is only logged. */
const REDLOCK_LOGGED = `import Redlock from "redlock";
declare const redlock: Redlock;
declare function settle(batchId: string): Promise<void>;

export async function settleBatch(batchId: string) {
  let held;
  try {
    held = await redlock.acquire([\`batch:\${batchId}\`], 30_000);
  } catch (error) {
    console.warn("could not lock the batch", error);
  }
  await settle(batchId);
  await held?.release();
}
`;

const TIMEOUT_ONLY = `if (error instanceof Error && error.message.startsWith("Lock could not be acquire")) throw new Error("busy");`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    { name: "the catch rethrows every failure", code: editor("throw error;") },
    { name: "the catch returns", code: editor('throw new Error("busy", { cause: error });') },
    {
      name: "the handle is tested before the section",
      code: editor(TIMEOUT_ONLY, '\n    if (!release) throw new Error("not locked");'),
    },
    {
      name: "a retry loop that returns from inside the try once the lock is taken",
      code: `import Redlock from "redlock";
declare const redlock: Redlock;
declare function sleep(ms: number): Promise<void>;

export async function becomeLeader(slot: string) {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await redlock.acquire([\`leader:\${slot}\`], 30_000);
      return true;
    } catch {
      await sleep(1_000 * 2 ** attempt);
    }
  }
  return false;
}
`,
    },
  ],
  invalid: [
    {
      name: "simple-redis-mutex: only the timeout is rethrown, any other failure runs the change without the lock",
      code: editor(TIMEOUT_ONLY),
      errors: [
        {
          line: 9,
          column: 23,
          messageId: "failureSwallowed",
          data: {
            lock: "The lock `lock(…)` takes on `doc:${docId}`",
            call: "`lock(…)`",
            failure: "the lease is busy past its timeout",
            catchLine: 10,
            section: "`change()`",
            line: 14,
          },
          related: [{ line: 10 }, { line: 14 }],
        },
      ],
    },
    {
      name: "redlock: the acquisition's failure is logged, and the batch is settled anyway",
      code: REDLOCK_LOGGED,
      errors: [
        {
          line: 8,
          column: 18,
          messageId: "failureSwallowed",
          data: {
            lock: "`redlock` key `` [`batch:${batchId}`] ``",
            call: "`` redlock.acquire([`batch:${batchId}`], 30_000) ``",
            failure: "redlock gives up after its retries",
            catchLine: 9,
            section: "`settle(batchId)`",
            line: 12,
          },
        },
      ],
    },
  ],
});
