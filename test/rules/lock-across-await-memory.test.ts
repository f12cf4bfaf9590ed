// lock-across-await on in-memory state, the guide's "holding a lock during an external call": a mutex section that
// reads shared state, makes a slow call and writes the state back from what it read holds every caller behind the
// call. A mutex around nothing but the slow call (a single flight: one token refresh at a time, a cache filled from
// the call's result) is deliberate and stays unreported, as in a database.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

const ADVICE =
  "Move the call before the critical section when its inputs are ready before the lock, or split the section: read under the lock, make the call without it, then re-acquire and re-validate (see the rule's documentation).";

/** A NestJS service with a mutex and in-memory state; `body` is one method. */
const service = (body: string) => `import { Injectable } from "@nestjs/common";
import { Mutex } from "async-mutex";
import Stripe from "stripe";
@Injectable()
export class CreditsService {
  private readonly lock = new Mutex();
  private credits = 0;
  private token?: string;
  private readonly quotes = new Map<string, unknown>();
  constructor(private readonly stripe: Stripe, private readonly baseUrl: string) {}
${body}
}`;

/** A module with an async-mutex `lock` over a `balances` map; `body` is its exported function. */
const balancesModule = (body: string) => `import { Mutex } from "async-mutex";
const lock = new Mutex();
const balances = new Map<string, number>();
${body}`;

/** The finding at a Stripe charge made under the service's `this.lock` (taken on line 12). */
const stripeCallUnderLock = (line: number, column: number) => ({
  line,
  column,
  messageId: "underMutex",
  data: { call: "`this.stripe.charges.create`", reason: "calls the Stripe API over HTTP", lock: "`this.lock`" },
  help: ADVICE,
  related: [{ line: 12, message: "`this.lock` taken here" }],
});

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "single flight on a field: the state written is the call's result, nothing read before it",
      code: service(`  async accessToken(): Promise<string> {
    return this.lock.runExclusive(async () => {
      if (!this.token) this.token = ((await (await fetch("https://auth.example.com/token")).json()) as { token: string }).token;
      return this.token;
    });
  }`),
    },
    {
      name: "a cache filled from the call's result: the local read from state is only the key",
      code: service(`  async quote(id: string) {
    return this.lock.runExclusive(async () => {
      const url = this.baseUrl + "/quotes/" + id;
      const quote = await (await fetch(url)).json();
      this.quotes.set(url, quote);
      return quote;
    });
  }`),
    },
    {
      name: "state read before the call, but what is written after it comes from the call alone",
      code: service(`  async refresh(id: string) {
    await this.lock.runExclusive(async () => {
      const previous = this.quotes.get(id);
      const quote = await (await fetch(this.baseUrl + "/quotes/" + id)).json();
      this.quotes.set(id, quote);
      return previous;
    });
  }`),
    },
    {
      name: "state read, and written back only on the branch that makes no call: the call's branch returns first",
      code: balancesModule(`export async function rate(id: string) {
  return lock.runExclusive(async () => {
    const current = balances.get(id);
    if (current === undefined) {
      const fetched = (await (await fetch("https://rates.example.com/" + id)).json()) as number;
      return fetched;
    }
    balances.set(id, current + 1);
    return current;
  });
}`),
    },
    {
      name: "a loop that reads the state again in each round before its write: nothing read before the call is written after it",
      code: balancesModule(`export async function settle(ids: string[]) {
  await lock.runExclusive(async () => {
    for (const id of ids) {
      const current = balances.get(id) ?? 0;
      balances.set(id, current + 1);
      await fetch("https://ledger.example.com/settled/" + id);
    }
  });
}`),
    },
  ],
  invalid: [
    {
      name: "Map state: the balance read, a rate fetched, the balance written back under async-mutex",
      code: balancesModule(`export async function convert(id: string) {
  await lock.runExclusive(async () => {
    const current = balances.get(id) ?? 0;
    const rate = (await (await fetch("https://rates.example.com/eur")).json()) as number;
    balances.set(id, current * rate);
  });
}`),
      errors: [
        {
          line: 7,
          column: 26,
          messageId: "underMutex",
          data: { call: "`fetch`", reason: "makes an HTTP request, as slow as the remote service", lock: "`lock`" },
          help: ADVICE,
          related: [{ line: 5, message: "`lock` taken here" }],
        },
      ],
    },
    {
      name: "a field read, a Stripe charge, the field written from what was read (NestJS service, acquire/release)",
      code: service(`  async topUp(customer: string, amount: number) {
    const release = await this.lock.acquire();
    try {
      const before = this.credits;
      await this.stripe.charges.create({ amount, currency: "eur", customer });
      this.credits = before + amount;
    } finally {
      release();
    }
  }`),
      errors: [stripeCallUnderLock(15, 7)],
    },
    {
      name: "a field read before a loop and written from it at the top of each round: the loop's back edge runs the write after the charge",
      code: service(`  async charge(customer: string, amounts: number[]) {
    await this.lock.runExclusive(async () => {
      const before = this.credits;
      let total = 0;
      for (const amount of amounts) {
        if (total > 0) this.credits = before + total;
        await this.stripe.charges.create({ amount, currency: "eur", customer });
        total += amount;
      }
    });
  }`),
      errors: [stripeCallUnderLock(17, 9)],
    },
  ],
});
