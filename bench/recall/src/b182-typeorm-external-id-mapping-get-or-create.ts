import { randomUUID } from "node:crypto";
import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, Index, PrimaryGeneratedColumn, QueryFailedError, Repository } from "typeorm";
@Entity("external_id_mappings")
@Index(["entityType", "connectionId", "externalId"], { unique: true })
export class ExternalIdMapping {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() entityType!: string;
  @Column() connectionId!: string;
  @Column() externalId!: string;
  @Column() internalId!: string;
}
// The internal id for an external entity is looked up and, when missing, a new mapping saved: two order imports for
// one new customer both find no mapping and both save one; the unique index fails the second save, and that import
// errors instead of getting the id the first one created.
@Injectable()
export class ExternalIdMappingService {
  constructor(@InjectRepository(ExternalIdMapping) private readonly mappings: Repository<ExternalIdMapping>) {}
  async getOrCreateInternalId(entityType: string, connectionId: string, externalId: string): Promise<string> {
    const existing = await this.mappings.findOne({ where: { entityType, connectionId, externalId } });
    if (existing) return existing.internalId;
    const mapping = this.mappings.create({ entityType, connectionId, externalId, internalId: randomUUID() });
    await this.mappings.save(mapping);
    return mapping.internalId;
  }
  // Correct: insert first and, when the unique index says another request won, read the winner's id.
  async getOrCreateInternalIdSafely(entityType: string, connectionId: string, externalId: string): Promise<string> {
    const internalId = randomUUID();
    try {
      await this.mappings.insert({ entityType, connectionId, externalId, internalId });
      return internalId;
    } catch (err) {
      if (!(err instanceof QueryFailedError) || (err as unknown as { code?: string }).code !== "23505") throw err;
      const winner = await this.mappings.findOneOrFail({ where: { entityType, connectionId, externalId } });
      return winner.internalId;
    }
  }
}
