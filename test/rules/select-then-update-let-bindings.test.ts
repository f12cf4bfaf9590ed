// select-then-update through `let` names: a row read into a name declared earlier (`let source; … source = await
// repo.findOne(…)`), or assigned in one branch, holds the read's row from the assignment on, as a `const` initialised
// with the read does; a `let` destructured from a row (`let { voters } = poll`) and then reassigned from itself holds a
// value computed from the read (that `let` found by scope: another of the same name in a nested block is another one). Look-alikes: the rows are read locked in the transaction; the name is given a value
// not read (the request's) before the write; the written values come from elsewhere. A condition is read with what the
// names hold where it is tested: a `let` checked empty and then given a new value before the write still checked the
// column.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A NestJS service moving a member between two TypeORM groups, in the caller's transaction; `find` is the read options. */
const moveMember = (find: string) => `import { Injectable } from "@nestjs/common";
import { Column, Entity, EntityManager, PrimaryGeneratedColumn } from "typeorm";

@Entity()
export class Group {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() name!: string;
  @Column("text", { array: true }) members!: string[];
}

@Injectable()
export class GroupsService {
  async moveMember(manager: EntityManager, fromId: string, toId: string, memberId: string) {
    let from: Group | null;
    let to: Group | null;
    from = await manager.findOne(Group, { where: { id: fromId }${find} });
    to = await manager.findOne(Group, { where: { id: toId }${find} });
    if (!from || !to) throw new Error("no such group");
    from.members.splice(from.members.indexOf(memberId), 1);
    to.members.push(memberId);
    await manager.save(from);
    await manager.save(to);
  }
}
`;

/** A Next.js route adding the caller's vote to a poll option on Prisma; `next` computes the voters written. */
const votePoll = (next: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function vote(optionId: string, userId: string) {
  const option = await prisma.pollOption.findUnique({ where: { id: optionId } });
  if (!option) return { status: 404 };
  let { voters } = option;
  if (voters && Array.isArray(voters)) {
    voters = ${next};
  }
  await prisma.pollOption.update({ where: { id: optionId }, data: { voters: (voters || []) as string[], total: { increment: 1 } } });
  return { status: 200 };
}
`;

/** A tRPC route starting a checkout: the organisation's payment customer is made where it has none; `store` writes it. */
const startCheckout = (store: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function createBillingCustomer(input: { email: string; name: string }): Promise<{ id: string }>;
declare function openCheckout(input: { customerId: string; planId: string }): Promise<string>;

export async function startCheckout(organisationId: string, planId: string) {
  const organisation = await prisma.organisation.findFirst({ where: { id: organisationId }, include: { owner: true } });
  if (!organisation) throw new Error("not found");
  let customerId = organisation.customerId;
  if (!customerId) {
    const customer = await createBillingCustomer({ email: organisation.owner.email, name: organisation.owner.name });
    customerId = customer.id;
    ${store}
  }
  return openCheckout({ customerId, planId });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the groups are read with a pessimistic write lock: the two moves are serialised",
      code: moveMember(', lock: { mode: "pessimistic_write" }'),
    },
    {
      name: "the let is given the request's list before the write: nothing read is written back",
      code: votePoll("[userId]"),
    },
    {
      name: "the let is given only a copy of the column: the column is written back as read, or empty where it was",
      code: votePoll("option.voters"),
    },
    {
      name: "the let is given a copy of the column; another let of the same name, in a nested block, is extended from itself",
      code: votePoll(
        "option.voters;\n    {\n      let voters = [userId];\n      voters = [...voters, optionId];\n      console.info(voters);\n    }",
      ),
    },
    {
      name: "the customer is stored only where the organisation still has none (the check repeated in the write's WHERE)",
      code: startCheckout(
        "await prisma.organisation.updateMany({ where: { id: organisationId, customerId: null }, data: { customerId: customer.id } });",
      ),
    },
  ],
  invalid: [
    {
      name: "the let checked empty is given the new customer's id before the write: the check still tested the column read",
      code: startCheckout("await prisma.organisation.update({ where: { id: organisationId }, data: { customerId: customer.id } });"),
      errors: [{ line: 13, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "the groups are read into lets declared earlier, changed in place and saved: each save loses a concurrent move",
      code: moveMember(""),
      errors: [
        { line: 21, column: 11, messageId: "collectionLostUpdate", data: { write: "`manager.save(…)`", column: "`members`", line: 16 } },
        { line: 22, column: 11, messageId: "collectionLostUpdate", data: { write: "`manager.save(…)`", column: "`members`", line: 17 } },
      ],
    },
    {
      name: "the voters destructured into a let, extended from themselves and written: a concurrent vote is lost",
      code: votePoll("[...voters, userId]"),
      errors: [
        { line: 11, column: 9, messageId: "lostUpdate", data: { write: "`prisma.pollOption.update(…)`", column: "`voters`", line: 5 } },
      ],
    },
    {
      name: "the voters extended from themselves and written; a const of the same name in a nested block only copies them",
      code: votePoll("[...voters, userId];\n    {\n      const voters = option.voters;\n      console.info(voters);\n    }"),
      errors: [
        { line: 15, column: 9, messageId: "lostUpdate", data: { write: "`prisma.pollOption.update(…)`", column: "`voters`", line: 5 } },
      ],
    },
    {
      name: "the voters filtered into the let (a vote withdrawn) and written: a concurrent vote is dropped from the list",
      code: votePoll("voters.filter((id) => id !== userId)"),
      errors: [
        { line: 11, column: 9, messageId: "lostUpdate", data: { write: "`prisma.pollOption.update(…)`", column: "`voters`", line: 5 } },
      ],
    },
  ],
});
