// write-skew: an aggregate over a set whose total another write records (a payout), then an update that moves out the
// rows matching the aggregate's own filter. The update moves what matches when it runs, not what was summed: a row
// that enters the set in between is paid out uncounted. Silent: the rows summed moved by their ids, a SERIALIZABLE
// transaction, and the same aggregate whose total is only returned (moving exactly the rows found keeps no minimum).
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const settle = (
  move: string,
  after = "const payout = await tx.partnerPayout.create({ data: { partnerId, period, amountCents } });",
  options = "",
) =>
  `import { PrismaClient, Prisma } from "@prisma/client";
const prisma = new PrismaClient();

export async function settleCommissions(partnerId: string, period: string) {
  return prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    const totals = await tx.commission.aggregate({ where: { partnerId, status: "approved" }, _sum: { amountCents: true } });
    const amountCents = totals._sum.amountCents ?? 0;
    if (amountCents <= 0) return null;
    ${after}
    ${move}
    return amountCents;
  }${options});
}`;

const FLIP = 'await tx.commission.updateMany({ where: { partnerId, status: "approved" }, data: { status: "paid" } });';

runRuleTests(writeSkew, {
  valid: [
    {
      name: "the total is only returned: moving exactly the rows found keeps no minimum",
      code: settle(FLIP, ""),
    },
    {
      name: "under SERIALIZABLE, a row confirmed in between aborts one of the two transactions",
      code: settle(FLIP, undefined, ", { isolationLevel: Prisma.TransactionIsolationLevel.Serializable }"),
    },
    {
      name: "the fix: the rows summed are read and moved by their ids",
      code: `import { PrismaClient, Prisma } from "@prisma/client";
const prisma = new PrismaClient();

export async function settleCommissions(partnerId: string, period: string) {
  return prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    const rows = await tx.commission.findMany({ where: { partnerId, status: "approved" }, select: { id: true, amountCents: true } });
    const amountCents = rows.reduce((sum, row) => sum + row.amountCents, 0);
    if (amountCents <= 0) return null;
    await tx.partnerPayout.create({ data: { partnerId, period, amountCents } });
    await tx.commission.updateMany({ where: { id: { in: rows.map((row) => row.id) }, status: "approved" }, data: { status: "paid" } });
    return amountCents;
  });
}`,
    },
  ],
  invalid: [
    {
      name: "the total recorded in a payout row, then every approved row flipped by the same filter",
      code: settle(FLIP),
      errors: [
        {
          line: 10,
          column: 11,
          messageId: "movedUncounted",
          data: {
            write: "`tx.commission.updateMany(…)`",
            line: 10,
            check: "`tx.commission.aggregate(…)`",
            checkLine: 6,
            recorder: "`tx.partnerPayout.create(…)`",
            recordLine: 9,
          },
          related: [{ line: 6, message: "set checked here, with nothing locking it" }],
        },
      ],
    },
  ],
});
