// Session 22's held-out precision check (issue #15): a retry loop that waits through an injectable sleep with a local
// default (`await (options.sleep ?? sleep)(ms)`, 6529seize's NextGen lock retry) waits between attempts. An injected
// callback that is no sleep (`(options.onRetry ?? log)(…)`) waits for nothing, and the loop stays reported.
import { retryWithoutBackoff } from "../../rules/retry-without-backoff";
import { runRuleTests } from "../helpers/rule-tester";

const HEAD = `type Options = { tries?: number; sleep?: (ms: number) => Promise<void>; onRetry?: (n: number) => Promise<void> };
async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
async function log(n: number): Promise<void> {
  console.warn("retrying", n);
}
function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string })?.code === "ER_LOCK_WAIT_TIMEOUT";
}
`;

runRuleTests(retryWithoutBackoff, {
  valid: [
    {
      name: "the delay goes through an injected sleep with a default",
      code: `${HEAD}
export async function retryOnLockTimeout<T>(task: () => Promise<T>, options: Options = {}): Promise<T> {
  const tries = options.tries ?? 3;
  for (let n = 1; ; n++) {
    try {
      return await task();
    } catch (error) {
      if (!isLockTimeout(error) || n >= tries) throw error;
      await (options.sleep ?? sleep)(200 * 2 ** n);
    }
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "an injected callback with a default that is no sleep does not wait",
      code: `${HEAD}
export async function retryOnLockTimeoutNoWait<T>(task: () => Promise<T>, options: Options = {}): Promise<T> {
  const tries = options.tries ?? 3;
  for (let n = 1; ; n++) {
    try {
      return await task();
    } catch (error) {
      if (!isLockTimeout(error) || n >= tries) throw error;
      await (options.onRetry ?? log)(n);
    }
  }
}
`,
      errors: [{ line: 14, column: 3, messageId: "noDelay" }],
    },
  ],
});
