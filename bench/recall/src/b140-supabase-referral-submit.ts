import { NextResponse } from "next/server";
import { createClient } from "@supabase/supabase-js";
const supabaseAdmin = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
// The wallet's earlier referral is looked up, then the referral inserted, in two requests: two submits for one wallet
// both find none and both insert, and each referral row is later claimable, so the reward is paid twice.
export async function POST(req: Request) {
  const { walletAddress, code } = (await req.json()) as { walletAddress: string; code: string };
  const { data: existingReferral } = await supabaseAdmin
    .from("wallet_referrals")
    .select("id")
    .eq("referred_wallet", walletAddress)
    .maybeSingle();
  if (existingReferral) {
    return NextResponse.json({ success: false, error: "referral already used" }, { status: 409 });
  }
  const { error } = await supabaseAdmin
    .from("wallet_referrals")
    .insert({ referred_wallet: walletAddress, referral_code: code, status: "pending" });
  if (error) throw error;
  return NextResponse.json({ success: true });
}
