import { randomUUID } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import { Pool } from "pg";
interface Tables {
  org_invitation: { id: string; org_id: string; email: string; role: string; status: string };
  org_member: { id: string; org_id: string; user_id: string; role: string };
}
const db = new Kysely<Tables>({
  dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) }),
});
// Accepting an invitation reads it, refuses it unless it is pending, marks it accepted and adds the member. Two accepts of
// one invitation (a double click, a retried request) both read "pending" before either marks it: both mark it and both
// insert a member, and nothing unique over (org_id, user_id) refuses the second row.
export async function acceptInvitation(invitationId: string, userId: string) {
  const invitation = await db.selectFrom("org_invitation").selectAll().where("id", "=", invitationId).executeTakeFirst();
  if (!invitation || invitation.status !== "pending") throw new Error("invitation is not pending");
  await db.updateTable("org_invitation").set({ status: "accepted" }).where("id", "=", invitationId).execute();
  await db
    .insertInto("org_member")
    .values({ id: randomUUID(), org_id: invitation.org_id, user_id: userId, role: invitation.role })
    .execute();
}
// Correct: the pending test is part of the UPDATE, and only the request whose UPDATE changed the row adds the member.
export async function acceptInvitationOnce(invitationId: string, userId: string) {
  const claimed = await db
    .updateTable("org_invitation")
    .set({ status: "accepted" })
    .where("id", "=", invitationId)
    .where("status", "=", "pending")
    .returning(["org_id", "role"])
    .executeTakeFirst();
  if (!claimed) throw new Error("invitation is not pending");
  await db.insertInto("org_member").values({ id: randomUUID(), org_id: claimed.org_id, user_id: userId, role: claimed.role }).execute();
}
