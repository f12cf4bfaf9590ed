// unsafe-lock-release, session 17: a lock taken and released through a file's top-level helpers that are given the key
// (`acquireLock(key)`, `releaseLock(key)`), as a lock class's methods are (bench/recall b128), next to look-alikes.
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

/** A board refresh under `withLock`; `release` is the body of the top-level function `release` names. */
const board = (releaseName: string, release: string) => `import { Redis } from "@upstash/redis";
const redis = Redis.fromEnv();
async function takeLock(key: string, ttlSec = 60): Promise<boolean> {
  const ok = await redis.set(key, "1", { nx: true, ex: ttlSec });
  return ok === "OK";
}
async function ${releaseName}(key: string): Promise<void> {
${release}
}
export async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T | null> {
  if (!(await takeLock(key, 300))) return null;
  try {
    return await fn();
  } finally {
    await ${releaseName}(key);
  }
}
`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a top-level helper that deletes a key by its parameter but is not named as a release (a cache drop)",
      code: board("dropEntry", "  await redis.del(key);"),
    },
    {
      name: "the release helper compares the holder's value before deleting (a compare-and-delete script)",
      code: board(
        "releaseLock",
        `  await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", [key], ["1"]);`,
      ),
    },
    {
      name: "the release helper of another module's lock: a nested function, not one of the file's top level",
      code: `import { Redis } from "@upstash/redis";
const redis = Redis.fromEnv();
async function takeLock(key: string): Promise<boolean> {
  return (await redis.set(key, "1", { nx: true, ex: 60 })) === "OK";
}
export function makeCache() {
  async function releaseEntry(key: string) {
    await redis.del(key);
  }
  return { releaseEntry };
}
export async function guarded(key: string) {
  return takeLock(key);
}
`,
    },
  ],
  invalid: [
    {
      name: "SET NX in `acquireLock(key)`, a blind DEL in `releaseLock(key)`: the release deletes whoever holds the key (b128)",
      code: board("releaseLock", "  await redis.del(key);"),
      errors: [{ line: 8, column: 9, messageId: "uncheckedConstant", data: { command: "DEL", lock: "`key`", line: 4 } }],
    },
  ],
});
