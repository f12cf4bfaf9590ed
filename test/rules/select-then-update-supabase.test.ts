import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// Supabase (postgrest-js): each call is a statement of its own, with no row lock and no transaction from the client.

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The update repeats the value read in its filter and checks the rows `.select()` returns: a compare-and-set.
      name: "credits spent with the value read repeated in the filter, the updated rows checked",
      code: `import { createClient } from "@supabase/supabase-js";
const db = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_KEY!);
export async function spendCreditsGuarded(userId: string, cost: number) {
  const { data: profile } = await db.from("profiles").select("credits").eq("id", userId).single();
  if (!profile || profile.credits < cost) throw new Error("not enough credits");
  const { data: updated } = await db
    .from("profiles")
    .update({ credits: profile.credits - cost })
    .eq("id", userId)
    .eq("credits", profile.credits)
    .select();
  if (!updated || updated.length === 0) throw new Error("retry: credits changed");
}`,
    },
    {
      name: "a knex chain starting with `.from()` in a file that does not use Supabase stays knex's",
      code: `import knex from "knex";
const k = knex({ client: "pg" });
export async function rename(id: string, name: string) {
  const row = await k.from("teams").select("name").where("id", id).first();
  if (!row) return;
  await k("teams").where({ id }).update({ name });
}`,
    },
  ],
  invalid: [
    {
      name: "Next.js route: a promo code's use count checked, a grant inserted, the count written back from the read",
      code: `import { NextResponse } from "next/server";
import { createClient } from "@/lib/supabase/server";
export async function POST(req: Request) {
  const { code, userId } = (await req.json()) as { code: string; userId: string };
  const supabase = await createClient();
  const { data: promo } = await supabase.from("promo_codes").select("*").eq("code", code).single();
  if (!promo) return NextResponse.json({ error: "unknown code" }, { status: 404 });
  if (promo.used_count >= promo.max_uses) return NextResponse.json({ error: "used up" }, { status: 409 });
  await supabase.from("grants").insert({ user_id: userId, item: promo.item });
  await supabase.from("promo_codes").update({ used_count: promo.used_count + 1 }).eq("id", promo.id);
  return NextResponse.json({ ok: true });
}`,
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "lostUpdate",
          message:
            '`supabase.from("promo_codes")…update(…)` writes a value computed from `used_count` read at line 6 without a row lock: two concurrent calls both read the same value, both write their result, and one update is lost.',
          help: "Lock the row (a database function called with `.rpc()` that reads the row `FOR UPDATE` and writes it in one transaction) or update atomically (a database function called with `.rpc()` that runs `SET used_count = used_count + n`).",
        },
      ],
    },
    {
      name: "credits read with `.single()` and written back by id alone",
      code: `import { createClient } from "@supabase/supabase-js";
const db = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_KEY!);
export async function spendCredits(userId: string, cost: number) {
  const { data: profile, error } = await db.from("profiles").select("credits").eq("id", userId).single();
  if (error || !profile) throw error ?? new Error("no profile");
  if (profile.credits < cost) throw new Error("not enough credits");
  const { error: updateError } = await db.from("profiles").update({ credits: profile.credits - cost }).eq("id", userId);
  if (updateError) throw updateError;
}`,
      errors: [
        {
          line: 7,
          column: 40,
          messageId: "lostUpdate",
          data: { write: '`db.from("profiles")…update(…)`', column: "`credits`", line: 4 },
        },
      ],
    },
  ],
});
