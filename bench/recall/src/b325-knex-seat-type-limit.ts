import knex from "knex";
const db = knex({ client: "pg", connection: process.env.DATABASE_URL });
// An admin invites someone with a seat type. The route counts the organization's members and pending invitations of
// that seat type against the type's limit, then stores the seat type for the invitation. Two invitations for the last
// seat of a type both count the same number and both are stored.
export async function reserveSeatForInvite(orgId: string, invitationId: string, seatType: string) {
  const org = await db("organizations").where({ id: orgId }).first();
  if (!org) throw new Error("organization not found");
  const limit = seatType === "contributor" ? org.contributor_seat_limit : org.community_seat_limit;
  const members = await db("organization_members").where({ org_id: orgId, seat_type: seatType }).count({ n: "*" }).first();
  const pending = await db("invitation_seat_types").where({ org_id: orgId, seat_type: seatType }).count({ n: "*" }).first();
  if (Number(members?.n ?? 0) + Number(pending?.n ?? 0) >= limit) throw new Error("no seat of this type left");
  await db("invitation_seat_types").insert({ invitation_id: invitationId, org_id: orgId, seat_type: seatType });
}
// Correct (the fix's shape): the organization row is read FOR UPDATE in the transaction that counts and inserts.
export async function reserveSeatForInviteLocked(orgId: string, invitationId: string, seatType: string) {
  await db.transaction(async (trx) => {
    const org = await trx("organizations").where({ id: orgId }).forUpdate().first();
    if (!org) throw new Error("organization not found");
    const limit = seatType === "contributor" ? org.contributor_seat_limit : org.community_seat_limit;
    const members = await trx("organization_members").where({ org_id: orgId, seat_type: seatType }).count({ n: "*" }).first();
    const pending = await trx("invitation_seat_types").where({ org_id: orgId, seat_type: seatType }).count({ n: "*" }).first();
    if (Number(members?.n ?? 0) + Number(pending?.n ?? 0) >= limit) throw new Error("no seat of this type left");
    await trx("invitation_seat_types").insert({ invitation_id: invitationId, org_id: orgId, seat_type: seatType });
  });
}
