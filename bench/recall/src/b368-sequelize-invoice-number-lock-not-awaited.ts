import { DataTypes, Model, QueryTypes, Sequelize, Transaction } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Invoice extends Model {
  declare id: number;
  declare number: number;
  declare amount: number;
}
// Invoice numbers are the highest number plus one. To keep two invoices from taking the same number, a hook locks the
// invoice rows with SELECT … FOR UPDATE inside the creating transaction before reading the maximum, but the locking
// query's promise is never awaited: the maximum is read before the lock is held, and invoices created in parallel get
// the same number (it only "works" with a pool of one connection, where the statements queue).
Invoice.init(
  { number: DataTypes.INTEGER, amount: DataTypes.INTEGER },
  {
    sequelize,
    tableName: "invoices",
    hooks: {
      beforeValidate: async (invoice: Invoice, options: { transaction?: Transaction | null }) => {
        sequelize.query("SELECT id FROM invoices FOR UPDATE", { type: QueryTypes.SELECT, transaction: options.transaction });
        const last = await Invoice.max<number, Invoice>("number", { transaction: options.transaction });
        invoice.number = (last ?? 0) + 1;
      },
    },
  },
);
export async function createInvoices(amounts: number[]) {
  return Promise.all(
    amounts.map((amount) => sequelize.transaction(async (transaction) => Invoice.create({ amount }, { transaction }))),
  );
}
// Correct: the transaction takes a lock before reading the maximum, and awaits it.
export async function createInvoiceNumbered(amount: number) {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query("SELECT pg_advisory_xact_lock(hashtext('invoice-number'))", { transaction });
    const last = await Invoice.max<number, Invoice>("number", { transaction });
    return Invoice.create({ amount, number: (last ?? 0) + 1 }, { transaction, hooks: false });
  });
}
