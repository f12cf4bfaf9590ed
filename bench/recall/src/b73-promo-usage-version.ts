import { NextResponse } from "next/server";
import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_KEY!);
export async function POST(req: Request) {
  const { code, profileId } = (await req.json()) as { code: string; profileId: string };
  const { data: promo } = await supabase.from("promo_codes").select("id, used_count, max_uses, reward_item").eq("code", code).single();
  if (!promo) return NextResponse.json({ error: "unknown code" }, { status: 404 });
  if (promo.used_count >= promo.max_uses) return NextResponse.json({ error: "code exhausted" }, { status: 409 });
  await supabase.from("promo_redemptions").insert({ promo_id: promo.id, profile_id: profileId });
  await supabase.from("inventory").insert({ profile_id: profileId, item: promo.reward_item });
  // Compare-and-set on the count read above, but the number of rows it changed is never looked at.
  await supabase
    .from("promo_codes")
    .update({ used_count: promo.used_count + 1 })
    .eq("id", promo.id)
    .eq("used_count", promo.used_count);
  return NextResponse.json({ granted: promo.reward_item });
}
