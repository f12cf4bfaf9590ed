import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!, { pool: { max: 5 } });
class Profile extends Model {
  declare id: number;
  declare username: string;
  declare birthday: Date | null;
}
Profile.init(
  { username: { type: DataTypes.STRING, allowNull: false }, birthday: { type: DataTypes.DATE } },
  { sequelize, modelName: "profile" },
);
// The birthday update runs in a managed transaction, but the transaction is passed as an extra third argument that
// findOne and update never read: both statements take a second connection from the pool while the transaction holds
// the first. With as many concurrent updates as pooled connections, every connection belongs to an open transaction
// waiting for a free one, and all of them hang until the acquire timeout.
export async function setBirthday(username: string, birthday: Date) {
  await sequelize.transaction(async (t) => {
    const profile = await Profile.findOne({ where: { username } }, { transaction: t });
    if (!profile) throw new Error("no such profile");
    await Profile.update({ birthday }, { where: { id: profile.id } }, { transaction: t });
  });
}
// Correct: the transaction is part of each call's options.
export async function setBirthdayInTransaction(username: string, birthday: Date) {
  await sequelize.transaction(async (t) => {
    const profile = await Profile.findOne({ where: { username }, transaction: t });
    if (!profile) throw new Error("no such profile");
    await Profile.update({ birthday }, { where: { id: profile.id }, transaction: t });
  });
}
