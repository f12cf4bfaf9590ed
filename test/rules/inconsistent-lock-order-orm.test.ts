// inconsistent-lock-order on rows written through ORMs and query builders: a transfer that updates the `from` row
// and then the `to` row inside one interactive transaction (Prisma, TypeORM, knex, Sequelize) deadlocks against the
// opposite transfer. The suggestion locks both rows first, in key order, in the library's own terms; the code it
// produces, rows put in order by the code itself, and statements outside a transaction stay silent.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

const DEFAULT_NAMES = prismaProject(`model Account {\n  id      String @id\n  balance Int\n}\n`);
const MAPPED_NAMES = prismaProject(`model Account {\n  id      String @id @map("account_id")\n  balance Int\n\n  @@map("accounts")\n}\n`);

/** A NestJS service whose transfer runs `body` inside `this.prisma.$transaction(async (tx) => …)`. */
const prismaTransfer = (body: string) => `import { Injectable } from "@nestjs/common";
import { PrismaClient } from "@prisma/client";
@Injectable()
export class TransfersService {
  constructor(private readonly prisma: PrismaClient) {}
  async transfer(fromId: string, toId: string, amount: number) {
    await this.prisma.$transaction(async (tx) => {
${body}
    });
  }
}`;

const PRISMA_UPDATES = `      await tx.account.update({ where: { id: fromId }, data: { balance: { decrement: amount } } });
      await tx.account.update({ where: { id: toId }, data: { balance: { increment: amount } } });`;
const PRISMA_LOCK = `      await tx.$queryRaw\`SELECT "id" FROM "Account" WHERE "id" IN (\${fromId}, \${toId}) ORDER BY "id" FOR UPDATE\`;\n`;
const PRISMA_MAPPED_LOCK = `      await tx.$queryRaw\`SELECT "account_id" FROM "accounts" WHERE "account_id" IN (\${fromId}, \${toId}) ORDER BY "account_id" FOR UPDATE\`;\n`;

/** An Express-style knex transfer running `body` inside `knex.transaction(async (trx) => …)`. */
const knexTransfer = (body: string) => `import { Knex } from "knex";
export async function transfer(knex: Knex, fromId: number, toId: number, amount: number) {
  await knex.transaction(async (trx) => {
${body}
  });
}`;

const KNEX_UPDATES = `    await trx("accounts").where({ id: fromId }).decrement("balance", amount);
    await trx("accounts").where({ id: toId }).increment("balance", amount);`;
/** KNEX_UPDATES with the first statement through `t`, a `const` alias of the transaction (declared by KNEX_ALIAS). */
const KNEX_ALIAS = `    const t = trx;\n`;
const ALIASED_KNEX_UPDATES = `    await t("accounts").where({ id: fromId }).decrement("balance", amount);
    await trx("accounts").where({ id: toId }).increment("balance", amount);`;
const ALIASED_KNEX_LOCK = `    await t("accounts").whereIn("id", [fromId, toId]).orderBy("id").forUpdate();\n`;
const KNEX_LOCK = `    await trx("accounts").whereIn("id", [fromId, toId]).orderBy("id").forUpdate();\n`;

/** A Sequelize transfer running `body` inside a managed `sequelize.transaction(async (t) => …)`. */
const sequelizeTransfer = (body: string) => `import { Sequelize } from "sequelize";
import { Account } from "./models";
export async function transfer(sequelize: Sequelize, fromId: number, toId: number, amount: number) {
  await sequelize.transaction(async (t) => {
${body}
  });
}`;

const SEQUELIZE_UPDATES = `    await Account.decrement("balance", { by: amount, where: { id: fromId }, transaction: t });
    await Account.increment("balance", { by: amount, where: { id: toId }, transaction: t });`;
const SEQUELIZE_LOCK = `    await Account.findAll({ where: { id: [fromId, toId] }, order: [["id", "ASC"]], lock: t.LOCK.UPDATE, transaction: t });\n`;

/** A NestJS-style TypeORM transfer running `body` inside `this.dataSource.transaction(async (manager) => …)`. */
const typeormTransfer = (body: string) => `import { DataSource } from "typeorm";
import { Account } from "./account.entity";
export class TransfersService {
  constructor(private readonly dataSource: DataSource) {}
  async transfer(fromId: number, toId: number, amount: number) {
    await this.dataSource.transaction(async (manager) => {
${body}
    });
  }
}`;

const TYPEORM_UPDATES = `      await manager.decrement(Account, { id: fromId }, "balance", amount);
      await manager.increment(Account, { id: toId }, "balance", amount);`;
const TYPEORM_LOCK = `      await manager.createQueryBuilder(Account, "row").setLock("pessimistic_write").where("row.id IN (:...keys)", { keys: [fromId, toId] }).orderBy("row.id").getMany();\n`;

/** A NestJS service closing support tickets with knex: `loop` runs inside `this.knex.transaction(async (trx) => …)`. */
const ticketClosing = (loop: string) => `import { Injectable } from "@nestjs/common";
import { Knex } from "knex";
@Injectable()
export class TicketsService {
  constructor(private readonly knex: Knex) {}
  async close(ticketIds: string[], closedBy: string) {
    return this.knex.transaction(async (trx) => {
      for (const ticketId of ticketIds) {
${loop}
      }
    });
  }
}`;

/**
 * A NestJS service with two Prisma transactions over a team row and its billing account in opposite orders, each
 * after `lockTeam(tx, teamId)` (a transaction-scoped advisory lock keyed by the team) where `renameLock` and
 * `planLock` put it.
 */
const teamBilling = (renameLock: string, planFirst: string, planAfter = "") => `import { Injectable } from "@nestjs/common";
import { Prisma, PrismaClient } from "@prisma/client";
async function lockTeam(tx: Prisma.TransactionClient, teamId: string) {
  await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${teamId}))\`;
}
@Injectable()
export class TeamBillingService {
  constructor(private readonly prisma: PrismaClient) {}
  async renameTeam(teamId: string, accountId: string, name: string) {
    await this.prisma.$transaction(async (tx) => {
${renameLock}      await tx.team.update({ where: { id: teamId }, data: { name } });
      await tx.billingAccount.update({ where: { id: accountId }, data: { invoiceName: name } });
    });
  }
  async changePlan(teamId: string, accountId: string, ownerId: string, plan: string) {
    await this.prisma.$transaction(async (tx) => {
${planFirst}      await tx.billingAccount.update({ where: { id: accountId }, data: { plan } });
${planAfter}      await tx.team.update({ where: { id: teamId }, data: { plan } });
    });
  }
}`;
const LOCK_TEAM = "      await lockTeam(tx, teamId);\n";

const SWAPPED = (holder: string, lock: string, first = "fromId", second = "toId") => ({
  messageId: "rowsInArgumentOrder",
  data: {
    holder: `\`${holder}\``,
    lock: `\`${lock}\``,
    first: `\`${first}\``,
    second: `\`${second}\``,
    outcome: "wait for the other until the database detects the deadlock and aborts one of them with an error",
  },
});

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      // The twin of the reorder route below: the rows are updated in key order, whatever order the client sent.
      name: "Next.js route: a batch transaction over the request's items sorted by id",
      code: `import { NextResponse } from "next/server";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function POST(req: Request) {
  const { items } = (await req.json()) as { items: { id: string; position: number }[] };
  await prisma.$transaction([...items].sort((a, b) => a.id.localeCompare(b.id)).map((item) => prisma.link.update({ where: { id: item.id }, data: { position: item.position } })));
  return NextResponse.json({ ok: true });
}`,
    },
    {
      // The body returns on its first pass: one row is updated, whatever the list holds (its look-alike is invalid).
      name: "NestJS/knex: a loop over the caller's ids whose body returns the first update: one row, not one per id",
      code: ticketClosing(
        `        return trx("tickets").where({ id: ticketId }).update({ closed_at: trx.fn.now(), closed_by: closedBy });`,
      ),
    },
    {
      // Both transactions take the team's advisory lock before their first row: the second waits for the first's COMMIT.
      name: "NestJS/Prisma: two transactions in opposite orders, each first taking the team's advisory lock by the team row's id",
      code: teamBilling(LOCK_TEAM, LOCK_TEAM),
    },
    { name: "Prisma: both rows locked first in id order (the suggestion applied)", code: prismaTransfer(PRISMA_LOCK + PRISMA_UPDATES) },
    {
      name: "Prisma: both rows locked first through the table and column the schema maps (the suggestion applied)",
      root: MAPPED_NAMES,
      code: prismaTransfer(PRISMA_MAPPED_LOCK + PRISMA_UPDATES),
    },
    { name: "knex: both rows locked first with whereIn … orderBy … forUpdate", code: knexTransfer(KNEX_LOCK + KNEX_UPDATES) },
    {
      name: "knex: the first row updated through the pool, outside the transaction (autocommit: its lock ends with the statement)",
      code: knexTransfer(ALIASED_KNEX_UPDATES.replace('await t("accounts")', 'await knex("accounts")')),
    },
    {
      name: "Sequelize: both rows locked first with findAll({ lock, order })",
      code: sequelizeTransfer(SEQUELIZE_LOCK + SEQUELIZE_UPDATES),
    },
    {
      name: "TypeORM: both rows locked first with the query builder (setLock, ordered by id)",
      code: typeormTransfer(TYPEORM_LOCK + TYPEORM_UPDATES),
    },
    {
      name: "TypeORM: the code puts the two ids in order before updating",
      code: typeormTransfer(`      const [first, second] = fromId < toId ? [fromId, toId] : [toId, fromId];
      await manager.decrement(Account, { id: first }, "balance", amount);
      await manager.increment(Account, { id: second }, "balance", amount);`),
    },
    {
      name: "Prisma: the code puts the two ids in order before updating",
      code: prismaTransfer(`      const [first, second] = fromId < toId ? [fromId, toId] : [toId, fromId];
      await tx.account.update({ where: { id: first }, data: { version: { increment: 1 } } });
      await tx.account.update({ where: { id: second }, data: { version: { increment: 1 } } });`),
    },
    {
      name: "Prisma: two updates outside any transaction (each row lock ends with its statement)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function transfer(fromId: string, toId: string, amount: number) {
  await prisma.account.update({ where: { id: fromId }, data: { balance: { decrement: amount } } });
  await prisma.account.update({ where: { id: toId }, data: { balance: { increment: amount } } });
}`,
    },
    {
      name: "knex: the owner's rows by user id, then one account by id: two ways of selecting, not two keys of one kind",
      code: knexTransfer(`    await trx("accounts").where({ user_id: fromId }).update({ frozen: true });
    await trx("accounts").where({ id: toId }).increment("balance", amount);`),
    },
    {
      // Session 21 (a pool-snapshot reload): each sensor's rows are replaced by a batch transaction of its own,
      // committed before the next sensor's, so no transaction holds two sensors' rows whatever the order.
      name: "Prisma: a loop opening one batch transaction per element (each commits before the next)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function reloadReadings(sensorIds: string[], rows: { id: string; value: number }[]) {
  for (const sensorId of sensorIds) {
    await prisma.$transaction([
      prisma.reading.deleteMany({ where: { sensorId } }),
      prisma.reading.createMany({ data: rows.map((r) => ({ ...r, sensorId })) }),
    ]);
  }
}`,
    },
    {
      name: "Prisma: a loop opening one interactive transaction per element",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function closeSessions(userIds: string[]) {
  for (const userId of userIds) {
    await prisma.$transaction(async (tx) => {
      await tx.session.updateMany({ where: { userId }, data: { closed: true } });
    });
  }
}`,
    },
  ],
  invalid: [
    {
      // The twin of the per-element batch above: one transaction around the loop holds every sensor's rows.
      name: "Prisma: one interactive transaction around the loop keeps every element's rows until it commits",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function clearReadings(sensorIds: string[]) {
  await prisma.$transaction(async (tx) => {
    for (const sensorId of sensorIds) {
      await tx.reading.deleteMany({ where: { sensorId } });
    }
  });
}`,
      output: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function clearReadings(sensorIds: string[]) {
  await prisma.$transaction(async (tx) => {
    for (const sensorId of [...sensorIds].sort()) {
      await tx.reading.deleteMany({ where: { sensorId } });
    }
  });
}`,
      errors: [
        {
          line: 6,
          column: 13,
          messageId: "callerOrderLoop",
          data: {
            holder: "`clearReadings`",
            lock: "`reading` rows",
            keys: "`sensorIds`",
            outcome: "wait for a key the other holds until the database detects the deadlock and aborts one of them with an error",
          },
        },
      ],
    },
    {
      // Prisma runs a batch's statements in array order, in one transaction: the client's order is the lock order.
      name: "Next.js route: a batch transaction updates the request's items in the order the client sent them",
      code: `import { NextResponse } from "next/server";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function POST(req: Request) {
  const { items } = (await req.json()) as { items: { id: string; position: number }[] };
  await prisma.$transaction(items.map((item) => prisma.link.update({ where: { id: item.id }, data: { position: item.position } })));
  return NextResponse.json({ ok: true });
}`,
      errors: [
        {
          line: 6,
          column: 49,
          messageId: "callerOrderLoop",
          data: {
            holder: "`POST`",
            lock: "`link` rows",
            keys: "`items`",
            outcome: "wait for a key the other holds until the database detects the deadlock and aborts one of them with an error",
          },
        },
      ],
    },
    {
      // A helper locks every row involved, sorted, on the transaction it is given: the updates after it wait for
      // nobody (line 8). Its twin without the helper is reported (line 16).
      name: "knex: a lock helper given the transaction locks both rows first; the same transfer without it",
      code: `import knex, { Knex } from "knex";
const db = knex({ client: "pg" });
async function lockAccounts(trx: Knex.Transaction, ids: number[]) {
  await trx("accounts").whereIn("id", [...ids].sort((a, b) => a - b)).orderBy("id").forUpdate();
}
export async function transfer(from: number, to: number, cents: number) {
  await db.transaction(async (trx) => {
    await lockAccounts(trx, [from, to]);
    await trx("accounts").where({ id: from }).decrement("balance", cents);
    await trx("accounts").where({ id: to }).increment("balance", cents);
  });
}
export async function transferUnlocked(from: number, to: number, cents: number) {
  await db.transaction(async (trx) => {
    await trx("accounts").where({ id: from }).decrement("balance", cents);
    await trx("accounts").where({ id: to }).increment("balance", cents);
  });
}`,
      errors: [{ line: 16, column: 11, messageId: "rowsInArgumentOrder" }],
    },
    {
      // The return only skips an empty id: the loop goes on to the next id with the row still locked.
      name: "NestJS/knex: the same loop returning only on an empty id updates one row per id, in the caller's order",
      code: ticketClosing(`        if (!ticketId) return;
        await trx("tickets").where({ id: ticketId }).update({ closed_at: trx.fn.now(), closed_by: closedBy });`),
      errors: [{ line: 10, column: 15, messageId: "callerOrderLoop" }],
    },
    {
      // changePlan takes the lock only after its first row: it can hold the billing account while renameTeam holds the team.
      name: "NestJS/Prisma: the same two transactions, one taking the team's advisory lock after its first row",
      code: teamBilling(LOCK_TEAM, "", LOCK_TEAM),
      errors: [
        { line: 13, column: 13, messageId: "cycle" },
        { line: 20, column: 13, messageId: "cycle" },
      ],
    },
    {
      // The lock is keyed by the owner, not by the team: two owners' plan changes of one team take different locks.
      name: "NestJS/Prisma: the same two transactions, one keying its advisory lock by another value than the team row's",
      code: teamBilling(LOCK_TEAM, LOCK_TEAM.replace("teamId", "ownerId")),
      errors: [
        { line: 13, column: 13, messageId: "cycle" },
        { line: 20, column: 13, messageId: "cycle" },
      ],
    },
    {
      name: "Prisma interactive transaction (NestJS): the from row, then the to row",
      root: DEFAULT_NAMES,
      code: prismaTransfer(PRISMA_UPDATES),
      errors: [
        {
          line: 9,
          column: 13,
          ...SWAPPED("TransfersService.transfer", "account rows"),
          related: [{ line: 8, message: "`account rows` acquired here by `TransfersService.transfer`" }],
          suggestions: [{ title: "Lock both rows first, in id order", output: prismaTransfer(PRISMA_LOCK + PRISMA_UPDATES) }],
        },
      ],
    },
    {
      name: "Prisma: the schema maps the model to `accounts` and its id to `account_id`: the suggestion locks those",
      root: MAPPED_NAMES,
      code: prismaTransfer(PRISMA_UPDATES),
      errors: [
        {
          line: 9,
          column: 13,
          ...SWAPPED("TransfersService.transfer", "accounts rows"),
          related: [{ line: 8 }],
          suggestions: [{ title: "Lock both rows first, in id order", output: prismaTransfer(PRISMA_MAPPED_LOCK + PRISMA_UPDATES) }],
        },
      ],
    },
    {
      name: "Prisma without a schema near the file: the table's name is unknown, no SQL is suggested",
      code: prismaTransfer(PRISMA_UPDATES),
      errors: [{ line: 9, column: 13, ...SWAPPED("TransfersService.transfer", "account rows"), related: [{ line: 8 }], suggestions: [] }],
    },
    {
      name: "TypeORM transaction: decrement the from row, then increment the to row",
      code: typeormTransfer(TYPEORM_UPDATES),
      errors: [
        {
          line: 8,
          column: 13,
          ...SWAPPED("TransfersService.transfer", "account rows"),
          related: [{ line: 7 }],
          suggestions: [{ title: "Lock both rows first, in id order", output: typeormTransfer(TYPEORM_LOCK + TYPEORM_UPDATES) }],
        },
      ],
    },
    {
      name: "knex transaction: decrement then increment",
      code: knexTransfer(KNEX_UPDATES),
      errors: [
        {
          line: 5,
          column: 11,
          ...SWAPPED("transfer", "accounts rows"),
          related: [{ line: 4 }],
          suggestions: [{ title: "Lock both rows first, in id order", output: knexTransfer(KNEX_LOCK + KNEX_UPDATES) }],
        },
      ],
    },
    {
      name: "knex transaction: the first row through a const alias of the transaction, the second through the transaction",
      code: knexTransfer(KNEX_ALIAS + ALIASED_KNEX_UPDATES),
      errors: [
        {
          line: 6,
          column: 11,
          ...SWAPPED("transfer", "accounts rows"),
          related: [{ line: 5 }],
          suggestions: [
            { title: "Lock both rows first, in id order", output: knexTransfer(KNEX_ALIAS + ALIASED_KNEX_LOCK + ALIASED_KNEX_UPDATES) },
          ],
        },
      ],
    },
    {
      name: "Sequelize managed transaction: decrement then increment with transaction: t",
      code: sequelizeTransfer(SEQUELIZE_UPDATES),
      errors: [
        {
          line: 6,
          column: 11,
          ...SWAPPED("transfer", "account rows"),
          related: [{ line: 5 }],
          suggestions: [{ title: "Lock both rows first, in id order", output: sequelizeTransfer(SEQUELIZE_LOCK + SEQUELIZE_UPDATES) }],
        },
      ],
    },
  ],
});
