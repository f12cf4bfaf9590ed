import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
const db = drizzle(process.env.DATABASE_URL!);
const memberCredits = pgTable("member_credits", {
  memberId: text("member_id").primaryKey(),
  balance: integer("balance").notNull().default(0),
  spent: integer("spent").notNull().default(0),
  updatedAt: timestamp("updated_at").notNull().defaultNow(),
});
declare function completeChat(prompt: string): Promise<string>;
const CHAT_COST = 1;
// The chat route reads the member's credits, checks them, calls the model and then writes the balance computed from
// the snapshot read before the call. Concurrent chats all pass with one credit left and each writes the same balance.
export async function chatWithCredits(memberId: string, prompt: string) {
  const [credits] = await db.select().from(memberCredits).where(eq(memberCredits.memberId, memberId)).limit(1);
  if (!credits || credits.balance < CHAT_COST) return { status: 400 as const, error: "Insufficient credits" };
  const reply = await completeChat(prompt);
  await db
    .update(memberCredits)
    .set({ balance: credits.balance - CHAT_COST, spent: credits.spent + CHAT_COST, updatedAt: new Date() })
    .where(eq(memberCredits.memberId, memberId));
  return { status: 200 as const, reply };
}
// Correct: the credit is taken first by one guarded UPDATE, and the model is only called when a row came back.
export async function chatWithCreditsReserved(memberId: string, prompt: string) {
  const [reserved] = await db
    .update(memberCredits)
    .set({ balance: sql`${memberCredits.balance} - ${CHAT_COST}`, spent: sql`${memberCredits.spent} + ${CHAT_COST}` })
    .where(sql`${memberCredits.memberId} = ${memberId} AND ${memberCredits.balance} >= ${CHAT_COST}`)
    .returning({ balance: memberCredits.balance });
  if (!reserved) return { status: 400 as const, error: "Insufficient credits" };
  return { status: 200 as const, reply: await completeChat(prompt) };
}
