// Shapes of the issue #17 list not covered elsewhere: an acquisition raced against a timeout with `Promise.race`.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

const header = `import { Mutex, withTimeout } from "async-mutex";
const mutex = new Mutex();
declare function charge(amount: number): Promise<void>;
const timeout = (ms: number) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms));
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "the time limit given to the lock itself (withTimeout): a timeout leaves the queue",
      code: `${header}const limited = withTimeout(new Mutex(), 5000);
export async function pay(amount: number) {
  const release = await limited.acquire();
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
    },
    {
      name: "the work raced against a timeout while the lock is held",
      code: `${header}export async function pay(amount: number) {
  const release = await mutex.acquire();
  try {
    await Promise.race([charge(amount), timeout(5000)]);
  } finally {
    release();
  }
}`,
    },
    {
      name: "the raced acquisition's promise kept, and released whenever it completes",
      code: `${header}export async function pay(amount: number) {
  const pending = mutex.acquire();
  const release = await Promise.race([pending, timeout(5000)]).catch(async (error) => {
    (await pending)();
    throw error;
  });
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
    },
  ],
  invalid: [
    {
      name: "an acquisition raced against a timeout: a late acquisition is never released",
      code: `${header}export async function pay(amount: number) {
  const release = await Promise.race([mutex.acquire(), timeout(5000)]);
  try {
    await charge(amount);
  } finally {
    release();
  }
}`,
      errors: [
        {
          line: 6,
          column: 39,
          messageId: "lostInRace",
          message:
            "`mutex` is raced against `timeout(5000)` with `Promise.race`: when `timeout(5000)` settles first, the acquisition is not cancelled — it completes later and takes the lock, whose handle nobody has, so the lock is never released, and every later acquisition waits forever.",
          related: [{ line: 6, message: "the race that gives up on the acquisition" }],
        },
      ],
    },
  ],
});
