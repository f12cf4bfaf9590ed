import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class LedgerAccount extends Model {
  declare id: string;
  declare ownerId: string;
  declare category: string;
  declare balanceCents: number;
}
LedgerAccount.init(
  {
    id: { type: DataTypes.UUID, primaryKey: true },
    ownerId: DataTypes.UUID,
    category: DataTypes.STRING,
    balanceCents: DataTypes.INTEGER,
  },
  { sequelize, tableName: "ledger_accounts" },
);
class LedgerEntry extends Model {}
LedgerEntry.init(
  { accountId: DataTypes.UUID, cents: DataTypes.INTEGER, kind: DataTypes.STRING },
  { sequelize, tableName: "ledger_entries" },
);
// A loan's balance is negative while money is owed. A repayment reads the loan, refuses one that would push it above
// zero, records the entry and raises the balance in SQL. The raise is atomic but the test was made on the balance read
// before: two repayments of the remaining amount both pass, and the loan ends in credit.
export async function repayLoan(loanId: string, ownerId: string, cents: number) {
  const loan = await LedgerAccount.findOne({ where: { id: loanId, ownerId } });
  if (!loan || loan.category !== "loan") throw new Error("loan not found");
  if (loan.balanceCents + cents > 0) throw new Error("the payment is more than what is owed");
  await LedgerEntry.create({ accountId: loanId, cents, kind: "repayment" });
  await LedgerAccount.increment({ balanceCents: cents }, { where: { id: loanId } });
}
// Correct: the loan row is read under a row lock in the transaction that records and applies the payment.
export async function repayLoanLocked(loanId: string, ownerId: string, cents: number) {
  await sequelize.transaction(async (transaction) => {
    const loan = await LedgerAccount.findOne({ where: { id: loanId, ownerId }, transaction, lock: transaction.LOCK.UPDATE });
    if (!loan || loan.category !== "loan") throw new Error("loan not found");
    if (loan.balanceCents + cents > 0) throw new Error("the payment is more than what is owed");
    await LedgerEntry.create({ accountId: loanId, cents, kind: "repayment" }, { transaction });
    await LedgerAccount.increment({ balanceCents: cents }, { where: { id: loanId }, transaction });
  });
}
