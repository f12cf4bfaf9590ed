import { Model, DataTypes, Sequelize } from "sequelize";
const sequelize = new Sequelize("sqlite::memory:");
export class Stock extends Model { declare ProductId: number; declare quantity: number }
Stock.init({ ProductId: DataTypes.INTEGER, quantity: DataTypes.INTEGER }, { sequelize });
export async function checkout(lines: { productId: number; quantity: number }[]) {
  for (const line of lines) {
    const stock = await Stock.findOne({ where: { ProductId: line.productId } });
    if (!stock) continue;
    const remaining = stock.quantity - line.quantity;
    await Stock.update({ quantity: remaining }, { where: { ProductId: line.productId } });
  }
}
