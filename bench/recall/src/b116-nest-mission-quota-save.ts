import { ForbiddenException, Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, Index, PrimaryGeneratedColumn, Repository } from "typeorm";
@Entity("mission_quota")
export class MissionQuota {
  @PrimaryGeneratedColumn()
  id!: number;
  @Index({ unique: true })
  @Column()
  teamId!: string;
  @Column({ default: 0 })
  missionsOpened!: number;
  @Column({ default: 0 })
  rewardsPaid!: number;
}
export abstract class PlanLimits {
  abstract missionLimit(teamId: string): Promise<number>;
  abstract rewardLimit(teamId: string): Promise<number>;
}
@Injectable()
export class MissionQuotaService {
  constructor(
    @InjectRepository(MissionQuota) private readonly quotas: Repository<MissionQuota>,
    private readonly limits: PlanLimits,
  ) {}
  // The usage row is read, checked against the plan and saved with one more: two missions opened at once both see the
  // last free slot, both save the same count, and the team ends over its plan with one opening uncounted.
  async chargeMissionOpening(teamId: string) {
    const limit = await this.limits.missionLimit(teamId);
    const quota = await this.quotas.findOneOrFail({ where: { teamId } });
    if (quota.missionsOpened >= limit) throw new ForbiddenException("mission quota reached");
    quota.missionsOpened += 1;
    await this.quotas.save(quota);
  }
  // Correct: one conditional UPDATE adds the reward only while it stays within the plan, and its row count decides.
  async chargeReward(teamId: string, amount: number) {
    const limit = await this.limits.rewardLimit(teamId);
    const result = await this.quotas
      .createQueryBuilder()
      .update(MissionQuota)
      .set({ rewardsPaid: () => "rewards_paid + :amount" })
      .where("team_id = :teamId AND rewards_paid + :amount <= :limit", { teamId, amount, limit })
      .execute();
    if (!result.affected) throw new ForbiddenException("reward quota reached");
  }
}
