import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
const presents = pgTable("presents", {
  id: uuid("id").primaryKey().defaultRandom(),
  receiverId: uuid("receiver_id").notNull(),
  cents: integer("cents").notNull(),
  state: text("state").notNull(),
  opensAt: timestamp("opens_at"),
  claimedAt: timestamp("claimed_at"),
});
const purses = pgTable("purses", { ownerId: uuid("owner_id").primaryKey(), cents: integer("cents").notNull() });
const db = drizzle(process.env.DATABASE_URL!);
// The present's state and opening time are checked before the transaction, and the transaction then marks it claimed
// without asking that it still be open: two claim requests both pass the checks and both credit the purse.
export async function claimPresent(presentId: string, ownerId: string) {
  const [present] = await db.select().from(presents).where(eq(presents.id, presentId));
  if (!present || present.receiverId !== ownerId) throw new Error("not your present");
  if (present.state !== "open") throw new Error("present cannot be claimed");
  if (present.opensAt && present.opensAt > new Date()) throw new Error("present is still sealed");
  await db.transaction(async (tx) => {
    await tx.update(presents).set({ state: "claimed", claimedAt: new Date() }).where(eq(presents.id, presentId));
    await tx
      .update(purses)
      .set({ cents: sql`${purses.cents} + ${present.cents}` })
      .where(eq(purses.ownerId, ownerId));
  });
}
// Correct: the transition asks that the present still be open, and only the request that made it credits the purse.
export async function claimPresentOnce(presentId: string, ownerId: string) {
  const [present] = await db.select().from(presents).where(eq(presents.id, presentId));
  if (!present || present.receiverId !== ownerId) throw new Error("not your present");
  await db.transaction(async (tx) => {
    const claimed = await tx
      .update(presents)
      .set({ state: "claimed", claimedAt: new Date() })
      .where(and(eq(presents.id, presentId), eq(presents.state, "open")))
      .returning({ id: presents.id });
    if (claimed.length === 0) throw new Error("present already claimed");
    await tx
      .update(purses)
      .set({ cents: sql`${purses.cents} + ${present.cents}` })
      .where(eq(purses.ownerId, ownerId));
  });
}
