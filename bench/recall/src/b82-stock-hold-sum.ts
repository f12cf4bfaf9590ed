import type { Pool } from "mysql2/promise";
// A fifteen-minute stock hold: the product's stock and the units already held are read with plain SELECTs, then a
// hold is inserted. Two requests for the last unit both see it free and both insert a hold.
export class StockHoldService {
  constructor(private readonly pool: Pool) {}
  async holdUnits(shopperId: number, itemId: number, units: number) {
    const [itemRows] = await this.pool.query<any[]>("SELECT on_hand FROM catalog_items WHERE id = ?", [itemId]);
    if (itemRows.length === 0) throw new Error("item not found");
    const [heldRows] = await this.pool.query<any[]>(
      "SELECT COALESCE(SUM(units), 0) AS held FROM stock_holds WHERE item_id = ? AND expires_at > NOW()",
      [itemId],
    );
    const free = Number(itemRows[0].on_hand) - Number(heldRows[0].held);
    if (units > free) throw new Error(`only ${free} left`);
    await this.pool.query(
      "INSERT INTO stock_holds (shopper_id, item_id, units, expires_at) VALUES (?, ?, ?, NOW() + INTERVAL 15 MINUTE)",
      [shopperId, itemId, units],
    );
    return { held: units };
  }
}
