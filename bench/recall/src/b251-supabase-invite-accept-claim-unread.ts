import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
declare function addBilledSeat(teamId: string): Promise<void>;
// Accepting an invitation marks it accepted with an update guarded by accepted_at IS NULL, then adds the member and
// bills a seat. The guarded update's result is never read: a second accept of the same invitation (a double click, a
// second tab) changes no row and still goes on to add the member and bill another seat.
export async function acceptInvitation(token: string, userId: string) {
  const { data: invite } = await supabase
    .from("team_invitations")
    .select("id, team_id, role")
    .eq("token", token)
    .is("accepted_at", null)
    .maybeSingle();
  if (!invite) return { status: 400 };
  const { error } = await supabase
    .from("team_invitations")
    .update({ accepted_at: new Date().toISOString() })
    .eq("id", invite.id)
    .is("accepted_at", null);
  if (error) return { status: 500 };
  await supabase.from("team_members").insert({ team_id: invite.team_id, user_id: userId, role: invite.role });
  await addBilledSeat(invite.team_id);
  return { status: 200 };
}
// Correct: the guarded update returns the rows it changed; none means another accept already won.
export async function acceptInvitationClaimed(token: string, userId: string) {
  const { data: claimed, error } = await supabase
    .from("team_invitations")
    .update({ accepted_at: new Date().toISOString() })
    .eq("token", token)
    .is("accepted_at", null)
    .select("id, team_id, role")
    .maybeSingle();
  if (error) return { status: 500 };
  if (!claimed) return { status: 409 };
  await supabase.from("team_members").insert({ team_id: claimed.team_id, user_id: userId, role: claimed.role });
  await addBilledSeat(claimed.team_id);
  return { status: 200 };
}
