// select-then-update and form edits saved through a change-tracking ORM. TypeORM's `save`, MikroORM's `flush`,
// Mongoose's `doc.save()` and Sequelize's `instance.save()` write only the columns that changed since the row was
// loaded, so an edit whose new values are all the request's own (input, constants, the clock) merged into the row read
// is last-writer-wins per field: a field the request leaves as read (`input.x ?? row.x`) is not written at all, and a
// related row passed through a project function that merges the request into it (`row.profile =
// await profiles.update(row.profile, input)`) keeps its key. A value computed from a changed column's read value (a
// counter, a balance, a list appended to, a related row's count bumped by the helper) stays a lost update. Prisma writes
// every column named in `data`, so there a field kept as read is judged by the column's other writers
// (select-then-update-writers.test.ts).
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A calendar event with a one-to-one profile (a related row) and a JSON column of settings. */
const EVENT_ENTITIES = {
  "src/profile.entity.ts": `import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";
@Entity()
export class Profile {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() displayName!: string;
  @Column({ nullable: true }) tagline?: string;
  @Column({ default: 0 }) views!: number;
}`,
  "src/event.entity.ts": `import { Column, Entity, JoinColumn, OneToOne, PrimaryGeneratedColumn } from "typeorm";
import { Profile } from "./profile.entity";
@Entity()
export class CalendarEvent {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @OneToOne(() => Profile, { cascade: true }) @JoinColumn() profile!: Profile;
  @Column() startDate!: Date;
  @Column() durationMinutes!: number;
  @Column() visibleOnParentCalendar!: boolean;
  @Column() attendees!: number;
  @Column("simple-array") tags!: string[];
}`,
  "src/profile.service.ts": `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { Profile } from "./profile.entity";

export interface ProfileInput { displayName?: string; tagline?: string }

@Injectable()
export class ProfileService {
  constructor(@InjectRepository(Profile) private readonly profiles: Repository<Profile>) {}

  /** Re-reads the profile and saves the request's fields into it. */
  async updateProfile(current: Profile, input: ProfileInput): Promise<Profile> {
    const profile = await this.profiles.findOneByOrFail({ id: current.id });
    if (input.displayName !== undefined) profile.displayName = input.displayName;
    if (input.tagline !== undefined) profile.tagline = input.tagline;
    return await this.profiles.save(profile);
  }

  /** Merges the request's fields into the loaded profile, saved by the caller's cascade. */
  applyProfile(profile: Profile, input: ProfileInput): Profile {
    if (input.displayName) profile.displayName = input.displayName;
    profile.tagline = input.tagline ?? profile.tagline;
    return profile;
  }

  /** Counts a view on the loaded profile, saved by the caller's cascade. */
  countView(profile: Profile): Profile {
    profile.views += 1;
    return profile;
  }
}`,
};

/** A NestJS service editing calendar events; `body` is one method. */
const eventService = (body: string) => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { CalendarEvent } from "./event.entity";
import { ProfileInput, ProfileService } from "./profile.service";

export interface EventInput {
  id: string;
  profile?: ProfileInput;
  startDate: Date;
  durationMinutes: number;
  visibleOnParentCalendar?: boolean;
}

@Injectable()
export class EventService {
  constructor(
    @InjectRepository(CalendarEvent) private readonly events: Repository<CalendarEvent>,
    private readonly profileService: ProfileService,
  ) {}

${body}
}
`;

const MIKRO_ARTICLE = {
  "src/article.entity.ts": `import { Entity, PrimaryKey, Property } from "@mikro-orm/core";
@Entity()
export class Article {
  @PrimaryKey() id!: number;
  @Property() title!: string;
  @Property() summary!: string;
  @Property() likes!: number;
  @Property({ type: "json" }) labels!: string[];
}`,
};

/** A MikroORM service editing articles through the request's EntityManager. */
const articleService = (body: string) => `import { Injectable } from "@nestjs/common";
import { EntityManager, wrap } from "@mikro-orm/postgresql";
import { Article } from "./article.entity";

@Injectable()
export class ArticleService {
  constructor(private readonly em: EntityManager) {}

${body}
}
`;

/** A Mongoose model of team documents and one function editing one. */
const mongooseTeam = (body: string) => `import { Schema, model } from "mongoose";
const TeamSchema = new Schema({ name: String, description: String, credits: Number });
export const Team = model("Team", TeamSchema);

export async function editTeam(id: string, input: { name?: string; description?: string; credits?: number }) {
  const team = await Team.findById(id);
  if (!team) throw new Error("no team");
${body}
  await team.save();
}
`;

/** A Sequelize model of projects and one function editing one. */
const sequelizeProject = (body: string) => `import { DataTypes, Model, Sequelize } from "sequelize";
export const sequelize = new Sequelize("postgres://localhost/app");
export class Project extends Model {
  declare id: number;
  declare name: string;
  declare budget: number;
}
Project.init({ name: DataTypes.STRING, budget: DataTypes.INTEGER }, { sequelize });

export async function editProject(id: number, input: { name?: string; cost?: number }) {
  const project = await Project.findByPk(id);
  if (!project) throw new Error("no project");
${body}
  await project.save();
}
`;

/** A Prisma module editing one product; `data` is what the update writes. */
const prismaProduct = (data: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function editProduct(id: string, input: { title?: string; stock?: number }) {
  const product = await prisma.product.findUniqueOrThrow({ where: { id } });
  await prisma.product.update({ where: { id }, data: ${data} });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "TypeORM: an event edit sets the request's fields, keeps a field as read when left out, and updates the profile through a helper that saves it",
      files: EVENT_ENTITIES,
      code: eventService(`  async updateEvent(input: EventInput) {
    const event = await this.events.findOneOrFail({ where: { id: input.id }, relations: { profile: true } });
    if (input.profile) {
      event.profile = await this.profileService.updateProfile(event.profile, input.profile);
    }
    event.startDate = input.startDate;
    event.durationMinutes = input.durationMinutes;
    event.visibleOnParentCalendar = input.visibleOnParentCalendar ?? event.visibleOnParentCalendar;
    event.tags = ["edited"];
    return this.events.save(event);
  }`),
    },
    {
      name: "TypeORM: the loaded profile merged with the request by a helper that does not save it, saved by the event's cascade",
      files: EVENT_ENTITIES,
      code: eventService(`  async updateEvent(input: EventInput) {
    const event = await this.events.findOneOrFail({ where: { id: input.id }, relations: { profile: true } });
    if (input.profile) event.profile = this.profileService.applyProfile(event.profile, input.profile);
    return this.events.save(event);
  }`),
    },
    {
      name: "TypeORM: the request merged into the loaded entity with repository.merge and Object.assign, then saved",
      files: EVENT_ENTITIES,
      code: eventService(`  async updateEvent(input: EventInput) {
    const event = await this.events.findOneByOrFail({ id: input.id });
    this.events.merge(event, { startDate: input.startDate });
    Object.assign(event, { durationMinutes: input.durationMinutes, updatedAt: new Date() });
    return this.events.save(event);
  }`),
    },
    {
      name: "TypeORM: a field kept as read on one branch and set from the request on the other",
      files: EVENT_ENTITIES,
      code: eventService(`  async updateEvent(input: EventInput) {
    const event = await this.events.findOneByOrFail({ id: input.id });
    event.visibleOnParentCalendar =
      input.visibleOnParentCalendar === undefined ? event.visibleOnParentCalendar : input.visibleOnParentCalendar;
    return this.events.save(event);
  }`),
    },
    {
      name: "MikroORM: the request's fields assigned with wrap().assign and a field kept as read, then flushed",
      files: MIKRO_ARTICLE,
      code: articleService(`  async edit(id: number, input: { title?: string; summary?: string }) {
    const article = await this.em.findOneOrFail(Article, id);
    wrap(article).assign({ title: input.title ?? article.title });
    article.summary = input.summary || article.summary;
    await this.em.flush();
  }`),
    },
    {
      name: "Mongoose: a document's fields kept as read when the request leaves them out, then doc.save()",
      code: mongooseTeam(`  team.name = input.name ?? team.name;
  team.description = input.description ?? team.description;`),
    },
    {
      name: "Sequelize: an instance's name kept as read when the request leaves it out, then instance.save()",
      code: sequelizeProject(`  project.name = input.name ?? project.name;`),
    },
    {
      name: "Prisma: the row read only to check it exists, the update writes the request's own values",
      code: prismaProduct(`{ title: input.title, updatedAt: new Date() }`),
    },
  ],
  invalid: [
    {
      name: "TypeORM: the same edit also counts an attendee from the value read",
      files: EVENT_ENTITIES,
      code: eventService(`  async updateEvent(input: EventInput) {
    const event = await this.events.findOneOrFail({ where: { id: input.id }, relations: { profile: true } });
    if (input.profile) {
      event.profile = await this.profileService.updateProfile(event.profile, input.profile);
    }
    event.visibleOnParentCalendar = input.visibleOnParentCalendar ?? event.visibleOnParentCalendar;
    event.attendees = event.attendees + 1;
    return this.events.save(event);
  }`),
      errors: [
        {
          line: 29,
          column: 12,
          messageId: "lostUpdate",
          data: { write: "`this.events.save(…)`", column: "`attendees`", line: 23 },
        },
      ],
    },
    {
      name: "TypeORM: a tag appended to the list read, beside a field kept as read",
      files: EVENT_ENTITIES,
      code: eventService(`  async tagEvent(input: EventInput, tag: string) {
    const event = await this.events.findOneByOrFail({ id: input.id });
    event.visibleOnParentCalendar = input.visibleOnParentCalendar ?? event.visibleOnParentCalendar;
    event.tags = [...event.tags, tag];
    return this.events.save(event);
  }`),
      errors: [{ line: 26, column: 12, messageId: "lostUpdate", data: { write: "`this.events.save(…)`", column: "`tags`", line: 23 } }],
    },
    {
      name: "TypeORM: the loaded profile passed through a helper that counts a view on it, saved by the event's cascade",
      files: EVENT_ENTITIES,
      code: eventService(`  async viewEvent(input: EventInput) {
    const event = await this.events.findOneOrFail({ where: { id: input.id }, relations: { profile: true } });
    event.profile = this.profileService.countView(event.profile);
    return this.events.save(event);
  }`),
      errors: [{ line: 25, column: 12, messageId: "lostUpdate", data: { write: "`this.events.save(…)`", column: "`profile`", line: 23 } }],
    },
    {
      name: "TypeORM: a field kept as read when the request leaves it out, then incremented",
      files: EVENT_ENTITIES,
      code: eventService(`  async updateEvent(input: EventInput) {
    const event = await this.events.findOneByOrFail({ id: input.id });
    event.attendees = (input.durationMinutes ?? event.attendees) + 1;
    return this.events.save(event);
  }`),
      errors: [
        { line: 25, column: 12, messageId: "lostUpdate", data: { write: "`this.events.save(…)`", column: "`attendees`", line: 23 } },
      ],
    },
    {
      name: "TypeORM: a JSON reminder (typed with an id) merged with the request by a helper that returns a new object",
      files: EVENT_ENTITIES,
      code: eventService(`  async remind(input: EventInput, reminder: Partial<Reminder>) {
    const event: { id: string; reminder: Reminder } = await this.events.findOneByOrFail({ id: input.id });
    event.reminder = mergeReminder(event.reminder, reminder);
    return this.events.save(event);
  }
}

interface Reminder { id: string; minutesBefore: number; channel: string }
function mergeReminder(stored: Reminder, input: Partial<Reminder>): Reminder {
  return { ...stored, ...input };`),
      errors: [{ line: 25, column: 12, messageId: "lostUpdate", data: { write: "`this.events.save(…)`", column: "`reminder`", line: 23 } }],
    },
    {
      name: "MikroORM: a label appended to the JSON list read beside the request's title, then flushed",
      files: MIKRO_ARTICLE,
      code: articleService(`  async edit(id: number, input: { title?: string; label: string }) {
    const article = await this.em.findOneOrFail(Article, id);
    article.title = input.title ?? article.title;
    article.labels = [...article.labels, input.label];
    await this.em.flush();
  }`),
      errors: [{ line: 13, column: 11, messageId: "lostUpdate", data: { write: "`this.em.flush(…)`", column: "`labels`", line: 10 } }],
    },
    {
      name: "Mongoose: credits added to the value read beside fields kept as read",
      code: mongooseTeam(`  team.name = input.name ?? team.name;
  team.credits = team.credits + (input.credits ?? 0);`),
      errors: [{ line: 10, column: 9, messageId: "documentLostUpdate", data: { write: "`team.save(…)`", column: "`credits`", line: 6 } }],
    },
    {
      name: "Sequelize: the budget reduced from the value read beside a name kept as read",
      code: sequelizeProject(`  project.name = input.name ?? project.name;
  project.budget = project.budget - (input.cost ?? 0);`),
      errors: [{ line: 15, column: 9, messageId: "lostUpdate", data: { write: "`project.save(…)`", column: "`budget`", line: 11 } }],
    },
    {
      name: "Prisma: the stock computed from the value read",
      code: prismaProduct(`{ stock: product.stock - (input.stock ?? 0), title: input.title ?? product.title }`),
      errors: [{ line: 5, column: 9, messageId: "lostUpdate", data: { write: "`prisma.product.update(…)`", column: "`stock`", line: 4 } }],
    },
  ],
});
