// Session 26's held-out precision check (issue #15). The FALSE shapes fixed, each written freshly:
// - a row read back by its key (`const lease = await tx.lease.findUnique({ where: { id: leaseId } })`) and written by
//   `lease.id` after the transaction locked `leaseId` (FOR UPDATE) and went on to another table: `lease.id` is the key
//   it was looked up by, so the write re-locks a row already held and waits for nobody;
// - two transactions taking the same two rows in opposite orders, each opened inside a call that runs it again on
//   failure (`retryOnConflict(() => prisma.$transaction(…))`): a deadlock aborts one of them, which is run again, so
//   the cycle costs a retry, not an error;
// - an overlap check and an insert in one transaction after a project helper given the transaction's handle takes
//   `pg_advisory_xact_lock` keyed by the values the check looks up (`lockScope(tx, ownerId, roomId)`): every creator of
//   that scope waits for the holder's COMMIT, so the check and the insert run one caller at a time, as they do when the
//   lock is taken inline.
// Beside it, the nearest real bugs of the set stay reported: the same check and insert with no lock, or with the lock
// keyed by another value; store credit spent as read minus the amount; a referrer's stats decremented as read.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

/** Discount windows per owner and room; nothing unique but the id. */
const WINDOWS = prismaProject(
  `model DiscountWindow {\n  id      String   @id @default(cuid())\n  ownerId String\n  roomId  String\n  startsAt DateTime\n  endsAt   DateTime\n  percent Int\n}\n`,
);

/** A window service: `lock` is what runs in the transaction before the overlap check. */
const windowService = (lock: string, helper = LOCK_HELPER, where = SPREAD) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function overlapping(startsAt: Date, endsAt: Date): Prisma.DiscountWindowWhereInput;

export class WindowService {
${helper}
  async open(ownerId: string, roomId: string, startsAt: Date, endsAt: Date, percent: number) {
    return prisma.$transaction(async (tx) => {
      ${lock}
      const clash = await tx.discountWindow.findFirst({
        where: ${where},
        select: { id: true },
      });
      if (clash) throw new Error("overlapping window");
      return tx.discountWindow.create({ data: { ownerId, roomId, startsAt, endsAt, percent } });
    });
  }
}
`;

/** The overlap conditions built by a helper, as the application does; or written out (an overlap test). */
const SPREAD = "{ ownerId, roomId, ...overlapping(startsAt, endsAt) }";
const RANGES = "{ ownerId, roomId, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } }";

const LOCK_HELPER = `  private static async lockScope(tx: Prisma.TransactionClient, ownerId: string, roomId: string): Promise<void> {
    await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${ownerId}), hashtext(\${roomId}))\`;
  }
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "an overlap check and insert after a helper given the handle takes an advisory xact lock keyed by the scope",
      root: WINDOWS,
      code: windowService("await WindowService.lockScope(tx, ownerId, roomId);"),
    },
    {
      name: "the same, the overlap written out as ranges",
      root: WINDOWS,
      code: windowService("await WindowService.lockScope(tx, ownerId, roomId);", LOCK_HELPER, RANGES),
    },
    {
      name: "the same lock taken inline",
      root: WINDOWS,
      code: windowService("await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${ownerId}), hashtext(${roomId}))`;", ""),
    },
  ],
  invalid: [
    {
      name: "the same check and insert with no lock",
      root: WINDOWS,
      code: windowService("", ""),
      errors: [{ line: 15, column: 14, messageId: "duplicate" }],
    },
    {
      name: "the same check, its overlap written out as ranges, and insert with no lock",
      root: WINDOWS,
      code: windowService("", "", RANGES),
      errors: [{ line: 15, column: 14, messageId: "grows" }],
    },
    {
      // A lock on another value (the day) does not serialise two creators of one owner's room.
      name: "a helper's advisory lock keyed by a value the check does not look up",
      root: WINDOWS,
      code: windowService("await WindowService.lockScope(tx, startsAt.toISOString(), String(percent));"),
      errors: [{ line: 18, column: 14, messageId: "duplicate" }],
    },
  ],
});

/** Store credit spent in a transaction: each credit row written back as read minus what it covers. */
const REDEEM = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function redeem(customerId: string, amount: number) {
  return prisma.$transaction(async (tx) => {
    const credits = await tx.storeCredit.findMany({ where: { customerId, left: { gt: 0 } }, orderBy: { expiresAt: "asc" } });
    let due = amount;
    for (const credit of credits) {
      if (due <= 0) break;
      const used = Math.min(credit.left, due);
      await tx.storeCredit.update({ where: { id: credit.id }, data: { left: credit.left - used } });
      due -= used;
    }
  });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [],
  invalid: [
    {
      name: "store credit spent as the balance read minus the amount, in a transaction without a lock",
      code: REDEEM,
      errors: [{ line: 11, column: 13, messageId: "lostUpdate" }],
    },
  ],
});

/** A payment settled and a wallet released, each taking the payment's and the wallet's rows, in opposite orders. */
const settleAndRelease = (settle: string, release: string) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function retryOnConflict<T>(work: () => Promise<T>): Promise<T>;
const serializable = { isolationLevel: Prisma.TransactionIsolationLevel.Serializable };

export async function settle(paymentId: string, walletId: string) {
  await ${settle.replace(
    "WORK",
    `prisma.$transaction(async (tx) => {
      await tx.payment.update({ where: { id: paymentId }, data: { state: "settled" } });
      await tx.wallet.update({ where: { id: walletId }, data: { lockedAt: null } });
    }, serializable)`,
  )};
}

export async function release(walletId: string, paymentId: string) {
  await ${release.replace(
    "WORK",
    `prisma.$transaction(async (tx) => {
      await tx.wallet.update({ where: { id: walletId }, data: { lockedAt: null } });
      await tx.payment.update({ where: { id: paymentId }, data: { state: "released" } });
    }, serializable)`,
  )};
}
`;

const RETRIED = "retryOnConflict(() => WORK)";

runRuleTests(inconsistentLockOrder, {
  valid: [{ name: "two transactions inverting two rows, each run inside a retrying call", code: settleAndRelease(RETRIED, RETRIED) }],
  invalid: [
    {
      // A deadlock may abort the one that is not run again: its caller gets the error.
      name: "the same, one of them not retried",
      code: settleAndRelease(RETRIED, "WORK"),
      errors: [
        { line: 9, column: 13, messageId: "cycle" },
        { line: 16, column: 13, messageId: "cycle" },
      ],
    },
  ],
});

/**
 * A lease confirmed: the lease's row (FOR UPDATE), then its renter's; the lease row is written again by `written` at
 * the end. A cancellation takes the lease, then the vehicle; a rejection the vehicle, then the renter. Only a lease
 * taken after the renter would close a cycle.
 */
const leases = (written: string) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function confirmLease(leaseId: string) {
  await prisma.$transaction(async (tx) => {
    await tx.$queryRaw(Prisma.sql\`SELECT id FROM "Lease" WHERE id = \${leaseId} FOR UPDATE\`);
    const lease = await tx.lease.findUnique({ where: { id: leaseId } });
    if (!lease) return;
    await tx.renter.update({ where: { id: lease.renterId }, data: { active: true } });
    await tx.lease.update({ where: { id: ${written} }, data: { state: "confirmed" } });
  });
}

export async function cancelLease(leaseId: string, vehicleId: string) {
  await prisma.$transaction(async (tx) => {
    await tx.lease.update({ where: { id: leaseId }, data: { state: "cancelled" } });
    await tx.vehicle.update({ where: { id: vehicleId }, data: { free: true } });
  });
}

export async function rejectVehicle(vehicleId: string, renterId: string) {
  await prisma.$transaction(async (tx) => {
    await tx.vehicle.update({ where: { id: vehicleId }, data: { approved: false } });
    await tx.renter.update({ where: { id: renterId }, data: { approved: false } });
  });
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [{ name: "the lease row written again by `lease.id`, the key it was looked up by and locked", code: leases("lease.id") }],
  invalid: [
    {
      // Another lease's row, taken while the renter's is held: a real renter-then-lease order.
      name: "another lease's row written after the renter's",
      code: leases("lease.nextLeaseId"),
      errors: [
        { line: 9, column: 11, messageId: "cycle" },
        { line: 17, column: 11, messageId: "cycle" },
        { line: 24, column: 11, messageId: "cycle" },
      ],
    },
  ],
});
