// select-then-update: "before", "after" and "between" asked of the control-flow graph, not of the text. A claim taken
// in one branch only does not cover the read on the other path; a lock taken in one branch only does not cover the
// flush MikroORM runs when the callback returns; a write of the filtered column in the other branch of an `if` does
// not come between the read and this write, so this write is the one the read's filter decided too.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const attachBilling = (claim: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function createBillingAccount(name: string): Promise<{ id: string }>;

export async function attachBilling(workspaceId: string, inviteCode: string, name: string, manual: boolean) {
  ${claim}
  const workspace = await prisma.workspace.findUnique({ where: { id: workspaceId } });
  if (!workspace || workspace.billingAccountId) throw new Error("billing already attached");
  const account = await createBillingAccount(name);
  await prisma.workspace.update({ where: { id: workspaceId }, data: { billingAccountId: account.id } });
}`;

const CLAIM = `const claimed = await prisma.billingInvite.deleteMany({ where: { workspaceId, inviteCode } });
  if (claimed.count === 0) throw new Error("invite already used");`;

const SEAT_ENTITY = {
  "src/seat.entity.ts": `import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity()
export class Seat {
  @PrimaryKey() id!: number;
  @Property() holder?: string;
  @Property() remaining!: number;
}`,
};

const seatService = (lock: string) => `import { Injectable } from "@nestjs/common";
import { EntityManager, LockMode } from "@mikro-orm/postgresql";
import { Seat } from "./seat.entity";

@Injectable()
export class SeatsService {
  constructor(private readonly em: EntityManager) {}

  async reserve(seatId: number, holder: string, vip: boolean) {
    await this.em.transactional(async (em) => {
      const seat = await em.findOneOrFail(Seat, seatId);
      ${lock}
      seat.remaining = seat.remaining - 1;
      seat.holder = holder;
    });
  }
}
`;

const settleRefund = (writes: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function settleRefund(refundId: string, approved: boolean) {
  const refund = await prisma.refund.findFirst({ where: { id: refundId, status: "REQUESTED" } });
  if (!refund) throw new Error("refund is not pending");
  ${writes}
}`;

const filterThenWrite = (line: number) => ({ line, column: 11, messageId: "filterThenWrite" });

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "an invite deleted before the read on every path, its count checked: one caller per workspace",
      code: attachBilling(CLAIM),
    },
    {
      name: "MikroORM: em.lock(seat, PESSIMISTIC_WRITE) on every path before the flush at the callback's end",
      files: SEAT_ENTITY,
      code: seatService("await em.lock(seat, LockMode.PESSIMISTIC_WRITE);"),
    },
  ],
  invalid: [
    {
      name: "an invite deleted before the read only when not attached by hand: the manual path reads unclaimed",
      code: attachBilling(`if (!manual) {
    ${CLAIM}
  }`),
      errors: [{ line: 13, column: 9, messageId: "checkThenWrite" }],
    },
    {
      name: "MikroORM: em.lock in one branch only leaves the other path's flush unprotected",
      files: SEAT_ENTITY,
      code: seatService("if (vip) await em.lock(seat, LockMode.PESSIMISTIC_WRITE);"),
      errors: [{ line: 10, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "a refund found by its REQUESTED status, then approved or rejected: each branch's write is decided by the filter, one race reported once",
      code: settleRefund(`if (approved) {
    await prisma.refund.update({ where: { id: refund.id }, data: { status: "APPROVED" } });
  } else {
    await prisma.refund.update({ where: { id: refund.id }, data: { status: "REJECTED" } });
  }`),
      errors: [{ ...filterThenWrite(8), related: [{ line: 5 }, { line: 10, message: "also written from the same read here" }] }],
    },
    {
      name: "a refund found by its REQUESTED status, marked processing, then approved: only the first write is decided",
      code: settleRefund(`await prisma.refund.update({ where: { id: refund.id }, data: { status: "PROCESSING" } });
  await prisma.refund.update({ where: { id: refund.id }, data: { status: "APPROVED" } });`),
      errors: [{ ...filterThenWrite(7), column: 9 }],
    },
  ],
});
