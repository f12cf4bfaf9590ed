import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import type { Queue } from "bullmq";
import { Column, Entity, PrimaryGeneratedColumn, Repository } from "typeorm";
@Entity("referral_records")
export class ReferralRecord {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() refereeId!: string;
  @Column() referrerId!: string;
  @Column({ default: false }) rewardPaid!: boolean;
  @Column({ type: "timestamptz", nullable: true }) rewardPaidAt!: Date | null;
}
// The record is read, the reward queued when it is not yet paid, and the record saved as paid: two completions of
// the referee's first task both read rewardPaid false and both queue the referrer's reward.
@Injectable()
export class ReferralRewards {
  constructor(
    @InjectRepository(ReferralRecord) private readonly records: Repository<ReferralRecord>,
    private readonly payouts: Queue,
  ) {}
  async onFirstTaskDone(refereeId: string) {
    const record = await this.records.findOne({ where: { refereeId } });
    if (!record || record.rewardPaid) return;
    await this.payouts.add("referral-reward", { userId: record.referrerId, amount: 5 });
    record.rewardPaid = true;
    record.rewardPaidAt = new Date();
    await this.records.save(record);
  }
}
