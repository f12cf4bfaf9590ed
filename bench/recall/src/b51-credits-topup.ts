import { eq } from "drizzle-orm";
import { db } from "../libs/db";
import { accountCredits } from "../schemas/credits";
export function createCreditService() {
  return {
    async ensureCredits(userId: string) {
      const [row] = await db.select().from(accountCredits).where(eq(accountCredits.userId, userId));
      if (row) return row;
      const [created] = await db.insert(accountCredits).values({ userId, credits: 0 }).returning();
      return created;
    },
    async grantCredits(userId: string, amount: number) {
      const current = await this.ensureCredits(userId);
      const [after] = await db
        .update(accountCredits)
        .set({ credits: current.credits + amount, updatedAt: new Date() })
        .where(eq(accountCredits.userId, userId))
        .returning();
      return after;
    },
  };
}
