import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class BankAccount extends Model {
  declare id: number;
  declare balance: number;
}
BankAccount.init({ balance: DataTypes.INTEGER }, { sequelize, tableName: "bank_accounts" });
// A transfer runs in a transaction but reads both accounts without a row lock, checks the sender's balance and saves
// both balances computed from what it read. Under READ COMMITTED two transfers from one account both read the old
// balance and both pass: the account is debited once and pays twice.
export async function transferFunds(fromId: number, toId: number, amount: number) {
  return sequelize.transaction(async (t) => {
    const from = await BankAccount.findByPk(fromId, { transaction: t });
    const to = await BankAccount.findByPk(toId, { transaction: t });
    if (!from || !to) throw new Error("Account not found");
    if (from.balance < amount) throw new Error("Insufficient funds");
    from.balance = from.balance - amount;
    to.balance = to.balance + amount;
    await from.save({ transaction: t });
    await to.save({ transaction: t });
  });
}
// Correct: both rows are read FOR UPDATE (in id order, so two opposite transfers cannot deadlock) before the check.
export async function transferFundsLocked(fromId: number, toId: number, amount: number) {
  return sequelize.transaction(async (t) => {
    const [firstId, secondId] = fromId < toId ? [fromId, toId] : [toId, fromId];
    const first = await BankAccount.findByPk(firstId, { transaction: t, lock: t.LOCK.UPDATE });
    const second = await BankAccount.findByPk(secondId, { transaction: t, lock: t.LOCK.UPDATE });
    const from = first?.id === fromId ? first : second;
    const to = first?.id === fromId ? second : first;
    if (!from || !to) throw new Error("Account not found");
    if (from.balance < amount) throw new Error("Insufficient funds");
    from.balance = from.balance - amount;
    to.balance = to.balance + amount;
    await from.save({ transaction: t });
    await to.save({ transaction: t });
  });
}
