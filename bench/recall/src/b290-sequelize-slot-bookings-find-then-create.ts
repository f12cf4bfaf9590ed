import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class SlotBooking extends Model {
  declare id: number;
  declare venueId: number;
  declare roomId: number;
  declare mealId: number;
  declare day: string;
  declare status: string;
  declare changedBy: number;
}
// No unique index over (venueId, roomId, mealId, day): the table only has its id.
SlotBooking.init(
  {
    venueId: DataTypes.INTEGER,
    roomId: DataTypes.INTEGER,
    mealId: DataTypes.INTEGER,
    day: DataTypes.DATEONLY,
    status: DataTypes.STRING,
    changedBy: DataTypes.INTEGER,
  },
  { sequelize, tableName: "slot_bookings" },
);
interface SlotChange {
  venueId: number;
  roomId: number;
  mealId: number;
  day: string;
  status: string;
}
// Saving a batch of availability changes looks each slot up inside one transaction, updates the bookings it finds and
// creates one when there is none. Two batches touching the same slot both find nothing (a plain SELECT locks no gap)
// and both create: two bookings for one slot.
export async function saveAvailability(changes: SlotChange[], userId: number) {
  return sequelize.transaction((t) =>
    Promise.all(
      changes.map(async (change) => {
        const where = { venueId: change.venueId, roomId: change.roomId, mealId: change.mealId, day: change.day };
        const existing = await SlotBooking.findAll({ where, transaction: t });
        if (existing.length > 0) {
          await SlotBooking.update({ status: change.status, changedBy: userId }, { where, transaction: t });
          return;
        }
        await SlotBooking.create({ ...where, status: change.status, changedBy: userId }, { transaction: t });
      }),
    ),
  );
}
