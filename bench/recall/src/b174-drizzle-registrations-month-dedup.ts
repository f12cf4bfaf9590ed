import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, serial, text } from "drizzle-orm/pg-core";
import { Pool } from "pg";
const registrations = pgTable("registrations", {
  id: serial("id").primaryKey(),
  month: text("month").notNull(),
  make: text("make").notNull(),
  fuelType: text("fuel_type").notNull(),
  count: integer("count").notNull(),
});
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
type Row = { month: string; make: string; fuelType: string; count: number };
// New rows are deduplicated in JavaScript against the months already stored, then inserted. The table has no unique
// key, so two overlapping runs of the updater (a retry and the schedule) both see the month missing and both insert
// it.
export async function ingest(rows: Row[]) {
  const stored = await db.selectDistinct({ month: registrations.month }).from(registrations);
  const known = new Set(stored.map((row) => row.month));
  const fresh = rows.filter((row) => !known.has(row.month));
  if (fresh.length > 0) await db.insert(registrations).values(fresh);
  return fresh.length;
}
