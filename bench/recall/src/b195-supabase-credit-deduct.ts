import { createClient } from "@supabase/supabase-js";
const supabaseAdmin = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
// The deduct route reads the caller's credit balance, refuses when it is short, and writes back the balance minus the
// cost. Two background removals started together both read 5, both pass, and both write 4: one removal is free, and a
// balance of 1 can pay for many.
export async function deductCredits(userId: string, amount: number) {
  const { data: row, error } = await supabaseAdmin.from("credit_wallets").select("balance").eq("user_id", userId).single();
  if (error || !row) throw new Error("No credit wallet");
  if (row.balance < amount) return { ok: false, balance: row.balance };
  const remaining = row.balance - amount;
  const { error: updateError } = await supabaseAdmin.from("credit_wallets").update({ balance: remaining }).eq("user_id", userId);
  if (updateError) throw updateError;
  return { ok: true, balance: remaining };
}
// Correct: the check and the deduction are one statement in a database function (`UPDATE … SET balance = balance - $2
// WHERE user_id = $1 AND balance >= $2 RETURNING balance`), and no returned row means the balance was short.
export async function deductCreditsAtomic(userId: string, amount: number) {
  const { data, error } = await supabaseAdmin.rpc("deduct_credit_balance", { p_user_id: userId, p_amount: amount });
  if (error) throw error;
  if (data === null) return { ok: false };
  return { ok: true, balance: data as number };
}
