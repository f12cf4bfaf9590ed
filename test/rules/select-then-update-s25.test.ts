// Session 25 (held-out b248, koa2-ratelimit#59): SETEX / PSETEX (node-redis `setEx`) write a key's value as SET does,
// the value third; and a GET queued in a MULTI or pipeline is a read of its key, its value the element of `exec()`'s
// answer at its place (`const [hits, ttl] = await client.multi().get(key).ttl(key).exec()`).
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const NODE_REDIS = `import { createClient } from "redis";
const client = createClient({ url: process.env.REDIS_URL });
`;
const IOREDIS = `import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "node-redis: a page cached on a miss with setEx writes nothing it read",
      code: `${NODE_REDIS}
declare function renderBadge(owner: string): Promise<string>;
export async function badgeFor(owner: string) {
  const cached = await client.get(\`badge:\${owner}\`);
  if (cached) return cached;
  const svg = await renderBadge(owner);
  await client.setEx(\`badge:\${owner}\`, 600, svg);
  return svg;
}
`,
    },
    {
      name: "node-redis: the TTL queued in the MULTI decides, the value written is not computed from the count",
      code: `${NODE_REDIS}
export async function refreshWindow(key: string, seconds: number) {
  const [, ttl] = await client.multi().get(key).ttl(key).exec();
  if (ttl === -1) await client.setEx(key, seconds, "0");
}
`,
    },
    {
      name: "ioredis: the count raised by INCRBY in the MULTI itself, its reply only reported",
      code: `${IOREDIS}
export async function countVisit(page: string) {
  const replies = await redis.multi().incrby(\`visits:\${page}\`, 1).expire(\`visits:\${page}\`, 3600).exec();
  return Number(replies?.[0]?.[1] ?? 0);
}
`,
    },
  ],
  invalid: [
    {
      name: "node-redis: a count read by GET, written back plus the weight with setEx",
      code: `${NODE_REDIS}
export async function addWeight(key: string, seconds: number, weight: number) {
  const stored = await client.get(key);
  const total = Number(stored ?? 0) + weight;
  await client.setEx(key, seconds, String(total));
  return total;
}
`,
      errors: [{ line: 7, column: 9, messageId: "redisLostUpdate", data: { write: "`client.setEx(…)`", key: "`key`", line: 5 } }],
    },
    {
      name: "node-redis: the count read by a GET queued in a MULTI, written back plus the weight with setEx",
      code: `${NODE_REDIS}
export async function addWeight(key: string, seconds: number, weight: number) {
  const [stored, ttl] = await client.multi().get(key).ttl(key).exec();
  if (ttl === -2) return 0;
  const total = Number(stored ?? 0) + weight;
  await client.setEx(key, seconds, String(total));
  return total;
}
`,
      errors: [{ line: 8, column: 9, messageId: "redisLostUpdate", data: { write: "`client.setEx(…)`", key: "`key`", line: 5 } }],
    },
    {
      name: "ioredis: a pipeline's GET (an [error, value] pair), the value written back plus one with psetex",
      code: `${IOREDIS}
export async function bumpStreak(user: string) {
  const [[, days]] = (await redis.pipeline().get(\`streak:\${user}\`).pttl(\`streak:\${user}\`).exec()) as [
    [Error | null, string | null],
  ];
  await redis.psetex(\`streak:\${user}\`, 86_400_000, String(Number(days ?? 0) + 1));
}
`,
      errors: [
        { line: 8, column: 9, messageId: "redisLostUpdate", data: { write: "`redis.psetex(…)`", key: "`streak:${user}`", line: 5 } },
      ],
    },
  ],
});
