import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_KEY!);
export async function redeemCode(userId: string, code: string) {
  const { data: row } = await supabase.from("gift_codes").select("id, item_id, used_count, max_uses").eq("code", code).single();
  if (!row) throw new Error("unknown code");
  if (row.used_count >= row.max_uses) throw new Error("code used up");
  await supabase.from("owned_items").insert({ user_id: userId, item_id: row.item_id });
  await supabase
    .from("gift_codes")
    .update({ used_count: row.used_count + 1 })
    .eq("id", row.id);
}
