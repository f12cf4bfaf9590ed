import { DataTypes, Model, Sequelize, type Transaction } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Watch extends Model {
  declare userId: string;
  declare noteId: string;
  declare event: string;
}
Watch.init({ userId: DataTypes.UUID, noteId: DataTypes.UUID, event: DataTypes.STRING }, { sequelize });
// Each editor's watch row is locked (upserted) in the order the editors query returned them; two workers handling
// the same note can take the same rows in opposite orders and deadlock.
export async function watchForEditors(noteId: string, editorIds: string[]) {
  await sequelize.transaction(async (transaction: Transaction) => {
    for (const userId of editorIds) {
      await Watch.upsert({ userId, noteId, event: "notes.updated" }, { transaction });
    }
  });
}
