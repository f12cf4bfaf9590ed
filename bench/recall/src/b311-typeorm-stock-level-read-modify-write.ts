import { Column, DataSource, Entity, PrimaryGeneratedColumn } from "typeorm";
@Entity("stock_level")
export class StockLevel {
  @PrimaryGeneratedColumn()
  id!: number;
  @Column()
  variantId!: number;
  @Column()
  locationId!: number;
  @Column()
  stockOnHand!: number;
  @Column()
  stockAllocated!: number;
}
export class StockLevelUpdater {
  constructor(private readonly dataSource: DataSource) {}
  // Allocating stock for a settled order loads the variant's stock level at the location, adds the allocated quantity
  // in memory and saves the row. Two orders settling together both load the same stockAllocated and both save their
  // own sum: one allocation is lost and the variant looks less sold than it is.
  async allocate(variantId: number, locationId: number, quantity: number) {
    const levels = this.dataSource.getRepository(StockLevel);
    const level = await levels.findOne({ where: { variantId, locationId } });
    if (!level) throw new Error("no stock level for this location");
    level.stockAllocated = level.stockAllocated + quantity;
    await levels.save(level);
  }
  // Correct: the row is read under a pessimistic write lock inside the transaction that saves it.
  async allocateLocked(variantId: number, locationId: number, quantity: number) {
    await this.dataSource.transaction(async (manager) => {
      const level = await manager.findOne(StockLevel, {
        where: { variantId, locationId },
        lock: { mode: "pessimistic_write" },
      });
      if (!level) throw new Error("no stock level for this location");
      level.stockAllocated = level.stockAllocated + quantity;
      await manager.save(level);
    });
  }
}
