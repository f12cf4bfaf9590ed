import { Pool } from "pg";
import Stripe from "stripe";
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
// Every instance calls this at boot. It looks up the managed endpoint row for the URL and, when none is there,
// registers a webhook endpoint with Stripe and inserts the row. Nothing makes (account_id, url) unique
// (src/schema/managed-endpoints.sql), so two instances booting together both register an endpoint and both insert.
export async function ensureManagedEndpoint(accountId: string, url: string) {
  const found = await pool.query("SELECT id, secret FROM managed_endpoints WHERE account_id = $1 AND url = $2", [
    accountId,
    url,
  ]);
  if (found.rows.length > 0) return found.rows[0];
  const endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ["*"] });
  const inserted = await pool.query(
    "INSERT INTO managed_endpoints (id, account_id, url, secret) VALUES ($1, $2, $3, $4) RETURNING id, secret",
    [endpoint.id, accountId, url, endpoint.secret],
  );
  return inserted.rows[0];
}
// Correct: the lookup, the registration and the insert run on one client, in one transaction that first takes a
// transaction-level advisory lock on the (account, url) pair.
export async function ensureManagedEndpointLocked(accountId: string, url: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${accountId}|${url}`]);
    const found = await client.query("SELECT id, secret FROM managed_endpoints WHERE account_id = $1 AND url = $2", [
      accountId,
      url,
    ]);
    if (found.rows.length > 0) {
      await client.query("COMMIT");
      return found.rows[0];
    }
    const endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ["*"] });
    const inserted = await client.query(
      "INSERT INTO managed_endpoints (id, account_id, url, secret) VALUES ($1, $2, $3, $4) RETURNING id, secret",
      [endpoint.id, accountId, url, endpoint.secret],
    );
    await client.query("COMMIT");
    return inserted.rows[0];
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}
