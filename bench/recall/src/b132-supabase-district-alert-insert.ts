import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_KEY!);
// The alert for a district and day is looked up, then inserted when none was found, in two separate requests:
// two moderators confirming reports for the same district both find none and both insert, so the day has two alerts.
export async function raiseDistrictAlert(district: string, day: string, level: string) {
  const { data: existing } = await supabase
    .from("district_alerts")
    .select("id")
    .eq("district", district)
    .eq("alert_day", day)
    .maybeSingle();
  if (existing) {
    await supabase.from("district_alerts").update({ alert_level: level }).eq("id", existing.id);
    return existing.id;
  }
  const { data } = await supabase.from("district_alerts").insert({ district, alert_day: day, alert_level: level }).select("id").single();
  return data?.id;
}
