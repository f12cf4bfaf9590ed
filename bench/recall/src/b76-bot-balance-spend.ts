import { eq } from "drizzle-orm";
import { db } from "../db";
import { accounts, ledger } from "../db/schema";
export async function spendBotCredits(botId: string, amount: number, memo: string) {
  return db.transaction(async (tx) => {
    const [bot] = await tx.select({ credits: accounts.credits }).from(accounts).where(eq(accounts.id, botId));
    if (!bot) throw new Error("bot not found");
    const current = Number(bot.credits ?? 0);
    if (current < amount) throw new Error(`insufficient credits: have ${current}, need ${amount}`);
    await tx
      .update(accounts)
      .set({ credits: String(current - amount) })
      .where(eq(accounts.id, botId));
    await tx.insert(ledger).values({ accountId: botId, delta: String(-amount), memo });
    return current - amount;
  });
}
