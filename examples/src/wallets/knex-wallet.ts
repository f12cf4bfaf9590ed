// Wallet balances through knex. `debit` is the lost update Locksmith reports (select-then-update); the other
// functions are the correct variants.
import type { Knex } from "knex";

/** ❌ The new balance is computed in JavaScript from a balance another request may already have changed. */
export async function debit(knex: Knex, id: string, amount: number): Promise<void> {
  const account = await knex("accounts").where({ id }).first();
  if (account.balance < amount) throw new Error("insufficient funds");
  await knex("accounts").where({ id }).update({ balance: account.balance - amount });
}

/** ✅ The database decrements; the guard and the affected-row count replace the stale check. */
export async function debitAtomically(knex: Knex, id: string, amount: number): Promise<void> {
  const updated = await knex("accounts").where({ id }).andWhere("balance", ">=", amount).decrement("balance", amount);
  if (updated === 0) throw new Error("insufficient funds");
}

/** ✅ forUpdate() inside the transaction that writes. */
export async function debitLocked(knex: Knex, id: string, amount: number): Promise<void> {
  await knex.transaction(async (trx) => {
    const account = await trx("accounts").where({ id }).forUpdate().first();
    if (account.balance < amount) throw new Error("insufficient funds");
    await trx("accounts").where({ id }).update({ balance: account.balance - amount });
  });
}
