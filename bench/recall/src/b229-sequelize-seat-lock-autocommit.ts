import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Trip extends Model {
  declare id: number;
  declare seatsLeft: number;
}
Trip.init(
  { id: { type: DataTypes.INTEGER, primaryKey: true }, seatsLeft: { type: DataTypes.INTEGER, allowNull: false } },
  { sequelize, tableName: "trips" },
);
// The row lock is a statement of its own outside any transaction, so it is released as soon as it returns; the seat
// count is then read and tested unlocked, and two bookings of the last seat both pass and both take it.
export async function holdSeats(tripId: number, count: number) {
  await sequelize.query("SELECT id FROM trips WHERE id = :tripId FOR UPDATE", { replacements: { tripId } });
  const trip = await Trip.findByPk(tripId);
  if (!trip || trip.seatsLeft < count) throw new Error("not enough seats");
  await trip.decrement("seatsLeft", { by: count });
  return trip;
}
// Correct: the locked read, the test and the decrement share one transaction.
export async function holdSeatsLocked(tripId: number, count: number) {
  return sequelize.transaction(async (t) => {
    const trip = await Trip.findByPk(tripId, { transaction: t, lock: t.LOCK.UPDATE });
    if (!trip || trip.seatsLeft < count) throw new Error("not enough seats");
    await trip.decrement("seatsLeft", { by: count, transaction: t });
    return trip;
  });
}
