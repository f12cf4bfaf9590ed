import { DataSource, Entity, PrimaryGeneratedColumn, Column } from "typeorm";
@Entity() export class StockLevel { @PrimaryGeneratedColumn() id!: number; @Column() variantId!: number; @Column() stockAllocated!: number; }
export class StockLevelService {
  constructor(private dataSource: DataSource) {}
  async allocate(variantId: number, qty: number) {
    const repo = this.dataSource.getRepository(StockLevel);
    const level = await repo.findOne({ where: { variantId } });
    if (!level) return;
    await repo.update(level.id, { stockAllocated: level.stockAllocated + qty });
  }
}
