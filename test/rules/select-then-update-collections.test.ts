// select-then-update through collections of rows: an element taken from rows read (`byId.get(id)` of a
// `new Map(rows.map((r) => [r.id, r]))`, `rows.find(…)`, the variable of `for (const row of rows)`) is a row of that
// read, so a check of its column that decides a write of the column is a check-then-write, and a value computed from
// it and written back is a lost update. A document's field changed before a push onto its array is still what its
// save loses. Look-alikes: the write repeats the check in its WHERE, the check is on a column the write leaves alone,
// the update is atomic, the value written comes from the request, the rows are locked in the transaction. A check in an
// earlier loop that throws for a row decides the writes of a later loop. A value kept
// in a Map (`pending.set(id, { id, used })`) comes back from `get` and `values()` with what each property was given.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** An Express-style order module on Prisma; `body` is the loop over the order's items. */
const orderModule = (body: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function placeOrder(items: { dishId: string; quantity: number }[]) {
  const dishes = await prisma.dish.findMany({ where: { id: { in: items.map((i) => i.dishId) } } });
  const byId = new Map(dishes.map((d) => [d.id, d]));
  for (const item of items) {
${body}
  }
}
`;

/** A Prisma module that reads the budgets of a campaign; `body` runs for each. */
const budgetModule = (body: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function release(budgetIds: string[], amount: number) {
  const budgets = await prisma.budget.findMany({ where: { id: { in: budgetIds } } });
  for (const budget of budgets) {
${body}
  }
}
`;

/** An inbox module on Prisma: the items of a group, kept by a filter (`keep`), are matched one by one (`write`). */
const inboxModule = (keep: string, write: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function matchGroup(groupId: string, transactionId: string) {
  const items = await prisma.inboxItem.findMany({ where: { groupId } });
  const open = items.filter((item) => ${keep});
  for (const item of open) {
    ${write}
  }
}
`;

const MONGOOSE_TEAM = (change: string) => `import { Schema, model } from "mongoose";
const Team = model("Team", new Schema({ credits: Number, members: [String], name: String }));

export async function recruit(teamId: string, member: string, price: number, name: string) {
  const team = await Team.findById(teamId);
  if (!team) throw new Error("no team");
${change}
  team.members.push(member);
  await team.save();
}
`;

const MIKRO_WALLETS = (body: string) => `import { EntityManager, LockMode } from "@mikro-orm/postgresql";
import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity()
export class Wallet {
  @PrimaryKey() id!: string;
  @Property() balance!: number;
}

export async function chargeAll(em: EntityManager, ids: string[], fee: number) {
${body}
}
`;

const SEQUELIZE_SEATS = (body: string) => `import { DataTypes, Model, Sequelize } from "sequelize";
export const sequelize = new Sequelize("postgres://localhost/shop");
export class Seat extends Model {
  declare id: number;
  declare left: number;
}
Seat.init({ left: DataTypes.INTEGER, label: DataTypes.STRING }, { sequelize });

export async function change(id: number, label: string) {
  const seat = await Seat.findByPk(id);
  if (!seat) throw new Error("no seat");
${body}
}
`;

/** A Prisma module that totals the uses of each coupon read into a Map, then writes the entries back; `entry` is what the Map holds. */
const couponModule = (entry: string, write: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function redeem(codes: string[], note: string) {
  const coupons = await prisma.coupon.findMany({ where: { code: { in: codes } } });
  const pending = new Map<string, { id: string; used: number; note: string }>();
  for (const coupon of coupons) pending.set(coupon.id, ${entry});
  for (const { id, used, note } of pending.values()) await prisma.coupon.update({ where: { id }, data: ${write} });
}
`;

/** An order module on Prisma: a first loop checks every item (`check`), a second one writes each (`write`). */
const twoLoopOrder = (check: string, write: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function placeOrder(items: { dishId: string; quantity: number }[]) {
  const dishes = await prisma.dish.findMany({ where: { id: { in: items.map((i) => i.dishId) } } });
  const byId = new Map(dishes.map((d) => [d.id, d]));
  for (const item of items) {
    const dish = byId.get(item.dishId)!;
    ${check}
  }
  for (const item of items) {
    ${write}
  }
}
`;

const DECREMENT = "await prisma.dish.update({ where: { id: item.dishId }, data: { stockQty: { decrement: item.quantity } } });";

const CHECK = (line: number, column: number, read: number) => ({
  line,
  column,
  messageId: "checkThenWrite",
  data: { write: "`prisma.dish.update(…)`", column: "`stockQty`", line: read },
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "rows kept by a filter on a column the write leaves alone: the filter picks rows, it checks nothing written",
      code: inboxModule("item.visible", "await prisma.inboxItem.update({ where: { id: item.id }, data: { transactionId } });"),
    },
    {
      name: "rows kept by a filter on the column, each claimed by a write that repeats the check and counts the rows",
      code: inboxModule(
        "!item.transactionId",
        'const { count } = await prisma.inboxItem.updateMany({ where: { id: item.id, transactionId: null }, data: { transactionId } });\n    if (count === 0) throw new Error("already matched");',
      ),
    },
    {
      name: "a Map of rows: the update repeats the stock check in its WHERE (conditional update)",
      code: orderModule(`    const dish = byId.get(item.dishId);
    if (!dish || dish.stockQty < item.quantity) throw new Error("out of stock");
    const { count } = await prisma.dish.updateMany({
      where: { id: item.dishId, stockQty: { gte: item.quantity } },
      data: { stockQty: { decrement: item.quantity } },
    });
    if (count === 0) throw new Error("out of stock");`),
    },
    {
      name: "a Map of rows: the check is on a column the update leaves alone",
      code: orderModule(`    const dish = byId.get(item.dishId);
    if (!dish || !dish.available) throw new Error("not on the menu");
    await prisma.dish.update({ where: { id: item.dishId }, data: { stockQty: { decrement: item.quantity } } });`),
    },
    {
      name: "for-of over rows: the update is atomic and nothing is checked",
      code: budgetModule(`    await prisma.budget.update({ where: { id: budget.id }, data: { used: { decrement: amount } } });`),
    },
    {
      name: "for-of over rows: the value written comes from the request, not from the row",
      code: budgetModule(`    await prisma.budget.update({ where: { id: budget.id }, data: { used: amount } });`),
    },
    {
      name: "Mongoose: a push onto the document's array, and a field set from the request",
      code: MONGOOSE_TEAM("  team.name = name;"),
    },
    {
      name: "MikroORM: em.find with PESSIMISTIC_WRITE in em.transactional, each row changed and flushed",
      code: MIKRO_WALLETS(`  await em.transactional(async (tx) => {
    const wallets = await tx.find(Wallet, { id: { $in: ids } }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    for (const wallet of wallets) wallet.balance -= fee;
    await tx.flush();
  });`),
    },
    {
      name: 'Sequelize: seat.get("label") is not a column named `get`; the value written comes from the request',
      code: SEQUELIZE_SEATS(`  if (seat.get("label") === label) return;
  await seat.update({ label });`),
    },
    {
      name: "a Map entry built from the row: the property written comes from the request, not from the row",
      code: couponModule("{ id: coupon.id, used: coupon.used + 1, note }", "{ note }"),
    },
    {
      name: "a Map entry built from the row: the count written is an atomic increment of the row's own value",
      code: couponModule("{ id: coupon.id, used: coupon.used + 1, note }", "{ used: { increment: 1 }, note }"),
    },
    {
      name: "an earlier loop skips an item (continue) on the stock check: it decides nothing the later loop writes",
      code: twoLoopOrder("if (dish.stockQty < item.quantity) continue;", DECREMENT),
    },
    {
      name: "an earlier loop throws on a column the later writes leave alone",
      code: twoLoopOrder('if (dish.archived) throw new Error("archived");', DECREMENT),
    },
    {
      name: "an earlier loop checks the stock, and each later update repeats the check in its WHERE and counts the rows",
      code: twoLoopOrder(
        'if (dish.stockQty < item.quantity) throw new Error("out of stock");',
        'const { count } = await prisma.dish.updateMany({ where: { id: item.dishId, stockQty: { gte: item.quantity } }, data: { stockQty: { decrement: item.quantity } } });\n    if (count === 0) throw new Error("out of stock");',
      ),
    },
  ],
  invalid: [
    {
      name: "an earlier loop throws when a row's stock is short; the decrements in the later loop run only because all passed",
      code: twoLoopOrder('if (dish.trackStock && dish.stockQty < item.quantity) throw new Error("out of stock");', DECREMENT),
      errors: [CHECK(12, 11, 5)],
    },
    {
      name: "a count computed from the row goes through Map.set and comes back from values() into the write",
      code: couponModule("{ id: coupon.id, used: coupon.used + 1, note }", "{ used }"),
      errors: [{ line: 8, column: 60, messageId: "lostUpdate", data: { write: "`prisma.coupon.update(…)`", column: "`used`", line: 5 } }],
    },
    {
      name: "a value computed from the row set in a Map and read back with get() is written",
      code: couponModule("{ id: coupon.id, used: coupon.used + 1, note }", "{ used: pending.get(id)!.used }"),
      errors: [{ line: 8, column: 60, messageId: "lostUpdate", data: { write: "`prisma.coupon.update(…)`", column: "`used`", line: 5 } }],
    },
    {
      name: "rows kept by a filter on the column (not yet matched), then each written with a new value of it",
      code: inboxModule("!item.transactionId", "await prisma.inboxItem.update({ where: { id: item.id }, data: { transactionId } });"),
      errors: [
        {
          line: 8,
          column: 11,
          message:
            "`prisma.inboxItem.update(…)` runs only because the check of `transactionId` read at line 5 passed, but nothing locks the row: two concurrent calls can both pass the check and both write, where run one after the other the second might have failed it.",
        },
      ],
    },
    {
      name: "for-of over rows: a value computed from the row is written back",
      code: budgetModule(`    const used = Math.max(0, budget.used - amount);
    await prisma.budget.update({ where: { id: budget.id }, data: { used } });`),
      errors: [{ line: 8, column: 11, messageId: "lostUpdate", data: { write: "`prisma.budget.update(…)`", column: "`used`", line: 5 } }],
    },
    {
      name: "Mongoose: a field computed from the document, then a push onto its array, then save",
      code: MONGOOSE_TEAM("  team.credits = team.credits! - price;"),
      errors: [{ line: 9, column: 9, messageId: "documentLostUpdate", data: { write: "`team.save(…)`", column: "`credits`", line: 5 } }],
    },
    {
      name: "MikroORM: em.find without a lock, each row changed and flushed",
      code: MIKRO_WALLETS(`  const wallets = await em.find(Wallet, { id: { $in: ids } });
  for (const wallet of wallets) wallet.balance -= fee;
  await em.flush();`),
      errors: [{ line: 12, column: 9, messageId: "lostUpdate", data: { write: "`em.flush(…)`", column: "`balance`", line: 10 } }],
    },
    {
      name: "a Map of rows: the stock of the element looked up decides the decrement",
      code: orderModule(`    const dish = byId.get(item.dishId)!;
    if (dish.stockQty < item.quantity) throw new Error("out of stock");
    await prisma.dish.update({ where: { id: item.dishId }, data: { stockQty: { decrement: item.quantity } } });`),
      errors: [CHECK(10, 11, 5)],
    },
    {
      name: "rows.find(…): the stock of the element found decides the decrement",
      code: orderModule(`    const stock = dishes.find((d) => d.id === item.dishId)!.stockQty;
    if (stock < item.quantity) throw new Error("out of stock");
    await prisma.dish.update({ where: { id: item.dishId }, data: { stockQty: { decrement: item.quantity } } });`),
      errors: [CHECK(10, 11, 5)],
    },
  ],
});
