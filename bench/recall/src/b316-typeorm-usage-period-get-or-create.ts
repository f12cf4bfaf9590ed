import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, PrimaryGeneratedColumn, Repository } from "typeorm";
// No unique index over (userId, period): the table has only its generated id.
@Entity("quota_usage")
export class QuotaUsage {
  @PrimaryGeneratedColumn("uuid")
  id!: string;
  @Column()
  userId!: string;
  @Column()
  period!: string;
  @Column({ default: 0 })
  used!: number;
}
@Injectable()
export class QuotaService {
  constructor(@InjectRepository(QuotaUsage) private readonly usage: Repository<QuotaUsage>) {}
  // The first request of a new period finds no usage row and creates one. Parallel first requests of a period all find
  // nothing and each creates a row: the user has several usage rows for one period, and each counts separately.
  async getOrCreateUsage(userId: string, period: string) {
    const existing = await this.usage.findOne({ where: { userId, period } });
    if (existing) return existing;
    return this.usage.save(this.usage.create({ userId, period, used: 0 }));
  }
}
