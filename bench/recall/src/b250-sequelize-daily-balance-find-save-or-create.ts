import { Op } from "sequelize";
import { Column, DataType, Model, Sequelize, Table } from "sequelize-typescript";
// One balance row per wallet and day; nothing in the schema makes (walletId, day) unique.
@Table({ tableName: "wallet_day_balances" })
class WalletDayBalance extends Model {
  @Column(DataType.STRING) declare walletId: string;
  @Column(DataType.DATEONLY) declare day: string;
  @Column(DataType.INTEGER) declare cents: number;
}
const sequelize = new Sequelize(process.env.DATABASE_URL!, { models: [WalletDayBalance] });
// A posted movement finds its day's balance row: when there is one it adds the amount in memory and saves, when there
// is none it creates the row from the latest earlier day. Two movements of one day both load the row and both save
// read + own amount (one amount is lost), or both find none and create two rows for the day.
export async function applyMovement(walletId: string, day: string, cents: number) {
  const today = await WalletDayBalance.findOne({ where: { walletId, day } });
  if (today) {
    today.cents = today.cents + cents;
    await today.save();
  } else {
    const before = await WalletDayBalance.findOne({
      where: { walletId, day: { [Op.lt]: day } },
      order: [["day", "DESC"]],
    });
    await WalletDayBalance.create({ walletId, day, cents: (before?.cents ?? 0) + cents });
  }
  await WalletDayBalance.update(
    { cents: sequelize.literal(`cents + ${Math.trunc(cents)}`) },
    { where: { walletId, day: { [Op.gt]: day } } },
  );
}
// Correct (with the unique index on (wallet_id, day) the fix adds): one INSERT … ON CONFLICT adds the amount in SQL.
export async function applyMovementAtomic(walletId: string, day: string, cents: number) {
  await sequelize.query(
    `INSERT INTO wallet_day_balances ("walletId", day, cents) VALUES (:walletId, :day, :cents)
     ON CONFLICT ("walletId", day) DO UPDATE SET cents = wallet_day_balances.cents + EXCLUDED.cents`,
    { replacements: { walletId, day, cents } },
  );
}
