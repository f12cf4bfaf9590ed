import { ConflictException, Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Column, Entity, PrimaryColumn, QueryFailedError, Repository } from "typeorm";
@Entity("guild_members")
export class GuildMember {
  @PrimaryColumn()
  handle!: string;
  @Column()
  displayName!: string;
  @Column()
  email!: string;
}
interface RegisterInput {
  handle: string;
  displayName: string;
  email: string;
}
@Injectable()
export class GuildMemberService {
  constructor(@InjectRepository(GuildMember) private readonly members: Repository<GuildMember>) {}
  // Registering a handle checks that no member has it, then saves the new member. save() is an upsert by primary key:
  // two registrations of one handle both find nothing, the first inserts and the second's save updates that row with
  // its own name and email — the first member's account is taken over, and no error is raised.
  async register(input: RegisterInput) {
    const existing = await this.members.findOne({ where: { handle: input.handle } });
    if (existing) throw new ConflictException("handle already registered");
    return this.members.save(this.members.create(input));
  }
  // Correct: insert() fails on the primary key when the handle is taken, and the failure is answered as a conflict.
  async registerByInsert(input: RegisterInput) {
    try {
      await this.members.insert(input);
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === "23505") {
        throw new ConflictException("handle already registered");
      }
      throw err;
    }
    return input;
  }
}
