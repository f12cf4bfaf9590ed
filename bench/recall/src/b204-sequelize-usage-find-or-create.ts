import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class MonthlyUsage extends Model {
  declare id: number;
  declare ownerUuid: string;
  declare period: string;
  declare bytes: number;
}
MonthlyUsage.init(
  { ownerUuid: DataTypes.UUID, period: DataTypes.STRING, bytes: DataTypes.BIGINT },
  { sequelize, tableName: "monthly_usages" },
);
class DailyUsage extends Model {
  declare id: number;
  declare ownerUuid: string;
  declare day: string;
  declare bytes: number;
}
DailyUsage.init(
  { ownerUuid: DataTypes.UUID, day: DataTypes.STRING, bytes: DataTypes.BIGINT },
  { sequelize, tableName: "daily_usages", indexes: [{ unique: true, fields: ["owner_uuid", "day"] }] },
);
// The month's usage row is fetched or created with findOrCreate, which is a SELECT and then an INSERT; with no unique
// key on (owner, period), two uploads finishing together both miss and both create a row, and usage splits between them.
export async function usageForMonth(ownerUuid: string, period: string) {
  const [usage] = await MonthlyUsage.findOrCreate({ where: { ownerUuid, period }, defaults: { ownerUuid, period, bytes: 0 } });
  return usage;
}
// Correct: the daily table declares the unique key, so the losing INSERT fails and findOrCreate finds the winner's row.
export async function usageForDay(ownerUuid: string, day: string) {
  const [usage] = await DailyUsage.findOrCreate({ where: { ownerUuid, day }, defaults: { ownerUuid, day, bytes: 0 } });
  return usage;
}
