// Shapes of the issue #17 list not covered elsewhere: an acquisition raced against a timeout with `Promise.race`, a
// promise-chain queue re-entered from one of its own tasks, and a lease class whose release does not check the owner.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { reentrantLock } from "../../rules/reentrant-lock";
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

const header = `import { Mutex, withTimeout } from "async-mutex";
const mutex = new Mutex();
declare function charge(amount: number): Promise<void>;
const timeout = (ms: number) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms));
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "the time limit given to the lock itself (withTimeout): a timeout leaves the queue",
      code: `${header}const limited = withTimeout(new Mutex(), 5000);
export async function pay(amount: number) {
  const release = await limited.acquire();
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
    },
    {
      name: "the work raced against a timeout while the lock is held",
      code: `${header}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await Promise.race([charge(amount), timeout(5000)]);
  } finally {
    release();
  }
}`,
    },
    {
      name: "the raced acquisition's promise kept, and released whenever it completes",
      code: `${header}export async function pay(amount: number) {
  const pending = mutex.acquire();
  const release = await Promise.race([pending, timeout(5000)]).catch(async (error) => {
    (await pending)();
    throw error;
  });
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
    },
  ],
  invalid: [
    {
      name: "an acquisition raced against a timeout: a late acquisition is never released",
      code: `${header}export async function pay(amount: number) {
  const release = await Promise.race([mutex.acquire(), timeout(5000)]);
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
      errors: [
        {
          line: 6,
          column: 39,
          messageId: "lostInRace",
          message:
            "`mutex` is raced against `timeout(5000)` with `Promise.race`: when `timeout(5000)` settles first, the acquisition is not cancelled — it completes later and takes the lock, whose handle nobody has, so the lock is never released, and every later acquisition waits forever.",
          related: [{ line: 6, message: "the race that gives up on the acquisition" }],
        },
      ],
    },
  ],
});

/** Two promise-chain queues (in-process mutexes written by the app): each task runs after the previous one settles. */
const queues = {
  "src/queue.ts": `export class TaskQueue {
  private tail: Promise<void> = Promise.resolve();
  run(task: () => Promise<void>): Promise<void> {
    const next = this.tail.then(task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
export class AuditQueue {
  private last: Promise<void> = Promise.resolve();
  enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.last.then(task);
    this.last = next.catch(() => undefined);
    return next;
  }
}`,
};
const queueHeader = `import { AuditQueue, TaskQueue } from "./queue";
const writes = new TaskQueue();
const audit = new AuditQueue();
declare function save(id: string): Promise<void>;
`;

runRuleTests(reentrantLock, {
  valid: [
    {
      name: "a promise-chain queue's tasks one after the other",
      files: queues,
      code: `${queueHeader}export async function saveAll(ids: string[]) {
  await writes.run(async () => {
    for (const id of ids) await save(id);
  });
  await writes.run(async () => save("done"));
}`,
    },
    {
      name: "a task of one queue waiting for a task of another queue",
      files: queues,
      code: `${queueHeader}export async function saveAll(ids: string[]) {
  await writes.run(async () => {
    await audit.enqueue(async () => save("audit"));
  });
}`,
    },
  ],
  invalid: [
    {
      name: "a task of a promise-chain queue waiting for another task of the same queue: it waits for itself",
      files: queues,
      code: `${queueHeader}export async function saveAll(ids: string[]) {
  await writes.run(async () => {
    for (const id of ids) await writes.run(async () => save(id));
  });
}`,
      errors: [
        {
          line: 7,
          column: 33,
          messageId: "reacquired",
          message:
            "`saveAll` acquires `TaskQueue.tail` while already holding it: the lock is not reentrant, so the second acquisition waits for the first, which is never released: this hangs forever.",
        },
      ],
    },
  ],
});

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "two promise-chain queues nested in the same order everywhere",
      files: queues,
      code: `${queueHeader}export async function saveThenAudit(id: string) {
  await writes.run(async () => {
    await audit.enqueue(async () => save(id));
  });
}
export async function saveTwiceThenAudit(id: string) {
  await writes.run(async () => {
    await save(id);
    await audit.enqueue(async () => save(id));
  });
}`,
    },
  ],
  invalid: [
    {
      name: "two promise-chain queues, each task waiting for a task of the other queue, in opposite orders",
      files: queues,
      code: `${queueHeader}export async function saveThenAudit(id: string) {
  await writes.run(async () => {
    await audit.enqueue(async () => save(id));
  });
}
export async function auditThenSave(id: string) {
  await audit.enqueue(async () => {
    await writes.run(async () => save(id));
  });
}`,
      errors: [
        {
          line: 7,
          column: 11,
          messageId: "cycle",
          message:
            "Inconsistent lock order: `saveThenAudit` acquires `AuditQueue.last` while holding `TaskQueue.tail`, but `auditThenSave` acquires `TaskQueue.tail` while holding `AuditQueue.last`. Two tasks running these at once can each hold one lock and wait forever for the other.",
        },
        { line: 12, column: 11, messageId: "cycle" },
      ],
    },
  ],
});

/**
 * A lease class of the app's own over Redis `SET NX PX`, one object per lease name with its own token, whose `release`
 * gives the key back with a compare-and-delete script (the correct twin) or a plain DEL by key (which deletes whoever
 * holds the lease after this one's expired). (One token shared by every name a class takes is unsafe-lock-release's
 * `sharedToken`: tested in unsafe-lock-release.test.ts.)
 */
const leaseClass = (release: string) => `import Redis from "ioredis";
import { randomUUID } from "node:crypto";
const redis = new Redis();
export class Lease {
  private token = randomUUID();
  constructor(private readonly name: string) {}
  async take(): Promise<boolean> {
    return (await redis.set(\`lease:\${this.name}\`, this.token, "PX", 15000, "NX")) === "OK";
  }
  async give(): Promise<void> {
    ${release};
  }
}`;

const COMPARE_AND_DELETE = `await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, \`lease:\${this.name}\`, this.token)`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a lease class whose release compares its token before deleting (Lua compare-and-delete)",
      code: leaseClass(COMPARE_AND_DELETE),
    },
  ],
  invalid: [
    {
      name: "a lease class whose release deletes the key without checking the owner",
      code: leaseClass("await redis.del(`lease:${this.name}`)"),
      errors: [{ line: 11, column: 11, messageId: "unchecked", data: { command: "DEL", lock: "`lease:${this.name}`" } }],
      // The fix is the correct twin: the compare-and-delete script with the class's token.
      output: leaseClass(COMPARE_AND_DELETE),
    },
  ],
});
