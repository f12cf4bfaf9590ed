import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { Pool } from "pg";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
const redis = new Redis(process.env.REDIS_URL!);
declare function sendIdentityInvitation(orgId: string, email: string): Promise<{ id: string }>;
// The invite route counts the organization's active memberships and pending invitations against its paid seats, sends
// the invitation through the identity provider, and records it. Concurrent invites all count the same free seat
// before any invitation is recorded: the organization sends more invitations than it pays for.
export async function inviteTeammate(orgId: string, email: string) {
  const seats = await pool.query("SELECT seat_quantity FROM org_billing WHERE org_id = $1", [orgId]);
  const used = await pool.query(
    "SELECT (SELECT count(*) FROM org_memberships WHERE org_id = $1 AND status = 'active') + (SELECT count(*) FROM org_invitations WHERE org_id = $1 AND state = 'pending') AS taken",
    [orgId],
  );
  if (Number(used.rows[0].taken) >= Number(seats.rows[0]?.seat_quantity ?? 0)) throw new Error("no free seat");
  const invitation = await sendIdentityInvitation(orgId, email);
  await pool.query("INSERT INTO org_invitations (id, org_id, email, state, provider_id) VALUES ($1, $2, $3, 'pending', $4)", [
    randomUUID(),
    orgId,
    email,
    invitation.id,
  ]);
}
// Correct (the fix's shape): the count, the provider call and the record run under a per-organization Redis lease
// taken with SET NX PX and a token of its own, released by a compare-and-delete in a finally.
const RELEASE_IF_OWNER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
export async function inviteTeammateSerialized(orgId: string, email: string) {
  const key = `invite-lock:${orgId}`;
  const token = randomUUID();
  const taken = await redis.set(key, token, "PX", 30_000, "NX");
  if (taken !== "OK") throw new Error("another invitation is in progress");
  try {
    const seats = await pool.query("SELECT seat_quantity FROM org_billing WHERE org_id = $1", [orgId]);
    const used = await pool.query(
      "SELECT (SELECT count(*) FROM org_memberships WHERE org_id = $1 AND status = 'active') + (SELECT count(*) FROM org_invitations WHERE org_id = $1 AND state = 'pending') AS taken",
      [orgId],
    );
    if (Number(used.rows[0].taken) >= Number(seats.rows[0]?.seat_quantity ?? 0)) throw new Error("no free seat");
    const invitation = await sendIdentityInvitation(orgId, email);
    await pool.query("INSERT INTO org_invitations (id, org_id, email, state, provider_id) VALUES ($1, $2, $3, 'pending', $4)", [
      randomUUID(),
      orgId,
      email,
      invitation.id,
    ]);
  } finally {
    await redis.eval(RELEASE_IF_OWNER, 1, key, token);
  }
}
