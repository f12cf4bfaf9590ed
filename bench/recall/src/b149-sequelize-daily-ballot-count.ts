import { Router } from "express";
import { DataTypes, Model, Op, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Ballot extends Model {
  declare id: number;
  declare diner_id: number;
  declare place_id: number;
}
Ballot.init(
  { diner_id: DataTypes.INTEGER, place_id: DataTypes.INTEGER },
  { sequelize, tableName: "ballots", indexes: [{ fields: ["created_at", "place_id", "diner_id"] }] },
);
function startOfToday(): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}
function ballotsToday(placeId: number, dinerId: number) {
  return Ballot.count({ where: { diner_id: dinerId, place_id: placeId, created_at: { [Op.gte]: startOfToday() } } });
}
// One vote per diner and place a day is enforced by counting today's ballots and then inserting: a double click sends
// two requests that both count 0 and both insert, so the place gets two votes from one diner.
export const ballots = Router();
ballots.post("/places/:placeId/ballots", async (req, res, next) => {
  const placeId = Number(req.params.placeId);
  const dinerId = (req as unknown as { user: { id: number } }).user.id;
  try {
    const already = await ballotsToday(placeId, dinerId);
    if (already === 0) {
      const ballot = await Ballot.create({ place_id: placeId, diner_id: dinerId });
      res.status(201).json({ error: false, data: ballot });
    } else {
      res.status(409).json({ error: true, message: "Could not vote. Did you already vote today?" });
    }
  } catch (err) {
    next(err);
  }
});
