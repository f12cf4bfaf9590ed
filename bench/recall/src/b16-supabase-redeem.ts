import { NextResponse } from "next/server";
import { createClient } from "@/lib/supabase/server";
export async function POST(req: Request) {
  const { code, userId } = (await req.json()) as { code: string; userId: string };
  const supabase = await createClient();
  const { data: promo } = await supabase.from("promo_codes").select("*").eq("code", code).single();
  if (!promo) return NextResponse.json({ error: "unknown code" }, { status: 404 });
  if (promo.used_count >= promo.max_uses) return NextResponse.json({ error: "used up" }, { status: 409 });
  await supabase.from("grants").insert({ user_id: userId, item: promo.item });
  await supabase.from("promo_codes").update({ used_count: promo.used_count + 1 }).eq("id", promo.id);
  return NextResponse.json({ ok: true });
}
