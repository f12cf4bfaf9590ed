import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
const wallets = pgTable("billing_wallets", {
  userId: text("user_id").primaryKey(),
  balanceCents: integer("balance_cents").notNull(),
  currency: text("currency").notNull(),
});
const walletEntries = pgTable("billing_wallet_entries", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  amountCents: integer("amount_cents").notNull(),
  balanceAfterCents: integer("balance_after_cents").notNull(),
  kind: text("kind").notNull(),
});
const db = drizzle(process.env.DATABASE_URL!);
// An admin adjustment raises the balance atomically in SQL, but the ledger entry records the balance read before the
// transaction's update plus the amount. Two adjustments at once read the same balance: the wallet ends right, and the
// ledger shows two entries with the same "balance after", one of them wrong.
export async function adjustWallet(userId: string, amountCents: number) {
  return db.transaction(async (tx) => {
    const [wallet] = await tx.select().from(wallets).where(eq(wallets.userId, userId));
    if (!wallet) throw new Error("wallet not found");
    const balanceAfter = wallet.balanceCents + amountCents;
    await tx
      .update(wallets)
      .set({ balanceCents: sql`${wallets.balanceCents} + ${amountCents}` })
      .where(eq(wallets.userId, userId));
    await tx.insert(walletEntries).values({ id: randomUUID(), userId, amountCents, balanceAfterCents: balanceAfter, kind: "adjustment" });
    return balanceAfter;
  });
}
// Correct: the ledger records the balance the update returns, which includes every adjustment committed before it.
export async function adjustWalletReturning(userId: string, amountCents: number) {
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(wallets)
      .set({ balanceCents: sql`${wallets.balanceCents} + ${amountCents}` })
      .where(eq(wallets.userId, userId))
      .returning({ balanceCents: wallets.balanceCents });
    if (!updated) throw new Error("wallet not found");
    await tx
      .insert(walletEntries)
      .values({ id: randomUUID(), userId, amountCents, balanceAfterCents: updated.balanceCents, kind: "adjustment" });
    return updated.balanceCents;
  });
}
