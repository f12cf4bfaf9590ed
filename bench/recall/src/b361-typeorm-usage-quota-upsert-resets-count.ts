import { randomUUID } from "node:crypto";
import { Injectable } from "@nestjs/common";
import { Column, DataSource, Entity, PrimaryColumn, Unique } from "typeorm";
@Entity("usage_quotas")
@Unique(["userId", "quotaType"])
export class UsageQuota {
  @PrimaryColumn("uuid")
  id!: string;
  @Column()
  userId!: string;
  @Column()
  quotaType!: string;
  @Column({ default: 0 })
  count!: number;
  @Column()
  windowStartAt!: Date;
}
@Injectable()
export class UsageQuotaRepository {
  constructor(private readonly dataSource: DataSource) {}
  // The fair-use check makes sure the user's quota row exists with an upsert, then raises the count when it is below the
  // limit. The upsert's values include `count: 0` and a fresh window start, so on conflict it updates the existing row
  // back to zero: every call, and every concurrent one, wipes the count the others raised, and the quota never binds.
  async checkAndIncrement(userId: string, quotaType: string, limit: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const quotas = manager.getRepository(UsageQuota);
      await quotas.upsert(
        { id: randomUUID(), userId, quotaType, count: 0, windowStartAt: new Date() },
        { conflictPaths: ["userId", "quotaType"], skipUpdateIfNoValuesChanged: true },
      );
      const raised = await quotas
        .createQueryBuilder()
        .update(UsageQuota)
        .set({ count: () => "count + 1" })
        .where("userId = :userId AND quotaType = :quotaType AND count < :limit", { userId, quotaType, limit })
        .execute();
      return (raised.affected ?? 0) > 0;
    });
  }
  // Correct: the row is created only when missing (ON CONFLICT DO NOTHING), so an existing count is left alone.
  async checkAndIncrementKept(userId: string, quotaType: string, limit: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await manager
        .createQueryBuilder()
        .insert()
        .into(UsageQuota)
        .values({ id: randomUUID(), userId, quotaType, count: 0, windowStartAt: new Date() })
        .orIgnore()
        .execute();
      const raised = await manager
        .createQueryBuilder()
        .update(UsageQuota)
        .set({ count: () => "count + 1" })
        .where("userId = :userId AND quotaType = :quotaType AND count < :limit", { userId, quotaType, limit })
        .execute();
      return (raised.affected ?? 0) > 0;
    });
  }
}
