// lock-across-await where the slow call is the step the lock serializes (state-across-call.ts checkedThenRecorded):
// state read under a lock that cannot expire, a check of it that turns the caller away, the call, then a record of the
// call into that same state. Moving the call out of the lock lets two callers pass the check and both make it; the
// waiters wait for the record that turns them away. Each valid case stands next to a neighbour that stays reported.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

/** A verification-code resend under a PostgreSQL session advisory lock keyed by the phone number. */
const resendCode = (afterSend: string) => `import { Client } from "pg";

const lastSentAt = new Map<string, number>();

async function deliverSms(phone: string, text: string) {
  const res = await fetch("https://sms.example.com/messages", { method: "POST", body: JSON.stringify({ phone, text }) });
  return res.ok;
}

export async function resendCode(phone: string, code: string) {
  const db = new Client();
  await db.connect();
  await db.query("SELECT pg_advisory_lock(hashtext($1))", ["sms:" + phone]);
  try {
    const last = lastSentAt.get(phone);
    if (last !== undefined && Date.now() - last < 60_000) return false;
    const delivered = await deliverSms(phone, "Your code is " + code);
    ${afterSend}
    return delivered;
  } finally {
    await db.query("SELECT pg_advisory_unlock(hashtext($1))", ["sms:" + phone]);
    await db.end();
  }
}
`;

/**
 * A daily resend allowance under an in-process mutex: the count read, `check` decides whether the send runs, and the
 * count is written back from what was read (state-across-call's shape).
 */
const allowanceResend = (check: string) => `import { Mutex } from "async-mutex";

const lock = new Mutex();
const sentToday = new Map<string, number>();

export async function resendCode(phone: string, code: string) {
  await lock.runExclusive(async () => {
    const sent = sentToday.get(phone) ?? 0;
    ${check}
    await fetch("https://sms.example.com/messages", { method: "POST", body: JSON.stringify({ phone, code }) });
    sentToday.set(phone, sent + 1);
  });
}
`;

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "a per-number advisory lock around check the cooldown, send, record the send: only a duplicate send waits, which is the point",
      code: resendCode("if (delivered) lastSentAt.set(phone, Date.now());"),
    },
    {
      name: "a count read under a mutex, the send made only below the allowance, the count written back: splitting the section lets two callers send past it",
      code: allowanceResend("if (sent >= 3) return;"),
    },
  ],
  invalid: [
    {
      name: "the same advisory lock around a cooldown check and a send that records nothing: the check cannot change, callers wait for nothing",
      code: resendCode(""),
      errors: [{ line: 17, column: 23, messageId: "underLease" }],
    },
    {
      name: "the same count read, send and write back with no allowance check: the state carried across the call holds every caller (state-across-call)",
      code: allowanceResend(""),
      errors: [{ line: 10, column: 5, messageId: "underMutex" }],
    },
  ],
});
