import { Schema, model } from "mongoose";
const TokenBalance = model("TokenBalance", new Schema({ user: String, tokenCredits: Number }));
declare function runCompletion(prompt: string): Promise<{ text: string; usedTokens: number }>;
declare function estimateCost(prompt: string): number;
export async function chatTurn(userId: string, prompt: string) {
  const cost = estimateCost(prompt);
  const balance = await TokenBalance.findOne({ user: userId }).lean();
  if (!balance || (balance.tokenCredits ?? 0) < cost) throw new Error("insufficient token balance");
  const reply = await runCompletion(prompt);
  await TokenBalance.findOneAndUpdate({ user: userId }, { $inc: { tokenCredits: -reply.usedTokens } });
  return reply.text;
}
