import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
const db = drizzle(process.env.DATABASE_URL!);
async function pushSubscriberTags(email: string, tags: string[]) {
  const res = await fetch("https://crm.example.com/v1/subscribers", {
    method: "POST",
    body: JSON.stringify({ email, tags }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`crm ${res.status}`);
}
export async function syncExperimentTags(userId: string, tags: string[]) {
  await db.transaction(async (tx) => {
    const { rows } = await tx.execute(sql`SELECT email FROM users WHERE id = ${userId}::uuid FOR UPDATE`);
    const email = rows[0]?.email as string | undefined;
    if (!email) return;
    await pushSubscriberTags(email.trim().toLowerCase(), tags);
    await tx.execute(sql`UPDATE users SET crm_synced_at = now() WHERE id = ${userId}::uuid`);
  });
}
