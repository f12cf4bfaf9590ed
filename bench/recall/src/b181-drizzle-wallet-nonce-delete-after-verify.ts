import { and, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { Pool } from "pg";
const walletNonces = pgTable("wallet_nonces", {
  id: text("id").primaryKey(),
  address: text("address").notNull(),
  nonce: text("nonce").notNull(),
  expiresAt: timestamp("expires_at").notNull(),
});
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
declare function parseSignInMessage(message: string): { address: string; nonce: string };
declare function verifySignature(message: string, signature: string): Promise<boolean>;
declare function openSession(address: string): Promise<{ token: string }>;
// The sign-in nonce is looked up, the signature verified (an RPC round trip), and the nonce deleted afterwards: two
// requests replaying one signed message both find the nonce before either deletes it, and both get a session.
export async function signInWithWallet(message: string, signature: string) {
  const { address, nonce } = parseSignInMessage(message);
  const [record] = await db
    .select()
    .from(walletNonces)
    .where(and(eq(walletNonces.address, address), eq(walletNonces.nonce, nonce)))
    .limit(1);
  if (!record || record.expiresAt < new Date()) return { status: 401, error: "Unknown or expired nonce" };
  if (!(await verifySignature(message, signature))) return { status: 401, error: "Bad signature" };
  await db.delete(walletNonces).where(eq(walletNonces.id, record.id));
  return { status: 200, session: await openSession(address) };
}
// Correct: the nonce is consumed first by a DELETE … RETURNING that only one request can win, then the signature is
// checked.
export async function signInWithWalletOnce(message: string, signature: string) {
  const { address, nonce } = parseSignInMessage(message);
  const [record] = await db
    .delete(walletNonces)
    .where(and(eq(walletNonces.address, address), eq(walletNonces.nonce, nonce), gt(walletNonces.expiresAt, new Date())))
    .returning();
  if (!record) return { status: 401, error: "Unknown or expired nonce" };
  if (!(await verifySignature(message, signature))) return { status: 401, error: "Bad signature" };
  return { status: 200, session: await openSession(address) };
}
