// Session 22's held-out precision check (issue #15): a key-value store's own `set` method that reports whether a SET
// with an expiry (no NX) replied "OK" writes a value, it takes nothing (rafiki's idempotency-response cache). The same
// SET tested against "OK" in a method that acquires a lock is a try-lock without NX, and stays reported.
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";

const HEAD = `import { Redis } from "ioredis";
declare const redis: Redis;
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "a cache's set method returns whether the SET with PX replied OK",
      code: `${HEAD}
export const sessionCache = {
  async get(id: string) {
    return redis.get(\`session:\${id}\`);
  },
  async set(id: string, payload: string) {
    return (await redis.set(\`session:\${id}\`, payload, "PX", 30_000)) === "OK";
  },
};
`,
    },
  ],
  invalid: [
    {
      name: "a lock's acquire method compares the reply of a SET with PX and no NX with OK",
      code: `${HEAD}
export const sessionLock = {
  async acquire(id: string, owner: string) {
    return (await redis.set(\`session-lock:\${id}\`, owner, "PX", 30_000)) === "OK";
  },
  async release(id: string) {
    await redis.del(\`session-lock:\${id}\`);
  },
};
`,
      errors: [{ line: 6, column: 19, messageId: "setWithoutNx" }],
    },
  ],
});
