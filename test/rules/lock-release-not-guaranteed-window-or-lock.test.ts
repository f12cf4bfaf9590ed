// lock-release-not-guaranteed: a `SET … NX EX` of a constant is a throttle window (kept on success by design) only when
// it is deleted, if at all, right after a check that the work it let through did not happen. One deleted after awaited
// work is a lock around that work, and a `return` between the two leaks it until it expires.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

/** A search reindex of one document behind `SET reindex:<id> 1 EX 60 NX`; `body` runs once the key is taken. */
const reindex = (body: string) => `import Redis from "ioredis";

const redis = new Redis();
declare function loadDoc(id: string): Promise<{ id: string; text: string } | null>;
declare function writeIndex(doc: { id: string; text: string }): Promise<void>;
declare function indexIfChanged(id: string): Promise<boolean>;

export async function reindex(id: string): Promise<void> {
  const key = \`reindex:\${id}\`;
  const taken = await redis.set(key, "1", "EX", 60, "NX");
  if (taken !== "OK") return;
${body}
}
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a window kept when the reindex happened, deleted right after the check that it did not",
      code: reindex(`  if (await indexIfChanged(id)) return;
  await redis.del(key);`),
    },
  ],
  invalid: [
    {
      name: "the key deleted after the reindex it guards, with an early return before it: a lock leaked until it expires",
      code: reindex(`  const doc = await loadDoc(id);
  if (!doc) return;
  await writeIndex(doc);
  await redis.del(key);`),
      errors: [{ line: 10, column: 23, messageId: "releaseSkippable" }],
      output: reindex(`  try {
    const doc = await loadDoc(id);
    if (!doc) return;
    await writeIndex(doc);
  } finally {
    await redis.del(key);
  }`),
    },
  ],
});
