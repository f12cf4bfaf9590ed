// lock-across-await: a SET NX of a constant with an expiry that nothing in the file releases is a rate limit that ends
// only by expiring (one sync a second across workers): a call that outlasts it lets in the next taker the expiry was
// set for, not a second holder of a section. A lease holding an owner token, or one released after the call, is a
// lock, and a slow call under it is reported.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

const sync = (value: string, after = "") => `import Redis from "ioredis";
import { randomUUID } from "node:crypto";

const redis = new Redis();

export async function syncFeed(feed: string): Promise<void> {
  const key = \`feed-sync:\${feed}\`;
  if (await redis.set(key, ${value}, "EX", 2, "NX")) {
    await fetch(\`https://feeds.example.com/pull/\${feed}\`);${after}
  }
}
`;

/** One credit a minute per output, helper-taken: the marker is never deleted, and the loop goes on past it. */
const credits = `import Redis from "ioredis";

const redis = new Redis();

async function claimOnce(name: string, seconds: number): Promise<boolean> {
  return (await redis.set(name, "seen", "EX", seconds, "NX")) === "OK";
}

export async function creditOutputs(outputs: Array<{ id: string; seen: boolean; hook: string }>): Promise<void> {
  for (const output of outputs) {
    if (output.seen) {
      await fetch(output.hook, { method: "POST" });
      continue;
    }
    if (!(await claimOnce(\`credit:\${output.id}\`, 60))) continue;
    await redis.incrby(\`credits:\${output.id}\`, 1);
  }
}
`;

runRuleTests(lockAcrossAwait, {
  valid: [
    { name: "a constant two-second lease never released: a rate limit of one sync per feed", code: sync(`"1"`) },
    { name: "a constant marker taken through a helper and never deleted, in a loop that calls out for other items", code: credits },
  ],
  invalid: [
    {
      name: "the same lease holding an owner token: a lock whose holder's slow call outlasts it",
      code: sync("randomUUID()"),
      errors: [{ line: 9, column: 5, messageId: "underExpiringLease" }],
    },
    {
      name: "the same constant lease deleted after the call: a lock around the call",
      code: sync(
        `"1"`,
        `
    await redis.del(key);`,
      ),
      errors: [{ line: 9, column: 5, messageId: "underExpiringLease" }],
    },
  ],
});
