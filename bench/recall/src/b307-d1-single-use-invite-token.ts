import type { D1Database } from "@cloudflare/workers-types";
// Accepting an invite link looks the token up, adds the member (the insert itself re-checks the member cap and that
// the user is not already in the org), then deletes the token. The token lookup is not part of the guarded insert: two
// people opening the same single-use link together both find it live, and both join.
export async function acceptInviteLink(db: D1Database, token: string, userId: string) {
  const invite = await db
    .prepare("SELECT org_id, role FROM org_invite_links WHERE token = ? AND expires_at > ?")
    .bind(token, Date.now())
    .first<{ org_id: string; role: string }>();
  if (!invite) return { ok: false as const, reason: "invalid invite" };
  const joined = await db
    .prepare(
      `INSERT INTO org_members (org_id, user_id, role)
       SELECT ?, ?, ? WHERE (SELECT COUNT(*) FROM org_members WHERE org_id = ?) < (SELECT member_cap FROM orgs WHERE id = ?)
         AND NOT EXISTS (SELECT 1 FROM org_members WHERE org_id = ? AND user_id = ?)`,
    )
    .bind(invite.org_id, userId, invite.role, invite.org_id, invite.org_id, invite.org_id, userId)
    .run();
  if (joined.meta.changes === 0) return { ok: false as const, reason: "org is full" };
  await db.prepare("DELETE FROM org_invite_links WHERE token = ?").bind(token).run();
  return { ok: true as const, orgId: invite.org_id };
}
// Correct: the token is consumed first by a DELETE … RETURNING; only the request whose DELETE returned the row joins.
export async function acceptInviteLinkOnce(db: D1Database, token: string, userId: string) {
  const invite = await db
    .prepare("DELETE FROM org_invite_links WHERE token = ? AND expires_at > ? RETURNING org_id, role")
    .bind(token, Date.now())
    .first<{ org_id: string; role: string }>();
  if (!invite) return { ok: false as const, reason: "invalid invite" };
  await db.prepare("INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, ?)").bind(invite.org_id, userId, invite.role).run();
  return { ok: true as const, orgId: invite.org_id };
}
