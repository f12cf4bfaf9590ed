import { Injectable, NotFoundException } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, PrimaryGeneratedColumn, Repository } from "typeorm";
@Entity()
export class Operator {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() displayName!: string;
  @Column() email!: string;
  @Column({ default: false }) emailConfirmed!: boolean;
  @Column({ default: true }) enabled!: boolean;
}
type OperatorPatch = Partial<Pick<Operator, "displayName" | "email" | "enabled">>;
@Injectable()
export class OperatorService {
  constructor(@InjectRepository(Operator) private readonly operators: Repository<Operator>) {}
  // Loaded, merged in memory, saved whole: a concurrent update (e.g. an email change that reset emailConfirmed) is written over.
  async update(id: string, patch: OperatorPatch): Promise<Operator> {
    let operator = await this.operators.findOneBy({ id });
    if (!operator) throw new NotFoundException();
    const emailChanged = patch.email !== undefined && patch.email !== operator.email;
    operator = this.operators.merge(operator, { ...patch, ...(emailChanged ? { emailConfirmed: false } : {}) });
    return this.operators.save(operator);
  }
}
