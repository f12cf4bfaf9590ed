// select-then-update with a lock option chosen by a condition (issue #16: "a lock option set on one branch only").
// `lock: forUpdate ? t.LOCK.UPDATE : undefined` locks only on the path where `forUpdate` holds: a caller that passes
// false reads without a lock and loses updates, so the read does not count as locking. `lock: t ? t.LOCK.UPDATE :
// undefined` beside `transaction: t` locks whenever there is a transaction to hold the lock, so in the caller's
// transaction the read is locked. Each message names the condition under which the read takes no lock.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const WALLET_MODEL = {
  "src/wallet.model.ts": `import { Model } from "sequelize";
export class Wallet extends Model {
  declare id: string;
  declare balance: number;
}
`,
};

/** A Sequelize wallet repository whose debit runs in the transaction it is given; `lock` is the read's lock option. */
const walletRepository = (params: string, lock: string) => `import type { Transaction } from "sequelize";
import { Wallet } from "./wallet.model";

export class WalletRepository {
  async debit(walletId: string, amount: number, ${params}) {
    const wallet = await Wallet.findByPk(walletId, { transaction: t, lock: ${lock} });
    if (!wallet || wallet.balance < amount) throw new Error("insufficient funds");
    await wallet.update({ balance: wallet.balance - amount }, { transaction: t });
  }
}
`;

const STOCK_ENTITY = {
  "src/stock.entity.ts": `import { Column, Entity, PrimaryColumn } from "typeorm";
@Entity()
export class Stock {
  @PrimaryColumn() sku!: string;
  @Column() onHand!: number;
}
`,
};

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Sequelize: `lock: t ? t.LOCK.UPDATE : undefined` beside `transaction: t`, in the caller's transaction",
      files: WALLET_MODEL,
      code: walletRepository("t: Transaction", "t ? t.LOCK.UPDATE : undefined"),
    },
  ],
  invalid: [
    {
      name: "Sequelize: the lock taken only when the caller asks for it (`forUpdate ? t.LOCK.UPDATE : undefined`)",
      files: WALLET_MODEL,
      code: walletRepository("t: Transaction, forUpdate = false", "forUpdate ? t.LOCK.UPDATE : undefined"),
      errors: [
        {
          line: 8,
          column: 11,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`wallet.update(…)`",
            column: "`balance`",
            line: 6,
            lock: "`FOR UPDATE`",
            why: "it is asked for only when `forUpdate` holds; when it does not, the read locks nothing",
          },
        },
      ],
    },
    {
      name: "TypeORM (NestJS): `lock: lockRow ? { mode: 'pessimistic_write' } : undefined` in the caller's EntityManager",
      files: STOCK_ENTITY,
      code: `import { Injectable } from "@nestjs/common";
import type { EntityManager } from "typeorm";
import { Stock } from "./stock.entity";

@Injectable()
export class StockService {
  async pick(manager: EntityManager, sku: string, quantity: number, lockRow: boolean) {
    const stock = await manager.findOneOrFail(Stock, { where: { sku }, lock: lockRow ? { mode: "pessimistic_write" } : undefined });
    if (stock.onHand < quantity) throw new Error("not enough stock");
    stock.onHand -= quantity;
    await manager.save(stock);
  }
}
`,
      errors: [
        {
          line: 11,
          column: 11,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`manager.save(…)`",
            column: "`onHand`",
            line: 8,
            lock: "`FOR UPDATE`",
            why: "it is asked for only when `lockRow` holds; when it does not, the read locks nothing",
          },
        },
      ],
    },
    {
      name: "Sequelize (NestJS): `lock: tx ? Transaction.LOCK.UPDATE : undefined` with an optional transaction: without one, no lock",
      files: WALLET_MODEL,
      code: `import { Injectable } from "@nestjs/common";
import { Transaction } from "sequelize";
import { Wallet } from "./wallet.model";

@Injectable()
export class WalletService {
  async withdraw(walletId: string, amount: number, tx?: Transaction) {
    const wallet = await Wallet.findByPk(walletId, { transaction: tx, lock: tx ? Transaction.LOCK.UPDATE : undefined });
    if (!wallet) throw new Error("wallet not found");
    wallet.balance = wallet.balance - amount;
    await wallet.save({ transaction: tx });
  }
}
`,
      errors: [
        {
          line: 11,
          column: 11,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`wallet.save(…)`",
            column: "`balance`",
            line: 8,
            lock: "`FOR UPDATE`",
            why: "it is asked for only when `tx` is set, and without it the read runs outside a transaction and locks nothing",
          },
        },
      ],
    },
    {
      name: "TypeORM: the lock skipped when a flag is set (`skipLock ? undefined : { mode }`)",
      files: STOCK_ENTITY,
      code: `import type { EntityManager } from "typeorm";
import { Stock } from "./stock.entity";

export async function pick(manager: EntityManager, sku: string, quantity: number, skipLock = false) {
  const stock = await manager.findOneOrFail(Stock, { where: { sku }, lock: skipLock ? undefined : { mode: "pessimistic_write" } });
  stock.onHand -= quantity;
  await manager.save(stock);
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`manager.save(…)`",
            column: "`onHand`",
            line: 5,
            lock: "`FOR UPDATE`",
            why: "it is asked for only when `skipLock` is false; when `skipLock` holds, the read locks nothing",
          },
        },
      ],
    },
  ],
});
