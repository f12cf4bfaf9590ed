import { ConflictException, Injectable, NotFoundException } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, PrimaryGeneratedColumn, Repository } from "typeorm";
@Entity() export class Disbursement { @PrimaryGeneratedColumn("uuid") id!: string; @Column() state!: string; @Column({ nullable: true }) reviewerId?: string; }
@Injectable()
export class DisbursementsService {
  constructor(@InjectRepository(Disbursement) private readonly disbursements: Repository<Disbursement>) {}
  // Loaded, its state checked and changed in memory, then saved whole with no version or lock: an approval racing a
  // rejection both pass the check and the later save wins.
  async approve(id: string, reviewerId: string) {
    const disbursement = await this.disbursements.findOne({ where: { id } });
    if (!disbursement) throw new NotFoundException();
    if (disbursement.state !== "pending") throw new ConflictException("already decided");
    disbursement.state = "approved";
    disbursement.reviewerId = reviewerId;
    return this.disbursements.save(disbursement);
  }
}
