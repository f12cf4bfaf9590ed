import { DataTypes, Model, Sequelize } from "sequelize";
const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Book extends Model {
  declare id: string;
  declare title: string;
  declare listenProgress?: ListenProgress[];
}
Book.init({ id: { type: DataTypes.UUID, primaryKey: true }, title: DataTypes.STRING }, { sequelize, tableName: "books" });
class ListenProgress extends Model {
  declare id: string;
  declare userId: string;
  declare bookId: string;
  declare currentTime: number;
  declare isFinished: boolean;
}
ListenProgress.init(
  {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
    userId: DataTypes.UUID,
    bookId: DataTypes.UUID,
    currentTime: DataTypes.FLOAT,
    isFinished: DataTypes.BOOLEAN,
  },
  { sequelize, tableName: "listen_progress" },
);
Book.hasMany(ListenProgress, { foreignKey: "bookId", as: "listenProgress" });
// The player syncs a local session and saves progress through a second endpoint at the same time. Each loads the book
// with the user's progress included, finds none for a first listen and creates it; nothing makes (userId, bookId)
// unique, so the user gets two progress rows and the finished one keeps reappearing in "continue listening".
export async function saveProgress(userId: string, bookId: string, currentTime: number, isFinished: boolean) {
  const book = await Book.findByPk(bookId, {
    include: [{ model: ListenProgress, as: "listenProgress", where: { userId }, required: false }],
  });
  if (!book) throw new Error("book not found");
  const progress = book.listenProgress?.[0];
  if (progress) {
    await progress.update({ currentTime, isFinished });
    return progress;
  }
  return ListenProgress.create({ userId, bookId, currentTime, isFinished });
}
