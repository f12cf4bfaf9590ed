import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
// Redeeming an "all items" code checks that this developer has not used it, grants every shop item as a purchase, and
// only then records the usage. Two concurrent redeems both find no usage and both grant the whole shop; the second
// usage insert fails on the primary key, but its purchases are already in.
export async function redeemAllItemsCode(codeId: string, developerId: string) {
  const { data: usage } = await supabase
    .from("special_code_usages")
    .select("code_id")
    .eq("code_id", codeId)
    .eq("developer_id", developerId)
    .maybeSingle();
  if (usage) return { status: 409 };
  const { data: items, error } = await supabase.from("shop_items").select("id");
  if (error) throw error;
  await supabase
    .from("purchases")
    .insert((items ?? []).map((item) => ({ developer_id: developerId, item_id: item.id, provider: "special_code" })));
  await supabase.from("special_code_usages").insert({ code_id: codeId, developer_id: developerId });
  return { status: 200 };
}
// Correct (the fix's shape): the usage row is inserted first, and its primary key decides who grants the items.
export async function redeemAllItemsCodeClaimed(codeId: string, developerId: string) {
  const { error: claimError } = await supabase.from("special_code_usages").insert({ code_id: codeId, developer_id: developerId });
  if (claimError) {
    if (claimError.code === "23505") return { status: 409 };
    throw claimError;
  }
  const { data: items, error } = await supabase.from("shop_items").select("id");
  if (error) throw error;
  await supabase
    .from("purchases")
    .insert((items ?? []).map((item) => ({ developer_id: developerId, item_id: item.id, provider: "special_code" })));
  return { status: 200 };
}
