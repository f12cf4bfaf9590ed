import { NextResponse } from "next/server";
import { createClient } from "@supabase/supabase-js";
const admin = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
const DRAFT_COST = 2;
declare function draftWithModel(brief: string): Promise<{ body: string }>;
// The wallet is read and checked, a slow model call runs, and only then is the spend written back as the value read
// plus the cost: two requests from a user with one draft left both pass the check, both get a draft, and the counter
// rises by one draft's cost.
export async function POST(req: Request) {
  const ownerId = req.headers.get("x-user-id")!;
  const { data: wallet } = await admin.from("draft_wallets").select("*").eq("owner_id", ownerId).single();
  if (!wallet) return NextResponse.json({ error: "no wallet" }, { status: 404 });
  if (wallet.allowance - wallet.spent < DRAFT_COST) {
    return NextResponse.json({ error: "Not enough credits", needsUpgrade: true }, { status: 402 });
  }
  const { brief } = (await req.json()) as { brief: string };
  const draft = await draftWithModel(brief);
  const { error } = await admin
    .from("draft_wallets")
    .update({ spent: wallet.spent + DRAFT_COST, updated_at: new Date().toISOString() })
    .eq("owner_id", ownerId);
  if (error) console.error("charge failed", error);
  return NextResponse.json({ draft });
}
