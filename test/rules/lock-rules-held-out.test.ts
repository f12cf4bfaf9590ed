// The lock rules: shapes judged false in the session-13 held-out check and still reported at the start of session 14
// (issue #15), each as a rule a reviewer states in one sentence, each next to a look-alike that stays reported.
// - lock-release-not-guaranteed: a local flag set to `true` by the statement right after the lock is taken (and
//   otherwise only to false) says the lock is held, so a release under `if (flag)` skips nothing on the paths where the
//   flag is false (a `break` taken when acquiring failed). The flag set after another awaited step stays reported.
// - lock-release-not-guaranteed: a call of a built-in Map or Set (`get`, `has`, `set`, `add`) cannot throw, and a step
//   of a shutdown that goes on to `process.exit()` is not taken to throw. A project store's `get`, or a branch that
//   gives up without ending the process, stays reported.
// - retry-without-backoff: a lock wait's deadline may be an elapsed time (`Date.now() - startedAt > limitMs`, also
//   through locals and `new Date().getTime()`). The same wait without the deadline stays reported.
// - unchecked-lock-acquisition: a try-lock's result stored at the end of a `while` body into the variable the loop's
//   condition tests is tested by that condition first. The same loop doing work between the store and the test stays
//   reported.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { retryWithoutBackoff } from "../../rules/retry-without-backoff";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";

/** A Redis lease helper: waits for the key with a jittered pause until a deadline, throws LeaseBusyError at it. */
const leases = `import Redis from "ioredis";
const redis = new Redis();
export class LeaseBusyError extends Error {}
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export async function holdLease(key: string, holder: string, waitMs = 5_000): Promise<void> {
  const since = Date.now();
  while ((await redis.set(key, holder, "PX", 30_000, "NX")) !== "OK") {
    if (Date.now() - since > waitMs) throw new LeaseBusyError(key);
    await pause(100 + Math.floor(Math.random() * 200));
  }
}
const DROP = \`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end\`;
export async function dropLease(key: string, holder: string): Promise<void> {
  await redis.eval(DROP, 1, key, holder);
}
`;

const reportOnce = (afterLease: string) => `import { holdLease, dropLease, LeaseBusyError } from "./leases";
declare function cachedReport(id: string): Promise<string | null>;
declare function renderReport(id: string): Promise<string>;
declare function noteLeaseTaken(id: string): Promise<void>;
export async function reportOnce(reportId: string, holder: string): Promise<string> {
  const giveUpAt = Date.now() + 15_000;
  let leased = false;
  for (;;) {
    try {
      await holdLease(\`report:\${reportId}\`, holder, 0);
${afterLease}      break;
    } catch (error) {
      if (!(error instanceof LeaseBusyError)) break;
    }
    const ready = await cachedReport(reportId);
    if (ready !== null) return ready;
    if (Date.now() >= giveUpAt) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    return await renderReport(reportId);
  } finally {
    if (leased) await dropLease(\`report:\${reportId}\`, holder);
  }
}`;

const rejoiner = (lookup: string, giveUp: string) => `interface GroupConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}
interface FailureStore {
  get(groupId: string): Promise<number | undefined>;
}
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export class GroupRejoiner {
  private readonly rejoining = new Set<string>();
  private readonly failures = new Map<string, number>();
  constructor(
    private readonly consumer: GroupConsumer,
    private readonly store: FailureStore,
  ) {}
  halt() {
    void this.consumer.disconnect();
  }
  async onCrash(groupId: string): Promise<void> {
    if (this.rejoining.has(groupId)) return;
    this.rejoining.add(groupId);
    const failures = ${lookup} ?? 0;
    if (failures < 5) {
      this.failures.set(groupId, failures + 1);
      try {
        await pause(2_000);
        await this.consumer.connect();
        this.failures.set(groupId, 0);
      } finally {
        this.rejoining.delete(groupId);
      }
    } else {
      this.halt();
${giveUp}    }
  }
}`;

const BUSY_KEY = "the key stays marked busy, and every later call for it is turned away until the process restarts";

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a release under a flag set right after the lease is taken; the break that skips it runs only when taking failed",
      code: reportOnce("      leased = true;\n"),
      filename: "src/reports.ts",
      files: { "src/leases.ts": leases },
    },
    {
      name: "a busy marker around a Map read and write, whose other branch shuts down and exits the process",
      code: rejoiner("this.failures.get(groupId)", "      await pause(500);\n      process.exit(1);\n"),
    },
  ],
  invalid: [
    {
      name: "the flag set only after another awaited step: a throw between the lease and the flag skips the release",
      code: reportOnce("      await noteLeaseTaken(reportId);\n      leased = true;\n"),
      filename: "src/reports.ts",
      files: { "src/leases.ts": leases },
      errors: [{ line: 10, column: 13, messageId: "releaseSkippable" }],
    },
    {
      name: "the failure count read from a project store, which can throw, between the marker and its try/finally",
      code: rejoiner("(await this.store.get(groupId))", "      await pause(500);\n      process.exit(1);\n"),
      errors: [
        {
          line: 21,
          column: 5,
          messageId: "releaseSkippable",
          data: {
            lock: "The busy key `groupId` of `this.rejoining`",
            line: 30,
            skip: "`await this.store.get(groupId)` at line 22 throws",
            consequence: BUSY_KEY,
          },
        },
      ],
    },
    {
      name: "the give-up branch stops the consumer but keeps running, with the marker still set",
      code: rejoiner("this.failures.get(groupId)", "      return;\n"),
      errors: [{ line: 21, column: 5, messageId: "releaseSkippable" }],
    },
  ],
});

const waitFor = (deadline: string) => `import Redis from "ioredis";
const redis = new Redis();
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export async function waitForSlot(key: string, holder: string, limitSeconds: number): Promise<void> {
  const startedAt = new Date().getTime();
  let granted = await redis.set(key, holder, "EX", 60, "NX");
  while (!granted) {
${deadline}    await pause(Math.floor(Math.random() * 201) + 100);
    granted = await redis.set(key, holder, "EX", 60, "NX");
  }
}`;

const ELAPSED_DEADLINE = `    const checkedAt = new Date().getTime();
    const waited = checkedAt - startedAt;
    if (waited > limitSeconds * 1000) throw new Error(\`no slot for \${key} after \${waited} ms\`);
`;

runRuleTests(retryWithoutBackoff, {
  valid: [
    {
      name: "a SET NX wait with a jittered pause that throws once the elapsed time, computed into locals, passes a limit",
      code: waitFor(ELAPSED_DEADLINE),
    },
    {
      name: "a try-lock wait that gives up when Date.now() minus its start passes the limit",
      code: waitFor("    if (Date.now() - startedAt >= limitSeconds * 1000) return;\n"),
    },
  ],
  invalid: [
    {
      name: "the same wait with the elapsed time only logged: it never gives up",
      code: waitFor("    const waited = new Date().getTime() - startedAt;\n    console.log(`waiting ${waited} ms for ${key}`);\n"),
      errors: [{ line: 7, column: 3, messageId: "unbounded", data: { reason: "a failed try-lock" } }],
    },
  ],
});

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "a SET NX retried at the end of a while body into the variable the loop's condition tests",
      code: waitFor(ELAPSED_DEADLINE),
    },
  ],
  invalid: [
    {
      name: "the retried SET NX followed by a write before the loop's condition tests it",
      code: waitFor(ELAPSED_DEADLINE).replace(
        '    granted = await redis.set(key, holder, "EX", 60, "NX");\n  }',
        '    granted = await redis.set(key, holder, "EX", 60, "NX");\n    await redis.hset("slots", key, holder);\n  }',
      ),
      errors: [
        {
          line: 12,
          column: 21,
          messageId: "runsBeforeCheck",
          data: { lock: "Redis lock `key`", call: '`redis.set(key, holder, "EX", 60, "NX")`', failure: 'null instead of "OK"', line: 13 },
        },
      ],
    },
  ],
});
