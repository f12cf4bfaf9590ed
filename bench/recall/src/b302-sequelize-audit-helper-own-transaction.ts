import { DataTypes, Model, Sequelize, type Transaction } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!, { pool: { max: 5, acquire: 60_000 } });
class Seat extends Model {
  declare id: number;
  declare holderId: number | null;
}
Seat.init({ holderId: DataTypes.INTEGER }, { sequelize, tableName: "seats" });
class AuditEntry extends Model {
  declare id: number;
  declare action: string;
  declare seatId: number;
}
AuditEntry.init({ action: DataTypes.STRING, seatId: DataTypes.INTEGER }, { sequelize, tableName: "audit_entries" });
async function recordAudit(action: string, seatId: number) {
  return sequelize.transaction((t) => AuditEntry.create({ action, seatId }, { transaction: t }));
}
async function recordAuditIn(t: Transaction, action: string, seatId: number) {
  return AuditEntry.create({ action, seatId }, { transaction: t });
}
// Releasing a seat updates it inside a transaction and records the change through an audit helper that opens its own
// transaction. The outer transaction keeps its pooled connection while the helper waits for a second one: five
// releases at once hold all five connections and each waits for a sixth, so every release hangs until the acquire
// timeout, and the audit row commits apart from the seat change.
export async function releaseSeat(seatId: number) {
  return sequelize.transaction(async (t) => {
    await Seat.update({ holderId: null }, { where: { id: seatId }, transaction: t });
    await recordAudit("seat.released", seatId);
  });
}
// Correct: the audit row is written on the transaction the release already holds.
export async function releaseSeatInOneTransaction(seatId: number) {
  return sequelize.transaction(async (t) => {
    await Seat.update({ holderId: null }, { where: { id: seatId }, transaction: t });
    await recordAuditIn(t, "seat.released", seatId);
  });
}
