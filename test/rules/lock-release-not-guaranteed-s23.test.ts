// Session 23's held-out check (issue #15): a promise-chain queue whose step is one `try` handing the task's outcome to
// a deferred (`catch (e) { settle.fail(e) }`) never stores a rejected chain, so one failed task does not poison the
// rest (gitpod's Queue). A step whose catch rethrows, or a statement outside the `try`, still can.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

const turnstile = (step: string) => `interface Settle<T> { ok(value: T): void; fail(error: unknown): void; promise: Promise<T> }
declare function settle<T>(): Settle<T>;
declare function trace(label: string): void;
export class Turnstile {
  private last: Promise<unknown> = Promise.resolve();
  pass<T>(work: () => Promise<T>): Promise<T> {
    const outcome = settle<T>();
    this.last = this.last.then(${step});
    return outcome.promise;
  }
}`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "the step is one try whose catch hands the error to a deferred: the chain never rejects",
      code: turnstile(`async () => {
      try {
        outcome.ok(await work());
      } catch (error) {
        outcome.fail(error);
      }
    }`),
    },
    {
      name: "the same with a finally that throws nothing (a function expression)",
      code: turnstile(`async function () {
      try {
        outcome.ok(await work());
      } catch (error) {
        outcome.fail(error);
      } finally {
        trace("turn done");
      }
    }`),
    },
  ],
  invalid: [
    {
      name: "the catch rethrows after settling: the stored chain rejects",
      code: turnstile(`async () => {
      try {
        outcome.ok(await work());
      } catch (error) {
        outcome.fail(error);
        throw error;
      }
    }`),
      errors: [{ line: 8, column: 5, messageId: "chainNeverRecovers" }],
    },
    {
      name: "a statement before the try can throw outside it",
      code: turnstile(`async () => {
      trace(String(await work()));
      try {
        outcome.ok(await work());
      } catch (error) {
        outcome.fail(error);
      }
    }`),
      errors: [{ line: 8, column: 5, messageId: "chainNeverRecovers" }],
    },
  ],
});
