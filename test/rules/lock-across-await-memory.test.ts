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
  ],
  invalid: [
    {
      name: "Map state: the balance read, a rate fetched, the balance written back under async-mutex",
      code: `import { Mutex } from "async-mutex";
const lock = new Mutex();
const balances = new Map<string, number>();
export async function convert(id: string) {
  await lock.runExclusive(async () => {
    const current = balances.get(id) ?? 0;
    const rate = (await (await fetch("https://rates.example.com/eur")).json()) as number;
    balances.set(id, current * rate);
  });
}`,
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
      errors: [
        {
          line: 15,
          column: 7,
          messageId: "underMutex",
          data: { call: "`this.stripe.charges.create`", reason: "calls the Stripe API over HTTP", lock: "`this.lock`" },
          help: ADVICE,
          related: [{ line: 12, message: "`this.lock` taken here" }],
        },
      ],
    },
  ],
});
