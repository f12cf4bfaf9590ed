import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class TrackedAccount extends Model {
  declare uid: string;
  declare handle: string;
  declare suspendedAt: Date | null;
}
TrackedAccount.init(
  { uid: { type: DataTypes.STRING, primaryKey: true }, handle: DataTypes.STRING, suspendedAt: DataTypes.DATE },
  { sequelize, tableName: "tracked_accounts" },
);
// The stream consumer stores every account it sees: it loads the account by id and builds a new one when none exists.
// Events for one account arrive a few milliseconds apart, both loads find nothing and both saves insert: the primary
// key rejects the second and the consumer logs a duplicate-record error for it.
export async function storeAccount(uid: string, handle: string, suspended: boolean) {
  let account = await TrackedAccount.findByPk(uid);
  if (!account) account = TrackedAccount.build({ uid });
  account.handle = handle;
  account.suspendedAt = suspended ? new Date() : null;
  await account.save();
  return account;
}
// Correct: one upsert writes the account whether or not a row exists.
export async function storeAccountUpsert(uid: string, handle: string, suspended: boolean) {
  const [account] = await TrackedAccount.upsert({ uid, handle, suspendedAt: suspended ? new Date() : null });
  return account;
}
