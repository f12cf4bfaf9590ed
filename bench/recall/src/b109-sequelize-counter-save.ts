import { DataTypes, Model, Sequelize } from "sequelize";
export class Tally extends Model {
  declare id: number;
  declare name: string;
  declare total: number;
}
export function defineTally(sequelize: Sequelize) {
  Tally.init({ name: { type: DataTypes.STRING, unique: true }, total: DataTypes.INTEGER }, { sequelize, modelName: "tally" });
}
// Fetched, added to in JavaScript and saved: two clients adding to one tally both read the same total and one addition
// is lost.
export async function addToTally(name: string, amount: number) {
  const tally = await Tally.findOne({ where: { name } });
  if (!tally) throw new Error(`no tally ${name}`);
  tally.total = tally.total + amount;
  await tally.save();
  return tally.total;
}
// Correct: the database adds.
export async function addToTallyAtomic(name: string, amount: number) {
  const tally = await Tally.findOne({ where: { name } });
  if (!tally) throw new Error(`no tally ${name}`);
  await tally.increment("total", { by: amount });
  return tally.total + amount;
}
