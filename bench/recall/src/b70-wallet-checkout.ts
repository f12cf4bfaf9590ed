import type { Request, Response } from "express";
import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Purse extends Model {
  declare ownerId: number;
  declare credit: number;
}
Purse.init({ ownerId: { type: DataTypes.INTEGER, unique: true }, credit: DataTypes.DECIMAL }, { sequelize });
class Receipt extends Model {}
Receipt.init({ ownerId: DataTypes.INTEGER, total: DataTypes.DECIMAL }, { sequelize });
export async function payWithPurse(req: Request, res: Response) {
  const ownerId = (req as any).user.id as number;
  const total = Number(req.body.total);
  const purse = await Purse.findOne({ where: { ownerId } });
  if (!purse || purse.credit < total) return res.status(402).json({ error: "insufficient credit" });
  // Checked above on a read of its own; the decrement has no `credit >= total` condition, so two payments both pass.
  await Purse.decrement({ credit: total }, { where: { ownerId } });
  const receipt = await Receipt.create({ ownerId, total });
  return res.status(201).json(receipt);
}
