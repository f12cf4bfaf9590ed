import knexFactory from "knex";
const knex = knexFactory({ client: "pg", connection: process.env.DATABASE_URL });
// Reserving stock reads the location's inventory level, checks that stocked minus reserved covers the request,
// inserts the reservation and writes the reserved quantity back as the value read plus the request. Nothing locks the
// level row: two reservations of the last unit both pass the check, both insert, and the second write of
// reserved_quantity replaces the first, so the level shows one unit reserved against two live reservations.
export async function reserveStock(itemId: string, locationId: string, lineItemId: string, quantity: number) {
  return knex.transaction(async (trx) => {
    const level = await trx("inventory_levels").where({ inventory_item_id: itemId, location_id: locationId }).first();
    if (!level) throw new Error("item not stocked at location");
    if (level.stocked_quantity - level.reserved_quantity < quantity) throw new Error("not enough stock");
    await trx("reservation_items").insert({ inventory_item_id: itemId, location_id: locationId, line_item_id: lineItemId, quantity });
    await trx("inventory_levels")
      .where({ id: level.id })
      .update({ reserved_quantity: level.reserved_quantity + quantity });
  });
}
// Correct: the level row is read FOR UPDATE, so the second reservation waits and checks what the first left.
export async function reserveStockLocked(itemId: string, locationId: string, lineItemId: string, quantity: number) {
  return knex.transaction(async (trx) => {
    const level = await trx("inventory_levels")
      .where({ inventory_item_id: itemId, location_id: locationId })
      .forUpdate()
      .first();
    if (!level) throw new Error("item not stocked at location");
    if (level.stocked_quantity - level.reserved_quantity < quantity) throw new Error("not enough stock");
    await trx("reservation_items").insert({ inventory_item_id: itemId, location_id: locationId, line_item_id: lineItemId, quantity });
    await trx("inventory_levels")
      .where({ id: level.id })
      .update({ reserved_quantity: level.reserved_quantity + quantity });
  });
}
