// Helper module of external-answer-activerecord.ts (the finding needs the finder in a module of its own).
import { BaseEntity, Column, Entity, MoreThan, PrimaryGeneratedColumn } from "typeorm";

@Entity()
export class Payout extends BaseEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ nullable: true }) receiptHash?: string;
  @Column({ nullable: true }) batchRef?: string;
  @Column({ nullable: true }) networkId?: number;
  @Column({ nullable: true }) verdict?: string;
}

export const findPayoutById = async (payoutId: number): Promise<Payout | null> => {
  return Payout.createQueryBuilder("payout").where("payout.id = :payoutId", { payoutId }).getOne();
};

export const findRecentPayouts = async (since: Date) => Payout.find({ where: { id: MoreThan(0) }, take: 10 });
