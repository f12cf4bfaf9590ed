import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
declare function sendPayout(driverId: string, amountPaise: number): Promise<{ reference: string }>;
// The settlement sweep lists pending withdrawals not yet attempted, sends each payout through the provider, and then
// records the attempt with an update guarded by payout_attempted_at IS NULL. The guard comes after the money moved: two
// overlapping sweeps (two workers, or a manual run) list the same withdrawal and both send it.
export async function settlePendingWithdrawals() {
  const { data: pending, error } = await supabase
    .from("driver_withdrawals")
    .select("id, driver_id, amount_paise")
    .eq("status", "pending")
    .is("payout_attempted_at", null);
  if (error) throw error;
  for (const withdrawal of pending ?? []) {
    const { reference } = await sendPayout(withdrawal.driver_id, withdrawal.amount_paise);
    await supabase
      .from("driver_withdrawals")
      .update({ payout_attempted_at: new Date().toISOString(), settlement_ref: reference })
      .eq("id", withdrawal.id)
      .is("payout_attempted_at", null);
  }
}
// Correct: the withdrawal is claimed first by the guarded update, and only the sweep whose update returned the row pays.
export async function settlePendingWithdrawalsClaimed() {
  const { data: pending, error } = await supabase
    .from("driver_withdrawals")
    .select("id, driver_id, amount_paise")
    .eq("status", "pending")
    .is("payout_attempted_at", null);
  if (error) throw error;
  for (const withdrawal of pending ?? []) {
    const { data: claimed } = await supabase
      .from("driver_withdrawals")
      .update({ payout_attempted_at: new Date().toISOString() })
      .eq("id", withdrawal.id)
      .is("payout_attempted_at", null)
      .select("id");
    if (!claimed || claimed.length === 0) continue;
    const { reference } = await sendPayout(withdrawal.driver_id, withdrawal.amount_paise);
    await supabase.from("driver_withdrawals").update({ settlement_ref: reference }).eq("id", withdrawal.id);
  }
}
