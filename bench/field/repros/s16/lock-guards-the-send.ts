// FALSE shape (lock-across-await), session 16 held-out check, capgo
// supabase/functions/_backend/private/invite_existing_user_to_org.ts:346.
// Rule that would make it silent: a lock keyed by the one recipient whose purpose is to make "check the resend
// cooldown, send, record the send" atomic must cover the send; only a duplicate send to that same recipient waits,
// which is what the lock is for.
import { Client } from "pg";

const recentlySent = new Map<string, number>();

async function sendInviteMail(email: string, teamName: string) {
  const res = await fetch("https://mail.example.com/send", {
    method: "POST",
    body: JSON.stringify({ to: email, template: "team-invite", teamName }),
  });
  return res.ok;
}

export async function resendInvite(teamId: string, teamName: string, memberId: string, email: string) {
  const conn = new Client();
  await conn.connect();
  const key = `invite-mail:${teamId}:${memberId}`;
  await conn.query("SELECT pg_advisory_lock(hashtext($1))", [key]);
  try {
    const until = recentlySent.get(key) ?? 0;
    if (until > Date.now()) return { sent: false, reason: "cooldown" };
    const ok = await sendInviteMail(email, teamName);
    if (!ok) throw new Error("mail failed");
    recentlySent.set(key, Date.now() + 10 * 60 * 1000);
    return { sent: true };
  } finally {
    await conn.query("SELECT pg_advisory_unlock(hashtext($1))", [key]);
    await conn.end();
  }
}
