import { randomUUID } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import { Pool } from "pg";
interface Tables {
  manual_payment_requests: { id: string; order_id: string; amount: number; status: string; reviewed_by: string | null };
  payments: { id: string; order_id: string; amount: number; status: string; method: string };
  orders: { id: string; status: string };
}
const db = new Kysely<Tables>({
  dialect: new PostgresDialect({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) }),
});
// An admin approves a bank-transfer payment request: the request is read and refused unless pending, then one
// transaction marks it approved (by id only), records a captured payment and marks the order paid if it is still
// pending — a guarded update whose result is ignored. Two approvals of one request both read "pending" and both
// commit a captured payment: the order shows twice its amount paid.
export async function approveManualPayment(requestId: string, adminId: string) {
  const request = await db.selectFrom("manual_payment_requests").selectAll().where("id", "=", requestId).executeTakeFirst();
  if (!request) throw new Error("request not found");
  if (request.status !== "pending") throw new Error("request already reviewed");
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("manual_payment_requests")
      .set({ status: "approved", reviewed_by: adminId })
      .where("id", "=", requestId)
      .execute();
    await trx
      .insertInto("payments")
      .values({ id: randomUUID(), order_id: request.order_id, amount: request.amount, status: "captured", method: "bank_transfer" })
      .execute();
    await trx.updateTable("orders").set({ status: "paid" }).where("id", "=", request.order_id).where("status", "=", "pending").execute();
  });
}
