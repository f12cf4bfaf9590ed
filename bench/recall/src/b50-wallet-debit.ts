import { and, eq, gte, sql } from "drizzle-orm";
import { db } from "@/db";
import { wallets, walletEntries } from "@/db/schema";
export class WalletService {
  async debit(userId: string, amount: number, memo: string) {
    const [wallet] = await db.select().from(wallets).where(eq(wallets.userId, userId)).limit(1);
    if (!wallet) throw new Error("wallet not found");
    if (wallet.balance < amount) throw new Error("insufficient balance");
    const [after] = await db
      .update(wallets)
      .set({ balance: wallet.balance - amount })
      .where(eq(wallets.id, wallet.id))
      .returning();
    await db.insert(walletEntries).values({ walletId: wallet.id, delta: -amount, memo });
    return after;
  }
  // Correct twin: the balance test is in the WHERE of one UPDATE that computes the new balance in SQL.
  async debitAtomic(userId: string, amount: number, memo: string) {
    const [after] = await db
      .update(wallets)
      .set({ balance: sql`${wallets.balance} - ${amount}` })
      .where(and(eq(wallets.userId, userId), gte(wallets.balance, amount)))
      .returning();
    if (!after) throw new Error("insufficient balance");
    await db.insert(walletEntries).values({ walletId: after.id, delta: -amount, memo });
    return after;
  }
}
