import { createClient } from "@supabase/supabase-js";
const db = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_KEY!);
export async function spendCredits(userId: string, cost: number) {
  const { data: profile, error } = await db.from("profiles").select("credits").eq("id", userId).single();
  if (error || !profile) throw error ?? new Error("no profile");
  if (profile.credits < cost) throw new Error("not enough credits");
  const { error: updateError } = await db.from("profiles").update({ credits: profile.credits - cost }).eq("id", userId);
  if (updateError) throw updateError;
}
export async function spendCreditsGuarded(userId: string, cost: number) {
  const { data: profile } = await db.from("profiles").select("credits").eq("id", userId).single();
  if (!profile || profile.credits < cost) throw new Error("not enough credits");
  const { data: updated } = await db
    .from("profiles")
    .update({ credits: profile.credits - cost })
    .eq("id", userId)
    .eq("credits", profile.credits)
    .select();
  if (!updated || updated.length === 0) throw new Error("retry: credits changed");
}
