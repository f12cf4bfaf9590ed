// Proof against the local Redis that a finding inside the app's own lock module is a real double entry, and that the
// safe fix removes it: examples/src/locking/locks.ts's `withLease` returns `work()` from `try` without awaiting it, so
// `finally` gives the lease back while the work runs (lock-release-not-guaranteed infers the lease from the class's
// SET NX / compare-and-delete methods). Two callers of the same key then run their work at the same time; after
// `--fix` (`return await work()`) they never do.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type Redis from "ioredis";
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { connectRedis, suffix } from "../runtime/services";
import { exampleText, lintAndFix, type LintedExample } from "./lost-update-proof";

/** The most callers inside `work` at once, for `callers` concurrent `withLease` calls on one key. */
async function maxInside(module: Record<string, any>, redis: Redis, callers: number): Promise<number> {
  const leases = new module.RedisLeases(redis, 10_000);
  const key = `locksmith-proof-${suffix()}`;
  let inside = 0;
  let most = 0;
  const work = async () => {
    most = Math.max(most, ++inside);
    await sleep(250);
    inside--;
  };
  await Promise.all(Array.from({ length: callers }, () => leases.withLease(key, work)));
  return most;
}

describe("lock-release-not-guaranteed on the app's own Redis lease (withLease), against Redis", () => {
  let redis: Redis | undefined;
  let example: LintedExample;
  before(async () => {
    redis = await connectRedis();
    example = lintAndFix(lockReleaseNotGuaranteed, exampleText("locking/locks.ts"));
  });
  after(() => redis?.disconnect());

  test("the finding is the return inside withLease, and the fix awaits it", () => {
    assert.deepEqual(example.findingLines, [40]);
    assert.match(example.fixedText, /try \{\n\s+return await work\(\);\n\s+\} finally \{/);
  });

  test("as written, a second caller runs its work while the first one's still runs", async () => {
    assert.equal(await maxInside(example.original, redis!, 2), 2);
  });

  test("after the fix, the work of one key never runs twice at once", async () => {
    assert.equal(await maxInside(example.fixed, redis!, 3), 1);
  });
});
