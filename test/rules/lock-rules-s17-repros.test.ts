// Session 17's held-out false alarms of the lock rules (issue #15), reproduced in bench/field/repros/s17:
// - reentrant-lock: a redis-semaphore Mutex is the Redis key it is constructed with (`new Mutex(client, key)`), not
//   the variable holding it: a helper building the key from a namespace and a key takes another lock for each
//   namespace, so one namespace's holder calling into another's takes a second lock, not its own again. The same
//   namespace and key taken twice, or a helper keyed by one argument re-entered with the same argument, stay reported.
// - lock-release-not-guaranteed: a Set whose presence test is compared with a requested state (`if (muted.has(k) ===
//   wanted) return`) exits when the key is absent as well as present: a state toggled by a flag, not a busy key. The
//   presence compared with `true` is still the busy-key guard.
// - lock-release-not-guaranteed: a value's conversion to text for a log line (`owner?.toString()`, `String(err)` in a
//   `logger.debug(…)`) is taken not to throw, as the log call is, so a log line before the release in `finally` does
//   not make the release conditional. An awaited call there (an audit write) still can throw and skip it.
// - unsafe-lock-release: a Lua script written as string literals joined (`[…].join("\n")`, `a + b`) is read as the
//   text they join to: a joined compare-and-delete is a checked release, a joined plain DEL a blind one.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { reentrantLock } from "../../rules/reentrant-lock";
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

/** Redis mutexes made per call: one keyed `${namespace}-${key}` from an options object, one keyed `job:${jobId}`. */
const locks = `import Redis from "ioredis";
import { Mutex } from "redis-semaphore";

const redis = new Redis();

export async function acquire(options: { key: string; namespace: string }): Promise<Mutex> {
  const mutex = new Mutex(redis, \`\${options.namespace}-\${options.key}\`, { lockTimeout: 10000 });
  await mutex.acquire();
  return mutex;
}

export async function lockJob(jobId: string): Promise<Mutex> {
  const mutex = new Mutex(redis, \`job:\${jobId}\`);
  await mutex.acquire();
  return mutex;
}

export async function release(mutex: Mutex): Promise<void> {
  await mutex.release();
}
`;

/** A build holds its own namespace's lock for a site and calls the publisher, which takes the publish namespace's. */
const namespaces = (publishNamespace: string) => `import { acquire, release } from "./locks";

declare function upload(siteId: string, bundle: string): Promise<void>;
declare function compile(siteId: string): Promise<string>;

export async function publish(siteId: string, bundle: string): Promise<void> {
  const mutex = await acquire({ key: siteId, namespace: "${publishNamespace}" });
  try {
    await upload(siteId, bundle);
  } finally {
    await release(mutex);
  }
}

export async function build(siteId: string): Promise<void> {
  const mutex = await acquire({ key: siteId, namespace: "SiteBuilder.build" });
  try {
    const bundle = await compile(siteId);
    await publish(siteId, bundle);
  } finally {
    await release(mutex);
  }
}
`;

/** The same namespace and key taken twice in one function. */
const sameNamespaceTwice = `import { acquire, release } from "./locks";

export async function rename(siteId: string): Promise<void> {
  const outer = await acquire({ key: siteId, namespace: "SiteBuilder.build" });
  try {
    const inner = await acquire({ key: siteId, namespace: "SiteBuilder.build" });
    await release(inner);
  } finally {
    await release(outer);
  }
}
`;

/** A job's lock held while calling a step that takes the same job's lock. */
const jobReentered = `import { lockJob, release } from "./locks";

declare function work(jobId: string): Promise<void>;

export async function step(jobId: string): Promise<void> {
  const mutex = await lockJob(jobId);
  try {
    await work(jobId);
  } finally {
    await release(mutex);
  }
}

export async function run(jobId: string): Promise<void> {
  const mutex = await lockJob(jobId);
  try {
    await step(jobId);
  } finally {
    await release(mutex);
  }
}
`;

const REFUSED = "the key is already taken by this same owner, so the second acquisition fails (or waits until the first one expires)";

runRuleTests(reentrantLock, {
  valid: [
    {
      name: "a namespaced Redis mutex helper: the holder of one namespace's lock takes another namespace's for the same key",
      code: namespaces("SitePublisher.publish"),
      filename: "src/sites.ts",
      files: { "src/locks.ts": locks },
    },
  ],
  invalid: [
    {
      name: "the same namespaced helper taken twice with the same namespace and key in one function",
      code: sameNamespaceTwice,
      filename: "src/rename.ts",
      files: { "src/locks.ts": locks },
      errors: [{ line: 6, column: 25, messageId: "reacquired", data: { holder: "`rename`", lock: "`acquire`", consequence: REFUSED } }],
    },
    {
      name: "a Redis mutex helper keyed by its one argument re-entered through a call with the same argument",
      code: jobReentered,
      filename: "src/jobs.ts",
      files: { "src/locks.ts": locks },
      errors: [
        {
          line: 17,
          column: 11,
          messageId: "reacquiredThroughCalls",
          data: { holder: "`run`", lock: "`job:${…}`", calls: "`step`", consequence: REFUSED },
        },
      ],
    },
  ],
});

/** A Set of muted channels: `guard` turns away when the recorded state is the requested one (or when muted). */
const muteTracker = (guard: string) => `export class MuteTracker {
  private muted = new Set<string>();

  constructor(private notify: (channel: string, muted: boolean) => Promise<void>) {}

  async setMuted(channel: { name(): string }, mute: boolean) {
    const key = "chan:" + channel.name();
    if (${guard}) {
      return;
    }
    if (mute) {
      this.muted.add(key);
      console.info(\`\${channel.name()} muted\`);
    } else {
      this.muted.delete(key);
      console.info(\`\${channel.name()} unmuted\`);
    }
    await this.notify(channel.name(), mute);
  }
}
`;

/** The Set as a busy key: marked, the awaited work, unmarked after it (a throw from the work skips the unmark). */
const busyTracker = (guard: string) => `export class MuteTracker {
  private muting = new Set<string>();

  constructor(private notify: (channel: string, muted: boolean) => Promise<void>) {}

  async setMuted(channel: { name(): string }, mute: boolean) {
    const key = "chan:" + channel.name();
    if (${guard}) {
      return;
    }
    this.muting.add(key);
    await this.notify(channel.name(), mute);
    this.muting.delete(key);
  }
}
`;

/** A merge under a mutex released in \`finally\` after a log line (valid), and after an awaited audit write (invalid). */
const mergeBatches = `import { Mutex } from "async-mutex";

const lock = new Mutex();
declare const logger: { debug(message: string, meta?: object): void };
declare function audit(entry: string): Promise<void>;
declare function merge(batchId: string): Promise<void>;

export async function mergeBatch(batch: { id: string; owner?: { toString(): string } }) {
  const release = await lock.acquire();
  try {
    logger.debug(\`merging \${batch.id}\`, { owner: batch.owner?.toString() });
    await merge(batch.id);
  } finally {
    try {
      logger.debug(\`unlocking \${batch.id}\`, { owner: batch.owner?.toString() });
      release();
    } catch (err) {
      logger.debug(\`unlock failed: \${String(err)}\`);
    }
  }
}

export async function mergeAudited(batch: { id: string; owner?: { toString(): string } }) {
  const release = await lock.acquire();
  try {
    await merge(batch.id);
  } finally {
    try {
      await audit(\`unlocking \${batch.owner?.toString()}\`);
      release();
    } catch (err) {
      logger.debug(\`unlock failed: \${String(err)}\`);
    }
  }
}
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a release in finally after a log line whose arguments convert a value to text",
      code: mergeBatches.slice(0, mergeBatches.indexOf("export async function mergeAudited")),
      filename: "src/merge.ts",
    },
    {
      name: "a Set recording a state, added to or deleted from by a flag after a test of whether the state is already the requested one",
      code: muteTracker("this.muted.has(key) === mute"),
      filename: "src/mute.ts",
    },
  ],
  invalid: [
    {
      name: "a Set's presence compared with true, marked before the work and unmarked after it: a busy key",
      code: busyTracker("this.muting.has(key) === true"),
      filename: "src/mute.ts",
      errors: [{ line: 11, column: 5, messageId: "releaseSkippable" }],
      output: busyTracker("this.muting.has(key) === true").replace(
        "    await this.notify(channel.name(), mute);\n    this.muting.delete(key);\n",
        "    try {\n      await this.notify(channel.name(), mute);\n    } finally {\n      this.muting.delete(key);\n    }\n",
      ),
    },
    {
      name: "a release in finally after an awaited audit write, which can throw and skip it",
      code: mergeBatches,
      filename: "src/merge.ts",
      errors: [{ line: 24, column: 25, messageId: "releaseSkippable" }],
    },
  ],
});

/** A SET NX lease released by a Lua script written as joined literals: `script` is the release's script constant. */
const joinedScript = (script: string) => `import Redis from "ioredis";

const redis = new Redis();

const RELEASE = ${script};

export async function withLease<T>(key: string, token: string, work: () => Promise<T>): Promise<T | undefined> {
  const taken = await redis.set(key, token, "PX", 30000, "NX");
  if (taken !== "OK") return undefined;
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a compare-and-delete Lua script written as an array of lines joined with newlines",
      code: joinedScript(`[
  "local v = redis.call('GET', KEYS[1])",
  "if v == ARGV[1] then return redis.call('DEL', KEYS[1]) end",
  "return 0",
].join("\\n")`),
      filename: "src/lease.ts",
    },
    {
      name: "a compare-and-delete Lua script written as literals joined with +",
      code: joinedScript(`"local v = redis.call('GET', KEYS[1]) " +
  "if v == ARGV[1] then return redis.call('DEL', KEYS[1]) end " +
  "return 0"`),
      filename: "src/lease.ts",
    },
  ],
  invalid: [
    {
      name: "a Lua script of joined lines that deletes the key without reading it",
      code: joinedScript(`["redis.call('DEL', KEYS[1])", "return 1"].join("\\n")`),
      filename: "src/lease.ts",
      errors: [{ line: 13, column: 11, messageId: "uncheckedScript" }],
    },
  ],
});
