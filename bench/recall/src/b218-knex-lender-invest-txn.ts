import knexFactory from "knex";
const knex = knexFactory({ client: "pg", connection: process.env.DATABASE_URL });
// An investment debits the lender inside a transaction, but the balance is read without a row lock: ten investments
// fired together all read the same balance, all write it back less their amount, and nine debits are lost.
export async function investFromBalance(lenderId: number, amount: number) {
  return knex.transaction(async (trx) => {
    const lender = await trx("lenders").where({ id: lenderId }).first("id", "balance");
    if (!lender) throw new Error("lender not found");
    if (lender.balance < amount) throw new Error("insufficient balance");
    await trx("lenders")
      .where({ id: lenderId })
      .update({ balance: lender.balance - amount });
    await trx("investments").insert({ lender_id: lenderId, amount });
  });
}
// Correct: the row is read FOR UPDATE, so a second investment waits and reads the debited balance.
export async function investFromBalanceLocked(lenderId: number, amount: number) {
  return knex.transaction(async (trx) => {
    const lender = await trx("lenders").where({ id: lenderId }).forUpdate().first("id", "balance");
    if (!lender) throw new Error("lender not found");
    if (lender.balance < amount) throw new Error("insufficient balance");
    await trx("lenders")
      .where({ id: lenderId })
      .update({ balance: lender.balance - amount });
    await trx("investments").insert({ lender_id: lenderId, amount });
  });
}
