import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_ANON_KEY!);
// Joining a study session looks the user up among its participants, calls the join RPC (idempotent: it adds the
// participant once), and records the join's XP when the lookup found nothing. Two joins at once (a double tap) both find
// no participant before the RPC adds one: the session gets one participant and the user gets the XP twice.
export async function joinStudySession(sessionId: string, userId: string) {
  const { data: existing } = await supabase
    .from("study_session_participants")
    .select("*")
    .eq("session_id", sessionId)
    .eq("user_id", userId)
    .maybeSingle();
  const { error } = await supabase.rpc("join_study_session", { p_session_id: sessionId });
  if (error) throw error;
  if (!existing) {
    await supabase.from("xp_events").insert({ user_id: userId, activity: "session_join", points: 10 });
  }
}
// Correct: the RPC answers whether it inserted the participant (INSERT … ON CONFLICT DO NOTHING RETURNING), and the XP
// follows that answer.
export async function joinStudySessionOnce(sessionId: string, userId: string) {
  const { data: joined, error } = await supabase.rpc("join_study_session_returning", { p_session_id: sessionId });
  if (error) throw error;
  if (joined === true) {
    await supabase.from("xp_events").insert({ user_id: userId, activity: "session_join", points: 10 });
  }
}
