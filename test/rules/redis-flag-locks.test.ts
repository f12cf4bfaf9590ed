// A Redis lock taken in two steps (labelled bugs b105, b242): the key read with GET (or EXISTS) and the caller turned
// away when it is there, then a plain SET (no NX) before the work and a DEL after it. The read and the write are two
// round trips, so two callers can both find the key free: unchecked-lock-acquisition reports the SET, and
// lock-without-expiry reports it too when it sets no expiry. Written out or through helpers of the file that send one
// command each. A key deleted only in a `catch` of the work is a marker kept on success: the same race, said so, and
// no lock-without-expiry (nothing is left held). Silent: a SET NX whose reply decides, a key read and set with no DEL after the work (a cache), a read
// that turns nobody away, and a SET with NX after the read.
import { lockWithoutExpiry } from "../../rules/lock-without-expiry";
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { runRuleTests } from "../helpers/rule-tester";

/** A nightly export guarded by a Redis key; `take` marks it, `between` runs after the read. */
const exportJob = (take: string, between = "") => `import Redis from "ioredis";
const redis = new Redis();
declare function exportLedger(): Promise<void>;

export async function nightlyExport() {
  const running = await redis.get("export:ledger");
  if (running) return "skipped";${between}
  ${take}
  try {
    await exportLedger();
  } finally {
    await redis.del("export:ledger");
  }
  return "done";
}
`;

/** A webhook's delivery marked taken with a plain SET after a GET, kept on success and deleted only when handling fails. */
const DELIVERY_MARKER = `import Redis from "ioredis";
const redis = new Redis();
declare function applyDelivery(id: string): Promise<void>;

export async function onDelivery(id: string) {
  if (await redis.get(\`delivery:\${id}\`)) return "duplicate";
  await redis.set(\`delivery:\${id}\`, "taken");
  try {
    await applyDelivery(id);
  } catch (error) {
    await redis.del(\`delivery:\${id}\`);
    throw error;
  }
  return "applied";
}
`;

/** A report cache: read, computed on a miss, stored; never deleted after the work. */
const CACHE = `import Redis from "ioredis";
const redis = new Redis();
declare function buildReport(id: string): Promise<string>;

export async function report(id: string) {
  const cached = await redis.get(\`report:\${id}\`);
  if (cached) return cached;
  const fresh = await buildReport(id);
  await redis.set(\`report:\${id}\`, fresh, "EX", 600);
  return fresh;
}
`;

/** A NestJS-style lock service whose steps are one-command helpers (b105's shape). */
const lockService = (expiry: string) => `import type Redis from "ioredis";

export class ImportLock {
  constructor(private readonly redis: Redis) {}
  private keyOf(source: string) {
    return \`import:lock:\${source}\`;
  }
  async busy(source: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf(source))) === 1;
  }
  async hold(source: string): Promise<void> {
    await this.redis.set(this.keyOf(source), "1"${expiry});
  }
  async free(source: string): Promise<void> {
    await this.redis.del(this.keyOf(source));
  }
  async importFrom(source: string, run: () => Promise<void>) {
    if (await this.busy(source)) return false;
    await this.hold(source);
    try {
      await run();
    } finally {
      await this.free(source);
    }
    return true;
  }
}
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "SET NX with an expiry, its reply deciding whether the export runs",
      code: exportJob('if ((await redis.set("export:ledger", "1", "PX", 60_000, "NX")) !== "OK") return "skipped";'),
    },
    { name: "a cache: read, computed on a miss, stored with an expiry, never deleted after the work", code: CACHE },
    {
      name: "the read turns nobody away: the key is logged, then set",
      code: exportJob('await redis.set("export:ledger", "1");').replace('if (running) return "skipped";', "console.log(running);"),
    },
  ],
  invalid: [
    {
      name: "GET, then a plain SET with no expiry, then the work and a DEL in finally",
      code: exportJob('await redis.set("export:ledger", "1");'),
      errors: [
        {
          line: 8,
          column: 9,
          messageId: "testedThenSet",
          data: { key: '`"export:ledger"`', test: '`redis.get("export:ledger")`', line: 6, release: 12 },
          related: [{ line: 6 }, { line: 12 }],
        },
      ],
    },
    {
      name: "one-command helpers: EXISTS through `busy`, SET through `hold`, DEL through `free`",
      code: lockService(', "EX", 300'),
      errors: [
        {
          line: 19,
          column: 11,
          messageId: "testedThenSet",
          data: { key: "`this.keyOf(source)`", test: "`this.busy(source)`", line: 18, release: 23 },
        },
      ],
    },
    {
      name: "a marker deleted only when the work fails: the same race, without a section ended by the delete",
      code: DELIVERY_MARKER,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "testedThenMarked",
          data: { key: "`delivery:${id}`", test: "`` redis.get(`delivery:${id}`) ``", line: 6, release: 11 },
          related: [
            { line: 6, message: "tested free here" },
            { line: 11, message: "deleted here, only when the work fails" },
          ],
        },
      ],
    },
  ],
});

runRuleTests(lockWithoutExpiry, {
  valid: [
    { name: "the two-step lock with an expiry (its race is unchecked-lock-acquisition's)", code: lockService(', "EX", 300') },
    { name: "a cache stored with an expiry", code: CACHE },
    { name: "a marker kept on success, deleted only when the work fails: no lock left held", code: DELIVERY_MARKER },
  ],
  invalid: [
    {
      name: "GET, then a plain SET with no expiry, deleted after the work",
      code: exportJob('await redis.set("export:ledger", "1");'),
      errors: [{ line: 8, column: 9, messageId: "flagNoExpiry", data: { lock: '`"export:ledger"`', test: 6, release: 12 } }],
    },
    {
      name: "through one-command helpers, the SET with no expiry",
      code: lockService(""),
      errors: [{ line: 19, column: 11, messageId: "flagNoExpiry", data: { lock: "`this.keyOf(source)`", test: 18, release: 23 } }],
    },
  ],
});
