import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// Redlock v4 and earlier: `redlock.lock(resources, ttl)` acquires, and the lock it returns is given back by `unlock()`.
const redlockV4 = `import Redis from "ioredis";
import Redlock from "redlock";
const redis = new Redis();
const redlock = new Redlock([redis]);
`;
// A flag checked, then work outside the database that is not safe to repeat, then the flag set: a job queued, a credit
// created at the payment provider. Two callers that both read the flag unset both do the work.
const referrals = `import { Queue } from "bullmq";
import { PrismaClient } from "@prisma/client";
import Stripe from "stripe";
const prisma = new PrismaClient();
const stripe = new Stripe("sk");
const rewards = new Queue("rewards");
`;
const UNTIL_EXPIRY = "the lock stays held until it expires, and every other process waits for it meanwhile";

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "redlock v4 lock() given back by unlock() in finally",
      code: `${redlockV4}export async function dropMember(room: string, member: string) {
  const lock = await redlock.lock(\`room:\${room}\`, 3000);
  try {
    await redis.srem(\`room:\${room}:members\`, member);
  } finally {
    await lock.unlock();
  }
}`,
    },
  ],
  invalid: [
    {
      name: "redlock v4 lock() given back by unlock() as the try block's last statement",
      code: `${redlockV4}export async function dropMember(room: string, member: string) {
  try {
    const lock = await redlock.lock(\`room:\${room}\`, 3000);
    await redis.srem(\`room:\${room}:members\`, member);
    await lock.unlock();
  } catch (err) {
    console.error(err);
  }
}`,
      errors: [
        {
          line: 7,
          column: 24,
          messageId: "releaseSkippable",
          data: {
            lock: "`redlock` key `room:${room}`",
            consequence: UNTIL_EXPIRY,
            line: 9,
            skip: "`` await redis.srem(`room:${room}:members`, member) `` at line 8 throws",
          },
        },
      ],
      output: `${redlockV4}export async function dropMember(room: string, member: string) {
  try {
    const lock = await redlock.lock(\`room:\${room}\`, 3000);
    try {
      await redis.srem(\`room:\${room}:members\`, member);
    } finally {
      await lock.unlock();
    }
  } catch (err) {
    console.error(err);
  }
}`,
    },
  ],
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The flag is claimed first by a conditional update whose count decides: one caller queues the reward.
      name: "referral flag claimed by a conditional update before the reward job is queued",
      code: `${referrals}export async function rewardReferrerOnce(refereeId: string) {
  const referral = await prisma.referral.findUnique({ where: { refereeId } });
  if (!referral || referral.rewarded) return;
  const { count } = await prisma.referral.updateMany({ where: { refereeId, rewarded: false }, data: { rewarded: true } });
  if (count === 0) return;
  await rewards.add("reward", { userId: referral.referrerId });
}`,
    },
    {
      // A Stripe read between the check and the flag is no work: two callers both set the same flag, and nothing doubles.
      name: "seen flag set after a Stripe retrieve",
      code: `${referrals}export async function markSeen(refereeId: string) {
  const referral = await prisma.referral.findUnique({ where: { refereeId } });
  if (!referral || referral.seen) return;
  await stripe.customers.retrieve(referral.referrerId);
  await prisma.referral.update({ where: { refereeId }, data: { seen: true } });
}`,
    },
    {
      // The read and the write run while the Redlock lock is held: the lock, not the read, serialises the callers.
      name: "HGET then HSET of a value computed from it under a redlock v4 lock",
      code: `${redlockV4}export async function dropProducer(routerId: string, producerId: string) {
  const lock = await redlock.lock("media:servers", 3000);
  try {
    const raw = await redis.hget("media:servers", routerId);
    const producers = (JSON.parse(raw ?? "[]") as string[]).filter((p) => p !== producerId);
    await redis.hset("media:servers", routerId, JSON.stringify(producers));
  } finally {
    await lock.unlock();
  }
}`,
    },
  ],
  invalid: [
    {
      name: "referral flag checked, the reward job queued on a BullMQ queue, then the flag set",
      code: `${referrals}export async function rewardReferrer(refereeId: string) {
  const referral = await prisma.referral.findUnique({ where: { refereeId } });
  if (!referral || referral.rewarded) return;
  await rewards.add("reward", { userId: referral.referrerId });
  await prisma.referral.update({ where: { refereeId }, data: { rewarded: true } });
}`,
      errors: [{ line: 11, column: 9, messageId: "checkThenWrite" }],
    },
    {
      name: "invite flag checked, a Stripe balance credit created, then the flag set",
      code: `${referrals}export async function creditInviter(inviteId: string) {
  const invite = await prisma.invite.findUnique({ where: { id: inviteId } });
  if (!invite || invite.credited) return;
  await stripe.customers.createBalanceTransaction(invite.customerId, { amount: -500, currency: "usd" });
  await prisma.invite.update({ where: { id: inviteId }, data: { credited: true } });
}`,
      errors: [{ line: 11, column: 9, messageId: "checkThenWrite" }],
    },
    {
      // Its look-alike: the same read-modify-write after the lock was given back.
      name: "HGET then HSET of a value computed from it after the redlock v4 lock was given back",
      code: `${redlockV4}export async function dropProducer(routerId: string, producerId: string) {
  const lock = await redlock.lock("media:servers", 3000);
  await lock.unlock();
  const raw = await redis.hget("media:servers", routerId);
  const producers = (JSON.parse(raw ?? "[]") as string[]).filter((p) => p !== producerId);
  await redis.hset("media:servers", routerId, JSON.stringify(producers));
}`,
      errors: [{ line: 10, column: 9, messageId: "redisLostUpdate" }],
    },
  ],
});
