import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_ANON_KEY!);
// A tool's visit counter is read, raised by one in JavaScript and upserted back: simultaneous visits all read the same
// count and write the same value, so visits are lost.
export async function POST(req: Request) {
  const { tool } = (await req.json()) as { tool: string };
  const { data } = await supabase.from("counters").select("value").eq("key", `visit:${tool}`).maybeSingle();
  const value = (data?.value ?? 0) + 1;
  const { error } = await supabase.from("counters").upsert({ key: `visit:${tool}`, value }, { onConflict: "key" });
  if (error) return Response.json({ error: error.message }, { status: 500 });
  return Response.json({ value });
}
