import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// A read-through cache filled on a miss: the key checked empty is set to a value recomputed from the source, by a
// getter that returns what it found on a hit. Two misses store the same source's answer; nothing is claimed. A key set
// to a literal (the state itself, not a copy of a source) stays reported.

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a row cached on a miss, the hit returned parsed, the read raced against a timeout",
      code: `import Redis from "ioredis";
import { Pool } from "pg";
const redis = new Redis();
const pool = new Pool();
const timeout = <T>(ms: number) => new Promise<T | null>((resolve) => setTimeout(resolve, ms, null));
export async function findCoupon(code: string): Promise<{ code: string; percent: number } | null> {
  const key = \`coupon:\${code}\`;
  const cached = await Promise.race([redis.get(key), timeout<string>(300)]);
  if (cached) return JSON.parse(cached);
  const { rows } = await pool.query("SELECT code, percent FROM coupons WHERE code = $1", [code]);
  if (rows[0]) await redis.set(key, JSON.stringify(rows[0]), "EX", 120);
  return rows[0] ?? null;
}`,
    },
    {
      name: "a remote answer cached with a TTL on a miss, in an else branch",
      code: `import Redis from "ioredis";
const redis = new Redis();
declare function fetchQuote(symbol: string): Promise<string>;
export async function quote(symbol: string): Promise<string> {
  const key = \`quote:\${symbol}\`;
  const hit = await redis.get(key);
  if (hit !== null) {
    return hit;
  } else {
    const fresh = await fetchQuote(symbol);
    await redis.set(key, fresh, "EX", 30);
    return fresh;
  }
}`,
    },
  ],
  invalid: [
    {
      // Literal values: what the key holds is the state itself, not a copy of a source; two toggles undo each other.
      name: "a switch flipped by writing the opposite of what was read",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function togglePhase(): Promise<boolean> {
  const flipped = (await redis.get("phase:flipped")) === "true";
  if (flipped) {
    await redis.set("phase:flipped", "false");
  } else {
    await redis.set("phase:flipped", "true");
  }
  return !flipped;
}`,
      errors: [
        {
          line: 6,
          column: 11,
          messageId: "redisCheckThenWrite",
          data: { write: "`redis.set(…)`", key: '`"phase:flipped"`', line: 4 },
        },
      ],
    },
  ],
});
