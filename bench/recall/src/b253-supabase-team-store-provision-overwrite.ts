import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
declare function createTenantDatabase(): Promise<{ name: string; url: string; token: string }>;
declare function dropTenantDatabase(name: string): Promise<void>;
// A team's storage is provisioned on first use: when the team row has no database URL, a database is created at the
// provider (seconds) and its credentials are written to the team. Two first visits both see no URL, both create a
// database, and the second write replaces the first: one paid database is orphaned with whatever was written to it.
export async function provisionTeamStore(teamId: string) {
  const { data: team } = await supabase.from("teams").select("store_url, store_token").eq("id", teamId).single();
  if (team?.store_url && team.store_token) return { url: team.store_url as string, created: false };
  const store = await createTenantDatabase();
  const { error } = await supabase
    .from("teams")
    .update({ store_url: store.url, store_token: store.token, store_name: store.name })
    .eq("id", teamId);
  if (error) {
    await dropTenantDatabase(store.name);
    throw error;
  }
  return { url: store.url, created: true };
}
// Correct: the write is guarded by store_url IS NULL and returns the row it changed; the loser drops its database and
// uses the winner's.
export async function provisionTeamStoreClaimed(teamId: string) {
  const { data: team } = await supabase.from("teams").select("store_url").eq("id", teamId).single();
  if (team?.store_url) return { url: team.store_url as string, created: false };
  const store = await createTenantDatabase();
  const { data: claimed } = await supabase
    .from("teams")
    .update({ store_url: store.url, store_token: store.token, store_name: store.name })
    .eq("id", teamId)
    .is("store_url", null)
    .select("id")
    .maybeSingle();
  if (claimed) return { url: store.url, created: true };
  await dropTenantDatabase(store.name);
  const { data: winner } = await supabase.from("teams").select("store_url").eq("id", teamId).single();
  return { url: winner?.store_url as string, created: false };
}
