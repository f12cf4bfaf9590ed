// inconsistent-lock-order: where most of a project takes two locks in one order and one function takes them the other
// way round, that function is the mistake. The cycle is reported once, there, with the functions of the project's
// order as related locations, rather than once in every function that follows the project's order. When as many
// functions take each order, neither is the project's and both sides are reported.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { runRuleTests } from "../helpers/rule-tester";

const LOCKS = `import { Mutex } from "async-mutex";
const accountsLock = new Mutex();
const ledgerLock = new Mutex();
`;
/** A function taking `outer`, then `inner` inside it. */
const nested = (name: string, outer: string, inner: string) => `export async function ${name}() {
  await ${outer}.runExclusive(async () => {
    await ${inner}.runExclusive(async () => {});
  });
}
`;
const FOREVER = "wait forever for the other";
const TASKS = "Two tasks running these at once";

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "three functions all taking the accounts lock before the ledger lock: one order, no cycle",
      code: LOCKS + nested("deposit", "accountsLock", "ledgerLock") + nested("withdraw", "accountsLock", "ledgerLock"),
    },
  ],
  invalid: [
    {
      name: "three functions take accounts → ledger, one takes ledger → accounts: reported once, at the one",
      code:
        LOCKS +
        nested("deposit", "accountsLock", "ledgerLock") +
        nested("withdraw", "accountsLock", "ledgerLock") +
        nested("close", "accountsLock", "ledgerLock") +
        nested("reconcile", "ledgerLock", "accountsLock"),
      errors: [
        {
          line: 21,
          column: 11,
          messageId: "cycle",
          data: {
            here: "`reconcile` acquires `accountsLock` while holding `ledgerLock`",
            elsewhere: "`deposit` acquires `ledgerLock` while holding `accountsLock`",
            parties: TASKS,
            outcome: FOREVER,
          },
          related: [
            { line: 20, message: "`ledgerLock` acquired here by `reconcile`" },
            { line: 5, message: "`accountsLock` acquired here by `deposit`" },
            { line: 6, message: "`ledgerLock` acquired here while `accountsLock` is held" },
            { line: 11, message: "also in the other order here: `withdraw` acquires `ledgerLock` while holding `accountsLock`" },
            { line: 16, message: "also in the other order here: `close` acquires `ledgerLock` while holding `accountsLock`" },
          ],
        },
      ],
    },
    {
      name: "two functions in each order: neither is the project's order, all four are reported",
      code:
        LOCKS +
        nested("deposit", "accountsLock", "ledgerLock") +
        nested("withdraw", "accountsLock", "ledgerLock") +
        nested("reconcile", "ledgerLock", "accountsLock") +
        nested("audit", "ledgerLock", "accountsLock"),
      errors: [
        { line: 6, column: 11, messageId: "cycle" },
        { line: 11, column: 11, messageId: "cycle" },
        { line: 16, column: 11, messageId: "cycle" },
        { line: 21, column: 11, messageId: "cycle" },
      ],
    },
  ],
});
