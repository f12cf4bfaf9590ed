// lock-release-not-guaranteed: a test the way to the acquisition decided (the switch case it sits under, the `&&` or
// `||` operand before it) comes out the same when the release repeats it on a value nothing assigns; and a flag set
// first thing in the branch where the acquisition succeeded says the lock is held. A repeated test of a value the
// function changes in between, or of another value, still leaves the lock held on some path.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

const header = `import Redis from "ioredis";

const redis = new Redis();

async function claim(name: string, seconds: number): Promise<boolean> {
  return (await redis.set(name, "1", "EX", seconds, "NX")) === "OK";
}

async function unclaim(name: string): Promise<void> {
  await redis.del(name);
}

declare function compact(store: string, day?: string): Promise<void>;
`;

/** Compaction of one store: `claimed` is set when a claim succeeds, the claim is given back after the switch. */
const compaction = (release: string) => `${header}
export async function compactStore(store: string, mode: string, day: string): Promise<void> {
  let claimed = false;
  switch (store) {
    case "logs":
      if (await claim(\`compact:\${store}\`, 600)) {
        claimed = true;
        try {
          await compact(store);
        } catch (error) {
          console.warn(error);
        }
      }
      break;
    case "metrics":
      if (mode === "daily" && (await claim(\`compact:\${store}:\${day}\`, 600))) {
        claimed = true;
        try {
          await compact(store, day);
        } catch (error) {
          console.warn(error);
        }
      }
      break;
  }
${release}
}
`;

/** A forced rebuild skips the claim; the claim is given back in `finally` only where it was taken. */
const rebuild = (setup: string, release: string) => `${header}
export async function rebuild(store: string, forced: boolean, urgent: boolean): Promise<void> {
${setup}
  if (skip || (await claim(\`rebuild:\${store}\`, 300))) {
    try {
      await compact(store);
    } finally {
      ${release}
    }
  }
}
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "each claim given back under `if (claimed)` by a second switch on the same store and the same mode test",
      code: compaction(`  if (claimed) {
    switch (store) {
      case "logs":
        await unclaim(\`compact:\${store}\`);
        break;
      case "metrics":
        if (mode === "daily") await unclaim(\`compact:\${store}:\${day}\`);
        break;
    }
  }`),
    },
    {
      name: "`skip || claim()` claims only where skip is false, and `if (!skip)` gives it back exactly there",
      code: rebuild(`  const skip = forced;`, `if (!skip) await unclaim(\`rebuild:\${store}\`);`),
    },
  ],
  invalid: [
    {
      name: "the metrics claim given back under a test of another mode: a daily claim stays until it expires",
      code: compaction(`  if (claimed) {
    switch (store) {
      case "logs":
        await unclaim(\`compact:\${store}\`);
        break;
      case "metrics":
        if (mode === "weekly") await unclaim(\`compact:\${store}:\${day}\`);
        break;
    }
  }`),
      errors: [{ line: 29, column: 38, messageId: "releaseSkippable" }],
    },
    {
      name: "`skip` changes after the claim: the repeated test no longer says where it was taken",
      code: rebuild(
        `  let skip = forced;`,
        `skip = urgent;
      if (!skip) await unclaim(\`rebuild:\${store}\`);`,
      ),
      errors: [{ line: 17, column: 22, messageId: "releaseSkippable" }],
    },
  ],
});
