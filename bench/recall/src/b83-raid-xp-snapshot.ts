import { createClient } from "@supabase/supabase-js";
const admin = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
const WIN_BONUS = 25;
// The fighter's xp is read at the start of the request; after the battle RPC the new xp is computed from that
// snapshot and written whole, so an xp grant committed in between is overwritten.
export async function POST(req: Request) {
  const { fighterId, rivalId } = (await req.json()) as { fighterId: string; rivalId: string };
  const { data: fighter } = await admin.from("fighters").select("id, arena_xp").eq("id", fighterId).single();
  if (!fighter) return Response.json({ error: "unknown fighter" }, { status: 404 });
  const { data: outcome, error } = await admin.rpc("run_battle", { p_fighter: fighterId, p_rival: rivalId });
  if (error) return Response.json({ error: error.message }, { status: 500 });
  if (outcome?.won) {
    await admin
      .from("fighters")
      .update({ arena_xp: (fighter.arena_xp ?? 0) + WIN_BONUS })
      .eq("id", fighter.id);
  }
  return Response.json({ outcome });
}
// Correct twin: the increment happens in the database.
export async function grantWinBonus(fighterId: string) {
  await admin.rpc("add_arena_xp", { p_fighter: fighterId, p_amount: WIN_BONUS });
}
