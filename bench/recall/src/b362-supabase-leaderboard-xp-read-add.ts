import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
// XP is awarded by reading the user's leaderboard row, adding the award in JavaScript and writing the total back. A
// session join and the daily login bonus firing together both read 100 and write 150 and 120: one award is lost.
export async function rewardXP(userId: string, amount: number) {
  const { data, error } = await supabase.from("leaderboard").select("*").eq("user_id", userId).single();
  if (error || !data) throw new Error("no leaderboard row");
  const updatedXP = data.xp + amount;
  await supabase.from("leaderboard").update({ xp: updatedXP }).eq("user_id", userId);
  return updatedXP;
}
// Correct: a database function runs one UPDATE … SET xp = xp + amount.
export async function rewardXPAtomic(userId: string, amount: number) {
  const { data, error } = await supabase.rpc("increment_xp", { target_user_id: userId, xp_amount: amount });
  if (error) throw error;
  return data as number;
}
