// select-then-update, session 14 (held-out misses of session 13): Mongoose 5's legacy `Model.update(filter, doc)` is a
// write like `updateOne` (a plain `doc` is `$set`); and a flag checked, then work that adds to the database (a count
// decremented, a row inserted), then the flag set, lets every caller that passed the check do the work, so the write
// is not the harmless set-once write it looks like alone. Look-alikes: `update` with `$inc`, a compare-and-set filter,
// Sequelize's `Model.update(values, { where })`, a flag set with nothing between the check and the write.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A NestJS service limiting votes per address with a Mongoose model; `write` records the vote. */
const voteQuota = (write: string) => `import { BadRequestException, Injectable } from "@nestjs/common";
import { InjectModel } from "@nestjs/mongoose";
import { Model } from "mongoose";

interface VoteQuota {
  id: string;
  pollId: string;
  address: string;
  used: number;
}

@Injectable()
export class VoteQuotaService {
  constructor(@InjectModel("VoteQuota") private readonly voteQuotaModel: Model<VoteQuota>) {}

  async consume(pollId: string, address: string, allowed: number): Promise<void> {
    const quota = await this.voteQuotaModel.findOne({ pollId, address });
    if (!quota) throw new BadRequestException("no quota for this address");
    if (quota.used >= allowed) throw new BadRequestException("vote quota used up");
    ${write}
  }
}
`;

/** A Prisma voucher redemption: the flag checked, `between` run, then the flag set. */
const redeem = (between: string) => `import { BadRequestException, Injectable } from "@nestjs/common";
import { PrismaClient } from "@prisma/client";

interface Mailer {
  sendReceipt(email: string, voucherId: string): Promise<void>;
}

@Injectable()
export class VoucherService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mailer: Mailer,
  ) {}

  async redeem(id: string, campaignId: string) {
    const voucher = await this.prisma.voucher.findUnique({ where: { id }, include: { owner: true } });
    if (voucher.redeemed) throw new BadRequestException("voucher already redeemed");
    await this.mailer.sendReceipt(voucher.owner.email, voucher.id);
    ${between}
    return this.prisma.voucher.update({ where: { id }, data: { redeemed: true } });
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Mongoose legacy update: the use counted with $inc, the bound repeated in the filter, and a miss refused",
      code: voteQuota(`const result = await this.voteQuotaModel.update({ _id: quota.id, used: { $lt: allowed } }, { $inc: { used: 1 } });
    if (result.nModified === 0) throw new BadRequestException("vote quota used up");`),
    },
    {
      name: "Mongoose legacy update: the count read is in the filter (compare-and-set), and a miss refused",
      code: voteQuota(`const result = await this.voteQuotaModel.update({ _id: quota.id, used: quota.used }, { used: quota.used + 1 });
    if (result.nModified === 0) throw new BadRequestException("try again");`),
    },
    {
      name: "Sequelize's Model.update(values, { where }) in a file that imports no database library is not Mongoose's",
      code: `import { Wallet } from "./models";

export async function topUp(walletId: number, amount: number) {
  const wallet = await Wallet.findByPk(walletId);
  if (!wallet) throw new Error("no wallet");
  await Wallet.update({ note: "topped up" }, { where: { id: walletId } });
}
`,
    },
    {
      name: "Mongoose legacy update: a const update document that only increments, with the bound in the filter",
      code: voteQuota(`const changes = { $inc: { used: 1 } };
    const result = await this.voteQuotaModel.update({ _id: quota.id, used: { $lt: allowed } }, changes);
    if (result.nModified === 0) throw new BadRequestException("vote quota used up");`),
    },
    {
      name: "Mongoose legacy update: a const update document changed after it was built is not read from its literal",
      code: voteQuota(`const changes: Record<string, any> = { $inc: { used: 1 } };
    if (quota.used + 1 >= allowed) changes.$set = { exhaustedAt: new Date() };
    const result = await this.voteQuotaModel.update({ _id: quota.id, used: { $lt: allowed } }, changes);
    if (result.nModified === 0) throw new BadRequestException("vote quota used up");`),
    },
    {
      name: "a redemption flag checked and set with only a mail between: every caller writes the same flag",
      code: redeem(""),
    },
    {
      name: "a version-like counter bumped between the check and the flag is no work the flag guards (twice is as once)",
      code: redeem("await this.prisma.user.update({ where: { id: voucher.owner.id }, data: { sessionVersion: { increment: 1 } } });"),
    },
    {
      name: "a reorder: the neighbours' positions shifted in one statement, then the row's own position set, is one move",
      code: `import { PrismaClient } from "@prisma/client";

export async function moveTask(prisma: PrismaClient, taskId: string, to: number) {
  return prisma.$transaction(async (tx) => {
    const task = await tx.task.findUnique({ where: { id: taskId } });
    if (!task) throw new Error("no such task");
    if (task.position === to) return task;
    await tx.task.updateMany({
      where: { boardId: task.boardId, position: { gt: task.position, lte: to } },
      data: { position: { decrement: 1 } },
    });
    return tx.task.update({ where: { id: taskId }, data: { position: to } });
  });
}
`,
    },
  ],
  invalid: [
    {
      name: "Mongoose legacy update: the use count read, checked and written back as read + 1",
      code: voteQuota("await this.voteQuotaModel.update({ _id: quota.id }, { used: quota.used + 1 });"),
      errors: [
        {
          line: 20,
          column: 11,
          messageId: "documentLostUpdate",
          data: { write: "`this.voteQuotaModel.update(…)`", column: "`used`", line: 17 },
        },
      ],
    },
    {
      name: "Mongoose legacy update with $set: the same lost count",
      code: voteQuota("await this.voteQuotaModel.update({ _id: quota.id }, { $set: { used: quota.used + 1 } });"),
      errors: [{ line: 20, column: 11, messageId: "documentLostUpdate" }],
    },
    {
      name: "Mongoose legacy update: the update document built in a const (typed as a plain record) from the count read",
      code: voteQuota(`const changes: Record<string, any> = { used: quota.used + 1 };
    await this.voteQuotaModel.update({ _id: quota.id }, changes);`),
      errors: [
        {
          line: 21,
          column: 11,
          messageId: "documentLostUpdate",
          data: { write: "`this.voteQuotaModel.update(…)`", column: "`used`", line: 17 },
        },
      ],
    },
    {
      name: "a redemption flag checked, the campaign's remaining count decremented, then the flag set: both callers decrement",
      code: redeem("await this.prisma.campaign.update({ where: { id: campaignId }, data: { remaining: { decrement: 1 } } });"),
      errors: [{ line: 20, column: 12, messageId: "checkThenWrite" }],
    },
  ],
});
