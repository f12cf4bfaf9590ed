import { Pool } from "pg";
const pool = new Pool();
declare function sendDevnetTokens(wallet: string, mint: string): Promise<string>;
export async function requestAirdrop(wallet: string, mint: string) {
  const recent = await pool.query("SELECT 1 FROM faucet_claims WHERE wallet = $1 AND mint = $2 AND claimed_at > now() - interval '1 day'", [
    wallet,
    mint,
  ]);
  if (recent.rowCount) return { ok: false as const, reason: "already claimed today" };
  const signature = await sendDevnetTokens(wallet, mint);
  await pool.query(
    "INSERT INTO faucet_claims (wallet, mint, claimed_at) VALUES ($1, $2, now()) ON CONFLICT (wallet, mint) DO UPDATE SET claimed_at = now()",
    [wallet, mint],
  );
  return { ok: true as const, signature };
}
