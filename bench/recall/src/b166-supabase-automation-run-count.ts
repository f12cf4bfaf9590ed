import { createClient } from "@supabase/supabase-js";
const db = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
declare function runSteps(automationId: string, contactId: string): Promise<void>;
// After an automation runs for a contact, its run counter is written back as the value loaded with the automation plus
// one: two webhooks firing the same automation for two contacts both load N and both write N + 1, losing a run.
export async function dispatch(automationId: string, contactId: string) {
  const { data: automation } = await db.from("automations").select("*").eq("id", automationId).single();
  if (!automation || !automation.enabled) return;
  await runSteps(automationId, contactId);
  await db
    .from("automations")
    .update({ run_count: (automation.run_count ?? 0) + 1, last_run_at: new Date().toISOString() })
    .eq("id", automation.id);
}
// Correct: the database raises the counter itself, in a function that runs one UPDATE … SET run_count = run_count + 1.
export async function dispatchCounted(automationId: string, contactId: string) {
  const { data: automation } = await db.from("automations").select("*").eq("id", automationId).single();
  if (!automation || !automation.enabled) return;
  await runSteps(automationId, contactId);
  const { error } = await db.rpc("bump_automation_run_count", { p_automation_id: automation.id });
  if (error) console.error("run count not recorded", error);
}
