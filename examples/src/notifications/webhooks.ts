// Order webhooks on PostgreSQL. `markShippedAndNotify` calls the customer's webhook after its UPDATE and before
// COMMIT, so the order row stays locked (and the connection checked out) for as long as the customer's server takes
// to answer. `markShipped` commits first and calls the webhook afterwards.
import type { Pool } from "pg";

async function postWebhook(url: string, payload: unknown): Promise<void> {
  await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
}

/** ❌ Row lock held across the webhook call. */
export async function markShippedAndNotify(pool: Pool, orderId: string, webhookUrl: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE orders SET status = 'shipped' WHERE id = $1", [orderId]);
    await postWebhook(webhookUrl, { orderId, status: "shipped" });
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

/** ✅ Commit, then notify: the row lock lasts only as long as the UPDATE. */
export async function markShipped(pool: Pool, orderId: string, webhookUrl: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("UPDATE orders SET status = 'shipped' WHERE id = $1", [orderId]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
  await postWebhook(webhookUrl, { orderId, status: "shipped" });
}
