// select-then-update with a lock option chosen by a condition (issue #16: "a lock option set on one branch only").
// `lock: forUpdate ? t.LOCK.UPDATE : undefined` locks only on the path where `forUpdate` holds: a caller that passes
// false reads without a lock and loses updates, so the read does not count as locking. `lock: t ? t.LOCK.UPDATE :
// undefined` beside `transaction: t` locks whenever there is a transaction to hold the lock, so in the caller's
// transaction the read is locked.
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
      errors: [{ line: 8, column: 11, messageId: "lostUpdate", data: { write: "`wallet.update(…)`", column: "`balance`", line: 6 } }],
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
      errors: [{ line: 11, column: 11, messageId: "lostUpdate", data: { write: "`manager.save(…)`", column: "`onHand`", line: 8 } }],
    },
  ],
});
