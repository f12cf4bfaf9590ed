import { ForbiddenException, Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, PrimaryGeneratedColumn, Repository } from "typeorm";
@Entity()
export class AlertChannel {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() projectId!: string;
  @Column() kind!: string;
  @Column() target!: string;
}
const MAX_CHANNELS_PER_PROJECT = 50;
@Injectable()
export class AlertChannelService {
  constructor(@InjectRepository(AlertChannel) private readonly channels: Repository<AlertChannel>) {}
  // The per-project limit is a count of the project's channels tested before the save: two creates at one below the
  // limit both count under it, both save, and the project ends over the limit.
  async create(projectId: string, kind: string, target: string) {
    const count = await this.channels.count({ where: { projectId } });
    if (count >= MAX_CHANNELS_PER_PROJECT) {
      throw new ForbiddenException(`At most ${MAX_CHANNELS_PER_PROJECT} channels per project`);
    }
    const channel = this.channels.create({ projectId, kind, target });
    return this.channels.save(channel);
  }
}
