import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
// An accepted arena submission is stored, then the accepted submissions of that user and challenge are listed: when
// there is only one, it is the first solve and the developer's points are written back as the total read plus the
// grant. Two accepted submissions sent together can both count one; and any two grants to one developer read the same
// baseline, so one grant disappears.
export async function submitAccepted(userId: string, challengeId: string, grantedPoints: number) {
  await supabase.from("arena_submissions").insert({ user_id: userId, challenge_id: challengeId, status: "accepted" });
  const { data: prior } = await supabase
    .from("arena_submissions")
    .select("id")
    .eq("user_id", userId)
    .eq("challenge_id", challengeId)
    .eq("status", "accepted");
  if ((prior ?? []).length !== 1) return { firstSolve: false };
  const { data: developer } = await supabase.from("developers").select("points").eq("id", userId).single();
  await supabase
    .from("developers")
    .update({ points: (developer?.points ?? 0) + grantedPoints })
    .eq("id", userId);
  return { firstSolve: true };
}
// Correct: a database function inserts the first-solve row under a unique key (ON CONFLICT DO NOTHING) and, only when it
// won, raises the points with points = points + amount.
export async function submitAcceptedClaimed(userId: string, challengeId: string, grantedPoints: number) {
  await supabase.from("arena_submissions").insert({ user_id: userId, challenge_id: challengeId, status: "accepted" });
  const { data, error } = await supabase.rpc("claim_first_solve", {
    p_user_id: userId,
    p_challenge_id: challengeId,
    p_amount: grantedPoints,
  });
  if (error) throw error;
  return { firstSolve: Boolean(data?.won_race) };
}
