import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, PrimaryGeneratedColumn, Repository } from "typeorm";
// No unique index over (scope, app): the pre-check is the only guard against a second assignment.
@Entity("app_scopes")
export class AppScope {
  @PrimaryGeneratedColumn("uuid")
  id!: string;
  @Column()
  scopeId!: string;
  @Column()
  appId!: string;
}
export class ConflictError extends Error {}
// The assignment is looked up and saved when none is found: two concurrent grants of one scope to one app both pass
// the check and both save a row.
@Injectable()
export class AppScopeService {
  constructor(@InjectRepository(AppScope) private readonly repository: Repository<AppScope>) {}
  async grant(scopeId: string, appId: string) {
    const existing = await this.repository.findOneBy({ scopeId, appId });
    if (existing) throw new ConflictError("the scope is already granted to this app");
    const entity = this.repository.create({ scopeId, appId });
    return this.repository.save(entity);
  }
}
