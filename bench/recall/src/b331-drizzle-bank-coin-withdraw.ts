import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const bankStorage = pgTable("bank_storage", {
  id: text("id").primaryKey(),
  playerId: text("player_id").notNull(),
  itemId: text("item_id").notNull(),
  quantity: integer("quantity").notNull(),
});
const coinPouches = pgTable("coin_pouches", {
  playerId: text("player_id").primaryKey(),
  coins: integer("coins").notNull(),
});
// Withdrawing coins from the bank reads the banked stack, refuses if it is short, writes the stack back as the amount
// read minus the withdrawal and credits the pouch. Two withdraw packets sent back to back both read the full stack:
// both withdrawals are paid into the pouch and the bank only loses one of them.
export async function withdrawCoins(playerId: string, amount: number) {
  const [stack] = await db
    .select()
    .from(bankStorage)
    .where(and(eq(bankStorage.playerId, playerId), eq(bankStorage.itemId, "coins")));
  if (!stack || stack.quantity < amount) throw new Error("not enough coins in the bank");
  await db
    .update(bankStorage)
    .set({ quantity: stack.quantity - amount })
    .where(eq(bankStorage.id, stack.id));
  await db
    .update(coinPouches)
    .set({ coins: sql`${coinPouches.coins} + ${amount}` })
    .where(eq(coinPouches.playerId, playerId));
}
// Correct: the stack is read FOR UPDATE inside the transaction that lowers it and credits the pouch.
export async function withdrawCoinsLocked(playerId: string, amount: number) {
  await db.transaction(async (tx) => {
    const [stack] = await tx
      .select()
      .from(bankStorage)
      .where(and(eq(bankStorage.playerId, playerId), eq(bankStorage.itemId, "coins")))
      .for("update");
    if (!stack || stack.quantity < amount) throw new Error("not enough coins in the bank");
    await tx
      .update(bankStorage)
      .set({ quantity: stack.quantity - amount })
      .where(eq(bankStorage.id, stack.id));
    await tx
      .update(coinPouches)
      .set({ coins: sql`${coinPouches.coins} + ${amount}` })
      .where(eq(coinPouches.playerId, playerId));
  });
}
