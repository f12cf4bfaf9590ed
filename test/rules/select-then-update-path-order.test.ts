// select-then-update and transaction-through-pool: the checks that reasoned by text position ("before", "after", the
// statements after the write in its block) asked along the function's paths instead (flow/queries.ts). Each case is a
// shape where text order and path order disagree, with its look-alike whose answer stays: a guard branch that sets a
// field and returns (assignedBefore), work in a loop's guard that goes on to the next row (the no-change shortcut's
// work between the check and the write), a `let` given an insert on each branch (fresh-row), a helper whose `let` is
// filled from the database on one branch (the read a helper returns), a write in a `try` whose `catch` leaves before
// the work it claims, and a guard's `ROLLBACK; return` before the COMMIT that ends the transaction.
import { selectThenUpdate } from "../../rules/select-then-update";
import { transactionThroughPool } from "../../rules/transaction-through-pool";
import { runRuleTests } from "../helpers/rule-tester";

const PRISMA = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

/** A session whose expiry slides: the loaded row's field set to now + 30 days, then `branch`, then the field written (line 10). */
const slideSession = (branch: string) => `${PRISMA}const DAY = 24 * 60 * 60 * 1000;
export async function validateSession(sessionId: string, revoke: boolean) {
  const session = await prisma.session.findUnique({ where: { id: sessionId } });
  if (!session || Date.now() >= session.expiresAt.getTime()) return null;
  if (Date.now() >= session.expiresAt.getTime() - 15 * DAY) {
    session.expiresAt = new Date(Date.now() + 30 * DAY);
    ${branch}
    await prisma.session.update({ where: { id: session.id }, data: { expiresAt: session.expiresAt } });
  }
  return session;
}`;

/** Jobs cancelled in a loop unless missing or already cancelled; `guard` handles those, the update is at line 9. */
const cancelAll = (guard: string, before = "") => `${PRISMA}declare function notifyOwner(jobId: string): Promise<void>;
export async function cancelAll(jobIds: string[]) {
  for (const jobId of jobIds) {
    const job = await prisma.job.findUnique({ where: { id: jobId } });
    if (!job || job.status === "CANCELLED") ${guard}
    ${before}
    await prisma.job.update({ where: { id: jobId }, data: { status: "CANCELLED", endedAt: new Date() } });
  }
}`;

/** A profile created (`created`), then read back by its id and its view count bumped (line 7). */
const openProfile = (created: string) => `${PRISMA}export async function openProfile(userId: string, invited: boolean) {
  ${created}
  const row = await prisma.profile.findUnique({ where: { id: profile.id } });
  await prisma.profile.update({ where: { id: profile.id }, data: { views: row!.views + 1 } });
}`;

/** A wallet looked up by a helper (`body`), its balance lowered by the caller (line 12). */
const spend = (body: string) => `${PRISMA}const walletCache = new Map<string, { balance: number }>();
async function findWallet(userId: string) {
  ${body}
  return wallet;
}
export async function spend(userId: string, amount: number) {
  const wallet = await findWallet(userId);
  if (!wallet) throw new Error("no wallet");
  await prisma.wallet.update({ where: { userId }, data: { balance: wallet.balance - amount } });
}`;

/** An invite's reward flag set (`mark`), then the reward credited after it (the flag's write at line 8 when in a `try`). */
const payReward = (mark: string) => `${PRISMA}export async function payInviteReward(inviteId: string) {
  const invite = await prisma.invite.findUnique({ where: { id: inviteId } });
  if (!invite) return;
  ${mark}
  await prisma.credit.create({ data: { userId: invite.inviterId, amount: 10 } });
}`;

const EXISTING_PROFILE = openProfile(
  'let profile = await prisma.profile.findFirst({ where: { userId } });\n  if (!profile) profile = await prisma.profile.create({ data: { userId, source: "signup" } });',
);
const CACHED_WALLET = spend(
  "let wallet = walletCache.get(userId);\n  if (!wallet) wallet = await prisma.wallet.findUnique({ where: { userId } });",
);

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the expiry set to now + 30 days is what the write stores: a branch that sets it otherwise returns first",
      code: slideSession("if (revoke) {\n      session.expiresAt = new Date(0);\n      return null;\n    }"),
    },
    {
      name: "the owner is notified only on the guard's branch, which goes on to the next job: no work between check and cancel",
      code: cancelAll("{\n      await notifyOwner(jobId);\n      continue;\n    }"),
    },
    {
      name: "the profile holds a row created on each branch: every call reads back its own new row",
      code: openProfile(
        'let profile;\n  if (invited) profile = await prisma.profile.create({ data: { userId, source: "invite" } });\n  else profile = await prisma.profile.create({ data: { userId, source: "signup" } });',
      ),
    },
    {
      name: "the helper's wallet read is replaced on every path before it returns: the caller writes nothing read",
      code: spend(
        'let wallet = await prisma.wallet.findUnique({ where: { userId } });\n  if (!wallet) throw new Error("no wallet");\n  wallet = { balance: 0 };',
      ),
    },
    {
      name: "the reward is credited after the `if` around the flag's write, whether or not it ran: the flag claims nothing",
      code: payReward(
        "if (!invite.rewardPaid) {\n    await prisma.invite.update({ where: { id: inviteId }, data: { rewardPaid: true } });\n  }",
      ),
    },
  ],
  invalid: [
    {
      name: "the branch that sets the expiry from the row read goes on to the write: it may write the expiry read",
      code: slideSession("if (revoke) session.expiresAt = session.createdAt;"),
      errors: [{ line: 10, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "the owner notified after the check and before the cancel: the check also guards that work",
      code: cancelAll("continue;", "await notifyOwner(jobId);"),
      errors: [{ line: 9, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "the profile is an existing one looked up on one path: another call may know that row",
      code: EXISTING_PROFILE,
      errors: [{ line: 7, column: 9, messageId: "lostUpdate" }],
      output: EXISTING_PROFILE.replace("views: row!.views + 1", "views: { increment: 1 }"),
    },
    {
      name: "the helper returns the wallet from the database when the cache misses: the caller writes the balance read",
      code: CACHED_WALLET,
      errors: [{ line: 12, column: 9, messageId: "lostUpdate" }],
      output: CACHED_WALLET.replace("balance: wallet.balance - amount", "balance: { decrement: amount }"),
    },
    {
      name: "the flag set in a `try` whose `catch` leaves: the reward after the `try` runs only where it was set, and twice",
      code: payReward(
        "if (invite.rewardPaid) return;\n  try {\n    await prisma.invite.update({ where: { id: inviteId }, data: { rewardPaid: true } });\n  } catch (error) {\n    console.error(error);\n    return;\n  }",
      ),
      errors: [{ line: 8, column: 11, messageId: "checkThenWrite" }],
    },
  ],
});

/** A seat reserved through the pool: `guard` runs when the seat is missing or taken, COMMIT at line 11. */
const reserveSeat = (guard: string) => `import { Pool } from "pg";
const pool = new Pool();
export async function reserveSeat(seatId: string, userId: string) {
  await pool.query("BEGIN");
  const { rows } = await pool.query("SELECT taken_by FROM seats WHERE id = $1 FOR UPDATE", [seatId]);
  if (rows.length === 0 || rows[0].taken_by) {
    await pool.query("ROLLBACK");
    ${guard}
  }
  await pool.query("UPDATE seats SET taken_by = $1 WHERE id = $2", [userId, seatId]);
  await pool.query("COMMIT");
  return true;
}`;

const PG_HELP =
  "Check out one connection (`const client = await pool.connect()`, mysql2: `getConnection()`), run BEGIN, the statements and COMMIT on it, and release it in `finally`; or use `withPgTransaction` / `withMySqlTransaction` from `@locksmith/runtime`.";

runRuleTests(transactionThroughPool, {
  valid: [],
  invalid: [
    {
      name: "a guard's ROLLBACK that returns: the transaction's statements run up to the COMMIT after the guard",
      code: reserveSeat("return false;"),
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "beginThroughPool",
          data: { begin: "`BEGIN`", pool: "`pool`", until: " up to the `COMMIT` at line 11" },
          related: [{ line: 11, message: "COMMIT, through the pool: it may run on another connection" }],
        },
      ],
    },
    {
      name: "a ROLLBACK in a branch that goes on: it is the first end on that path",
      code: reserveSeat('console.warn("seat taken");'),
      errors: [
        {
          line: 4,
          column: 9,
          messageId: "beginThroughPool",
          data: { begin: "`BEGIN`", pool: "`pool`", until: " up to the `ROLLBACK` at line 7" },
          related: [{ line: 7, message: "ROLLBACK, through the pool: it may run on another connection" }],
        },
      ],
    },
    {
      name: "a COMMIT in the other branch of the `if` that sends BEGIN ends no transaction BEGIN opened",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function transactionStep(step: "open" | "close") {
  if (step === "open") {
    await pool.query("BEGIN");
  } else {
    await pool.query("COMMIT");
  }
}`,
      errors: [
        {
          line: 5,
          column: 11,
          messageId: "beginThroughPool",
          data: { begin: "`BEGIN`", pool: "`pool`", until: "" },
          help: PG_HELP,
          related: [],
        },
      ],
    },
  ],
});
