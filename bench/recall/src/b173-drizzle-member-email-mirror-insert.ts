import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text } from "drizzle-orm/pg-core";
import { Pool } from "pg";
const members = pgTable("members", {
  id: text("id").primaryKey(),
  email: text("email").notNull(),
  name: text("name"),
});
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
declare const mirror: { createRecord(table: string, fields: Record<string, unknown>): Promise<{ id: string }> };
// A member is looked up by email and created when missing; the create first writes the record to the mirrored base
// (half a second) and then inserts the row. Nothing makes the email unique, so two sign-in callbacks for a new email
// both find nothing and both insert a member.
export async function ensureMember(email: string, name: string | null) {
  const [existing] = await db.select().from(members).where(eq(members.email, email)).limit(1);
  if (existing) return existing;
  const record = await mirror.createRecord("Members", { Email: email, Name: name });
  const [created] = await db.insert(members).values({ id: record.id, email, name }).returning();
  return created;
}
